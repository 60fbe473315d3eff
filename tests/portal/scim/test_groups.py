"""SCIM Groups (organisations) as Okta and Entra ID send them."""

from __future__ import annotations

import pytest

from portal.scim.tokens import client_create
from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.scim.conftest import assert_scim_error, patch_op

pytestmark = pytest.mark.django_db

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def ada(db):
    return UserFactory(email="ada@acme.test", full_name="Ada Lovelace")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@acme.test", full_name="Bob Builder")


def members_of(organization: Organization) -> set[str]:
    return set(
        Membership.objects.filter(organization=organization).values_list("user__email", flat=True)
    )


def test_okta_creates_a_group_mapped_to_a_tenant_by_the_admin_rule(scim):
    # Okta's group push names no externalId.
    response = scim.post(
        "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Acme Corp", "members": []}
    )

    assert response.status_code == 201, response.content
    organization = Organization.objects.get(pk=response.data["id"])
    assert organization.name == "Acme Corp"
    assert organization.tenant_external_id == "org-acme-corp"
    assert SyncEvent.objects.filter(organization=organization, kind="tenant_upsert").exists()
    assert "externalId" not in response.data
    assert response["Location"].endswith(f"/scim/v2/Groups/{organization.pk}")


def test_entra_creates_a_group_with_external_id_and_members(scim, ada):
    response = scim.post(
        "Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Acme",
            "members": [{"value": str(ada.portal_id)}],
        },
    )

    assert response.status_code == 201, response.content
    organization = Organization.objects.get(external_id="8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
    assert members_of(organization) == {"ada@acme.test"}
    assert response.data["members"][0]["value"] == str(ada.portal_id)


def test_a_second_group_with_the_same_name_gets_its_own_tenant(scim):
    OrganizationFactory(name="Acme", slug="acme")

    response = scim.post("Groups", {"displayName": "Acme"})

    organization = Organization.objects.get(pk=response.data["id"])
    assert organization.slug != "acme"
    assert organization.tenant_external_id == f"org-{organization.slug}"


def test_a_used_external_id_is_a_conflict(scim):
    OrganizationFactory(name="Acme", slug="acme", external_id="g1")

    assert_scim_error(
        scim.post("Groups", {"displayName": "X", "externalId": "g1"}), 409, "uniqueness"
    )


def test_an_existing_organisation_is_found_by_display_name(scim):
    organization = OrganizationFactory(name="Globex", slug="globex")

    found = scim.get("Groups", {"filter": 'displayName eq "Globex"'}).data

    assert [r["id"] for r in found["Resources"]] == [str(organization.pk)]


def test_okta_adds_and_removes_members(scim, ada, bob):
    organization = OrganizationFactory(name="Acme", slug="acme")
    path = f"Groups/{organization.pk}"

    added = scim.patch(
        path,
        patch_op(
            {
                "op": "add",
                "path": "members",
                "value": [
                    {"value": str(ada.portal_id), "display": "ada@acme.test"},
                    {"value": str(bob.portal_id), "display": "bob@acme.test"},
                ],
            }
        ),
    )
    assert added.status_code == 200, added.content
    assert members_of(organization) == {"ada@acme.test", "bob@acme.test"}

    removed = scim.patch(
        path, patch_op({"op": "remove", "path": f'members[value eq "{ada.portal_id}"]'})
    )
    assert removed.status_code == 200, removed.content
    assert members_of(organization) == {"bob@acme.test"}
    assert SyncEvent.objects.filter(user=ada, kind="membership_removed").exists()


def test_entra_adds_and_removes_members(scim, ada, bob):
    organization = OrganizationFactory(name="Acme", slug="acme")
    path = f"Groups/{organization.pk}"

    scim.patch(
        path,
        patch_op(
            {"op": "Add", "path": "members", "value": [{"value": str(ada.portal_id)}]},
            {"op": "Add", "path": "members", "value": [{"value": str(bob.portal_id)}]},
        ),
    )
    assert members_of(organization) == {"ada@acme.test", "bob@acme.test"}

    response = scim.patch(
        path,
        patch_op({"op": "Remove", "path": "members", "value": [{"value": str(bob.portal_id)}]}),
    )
    assert response.status_code == 200, response.content
    assert members_of(organization) == {"ada@acme.test"}


def test_adding_a_member_keeps_an_existing_admin_role(scim, ada):
    organization = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=ada, organization=organization, role="admin")

    scim.patch(
        f"Groups/{organization.pk}",
        patch_op({"op": "add", "path": "members", "value": [{"value": str(ada.portal_id)}]}),
    )

    assert Membership.objects.get(user=ada, organization=organization).role == "admin"


