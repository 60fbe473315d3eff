"""Customer groups and their memberships, over raw GraphQL against the emulator through
httpx.WSGITransport."""

from __future__ import annotations

from typing import Any

import pytest

from plain_gateway.emulator import create_app
from tests.plain_gateway.test_emulator_companies import ERROR, KEY, Emulator, _error

GROUP = "id name key color externalId createdBy { __typename } updatedAt { iso8601 }"
CREATE = (
    "mutation m($i: CreateCustomerGroupInput!) { createCustomerGroup(input: $i) "
    f"{{ customerGroup {{ {GROUP} }} {ERROR} }} }}"
)
UPSERT = (
    "mutation m($i: UpsertCustomerGroupInput!) { upsertCustomerGroup(input: $i) "
    f"{{ result customerGroup {{ {GROUP} }} {ERROR} }} }}"
)
UPDATE = (
    "mutation m($i: UpdateCustomerGroupInput!) { updateCustomerGroup(input: $i) "
    f"{{ customerGroup {{ {GROUP} }} {ERROR} }} }}"
)
DELETE = (
    f"mutation m($i: DeleteCustomerGroupInput!) {{ deleteCustomerGroup(input: $i) {{ {ERROR} }} }}"
)
ADD = (
    "mutation m($i: AddCustomerToCustomerGroupsInput!) { addCustomerToCustomerGroups(input: $i) "
    "{ customerGroupMemberships { customerId customerGroup { key } createdBy { __typename } } "
    f"{ERROR} }} }}"
)
REMOVE = (
    "mutation m($i: RemoveCustomerFromCustomerGroupsInput!) "
    f"{{ removeCustomerFromCustomerGroups(input: $i) {{ {ERROR} }} }}"
)
MEMBERSHIPS = (
    "query q($id: ID!, $f: CustomerGroupMembershipsFilter, $first: Int) "
    "{ customer(customerId: $id) { customerGroupMemberships(filters: $f, first: $first) "
    "{ edges { node { customerId "
    "customerGroup { key } } } pageInfo { hasNextPage } } } }"
)


@pytest.fixture
def emu() -> Emulator:
    return Emulator(create_app(api_key=KEY))


def _group(emu: Emulator, key: str, **extra: Any) -> dict[str, Any]:
    data = emu.gql(CREATE, i={"name": key.title(), "key": key, "color": "#112233", **extra})
    assert data["createCustomerGroup"]["error"] is None
    group: dict[str, Any] = data["createCustomerGroup"]["customerGroup"]
    return group


def _keys(emu: Emulator, customer_id: str, **filters: Any) -> list[str]:
    data = emu.gql(MEMBERSHIPS, id=customer_id, f=filters or None)
    edges = data["customer"]["customerGroupMemberships"]["edges"]
    return [e["node"]["customerGroup"]["key"] for e in edges]


# --- groups ------------------------------------------------------------------------------------


def test_create_customer_group_and_read_it_back(emu):
    events = emu.run(
        CREATE, i={"name": "Beta", "key": "beta", "color": "#aabbcc", "externalId": "g-1"}
    )

    group = emu.last["createCustomerGroup"]["customerGroup"]
    assert (group["name"], group["key"], group["color"], group["externalId"]) == (
        "Beta",
        "beta",
        "#aabbcc",
        "g-1",
    )
    assert group["createdBy"]["__typename"] == "MachineUserActor"
    assert events == [
        (
            "customer.customer_group_changed",
            {"customer_group_id": group["id"], "change_type": "created"},
        )
    ]
    query = "query q($id: ID!) { customerGroup(customerGroupId: $id) { id key } }"
    assert emu.gql(query, id=group["id"])["customerGroup"] == {"id": group["id"], "key": "beta"}
    assert emu.gql(query, id="cuGroup_missing")["customerGroup"] is None


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": " "}, ["name"]),
        ({"key": ""}, ["key"]),
        ({"color": "red"}, ["color"]),
        ({"name": "", "color": ""}, ["name", "color"]),
        ({"key": "taken"}, ["key"]),
        ({"externalId": "ext-taken"}, ["externalId"]),
    ],
)
def test_create_customer_group_refuses_invalid_input(emu, changes, fields):
    _group(emu, "taken", externalId="ext-taken")

    events = emu.run(CREATE, i={"name": "New", "key": "new", "color": "#000000", **changes})

    assert _error(emu.last["createCustomerGroup"]) == ("input_validation", fields)
    assert events == []


