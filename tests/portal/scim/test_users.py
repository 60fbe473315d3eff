"""SCIM Users as Okta and Entra ID send them: create, read, filter, PUT, PATCH, DELETE."""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from portal.scim.models import ScimProfile
from portal.tenancy.models import Membership, SyncEvent
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.scim.conftest import assert_scim_error, patch_op

pytestmark = pytest.mark.django_db

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# What Okta sends to create a user (its SCIM 2.0 app, default mappings).
OKTA_CREATE = {
    "schemas": [USER_SCHEMA],
    "userName": "ada@acme.test",
    "name": {"givenName": "Ada", "familyName": "Lovelace"},
    "emails": [{"primary": True, "value": "ada@acme.test", "type": "work"}],
    "displayName": "Ada Lovelace",
    "locale": "en-US",
    "externalId": "00u1okta",
    "groups": [],
    "password": "ignored-by-the-portal",
    "active": True,
}

# What Entra ID sends (default mappings, enterprise extension included).
ENTRA_CREATE = {
    "schemas": [USER_SCHEMA, ENTERPRISE],
    "externalId": "grace",
    "userName": "grace@contoso.test",
    "active": True,
    "displayName": "Grace Hopper",
    "emails": [{"primary": True, "type": "work", "value": "grace@contoso.test"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
    "title": "Rear Admiral",
    "phoneNumbers": [{"type": "work", "value": "555-0100"}],
    ENTERPRISE: {"employeeNumber": "1", "department": "Navy"},
}


def create(scim, body):
    response = scim.post("Users", body)
    assert response.status_code == 201, response.content
    return response


def test_okta_creates_a_user_managed_by_scim(scim):
    response = create(scim, OKTA_CREATE)

    user = User.objects.get(email="ada@acme.test")
    assert (user.external_id, user.auth_source) == ("00u1okta", "scim")
    assert user.full_name == "Ada Lovelace"
    assert user.is_active
    assert not user.has_usable_password()  # the password Okta sent is not a way in
    body = response.data
    assert body["id"] == str(user.portal_id)
    assert response["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{user.portal_id}")
    assert body["userName"] == "ada@acme.test"
    assert body["externalId"] == "00u1okta"
    assert body["name"]["givenName"] == "Ada"
    assert body["name"]["familyName"] == "Lovelace"
    assert body["emails"] == [{"value": "ada@acme.test", "type": "work", "primary": True}]
    assert body["active"] is True
    assert response["Content-Type"].startswith("application/scim+json")


def test_entra_creates_a_user_and_its_extension_attributes_are_ignored(scim):
    response = create(scim, ENTRA_CREATE)

    user = User.objects.get(external_id="grace")
    assert user.full_name == "Grace Hopper"
    assert response.data["displayName"] == "Grace Hopper"
    assert response.data["name"]["formatted"] == "Grace Hopper"


def test_a_user_without_external_id_gets_one_made_up_that_is_never_shown(scim):
    body = {k: v for k, v in OKTA_CREATE.items() if k != "externalId"}
    response = create(scim, body)

    user = User.objects.get(email="ada@acme.test")
    assert user.external_id  # provisioning matches on it
    assert "externalId" not in response.data
    assert "externalId" not in scim.get(f"Users/{user.portal_id}").data


def test_get_by_id_and_unknown_ids(scim):
    user_id = create(scim, OKTA_CREATE).data["id"]

    assert scim.get(f"Users/{user_id}").data["userName"] == "ada@acme.test"
    assert_scim_error(scim.get("Users/not-a-uuid"), 404)
    assert_scim_error(scim.get("Users/00000000-0000-0000-0000-000000000000"), 404)


def test_staff_accounts_are_invisible_and_cannot_be_taken_over(scim):
    staff = UserFactory(email="root@portal.test", is_staff=True)

    assert_scim_error(scim.get(f"Users/{staff.portal_id}"), 404)
    listed = scim.get("Users", {"filter": 'userName eq "root@portal.test"'}).data
    assert listed["totalResults"] == 0
    response = scim.post("Users", {**OKTA_CREATE, "userName": "root@portal.test"})
    assert_scim_error(response, 409, "uniqueness")
    staff.refresh_from_db()
    assert (staff.auth_source, staff.external_id) == ("", "")


def test_creating_an_existing_user_is_a_conflict(scim):
    create(scim, OKTA_CREATE)

    again = scim.post("Users", {**OKTA_CREATE, "externalId": "other"})
    assert_scim_error(again, 409, "uniqueness")
    same_external_id = scim.post("Users", {**OKTA_CREATE, "userName": "else@acme.test"})
    assert_scim_error(same_external_id, 409, "uniqueness")
    assert User.objects.filter(email="else@acme.test").count() == 0


def test_a_local_account_found_by_filter_is_linked_by_the_first_update(scim):
    local = UserFactory(email="bob@acme.test", full_name="Bob")
    found = scim.get("Users", {"filter": 'userName eq "bob@acme.test"'}).data
    assert [r["id"] for r in found["Resources"]] == [str(local.portal_id)]

    response = scim.put(
        f"Users/{local.portal_id}",
        {
            "schemas": [USER_SCHEMA],
            "userName": "bob@acme.test",
            "externalId": "00u2",
            "name": {"givenName": "Bob", "familyName": "Builder"},
            "active": True,
        },
    )

    assert response.status_code == 200
    local.refresh_from_db()
    assert (local.external_id, local.auth_source) == ("00u2", "scim")
    assert local.full_name == "Bob Builder"
    assert not local.has_usable_password()


def test_put_replaces_the_name_and_email(scim):
    user_id = create(scim, OKTA_CREATE).data["id"]
    organization = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=User.objects.get(portal_id=user_id), organization=organization)

    response = scim.put(
        f"Users/{user_id}",
        {
            **OKTA_CREATE,
            "userName": "ada.king@acme.test",
            "name": {"givenName": "Ada", "familyName": "King"},
            "displayName": None,
        },
    )

    assert response.status_code == 200, response.content
    user = User.objects.get(portal_id=user_id)
    assert (user.email, user.full_name) == ("ada.king@acme.test", "Ada King")
    assert response.data["userName"] == "ada.king@acme.test"
    # The email change is written for Plain, in the same transaction.
    assert SyncEvent.objects.filter(user=user, kind="user_email_changed").exists()


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param({"op": "replace", "value": {"active": False}}, id="okta"),
        pytest.param({"op": "Replace", "path": "active", "value": "False"}, id="entra-string"),
        pytest.param({"op": "replace", "path": "active", "value": False}, id="entra-boolean"),
        pytest.param(
            {"op": "replace", "path": f"{USER_SCHEMA}:active", "value": False}, id="urn-path"
        ),
    ],
)
def test_patch_active_false_deactivates_and_removes_plain_access(scim, operation):
    user_id = create(scim, OKTA_CREATE).data["id"]
    user = User.objects.get(portal_id=user_id)
    MembershipFactory(user=user, organization=OrganizationFactory(name="Acme", slug="acme"))

    response = scim.patch(f"Users/{user_id}", patch_op(operation))

    assert response.status_code == 200, response.content
    assert response.data["active"] is False
    user.refresh_from_db()
    assert not user.is_active
    assert SyncEvent.objects.filter(user=user, kind="user_deactivated").exists()
    # Still a member in the database; the sync keeps an inactive user out of Plain's tenant.
    assert Membership.objects.filter(user=user).exists()


