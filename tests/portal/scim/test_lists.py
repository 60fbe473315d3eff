"""Filters and paging of /Users and /Groups, and the discovery endpoints."""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.data["Resources"]]


@pytest.fixture
def users(db):
    made = [
        UserFactory(email=f"user{n}@acme.test", full_name=f"User {n}", external_id=f"ext-{n}")
        for n in range(5)
    ]
    return [str(u.portal_id) for u in made]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "user1@acme.test"', [1]),
        ('userName eq "USER1@ACME.TEST"', [1]),  # userName is case-insensitive
        ('externalId eq "ext-2"', [2]),
        ('externalId eq "EXT-2"', []),  # externalId is case-exact
        ('displayName eq "User 3"', [3]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user4@acme.test"', [4]),
        ('userName sw "user1" or userName ew "3@acme.test"', [1, 3]),
        ('userName co "acme" and not (externalId eq "ext-0")', [1, 2, 3, 4]),
        ('emails.value eq "user2@acme.test"', [2]),
        ('emails[value eq "user2@acme.test"]', [2]),
        ("externalId pr", [0, 1, 2, 3, 4]),
        ('userName ne "user0@acme.test"', [1, 2, 3, 4]),
        ('userName eq "nobody@acme.test"', []),
    ],
)
def test_user_filters(scim, users, text, expected):
    assert ids(scim.get("Users", {"filter": text})) == [users[n] for n in expected]


def test_filter_on_active_and_id(scim, users):
    User.objects.filter(portal_id=users[1]).update(is_active=False)

    assert ids(scim.get("Users", {"filter": "active eq false"})) == [users[1]]
    assert ids(scim.get("Users", {"filter": f'id eq "{users[3]}"'})) == [users[3]]
    assert ids(scim.get("Users", {"filter": 'id eq "not-a-uuid"'})) == []


def test_paging(scim, users):
    first = scim.get("Users", {"startIndex": "1", "count": "2"}).data
    second = scim.get("Users", {"startIndex": "3", "count": "2"}).data
    last = scim.get("Users", {"startIndex": "5", "count": "2"}).data

    assert first["totalResults"] == second["totalResults"] == last["totalResults"] == 5
    assert (first["startIndex"], first["itemsPerPage"]) == (1, 2)
    pages = [r["id"] for page in (first, second, last) for r in page["Resources"]]
    assert pages == users
    assert last["itemsPerPage"] == 1


def test_paging_edges(scim, users, settings):
    settings.SCIM_MAX_PAGE_SIZE = 3

    zero = scim.get("Users", {"count": "0"}).data
    below_one = scim.get("Users", {"startIndex": "-4", "count": "1"}).data
    capped = scim.get("Users").data
    beyond = scim.get("Users", {"startIndex": "99"}).data
    far_beyond = scim.get("Users", {"startIndex": str(10**30)}).data

    assert (zero["totalResults"], zero["Resources"]) == (5, [])
    assert below_one["startIndex"] == 1
    assert [r["id"] for r in below_one["Resources"]] == users[:1]
    assert capped["itemsPerPage"] == 3
    assert (beyond["totalResults"], beyond["Resources"]) == (5, [])
    assert (far_beyond["totalResults"], far_beyond["Resources"]) == (5, [])


def test_attributes_selects_what_is_returned(scim, users):
    body = scim.get(
        "Users", {"filter": 'userName eq "user1@acme.test"', "attributes": "userName"}
    ).data

    [resource] = body["Resources"]
    assert set(resource) == {"id", "schemas", "meta", "userName"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('displayName eq "Globex"', ["Globex"]),
        ('displayName eq "globex"', ["Globex"]),
        ('externalId eq "g-1"', ["Acme"]),
        ('displayName sw "A"', ["Acme"]),
    ],
)
def test_group_filters(scim, text, expected):
    OrganizationFactory(name="Acme", slug="acme", external_id="g-1")
    OrganizationFactory(name="Globex", slug="globex")

    response = scim.get("Groups", {"filter": text})

    assert [r["displayName"] for r in response.data["Resources"]] == expected


def test_service_provider_config(scim):
    body = scim.get("ServiceProviderConfig").data

    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert body["patch"]["supported"] is True
    assert body["bulk"]["supported"] is False
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas(scim):
    types = scim.get("ResourceTypes").data
    user_type = scim.get("ResourceTypes/User").data
    schemas = scim.get("Schemas").data
    group_schema = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").data

    assert {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups"}
    assert user_type["schema"] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert types["totalResults"] == 2
    assert {s["name"] for s in schemas["Resources"]} == {"User", "Group"}
    assert {a["name"] for a in group_schema["attributes"]} == {
        "displayName",
        "externalId",
        "members",
    }
    assert scim.get("ResourceTypes/Nope").status_code == 404
    assert scim.get("Schemas/urn:nope").status_code == 404


def test_trailing_slashes_are_accepted(scim, users):
    assert scim.get("Users/").status_code == 200
    assert scim.get(f"Users/{users[0]}/").status_code == 200