def test_replacing_members_sets_them_exactly_and_leaves_staff_alone(scim, ada, bob):
    organization = OrganizationFactory(name="Acme", slug="acme")
    staff = UserFactory(email="root@portal.test", is_staff=True)
    MembershipFactory(user=ada, organization=organization)
    MembershipFactory(user=staff, organization=organization)

    response = scim.patch(
        f"Groups/{organization.pk}",
        patch_op({"op": "replace", "path": "members", "value": [{"value": str(bob.portal_id)}]}),
    )

    assert response.status_code == 200, response.content
    assert members_of(organization) == {"bob@acme.test", "root@portal.test"}
    assert [m["value"] for m in response.data["members"]] == [str(bob.portal_id)]


def test_remove_members_without_value_removes_every_member(scim, ada, bob):
    organization = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=ada, organization=organization)
    MembershipFactory(user=bob, organization=organization)

    scim.patch(f"Groups/{organization.pk}", patch_op({"op": "remove", "path": "members"}))

    assert members_of(organization) == set()


def test_renames_okta_and_entra(scim):
    organization = OrganizationFactory(name="Acme", slug="acme")
    path = f"Groups/{organization.pk}"

    scim.patch(
        path,
        patch_op(
            {"op": "replace", "value": {"id": str(organization.pk), "displayName": "Acme Inc"}}
        ),
    )
    organization.refresh_from_db()
    assert organization.name == "Acme Inc"

    scim.patch(path, patch_op({"op": "Replace", "path": "displayName", "value": "Acme Ltd"}))
    organization.refresh_from_db()
    assert organization.name == "Acme Ltd"
    # The tenant keeps its id; Plain hears of the new name.
    assert organization.tenant_external_id == "org-acme"
    assert SyncEvent.objects.filter(organization=organization, kind="tenant_upsert").exists()


def test_adding_an_unknown_member_is_refused_with_nothing_written(scim, ada):
    organization = OrganizationFactory(name="Acme", slug="acme")

    response = scim.patch(
        f"Groups/{organization.pk}",
        patch_op(
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {
                "op": "add",
                "path": "members",
                "value": [
                    {"value": str(ada.portal_id)},
                    {"value": "00000000-0000-0000-0000-000000000000"},
                ],
            },
        ),
    )

    assert_scim_error(response, 400, "invalidValue")
    organization.refresh_from_db()
    assert organization.name == "Acme"
    assert members_of(organization) == set()


def test_put_replaces_name_and_members(scim, ada, bob):
    organization = OrganizationFactory(name="Acme", slug="acme", external_id="g1")
    MembershipFactory(user=ada, organization=organization)

    response = scim.put(
        f"Groups/{organization.pk}",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Acme 2",
            "externalId": "g1",
            "members": [{"value": str(bob.portal_id)}],
        },
    )

    assert response.status_code == 200, response.content
    organization.refresh_from_db()
    assert organization.name == "Acme 2"
    assert members_of(organization) == {"bob@acme.test"}


def test_put_without_members_leaves_them(scim, ada):
    organization = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=ada, organization=organization)

    scim.put(f"Groups/{organization.pk}", {"displayName": "Acme"})

    assert members_of(organization) == {"ada@acme.test"}


def test_delete_removes_the_organisation_and_retires_its_tenant(scim, ada):
    organization = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=ada, organization=organization)

    response = scim.delete(f"Groups/{organization.pk}")

    assert response.status_code == 204
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert RetiredTenant.objects.filter(external_id="org-acme").exists()
    assert SyncEvent.objects.filter(user=ada, kind="membership_removed").exists()
    assert_scim_error(scim.get(f"Groups/{organization.pk}"), 404)


def test_excluded_members_are_left_out(scim, ada):
    organization = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=ada, organization=organization)

    one = scim.get(f"Groups/{organization.pk}", {"excludedAttributes": "members"}).data
    listed = scim.get("Groups", {"excludedAttributes": "members"}).data["Resources"]

    assert "members" not in one
    assert one["displayName"] == "Acme"
    assert all("members" not in r for r in listed)


def test_groups_filtered_by_member(scim, ada):
    acme = OrganizationFactory(name="Acme", slug="acme")
    OrganizationFactory(name="Globex", slug="globex")
    MembershipFactory(user=ada, organization=acme)

    found = scim.get("Groups", {"filter": f'members[value eq "{ada.portal_id}"]'}).data

    assert [r["id"] for r in found["Resources"]] == [str(acme.pk)]


def test_another_clients_token_works_too(client, ada):
    from tests.portal.scim.conftest import ScimApi

    _, token = client_create(name="Entra")
    organization = OrganizationFactory(name="Acme", slug="acme")

    response = ScimApi(client, token).get(f"Groups/{organization.pk}")

    assert response.status_code == 200
