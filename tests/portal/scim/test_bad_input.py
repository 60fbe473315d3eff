"""Bad input gets a SCIM error with a scimType, never a 500, and writes nothing."""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from tests.factories import OrganizationFactory, UserFactory
from tests.portal.scim.conftest import assert_scim_error, patch_op

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ("{not json", "invalidSyntax"),
        ("[]", "invalidSyntax"),
        ({}, "invalidValue"),
        ({"userName": ""}, "invalidValue"),
        ({"userName": 42}, "invalidValue"),
        ({"userName": "not-an-email"}, "invalidValue"),
        ({"userName": "a@acme.test", "active": "maybe"}, "invalidValue"),
        ({"userName": "a@acme.test", "name": "Ada"}, "invalidValue"),
        ({"userName": "a@acme.test", "displayName": "x" * 201}, "invalidValue"),
        ({"userName": "a@acme.test", "externalId": "x" * 256}, "invalidValue"),
        ({"userName": "a@acme.test", "externalId": "scim-generated:1"}, "invalidValue"),
        ({"userName": "a@acme.test", "displayName": "A\u0000B"}, "invalidValue"),
        ("[" * 100_000 + "]" * 100_000, "invalidSyntax"),
    ],
)
def test_bad_user_bodies(scim, body, scim_type):
    assert_scim_error(scim.post("Users", body), 400, scim_type)
    assert User.objects.count() == 0


@pytest.fixture
def user_path(scim):
    return "Users/" + scim.post("Users", {"userName": "ada@acme.test"}).data["id"]


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"Operations": []}, "invalidSyntax"),
        ({"schemas": []}, "invalidSyntax"),
        (patch_op({"op": "move", "path": "active", "value": False}), "invalidSyntax"),
        (patch_op("replace"), "invalidSyntax"),
        (patch_op({"op": "remove"}), "noTarget"),
        (patch_op({"op": "replace", "value": "x"}), "invalidValue"),
        (patch_op({"op": "replace", "path": "active"}), "invalidValue"),
        (patch_op({"op": "replace", "path": "active", "value": 3}), "invalidValue"),
        (patch_op({"op": "replace", "path": "name[", "value": "x"}), "invalidPath"),
        (patch_op({"op": "replace", "path": "", "value": "x"}), "invalidValue"),
        (patch_op({"op": "remove", "path": "userName"}), "mutability"),
    ],
)
def test_bad_user_patches(scim, user_path, body, scim_type):
    response = scim.patch(user_path, body)

    assert_scim_error(response, 400, scim_type)
    assert User.objects.get(email="ada@acme.test").is_active


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        (patch_op({"op": "add", "path": "members", "value": "x"}), "invalidValue"),
        (patch_op({"op": "add", "path": "members", "value": [{"display": "x"}]}), "invalidValue"),
        (patch_op({"op": "remove", "path": 'members[display eq "x"]'}), "invalidFilter"),
        (patch_op({"op": "add", "path": 'members[value eq "x"]', "value": []}), "invalidPath"),
        (patch_op({"op": "remove", "path": "displayName"}), "mutability"),
        (patch_op({"op": "replace", "path": "displayName", "value": ""}), "invalidValue"),
    ],
)
def test_bad_group_patches(scim, body, scim_type):
    organization = OrganizationFactory(name="Acme", slug="acme")

    assert_scim_error(scim.patch(f"Groups/{organization.pk}", body), 400, scim_type)
    organization.refresh_from_db()
    assert organization.name == "Acme"


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "userName eq"},
        {"filter": 'nickName eq "x"'},
        {"filter": 'urn:example:Other:userName eq "x"'},
        {"filter": 'active eq "perhaps"'},
        {"filter": 'emails[type eq "work"].value eq "x"'},
        {"filter": "(" * 2000},
        {"startIndex": "one"},
        {"count": "1.5"},
    ],
)
def test_bad_list_parameters(scim, params):
    response = scim.get("Users", params)

    assert response.status_code == 400
    assert response.data["scimType"] in {"invalidFilter", "invalidValue"}


def test_a_body_over_the_limit_is_a_413(scim, settings):
    settings.SCIM_MAX_BODY_BYTES = 100

    response = scim.post("Users", {"userName": "a@acme.test", "displayName": "x" * 200})

    assert_scim_error(response, 413)


def test_an_unsupported_method_is_a_405(scim):
    assert_scim_error(scim.put("Users", {"userName": "a@acme.test"}), 405)


def test_an_unknown_endpoint_is_a_404(scim):
    assert_scim_error(scim.get("Bulk"), 404)
    assert_scim_error(scim.get("Users/a/b"), 404)


def test_a_staff_email_in_a_patch_is_a_conflict(scim, user_path):
    UserFactory(email="root@portal.test", is_staff=True)

    response = scim.patch(
        user_path, patch_op({"op": "replace", "path": "userName", "value": "root@portal.test"})
    )

    assert_scim_error(response, 409, "uniqueness")
