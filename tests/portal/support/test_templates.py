"""The site's own templates for Django's auth pages, the error pages and the shared layout."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.portal.support.pages import page_text

pytestmark = pytest.mark.django_db


def test_login_page_uses_the_site_layout(client):
    html = page_text(client.get(reverse("login")))

    assert '<link rel="stylesheet" href="/static/css/portal.css">' in html
    assert "<h1>Sign in</h1>" in html
    assert 'name="username"' in html and 'name="password"' in html
    assert reverse("password_reset") in html


def test_a_failed_login_says_so_as_an_alert(client):
    UserFactory(email="dora@example.test")

    response = client.post(reverse("login"), {"username": "dora@example.test", "password": "no"})

    html = page_text(response)
    assert response.status_code == 200
    assert 'class="alert alert--error" role="alert"' in html
    assert "Please enter a correct" in html
    assert 'value="dora@example.test"' in html


def test_login_leads_to_the_threads(client):
    UserFactory(email="erin@example.test")

    response = client.post(
        reverse("login"), {"username": "erin@example.test", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("support:thread_list")


def test_the_header_shows_the_user_their_organisations_and_a_logout_form(alice_client, bob):
    html = page_text(alice_client.get(reverse("password_change")))

    assert "alice@acme.test" in html
    assert '<span class="account__orgs">Acme</span>' in html
    assert f'<form class="inline-form" method="post" action="{reverse("logout")}">' in html


def test_logout_is_a_post_and_ends_the_session(alice_client):
    response = alice_client.post(reverse("logout"))

    assert response.status_code == 302
    assert alice_client.get(reverse("support:thread_list")).status_code == 302


def test_password_change_and_reset_pages_render(alice_client, client):
    change = alice_client.get(reverse("password_change"))
    reset = client.get(reverse("password_reset"))

    assert change.status_code == 200 and "Change your password" in page_text(change)
    assert reset.status_code == 200 and "Reset your password" in page_text(reset)


def test_password_reset_mail_links_to_the_confirm_page(client, mailoutbox):
    UserFactory(email="fay@example.test")

    response = client.post(reverse("password_reset"), {"email": "fay@example.test"})

    assert response.status_code == 302
    (mail,) = mailoutbox
    assert mail.subject == "Reset your Support portal password"
    assert "/accounts/reset/" in mail.body
    assert "&amp;" not in mail.body


def test_the_not_found_page_uses_the_layout(alice_client):
    response = alice_client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>Not found</h1>" in page_text(response)
