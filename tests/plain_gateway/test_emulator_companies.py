"""Companies: derived from a customer's email domain, settable, listed, searched and deleted,
over raw GraphQL against the emulator through httpx.WSGITransport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plain_gateway.emulator import create_app
from plain_gateway.emulator.families.workspace import Workspace
from plain_gateway.emulator.store import Event

KEY = "test-key"
URL = "http://emulator.test/graphql/v1"
ERROR = "error { code type fields { field type } }"
COMPANY = (
    "id name domainName contractValue logoUrl isDeleted deletedAt { iso8601 } "
    "accountOwner { id } threadChannelAssociations { id } tier { id } "
    "createdBy { __typename } updatedAt { iso8601 }"
)


class Emulator:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = httpx.Client(transport=httpx.WSGITransport(app=app))
        self.events: list[Event] = []
        app.state.store.subscribe("*", self.events.append)

    def post(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post(
            URL,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {KEY}"},
        )
        body: dict[str, Any] = response.json()
        return body

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.post(query, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def run(self, query: str, **variables: Any) -> list[tuple[str, dict[str, Any]]]:
        self.events.clear()
        self.last = self.gql(query, **variables)
        return [(e.name, e.payload) for e in self.events]

    def customer(self, email: str, name: str = "Ann") -> dict[str, Any]:
        data = self.gql(
            "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) "
            f"{{ customer {{ id company {{ {COMPANY} }} }} {ERROR} }} }}",
            i={
                "identifier": {"emailAddress": email},
                "onCreate": {"fullName": name, "email": {"email": email, "isVerified": True}},
                "onUpdate": {},
            },
        )
        assert data["upsertCustomer"]["error"] is None
        customer: dict[str, Any] = data["upsertCustomer"]["customer"]
        return customer

    def company_of(self, customer_id: str) -> dict[str, Any] | None:
        data = self.gql(
            f"query q($id: ID!) {{ customer(customerId: $id) {{ company {{ {COMPANY} }} }} }}",
            id=customer_id,
        )
        company: dict[str, Any] | None = data["customer"]["company"]
        return company


@pytest.fixture
def emu() -> Emulator:
    return Emulator(create_app(api_key=KEY))


UPDATE = (
    "mutation m($i: UpdateCustomerCompanyInput!) { updateCustomerCompany(input: $i) "
    f"{{ customer {{ id company {{ id name domainName }} }} {ERROR} }} }}"
)
UPSERT = (
    "mutation m($i: UpsertCompanyInput!) { upsertCompany(input: $i) "
    f"{{ result company {{ {COMPANY} }} {ERROR} }} }}"
)
DELETE = (
    "mutation m($i: DeleteCompanyInput!) { deleteCompany(input: $i) "
    f"{{ company {{ id isDeleted deletedAt {{ iso8601 }} }} {ERROR} }} }}"
)
COMPANIES = (
    "query q($f: CompaniesFilter, $first: Int, $after: String) "
    "{ companies(filters: $f, first: $first, after: $after) "
    "{ edges { cursor node { id domainName } } pageInfo { hasNextPage endCursor } } }"
)
SEARCH = (
    "query q($t: String!, $f: CompaniesFilter) { searchCompanies(searchQuery: { term: $t }, "
    "filters: $f) { edges { node { company { domainName } } } } }"
)


def _error(payload: dict[str, Any]) -> tuple[str, list[str]]:
    error = payload["error"]
    assert error is not None, payload
    return error["code"], [f["field"] for f in error["fields"]]


# --- derivation --------------------------------------------------------------------------------


def test_a_customer_of_a_company_domain_gets_that_company_created_on_first_sight(emu):
    events_before = len(emu.events)
    alice = emu.customer("alice@acme.test")
    first = [(e.name, e.payload) for e in emu.events[events_before:]]
    bob = emu.customer("Bob@ACME.test", name="Bob")

    company = alice["company"]
    assert company["name"] == "Acme"
    assert company["domainName"] == "acme.test"
    assert company["contractValue"] is None
    assert company["logoUrl"] is None
    assert company["accountOwner"] is None
    assert company["threadChannelAssociations"] == []
    assert company["isDeleted"] is False
    assert company["deletedAt"] is None
    assert company["tier"] is None
    assert bob["company"]["id"] == company["id"]
    assert ("company.company_created", {"company_id": company["id"]}) in first
    assert [e.name for e in emu.events].count("company.company_created") == 1


@pytest.mark.parametrize(
    "email",
    [
        "someone@gmail.com",
        "someone@outlook.com",
        "someone@yahoo.com",
        "someone@icloud.com",
        "someone@proton.me",
        "someone@hotmail.com",
        "bot@emulator.plain.test",
    ],
)
def test_personal_mail_and_the_emulators_own_domains_give_no_company(emu, email):
    assert emu.customer(email)["company"] is None
    assert emu.gql(COMPANIES)["companies"]["edges"] == []


def test_a_country_second_level_domain_is_named_after_its_registrable_label(emu):
    assert emu.customer("ann@eu.globex.co.uk")["company"]["name"] == "Globex"


# --- updateCustomerCompany ---------------------------------------------------------------------


def test_update_customer_company_by_id_by_new_domain_and_cleared(emu):
    ann = emu.customer("ann@acme.test")
    other = emu.customer("olga@globex.test")["company"]

    events = emu.run(
        UPDATE, i={"customerId": ann["id"], "companyIdentifier": {"companyId": other["id"]}}
    )
    assert emu.last["updateCustomerCompany"]["customer"]["company"]["id"] == other["id"]
    assert events == [
        (
            "customer.customer_updated",
            {"customer_id": ann["id"], "previous": {"company_id": ann["company"]["id"]}},
        )
    ]

    events = emu.run(
        UPDATE,
        i={"customerId": ann["id"], "companyIdentifier": {"companyDomainName": "Initech.test"}},
    )
    created = emu.last["updateCustomerCompany"]["customer"]["company"]
    assert (created["name"], created["domainName"]) == ("Initech", "initech.test")
    assert [name for name, _ in events] == ["company.company_created", "customer.customer_updated"]

    events = emu.run(UPDATE, i={"customerId": ann["id"], "companyIdentifier": None})
    assert emu.last["updateCustomerCompany"]["customer"]["company"] is None
    assert emu.company_of(ann["id"]) is None
    assert events == [
        (
            "customer.customer_updated",
            {"customer_id": ann["id"], "previous": {"company_id": created["id"]}},
        )
    ]


def test_update_customer_company_to_the_same_company_changes_nothing(emu):
    ann = emu.customer("ann@acme.test")

    events = emu.run(
        UPDATE,
        i={"customerId": ann["id"], "companyIdentifier": {"companyDomainName": "acme.test"}},
    )

    assert emu.last["updateCustomerCompany"]["error"] is None
    assert events == []


@pytest.mark.parametrize(
    ("identifier", "code", "fields"),
    [
        ({"companyId": "co_missing"}, "not_found", ["companyIdentifier.companyId"]),
        (
            {"companyDomainName": "not a domain"},
            "input_validation",
            ["companyIdentifier.companyDomainName"],
        ),
        (
            {"companyId": "co_x", "companyDomainName": "acme.test"},
            "input_validation",
            ["companyIdentifier"],
        ),
        ({}, "input_validation", ["companyIdentifier"]),
    ],
)
def test_update_customer_company_refuses_a_bad_company_identifier(emu, identifier, code, fields):
    ann = emu.customer("ann@acme.test")

    events = emu.run(UPDATE, i={"customerId": ann["id"], "companyIdentifier": identifier})

    assert _error(emu.last["updateCustomerCompany"]) == (code, fields)
    assert emu.last["updateCustomerCompany"]["customer"] is None
    assert events == []
    assert emu.company_of(ann["id"])["id"] == ann["company"]["id"]


def test_update_customer_company_of_an_unknown_customer_is_not_found(emu):
    emu.run(UPDATE, i={"customerId": "c_missing", "companyIdentifier": None})

    assert _error(emu.last["updateCustomerCompany"]) == ("not_found", ["customerId"])


# --- queries -----------------------------------------------------------------------------------


def test_companies_filters_by_ids_and_update_time_and_pages(emu):
    acme = emu.customer("ann@acme.test")["company"]
    globex = emu.customer("olga@globex.test")["company"]
    initech = emu.customer("pete@initech.test")["company"]

    def domains(**filters: Any) -> list[str]:
        edges = emu.gql(COMPANIES, f=filters)["companies"]["edges"]
        return [e["node"]["domainName"] for e in edges]

    assert domains() == ["acme.test", "globex.test", "initech.test"]
    assert domains(companyIds=[globex["id"], "co_missing"]) == ["globex.test"]
    assert domains(updatedAt={"after": acme["updatedAt"]["iso8601"]}) == [
        "globex.test",
        "initech.test",
    ]
    assert domains(updatedAt={"before": initech["updatedAt"]["iso8601"]}) == [
        "acme.test",
        "globex.test",
    ]
    first = emu.gql(COMPANIES, first=2)["companies"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = emu.gql(COMPANIES, first=2, after=first["pageInfo"]["endCursor"])["companies"]
    assert [e["node"]["id"] for e in rest["edges"]] == [initech["id"]]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_companies_refuses_a_date_that_is_not_iso_8601(emu):
    body = emu.post(COMPANIES, f={"updatedAt": {"after": "yesterday"}})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_company_by_id_and_an_unknown_id(emu):
    acme = emu.customer("ann@acme.test")["company"]
    query = "query q($id: ID!) { company(companyId: $id) { id name } }"

    assert emu.gql(query, id=acme["id"])["company"] == {"id": acme["id"], "name": "Acme"}
    assert emu.gql(query, id="co_missing")["company"] is None


def test_search_companies_matches_name_or_domain_case_insensitively(emu):
    emu.customer("ann@acme.test")
    emu.customer("olga@globex.test")
    emu.gql(
        UPSERT,
        i={
            "identifier": {"companyDomainName": "hooli.test"},
            "name": "Nucleus Inc",
            "domainName": "hooli.test",
        },
    )

    def found(term: str) -> list[str]:
        edges = emu.gql(SEARCH, t=term)["searchCompanies"]["edges"]
        return sorted(e["node"]["company"]["domainName"] for e in edges)

    assert found("ACM") == ["acme.test"]
    assert found("nucleus") == ["hooli.test"]
    assert found("hooli.t") == ["hooli.test"]
    assert found(".test") == ["acme.test", "globex.test", "hooli.test"]
    assert found("zz") == []


def test_search_companies_needs_a_term_of_two_characters(emu):
    body = emu.post(SEARCH, t=" a ")

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"] is None


def test_customers_filter_by_company_identifiers(emu):
    ann = emu.customer("ann@acme.test")
    bob = emu.customer("bob@acme.test")
    emu.customer("olga@globex.test")
    query = "query q($f: CustomersFilter) { customers(filters: $f) { edges { node { id } } } }"

    def ids(*identifiers: dict[str, str]) -> set[str]:
        edges = emu.gql(query, f={"companyIdentifiers": list(identifiers)})["customers"]["edges"]
        return {e["node"]["id"] for e in edges}

    assert ids({"companyDomainName": "acme.test"}) == {ann["id"], bob["id"]}
    assert ids({"companyId": ann["company"]["id"]}) == {ann["id"], bob["id"]}
    assert ids({"companyDomainName": "nowhere.test"}) == set()


# --- upsertCompany / deleteCompany ---------------------------------------------------------------


def test_upsert_company_creates_then_updates_then_noops(emu):
    with emu.app.state.transaction() as state:
        user, _key = state.family(Workspace).agent_create(full_name="Agent", public_name="A")
    company_input = {
        "identifier": {"companyDomainName": "hooli.test"},
        "name": "Hooli",
        "domainName": "hooli.test",
    }

    events = emu.run(UPSERT, i=company_input)
    created = emu.last["upsertCompany"]
    assert created["result"] == "CREATED"
    assert events == [("company.company_created", {"company_id": created["company"]["id"]})]

    update = {
        "identifier": {"companyId": created["company"]["id"]},
        "name": "Hooli XYZ",
        "domainName": "hooli.test",
        "contractValue": 120000,
        "accountOwnerUserId": user.id,
    }
    events = emu.run(UPSERT, i=update)
    updated = emu.last["upsertCompany"]
    assert updated["result"] == "UPDATED"
    assert updated["company"]["name"] == "Hooli XYZ"
    assert updated["company"]["contractValue"] == 120000
    assert updated["company"]["accountOwner"] == {"id": user.id}
    assert events == [
        (
            "company.company_updated",
            {
                "company_id": created["company"]["id"],
                "previous": {
                    "name": "Hooli",
                    "contract_value": None,
                    "account_owner_user_id": None,
                },
            },
        )
    ]

    events = emu.run(UPSERT, i=update)
    assert emu.last["upsertCompany"]["result"] == "NOOP"
    assert events == []


@pytest.mark.parametrize(
    ("changes", "code", "fields"),
    [
        ({"name": "  "}, "input_validation", ["name"]),
        ({"domainName": "nope"}, "input_validation", ["domainName"]),
        ({"contractValue": -1}, "input_validation", ["contractValue"]),
        ({"identifier": {"companyId": "co_missing"}}, "not_found", ["identifier.companyId"]),
        ({"identifier": {}}, "input_validation", ["identifier"]),
        ({"domainName": "acme.test"}, "input_validation", ["domainName"]),
        ({"accountOwnerUserId": "u_missing"}, "not_found", ["accountOwnerUserId"]),
    ],
)
def test_upsert_company_refuses_invalid_input(emu, changes, code, fields):
    emu.customer("ann@acme.test")
    company_input = {
        "identifier": {"companyDomainName": "hooli.test"},
        "name": "Hooli",
        "domainName": "hooli.test",
        **changes,
    }

    events = emu.run(UPSERT, i=company_input)

    assert _error(emu.last["upsertCompany"]) == (code, fields)
    assert emu.last["upsertCompany"]["company"] is None
    assert events == []


def test_delete_company_marks_it_deleted_and_unlinks_its_customers(emu):
    ann = emu.customer("ann@acme.test")
    company_id = ann["company"]["id"]

    events = emu.run(DELETE, i={"companyIdentifier": {"companyId": company_id}})

    deleted = emu.last["deleteCompany"]["company"]
    assert deleted["isDeleted"] is True
    assert deleted["deletedAt"] is not None
    assert events == [("company.company_deleted", {"company_id": company_id})]
    assert emu.company_of(ann["id"]) is None
    assert emu.gql(COMPANIES)["companies"]["edges"] == []
    listed = emu.gql(COMPANIES, f={"isDeleted": True})["companies"]["edges"]
    assert [e["node"]["id"] for e in listed] == [company_id]
    # The domain seen again is a new company.
    assert emu.customer("bob@acme.test")["company"]["id"] != company_id


def test_delete_company_of_an_unknown_company_is_not_found(emu):
    events = emu.run(DELETE, i={"companyIdentifier": {"companyDomainName": "nowhere.test"}})

    assert _error(emu.last["deleteCompany"]) == (
        "not_found",
        ["companyIdentifier.companyDomainName"],
    )
    assert events == []


def test_a_customers_company_survives_a_restart(tmp_path):
    path = str(tmp_path / "plain.sqlite3")
    emu = Emulator(create_app(api_key=KEY, data_path=path))
    ann = emu.customer("ann@acme.test")

    reopened = Emulator(create_app(api_key=KEY, data_path=path))

    assert reopened.company_of(ann["id"])["id"] == ann["company"]["id"]
