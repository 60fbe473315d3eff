"""Bearer tokens: only a live client's token is let in; tokens are stored as digests."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.scim.models import ScimClient
from portal.scim.tokens import client_authenticate, client_create, client_revoke
from tests.portal.scim.conftest import ScimApi, assert_scim_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["Users", "Groups", "ServiceProviderConfig", "Schemas"])
def test_no_token_is_a_401_scim_error(client, path):
    response = ScimApi(client, None).get(path)

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "token",
    [
        "wrong",
        "scim_0000000000000000_wrong",
        "",
    ],
)
def test_a_wrong_token_is_a_401(client, provisioning_client, token):
    assert_scim_error(ScimApi(client, token).get("Users"), 401)


def test_a_token_with_one_character_changed_is_a_401(client, provisioning_client):
    _, token = provisioning_client
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert_scim_error(ScimApi(client, tampered).get("Users"), 401)


def test_basic_auth_with_the_token_is_a_401(client, provisioning_client):
    _, token = provisioning_client
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Basic {token}"})

    assert response.status_code == 401


def test_a_revoked_token_is_a_401(client, provisioning_client):
    scim_client, token = provisioning_client
    assert ScimApi(client, token).get("Users").status_code == 200

    client_revoke(client=scim_client)

    assert_scim_error(ScimApi(client, token).get("Users"), 401)


def test_a_refused_write_writes_nothing(client):
    response = ScimApi(client, "nope").post("Users", {"userName": "x@acme.test"})

    assert_scim_error(response, 401)
    from portal.accounts.models import User

    assert not User.objects.filter(email="x@acme.test").exists()


def test_only_a_digest_of_the_token_is_stored(db):
    scim_client, token = client_create(name="Okta")

    stored = ScimClient.objects.get(pk=scim_client.pk)
    assert token.startswith(f"scim_{stored.key}_")
    assert stored.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in ScimClient.objects.values().get().values()}


def test_last_used_is_recorded_at_most_once_a_minute(db):
    scim_client, token = client_create(name="Okta")

    assert client_authenticate(authorization=f"Bearer {token}") == scim_client
    first = ScimClient.objects.get(pk=scim_client.pk).last_used_at
    assert first is not None
    client_authenticate(authorization=f"Bearer {token}")
    assert ScimClient.objects.get(pk=scim_client.pk).last_used_at == first

    ScimClient.objects.filter(pk=scim_client.pk).update(last_used_at=first - timedelta(minutes=2))
    client_authenticate(authorization=f"bearer {token}")  # the scheme is case-insensitive
    assert ScimClient.objects.get(pk=scim_client.pk).last_used_at > first - timedelta(minutes=1)
    assert ScimClient.objects.get(pk=scim_client.pk).last_used_at <= timezone.now()


def test_no_csrf_token_is_needed(provisioning_client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = ScimApi(strict, provisioning_client[1]).post("Users", {"userName": "csrf@acme.test"})

    assert response.status_code == 201
