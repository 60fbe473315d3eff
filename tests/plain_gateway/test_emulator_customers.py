"""Customers: deleteCustomer, searchCustomers, every CustomersFilter field, status and identities;
TenantsFilter.updatedAt. Raw GraphQL against the emulator through httpx.WSGITransport."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from plain_gateway.emulator import create_app
from tests.plain_gateway.test_emulator_companies import ERROR, KEY, Emulator, _error

DELETE = f"mutation m($i: DeleteCustomerInput!) {{ deleteCustomer(input: $i) {{ {ERROR} }} }}"
SEARCH = (
    "query q($s: CustomersSearchQuery!, $first: Int) { searchCustomers(searchQuery: $s, "
    "first: $first) { edges { node { email { email } } } pageInfo { hasNextPage } } }"
)
CUSTOMERS = (
    "query q($f: CustomersFilter) { customers(filters: $f) { edges { node { email { email } } } } }"
)


@pytest.fixture
def emu() -> Emulator:
    return Emulator(create_app(api_key=KEY))


def _thread(emu: Emulator, customer_id: str) -> str:
    data = emu.gql(
        "mutation m($i: CreateThreadInput!) { createThread(input: $i) "
        f"{{ thread {{ id }} {ERROR} }} }}",
        i={
            "customerIdentifier": {"customerId": customer_id},
            "title": "Help",
            "components": [{"componentText": {"text": "It broke"}}],
        },
    )
    return str(data["createThread"]["thread"]["id"])


def _external_id(emu: Emulator, email: str, external_id: str) -> None:
    emu.gql(
        "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { result } }",
        i={
            "identifier": {"emailAddress": email},
            "onCreate": {"fullName": "x", "email": {"email": email, "isVerified": True}},
            "onUpdate": {"externalId": {"value": external_id}},
        },
    )


# --- deleteCustomer ----------------------------------------------------------------------------


def test_delete_customer_removes_them_and_their_threads(emu):
    ann = emu.customer("ann@acme.test")
    bob = emu.customer("bob@acme.test", name="Bob")
    thread_id = _thread(emu, ann["id"])
    other_thread = _thread(emu, bob["id"])
    with emu.app.state.transaction() as state:
        previous = dataclasses.asdict(state.customers[ann["id"]])

    events = emu.run(DELETE, i={"customerId": ann["id"]})

    assert emu.last["deleteCustomer"]["error"] is None
    assert events == [
        (
            "customer.customer_deleted",
            {
                "customer_id": ann["id"],
                "previous": previous,
                "thread_ids": [thread_id],
            },
        )
    ]
    found = emu.gql(
        "query q($id: ID!, $t: ID!, $o: ID!) { customer(customerId: $id) { id } "
        'customerByEmail(email: "ann@acme.test") { id } thread(threadId: $t) { id } '
        "other: thread(threadId: $o) { id } customers { edges { node { id } } } }",
        id=ann["id"],
        t=thread_id,
        o=other_thread,
    )
    assert found["customer"] is None
    assert found["customerByEmail"] is None
    assert found["thread"] is None
    assert found["other"] == {"id": other_thread}
    assert [e["node"]["id"] for e in found["customers"]["edges"]] == [bob["id"]]
    threads = emu.gql("{ threads { edges { node { id } } } }")["threads"]["edges"]
    assert [e["node"]["id"] for e in threads] == [other_thread]


def test_a_deleted_customers_email_can_be_a_new_customer(emu):
    ann = emu.customer("ann@acme.test")
    emu.gql(DELETE, i={"customerId": ann["id"]})

    again = emu.customer("ann@acme.test")

    assert again["id"] != ann["id"]
    assert again["company"]["id"] == ann["company"]["id"]


def test_delete_customer_of_an_unknown_customer_is_not_found(emu):
    events = emu.run(DELETE, i={"customerId": "c_missing"})

    assert _error(emu.last["deleteCustomer"]) == ("not_found", ["customerId"])
    assert events == []


def test_a_deleted_customer_stays_deleted_after_a_restart(tmp_path):
    path = str(tmp_path / "plain.sqlite3")
    emu = Emulator(create_app(api_key=KEY, data_path=path))
    ann = emu.customer("ann@acme.test")
    thread_id = _thread(emu, ann["id"])
    emu.gql(DELETE, i={"customerId": ann["id"]})

    reopened = Emulator(create_app(api_key=KEY, data_path=path))

    found = reopened.gql(
        "query q($id: ID!, $t: ID!) { customer(customerId: $id) { id } thread(threadId: $t) "
        "{ id } }",
        id=ann["id"],
        t=thread_id,
    )
    assert found == {"customer": None, "thread": None}


# --- searchCustomers ---------------------------------------------------------------------------


def _search(emu: Emulator, *conditions: dict[str, str]) -> list[str]:
    query = {
        "or": [
            {name: {"caseInsensitiveContains": term} for name, term in c.items()}
            for c in conditions
        ]
    }
    edges = emu.gql(SEARCH, s=query)["searchCustomers"]["edges"]
    return sorted(e["node"]["email"]["email"] for e in edges)


def test_search_customers_matches_name_email_and_external_id_case_insensitively(emu):
    emu.customer("ann@acme.test", name="Ann Archer")
    emu.customer("bob@globex.test", name="Bob Builder")
    _external_id(emu, "bob@globex.test", "CRM-42")

    assert _search(emu, {"fullName": "ARCH"}) == ["ann@acme.test"]
    assert _search(emu, {"email": "GLOBEX"}) == ["bob@globex.test"]
    assert _search(emu, {"externalId": "crm-4"}) == ["bob@globex.test"]
    assert _search(emu, {"fullName": "ann"}, {"email": "globex"}) == [
        "ann@acme.test",
        "bob@globex.test",
    ]
    # Within one condition every term must match.
    assert _search(emu, {"fullName": "ann", "email": "globex"}) == []
    assert _search(emu, {"shortName": "an"}) == []


@pytest.mark.parametrize(
    "search_query",
    [
        {"or": [{"fullName": {"caseInsensitiveContains": "a"}}]},
        {"or": []},
        {},
    ],
    ids=["short-term", "no-condition", "no-or"],
)
def test_search_customers_refuses_a_query_without_a_usable_term(emu, search_query):
    emu.customer("ann@acme.test")

    body = emu.post(SEARCH, s=search_query)

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_search_customers_refuses_timeline_entry_text_loudly(emu):
    body = emu.post(SEARCH, s={"or": [{"timelineEntryText": {"caseInsensitiveContains": "hi"}}]})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "timelineEntryText" in body["errors"][0]["message"]
    assert "does not emulate" in body["errors"][0]["message"]


# --- filters and fields ------------------------------------------------------------------------


def test_customers_filter_by_spam_and_update_time(emu):
    ann = emu.customer("ann@acme.test")
    emu.customer("bob@acme.test")
    times = emu.gql(
        "query q($id: ID!) { customer(customerId: $id) { updatedAt { iso8601 } } }", id=ann["id"]
    )["customer"]["updatedAt"]["iso8601"]

    def emails(**filters: Any) -> list[str]:
        edges = emu.gql(CUSTOMERS, f=filters)["customers"]["edges"]
        return sorted(e["node"]["email"]["email"] for e in edges)

    assert emails(isMarkedAsSpam=False) == ["ann@acme.test", "bob@acme.test"]
    assert emails(isMarkedAsSpam=True) == []
    assert emails(updatedAt={"after": times}) == ["bob@acme.test"]
    assert emails(updatedAt={"before": times}) == []
    body = emu.post(CUSTOMERS, f={"updatedAt": {"after": "soon"}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_customer_answers_status_identities_and_is_anonymous(emu):
    ann = emu.customer("ann@acme.test")
    query = (
        "query q($id: ID!) { customer(customerId: $id) { status isAnonymous identities "
        "{ __typename ... on EmailCustomerIdentity { email } } } }"
    )

    before = emu.gql(query, id=ann["id"])["customer"]
    thread_id = _thread(emu, ann["id"])
    active = emu.gql(query, id=ann["id"])["customer"]["status"]
    emu.gql(
        "mutation m($id: ID!) { markThreadAsDone(input: { threadId: $id }) { error { code } } }",
        id=thread_id,
    )
    done = emu.gql(query, id=ann["id"])["customer"]["status"]

    assert before == {
        "status": "IDLE",
        "isAnonymous": False,
        "identities": [{"__typename": "EmailCustomerIdentity", "email": "ann@acme.test"}],
    }
    assert (active, done) == ("ACTIVE", "IDLE")


def test_tenants_filter_by_update_time(emu):
    upsert = (
        "mutation m($i: UpsertTenantInput!) { upsertTenant(input: $i) "
        "{ tenant { id updatedAt { iso8601 } } } }"
    )
    first = emu.gql(upsert, i={"identifier": {"externalId": "a"}, "externalId": "a", "name": "A"})[
        "upsertTenant"
    ]["tenant"]
    second = emu.gql(upsert, i={"identifier": {"externalId": "b"}, "externalId": "b", "name": "B"})[
        "upsertTenant"
    ]["tenant"]
    query = "query q($f: TenantsFilter) { tenants(filters: $f) { edges { node { id } } } }"

    def ids(**updated: str) -> list[str]:
        edges = emu.gql(query, f={"updatedAt": updated})["tenants"]["edges"]
        return [e["node"]["id"] for e in edges]

    assert ids(after=first["updatedAt"]["iso8601"]) == [second["id"]]
    assert ids(before=second["updatedAt"]["iso8601"]) == [first["id"]]
    assert ids() == [first["id"], second["id"]]
    body = emu.post(query, f={"updatedAt": {"before": "never"}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
