"""Login, logout, password change and reset, through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def login(client, email: str, password: str):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def test_login_page_renders_an_email_and_password_form(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_login_with_email_and_password_signs_in_and_goes_to_the_threads(client):
    user = UserFactory(email="alice@acme.test")

    response = login(client, "alice@acme.test", DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("support:thread_list")
    assert get_user(client).pk == user.pk


def test_login_ignores_the_case_of_the_email(client):
    user = UserFactory(email="alice@acme.test")

    login(client, "  Alice@ACME.test", DEFAULT_PASSWORD)

    assert get_user(client).pk == user.pk


def test_login_honours_a_local_next_url(client):
    UserFactory(email="alice@acme.test")

    response = client.post(
        LOGIN_URL,
        {"username": "alice@acme.test", "password": DEFAULT_PASSWORD, "next": "/threads/new/"},
    )

    assert response.url == "/threads/new/"


def test_login_refuses_a_next_url_on_another_site(client):
    UserFactory(email="alice@acme.test")

    response = client.post(
        LOGIN_URL,
        {"username": "alice@acme.test", "password": DEFAULT_PASSWORD, "next": "https://evil.test/"},
    )

    assert response.url == reverse("support:thread_list")


def test_wrong_password_shows_an_error_and_signs_nobody_in(client):
    UserFactory(email="alice@acme.test")

    response = login(client, "alice@acme.test", "not the password")

    assert response.status_code == 200
    assert b"correct email address and password" in response.content
    assert not get_user(client).is_authenticated


def test_unknown_email_gets_the_same_error_as_a_wrong_password(client):
    response = login(client, "nobody@acme.test", "whatever")

    assert response.status_code == 200
    assert b"correct email address and password" in response.content


def test_inactive_user_cannot_sign_in(client):
    UserFactory(email="gone@acme.test", is_active=False)

    login(client, "gone@acme.test", DEFAULT_PASSWORD)

    assert not get_user(client).is_authenticated


def test_a_signed_in_user_visiting_login_is_sent_on(client):
    client.force_login(UserFactory())

    response = client.get(LOGIN_URL)

    assert response.status_code == 302
    assert response.url == reverse("support:thread_list")


def test_too_many_failures_lock_the_account_even_with_the_right_password(client):
    UserFactory(email="alice@acme.test")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "alice@acme.test", "guess").status_code == 200
    assert login(client, "alice@acme.test", "guess").status_code == 429  # the one that locks

    response = login(client, "Alice@acme.test", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert not get_user(client).is_authenticated


def test_the_failure_limit_is_per_account(client):
    UserFactory(email="alice@acme.test")
    bob = UserFactory(email="bob@acme.test")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(client, "alice@acme.test", "guess")

    response = login(client, "bob@acme.test", DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert get_user(client).pk == bob.pk


def test_successful_logins_do_not_count_towards_the_limit(client):
    UserFactory(email="alice@acme.test")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert login(client, "alice@acme.test", DEFAULT_PASSWORD).status_code == 302
        client.logout()

    assert login(client, "alice@acme.test", DEFAULT_PASSWORD).status_code == 302


def test_logout_by_post_signs_out(client):
    client.force_login(UserFactory())

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert not get_user(client).is_authenticated


def test_logout_by_get_is_refused(client):
    client.force_login(UserFactory())

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert get_user(client).is_authenticated


def test_password_change_requires_login(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_password_change_sets_the_new_password_and_keeps_the_session(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "a-much-better-passphrase-42",
            "new_password2": "a-much-better-passphrase-42",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase-42")
    assert get_user(client).is_authenticated
    assert client.get(reverse("password_change_done")).status_code == 200


def test_password_change_with_a_wrong_old_password_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a-much-better-passphrase-42",
            "new_password2": "a-much-better-passphrase-42",
        },
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_reset_mails_a_link_that_sets_a_new_password(client):
    user = UserFactory(email="alice@acme.test")

    response = client.post(reverse("password_reset"), {"email": "alice@acme.test"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@acme.test"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)
    assert link, message.body

    # The first visit swaps the token for a session-held one and redirects to the form.
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset-to-something-new-7", "new_password2": "reset-to-something-new-7"},
    )

    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("reset-to-something-new-7")
    assert client.get(reverse("password_reset_complete")).status_code == 200


def test_password_reset_for_an_unknown_email_sends_nothing_and_looks_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@acme.test"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_the_login_email_field_is_an_email_input(client):
    from tests.portal.support.pages import elements

    html = client.get(LOGIN_URL).content.decode()

    [username] = [i for i in elements(html, "input") if i.get("name") == "username"]
    assert (username["type"], username["autocomplete"]) == ("email", "email")


def test_logging_out_says_so_on_the_page_it_leads_to(client):
    from tests.portal.support.pages import class_texts

    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("logout"), follow=True)

    assert response.request["PATH_INFO"] == LOGIN_URL
    assert class_texts(response.content.decode(), "alert--success") == ["You are signed out."]
