"""SCIM clients in the admin: the token is shown once, at creation; revoking refuses it."""

from __future__ import annotations

import hashlib

import pytest

from portal.scim.models import ScimClient
from tests.portal.scim.conftest import ScimApi, assert_scim_error
from tests.portal.support.pages import elements

pytestmark = pytest.mark.django_db


def test_creating_a_client_shows_its_token_once_and_stores_a_digest(staff_client, client):
    response = staff_client.post("/admin/scim/scimclient/add/", {"name": "Okta"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    values = {i.get("id"): i.get("value") for i in elements(response.content.decode(), "input")}
    token = values["scim-token"]
    assert values["scim-base-url"] == "http://testserver/scim/v2/"
    stored = ScimClient.objects.get(name="Okta")
    assert stored.token_digest == hashlib.sha256(token.encode()).hexdigest()
    # The token works, and the client's page never shows it again.
    assert ScimApi(client, token).get("Users").status_code == 200
    change_page = staff_client.get(f"/admin/scim/scimclient/{stored.pk}/change/")
    assert token not in change_page.content.decode()
    assert stored.token_digest not in change_page.content.decode()


def test_the_revoke_action_refuses_the_token(staff_client, client, provisioning_client):
    scim_client, token = provisioning_client

    staff_client.post(
        "/admin/scim/scimclient/",
        {"action": "revoke", "_selected_action": [scim_client.pk]},
    )

    scim_client.refresh_from_db()
    assert scim_client.revoked_at is not None
    assert_scim_error(ScimApi(client, token).get("Users"), 401)