def test_customer_groups_lists_filters_by_external_id_and_pages(emu):
    one = _group(emu, "one", externalId="e1")
    _group(emu, "two", externalId="e2")
    _group(emu, "three")
    query = (
        "query q($f: CustomerGroupsFilter, $first: Int) { customerGroups(filters: $f, "
        "first: $first) { edges { node { key } } pageInfo { hasNextPage } } }"
    )

    every = emu.gql(query)["customerGroups"]
    assert [e["node"]["key"] for e in every["edges"]] == ["one", "two", "three"]
    assert [
        e["node"]["key"]
        for e in emu.gql(query, f={"externalIds": ["e2", "e1"]})["customerGroups"]["edges"]
    ] == ["one", "two"]
    assert emu.gql(query, first=1)["customerGroups"]["pageInfo"]["hasNextPage"] is True
    assert one["key"] == "one"


def test_upsert_customer_group_creates_updates_and_noops(emu):
    base = {
        "identifier": {"customerGroupKey": "vip"},
        "name": "VIP",
        "key": "vip",
        "color": "#ff0000",
    }

    emu.run(UPSERT, i=base)
    created = emu.last["upsertCustomerGroup"]
    assert created["result"] == "CREATED"

    events = emu.run(UPSERT, i={**base, "name": "Very important"})
    assert emu.last["upsertCustomerGroup"]["result"] == "UPDATED"
    assert emu.last["upsertCustomerGroup"]["customerGroup"]["id"] == created["customerGroup"]["id"]
    assert events == [
        (
            "customer.customer_group_changed",
            {
                "customer_group_id": created["customerGroup"]["id"],
                "change_type": "updated",
                "previous": {"name": "VIP"},
            },
        )
    ]

    events = emu.run(UPSERT, i={**base, "name": "Very important"})
    assert emu.last["upsertCustomerGroup"]["result"] == "NOOP"
    assert events == []


@pytest.mark.parametrize(
    ("identifier", "code", "fields"),
    [
        ({"customerGroupId": "cuGroup_missing"}, "not_found", ["identifier.customerGroupId"]),
        ({}, "input_validation", ["identifier"]),
        ({"customerGroupKey": "a", "externalId": "b"}, "input_validation", ["identifier"]),
    ],
)
def test_upsert_customer_group_refuses_a_bad_identifier(emu, identifier, code, fields):
    emu.run(UPSERT, i={"identifier": identifier, "name": "X", "key": "x", "color": "#000000"})

    assert _error(emu.last["upsertCustomerGroup"]) == (code, fields)


def test_update_customer_group_changes_only_what_is_given(emu):
    group = _group(emu, "beta", externalId="g-1")

    emu.run(UPDATE, i={"customerGroupId": group["id"], "name": {"value": "Beta testers"}})
    updated = emu.last["updateCustomerGroup"]["customerGroup"]
    assert (updated["name"], updated["key"], updated["externalId"]) == (
        "Beta testers",
        "beta",
        "g-1",
    )

    emu.run(UPDATE, i={"customerGroupId": group["id"], "externalId": {"value": None}})
    assert emu.last["updateCustomerGroup"]["customerGroup"]["externalId"] is None


@pytest.mark.parametrize(
    ("changes", "code", "fields"),
    [
        ({"customerGroupId": "cuGroup_missing"}, "not_found", ["customerGroupId"]),
        ({"key": {"value": "other"}}, "input_validation", ["key.value"]),
        ({"color": {"value": "#12"}}, "input_validation", ["color.value"]),
        ({"name": {"value": ""}}, "input_validation", ["name.value"]),
    ],
)
def test_update_customer_group_refuses_invalid_input(emu, changes, code, fields):
    group = _group(emu, "beta")
    _group(emu, "other")

    events = emu.run(UPDATE, i={"customerGroupId": group["id"], **changes})

    assert _error(emu.last["updateCustomerGroup"]) == (code, fields)
    assert events == []


