"""SCIM changes reach Plain's tenants: the outbox rows they write are delivered (eagerly, on
commit) to the embedded emulator, read back with the real client."""

from __future__ import annotations

import pytest

from portal.tenancy.models import SyncEvent
from tests.portal.scim.conftest import patch_op

pytestmark = pytest.mark.django_db


def tenant_members(plain, external_id: str) -> set[str]:
    """Emails of the customers Plain has in the tenant."""
    page = plain.customers(tenant_external_ids=[external_id], first=100)
    assert not page.page_info.has_next_page
    return {c.email for c in page.items}


def tenant_names(plain) -> dict[str, str]:
    return {t.external_id: t.name for t in plain.tenants(first=100).items}


def test_an_okta_provisioning_run_reaches_plains_tenants(scim, sync, plain):
    with sync():
        group = scim.post("Groups", {"displayName": "Acme", "members": []}).data
    assert tenant_names(plain) == {"org-acme": "Acme"}

    with sync():
        ada = scim.post("Users", {"userName": "ada@acme.test", "externalId": "00u1"}).data
        bob = scim.post("Users", {"userName": "bob@acme.test", "externalId": "00u2"}).data
        scim.patch(
            f"Groups/{group['id']}",
            patch_op(
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"value": ada["id"]}, {"value": bob["id"]}],
                }
            ),
        )
    assert tenant_members(plain, "org-acme") == {"ada@acme.test", "bob@acme.test"}

    with sync():
        scim.patch(
            f"Groups/{group['id']}",
            patch_op({"op": "remove", "path": f'members[value eq "{bob["id"]}"]'}),
        )
    assert tenant_members(plain, "org-acme") == {"ada@acme.test"}

    with sync():
        scim.patch(
            f"Groups/{group['id']}",
            patch_op({"op": "replace", "value": {"displayName": "Acme Inc"}}),
        )
    assert tenant_names(plain)["org-acme"] == "Acme Inc"
    assert not SyncEvent.objects.exclude(status="done").exists()


def test_deactivating_takes_the_customer_out_of_the_tenant_and_reactivating_back(scim, sync, plain):
    with sync():
        group = scim.post("Groups", {"displayName": "Acme", "externalId": "g1"}).data
        ada = scim.post("Users", {"userName": "ada@acme.test", "externalId": "a1"}).data
        scim.patch(
            f"Groups/{group['id']}",
            patch_op({"op": "Add", "path": "members", "value": [{"value": ada["id"]}]}),
        )
    assert tenant_members(plain, "org-acme") == {"ada@acme.test"}

    with sync():
        scim.patch(
            f"Users/{ada['id']}", patch_op({"op": "Replace", "path": "active", "value": "False"})
        )
    assert tenant_members(plain, "org-acme") == set()

    with sync():
        scim.patch(
            f"Users/{ada['id']}", patch_op({"op": "Replace", "path": "active", "value": "True"})
        )
    assert tenant_members(plain, "org-acme") == {"ada@acme.test"}


def test_deleting_a_user_and_a_group_empties_the_tenants(scim, sync, plain):
    with sync():
        acme = scim.post("Groups", {"displayName": "Acme"}).data
        globex = scim.post("Groups", {"displayName": "Globex"}).data
        ada = scim.post("Users", {"userName": "ada@acme.test"}).data
        carol = scim.post("Users", {"userName": "carol@globex.test"}).data
        for group, user in ((acme, ada), (globex, carol)):
            scim.patch(
                f"Groups/{group['id']}",
                patch_op({"op": "add", "path": "members", "value": [{"value": user["id"]}]}),
            )
    assert tenant_members(plain, "org-acme") == {"ada@acme.test"}
    assert tenant_members(plain, "org-globex") == {"carol@globex.test"}

    with sync():
        assert scim.delete(f"Users/{ada['id']}").status_code == 204
        assert scim.delete(f"Groups/{globex['id']}").status_code == 204

    assert tenant_members(plain, "org-acme") == set()
    assert tenant_members(plain, "org-globex") == set()
    assert not SyncEvent.objects.exclude(status="done").exists()


def test_a_renamed_user_is_renamed_in_plain(scim, sync, plain):
    with sync():
        group = scim.post("Groups", {"displayName": "Acme"}).data
        ada = scim.post("Users", {"userName": "ada@acme.test", "externalId": "a1"}).data
        scim.patch(
            f"Groups/{group['id']}",
            patch_op({"op": "add", "path": "members", "value": [{"value": ada["id"]}]}),
        )

    with sync():
        scim.patch(
            f"Users/{ada['id']}",
            patch_op({"op": "replace", "path": "userName", "value": "ada@new.test"}),
        )

    assert tenant_members(plain, "org-acme") == {"ada@new.test"}
