"""The Django admin's user pages, as staff see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.accounts.models import User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.support.pages import elements

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")
ADD = reverse("admin:accounts_user_add")


def test_user_list_shows_each_users_organisations(staff_client):
    alice = UserFactory(email="alice@acme.test", full_name="Alice Anders")
    MembershipFactory(user=alice, organization=OrganizationFactory(name="Acme", slug="acme"))
    MembershipFactory(user=alice, organization=OrganizationFactory(name="Globex", slug="globex"))

    response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    assert "alice@acme.test" in response.text
    assert "Acme, Globex" in response.text


def test_user_search_matches_email_and_name(staff_client):
    UserFactory(email="alice@acme.test", full_name="Alice Anders")
    UserFactory(email="bob@acme.test", full_name="Bob Baker")

    by_name = staff_client.get(CHANGELIST, {"q": "Baker"})
    by_email = staff_client.get(CHANGELIST, {"q": "alice@"})

    assert "bob@acme.test" in by_name.text and "alice@acme.test" not in by_name.text
    assert "alice@acme.test" in by_email.text and "bob@acme.test" not in by_email.text


def test_change_page_shows_plain_ids_read_only_and_the_organisations(staff_client):
    user = UserFactory(plain_customer_id="c_01PLAINCUSTOMER")
    MembershipFactory(user=user, organization=OrganizationFactory(name="Acme", slug="acme"))

    response = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert response.status_code == 200
    assert "c_01PLAINCUSTOMER" in response.text
    assert 'name="plain_customer_id"' not in response.text
    assert user.plain_external_id in response.text
    assert "Acme (Member)" in response.text
    assert 'name="email"' in response.text


def test_change_page_ignores_a_posted_plain_customer_id(staff_client):
    user = UserFactory(email="alice@acme.test", plain_customer_id="c_original")

    response = staff_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": "alice@acme.test",
            "full_name": "Alice Anders",
            "is_active": "on",
            "plain_customer_id": "c_forged",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Alice Anders"
    assert user.plain_customer_id == "c_original"


def test_add_page_asks_for_email_name_and_password(staff_client):
    response = staff_client.get(ADD)

    assert response.status_code == 200
    for field in ("email", "full_name", "password1", "password2"):
        assert f'name="{field}"' in response.text
    assert 'name="username"' not in response.text


def test_adding_a_user_stores_the_email_lowercased(staff_client):
    response = staff_client.post(
        ADD,
        {
            "email": "Dana@Initech.test",
            "full_name": "Dana Diaz",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="dana@initech.test")
    assert user.full_name == "Dana Diaz"
    assert user.check_password("a-long-enough-passphrase-9")


def test_adding_a_user_whose_email_differs_only_in_case_is_refused(staff_client):
    UserFactory(email="alice@acme.test")

    response = staff_client.post(
        ADD,
        {
            "email": "ALICE@acme.test",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )

    assert response.status_code == 200
    assert "already exists" in response.text
    assert User.objects.filter(email__iexact="alice@acme.test").count() == 1


def test_non_staff_users_are_sent_to_the_admin_login(client):
    client.force_login(UserFactory())

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_change_page_shows_the_sign_in_source_read_only(staff_client):
    user = UserFactory(external_id="product-user-9", auth_source="jwt")

    response = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    field_names = {e.get("name") for tag in ("input", "select") for e in elements(html, tag)}
    assert not {"external_id", "auth_source"} & field_names
    readonly = response.context["adminform"].readonly_fields
    assert {"external_id", "auth_source"} <= set(readonly)
    assert "product-user-9" in html
    assert "Single sign-on (signed handoff)" in html


def test_user_list_filters_by_sign_in_source(staff_client):
    UserFactory(email="sso@acme.test", external_id="p-1", auth_source="jwt")
    UserFactory(email="local@acme.test")

    response = staff_client.get(CHANGELIST, {"auth_source__exact": "jwt"})

    emails = {user.email for user in response.context["cl"].result_list}
    assert emails == {"sso@acme.test"}