def test_delete_customer_group_drops_its_memberships(emu):
    ann = emu.customer("ann@acme.test")
    group = _group(emu, "beta")
    emu.gql(
        ADD, i={"customerId": ann["id"], "customerGroupIdentifiers": [{"customerGroupKey": "beta"}]}
    )

    events = emu.run(DELETE, i={"customerGroupId": group["id"]})

    assert emu.last["deleteCustomerGroup"]["error"] is None
    assert events == [
        (
            "customer.customer_group_changed",
            {"customer_group_id": group["id"], "change_type": "deleted"},
        )
    ]
    assert _keys(emu, ann["id"]) == []
    emu.run(DELETE, i={"customerGroupId": group["id"]})
    assert _error(emu.last["deleteCustomerGroup"]) == ("not_found", ["customerGroupId"])


# --- memberships -------------------------------------------------------------------------------


def test_add_and_remove_a_customer_by_each_kind_of_identifier(emu):
    ann = emu.customer("ann@acme.test")
    beta = _group(emu, "beta", externalId="g-beta")
    vip = _group(emu, "vip")
    _group(emu, "free")

    events = emu.run(
        ADD,
        i={
            "customerId": ann["id"],
            "customerGroupIdentifiers": [
                {"customerGroupId": beta["id"]},
                {"customerGroupKey": "vip"},
            ],
        },
    )
    memberships = emu.last["addCustomerToCustomerGroups"]["customerGroupMemberships"]
    assert [(m["customerId"], m["customerGroup"]["key"]) for m in memberships] == [
        (ann["id"], "beta"),
        (ann["id"], "vip"),
    ]
    assert events == [
        (
            "customer.customer_group_memberships_changed",
            {
                "customer_id": ann["id"],
                "added_customer_group_ids": [beta["id"], vip["id"]],
                "removed_customer_group_ids": [],
            },
        )
    ]
    assert _keys(emu, ann["id"]) == ["beta", "vip"]

    # Already in: kept, no event.
    events = emu.run(
        ADD, i={"customerId": ann["id"], "customerGroupIdentifiers": [{"externalId": "g-beta"}]}
    )
    assert events == []

    events = emu.run(
        REMOVE,
        i={
            "customerId": ann["id"],
            "customerGroupIdentifiers": [{"externalId": "g-beta"}, {"customerGroupKey": "free"}],
        },
    )
    assert emu.last["removeCustomerFromCustomerGroups"]["error"] is None
    assert events == [
        (
            "customer.customer_group_memberships_changed",
            {
                "customer_id": ann["id"],
                "added_customer_group_ids": [],
                "removed_customer_group_ids": [beta["id"]],
            },
        )
    ]
    assert _keys(emu, ann["id"]) == ["vip"]


@pytest.mark.parametrize("query", [ADD, REMOVE], ids=["add", "remove"])
@pytest.mark.parametrize(
    ("identifiers", "code", "fields"),
    [
        (
            [{"customerGroupKey": "beta"}, {"customerGroupKey": "missing"}],
            "not_found",
            ["customerGroupIdentifiers[1]"],
        ),
        (
            [{"customerGroupKey": "beta", "externalId": "x"}],
            "input_validation",
            ["customerGroupIdentifiers[0]"],
        ),
        ([], "input_validation", ["customerGroupIdentifiers"]),
    ],
)
def test_membership_changes_refuse_bad_group_identifiers(emu, query, identifiers, code, fields):
    ann = emu.customer("ann@acme.test")
    _group(emu, "beta")

    events = emu.run(query, i={"customerId": ann["id"], "customerGroupIdentifiers": identifiers})

    name = "addCustomerToCustomerGroups" if query is ADD else "removeCustomerFromCustomerGroups"
    assert _error(emu.last[name]) == (code, fields)
    assert events == []
    assert _keys(emu, ann["id"]) == []