def test_patch_reactivates(scim):
    user_id = create(scim, {**OKTA_CREATE, "active": False}).data["id"]
    assert not User.objects.get(portal_id=user_id).is_active

    scim.patch(f"Users/{user_id}", patch_op({"op": "replace", "value": {"active": True}}))

    assert User.objects.get(portal_id=user_id).is_active


def test_entra_patches_name_parts_and_email_with_paths(scim):
    user_id = create(scim, ENTRA_CREATE).data["id"]

    response = scim.patch(
        f"Users/{user_id}",
        patch_op(
            {"op": "Replace", "path": "name.familyName", "value": "Murray"},
            {"op": "Replace", "path": "name.formatted", "value": "Grace Murray"},
            {"op": "Replace", "path": "userName", "value": "gmurray@contoso.test"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "x@contoso.test"},
            {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Research"},
        ),
    )

    assert response.status_code == 200, response.content
    user = User.objects.get(portal_id=user_id)
    assert (user.email, user.full_name) == ("gmurray@contoso.test", "Grace Murray")
    assert response.data["name"]["familyName"] == "Murray"
    assert response.data["name"]["givenName"] == "Grace"


def test_okta_patches_without_path(scim):
    user_id = create(scim, OKTA_CREATE).data["id"]

    scim.patch(
        f"Users/{user_id}",
        patch_op(
            {"op": "replace", "value": {"name": {"familyName": "Byron"}, "displayName": None}}
        ),
    )

    assert User.objects.get(portal_id=user_id).full_name == "Ada Byron"


def test_patch_changes_the_external_id_of_a_scim_user(scim):
    user_id = create(scim, OKTA_CREATE).data["id"]

    scim.patch(f"Users/{user_id}", patch_op({"op": "Add", "path": "externalId", "value": "n"}))

    assert User.objects.get(portal_id=user_id).external_id == "n"


def test_the_product_id_of_a_single_sign_on_user_is_not_replaced(scim):
    user = UserFactory(email="sso@acme.test", external_id="product-7", auth_source="jwt")

    response = scim.patch(
        f"Users/{user.portal_id}", patch_op({"op": "replace", "path": "externalId", "value": "x"})
    )

    assert_scim_error(response, 409, "uniqueness")
    user.refresh_from_db()
    assert (user.external_id, user.auth_source) == ("product-7", "jwt")


def test_an_email_taken_by_another_user_is_a_conflict_and_nothing_changes(scim):
    UserFactory(email="taken@acme.test")
    user_id = create(scim, OKTA_CREATE).data["id"]

    response = scim.patch(
        f"Users/{user_id}",
        patch_op(
            {"op": "replace", "path": "name.familyName", "value": "Changed"},
            {"op": "replace", "path": "userName", "value": "taken@acme.test"},
        ),
    )

    assert_scim_error(response, 409, "uniqueness")
    user = User.objects.get(portal_id=user_id)
    assert (user.email, user.full_name) == ("ada@acme.test", "Ada Lovelace")


def test_delete_deactivates_ends_memberships_and_hides_the_user(scim):
    user_id = create(scim, OKTA_CREATE).data["id"]
    user = User.objects.get(portal_id=user_id)
    MembershipFactory(user=user, organization=OrganizationFactory(name="Acme", slug="acme"))

    response = scim.delete(f"Users/{user_id}")

    assert response.status_code == 204
    user.refresh_from_db()
    assert not user.is_active
    assert not Membership.objects.filter(user=user).exists()
    assert SyncEvent.objects.filter(user=user, kind="membership_removed").exists()
    assert_scim_error(scim.get(f"Users/{user_id}"), 404)
    assert_scim_error(scim.delete(f"Users/{user_id}"), 404)
    listed = scim.get("Users", {"filter": 'userName eq "ada@acme.test"'}).data
    assert listed["totalResults"] == 0


def test_creating_a_deleted_user_again_brings_the_same_account_back(scim):
    user_id = create(scim, OKTA_CREATE).data["id"]
    scim.delete(f"Users/{user_id}")

    response = create(scim, OKTA_CREATE)

    assert response.data["id"] == user_id
    assert User.objects.get(portal_id=user_id).is_active
    assert ScimProfile.objects.get(user__portal_id=user_id).deleted_at is None


def test_groups_are_listed_on_the_user(scim):
    user_id = create(scim, OKTA_CREATE).data["id"]
    organization = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(user=User.objects.get(portal_id=user_id), organization=organization)

    groups = scim.get(f"Users/{user_id}").data["groups"]

    assert [(g["value"], g["display"]) for g in groups] == [(str(organization.pk), "Acme")]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"name.givenName": "Augusta", "displayName": None}, id="dotted-key"),
        pytest.param({f"{USER_SCHEMA}:name": {"givenName": "Augusta"}}, id="urn-key"),
        pytest.param({USER_SCHEMA: {"name": {"givenName": "Augusta"}}}, id="urn-object"),
    ],
)
def test_pathless_patches_with_schema_spellings(scim, value):
    user_id = create(scim, {**OKTA_CREATE, "displayName": None}).data["id"]

    response = scim.patch(f"Users/{user_id}", patch_op({"op": "Replace", "value": value}))

    assert response.status_code == 200, response.content
    assert User.objects.get(portal_id=user_id).full_name == "Augusta Lovelace"