@pytest.mark.parametrize("query", [ADD, REMOVE], ids=["add", "remove"])
def test_membership_changes_of_an_unknown_customer_are_not_found(emu, query):
    _group(emu, "beta")

    emu.run(
        query,
        i={"customerId": "c_missing", "customerGroupIdentifiers": [{"customerGroupKey": "beta"}]},
    )

    name = "addCustomerToCustomerGroups" if query is ADD else "removeCustomerFromCustomerGroups"
    assert _error(emu.last[name]) == ("not_found", ["customerId"])


def test_customer_group_memberships_filter_by_external_id_and_page(emu):
    ann = emu.customer("ann@acme.test")
    _group(emu, "beta", externalId="g-beta")
    _group(emu, "vip", externalId="g-vip")
    emu.gql(
        ADD,
        i={
            "customerId": ann["id"],
            "customerGroupIdentifiers": [{"customerGroupKey": "beta"}, {"customerGroupKey": "vip"}],
        },
    )

    assert _keys(emu, ann["id"], customerGroupExternalIds=["g-vip"]) == ["vip"]
    page = emu.gql(MEMBERSHIPS, id=ann["id"], first=1)["customer"]["customerGroupMemberships"]
    assert len(page["edges"]) == 1
    assert page["pageInfo"]["hasNextPage"] is True


def test_customers_filter_by_customer_group_ids_and_keys(emu):
    ann = emu.customer("ann@acme.test")
    bob = emu.customer("bob@acme.test")
    emu.customer("cat@acme.test")
    beta = _group(emu, "beta")
    _group(emu, "vip")
    emu.gql(
        ADD, i={"customerId": ann["id"], "customerGroupIdentifiers": [{"customerGroupKey": "beta"}]}
    )
    emu.gql(
        ADD, i={"customerId": bob["id"], "customerGroupIdentifiers": [{"customerGroupKey": "vip"}]}
    )
    query = "query q($f: CustomersFilter) { customers(filters: $f) { edges { node { id } } } }"

    def ids(**filters: Any) -> set[str]:
        return {e["node"]["id"] for e in emu.gql(query, f=filters)["customers"]["edges"]}

    assert ids(customerGroupIds=[beta["id"]]) == {ann["id"]}
    assert ids(customerGroupKeys=["vip", "beta"]) == {ann["id"], bob["id"]}
    assert ids(customerGroupKeys=["nobody"]) == set()
    assert ids(
        customerGroupKeys=["vip"], companyIdentifiers=[{"companyDomainName": "acme.test"}]
    ) == {bob["id"]}


UPSERT_CUSTOMER = (
    "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) "
    f"{{ result customer {{ id }} {ERROR} }} }}"
)


def _customer_input(email: str, groups: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "identifier": {"emailAddress": email},
        "onCreate": {
            "fullName": "Ann",
            "email": {"email": email, "isVerified": True},
            "customerGroupIdentifiers": groups,
        },
        "onUpdate": {},
    }


def test_upsert_customer_on_create_joins_the_groups_given(emu):
    _group(emu, "beta")

    events = emu.run(
        UPSERT_CUSTOMER, i=_customer_input("ann@gmail.com", [{"customerGroupKey": "beta"}])
    )

    customer_id = emu.last["upsertCustomer"]["customer"]["id"]
    assert _keys(emu, customer_id) == ["beta"]
    assert [name for name, _ in events] == [
        "customer.customer_created",
        "customer.customer_group_memberships_changed",
    ]


def test_upsert_customer_with_an_unknown_group_creates_nothing(emu):
    events = emu.run(
        UPSERT_CUSTOMER, i=_customer_input("ann@acme.test", [{"customerGroupKey": "missing"}])
    )

    assert _error(emu.last["upsertCustomer"]) == (
        "not_found",
        ["onCreate.customerGroupIdentifiers[0]"],
    )
    assert events == []
    assert emu.gql("{ customers { edges { node { id } } } }")["customers"]["edges"] == []
    assert emu.gql("{ companies { edges { node { id } } } }")["companies"]["edges"] == []
