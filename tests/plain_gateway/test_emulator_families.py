"""The emulator's structure: families found by module, each adding its SDL and resolvers, one of
them able to extend another's type and set another's defaults without editing it.

The companies family below is written here the way a family module would be, and given to
create_app(families=...) beside the discovered ones.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema

from plain_gateway.emulator import create_app
from plain_gateway.emulator import families as families_package
from plain_gateway.emulator.errors import not_found
from plain_gateway.emulator.families import Family, FamilyModule, discover
from plain_gateway.emulator.families.customers import Customer, Customers
from plain_gateway.emulator.families.threads import ThreadDefaults, Threads
from plain_gateway.emulator.graph import build_executable_schema, ctx, emulator_sdl, mutation
from plain_gateway.emulator.store import new_id

KEY = "test-key"
URL = "http://emulator.test/graphql/v1"


@dataclass(slots=True)
class Company:
    id: str
    name: str
    domain_name: str
    priority: int | None = None  # the default priority of its customers' new threads


@dataclass(slots=True)
class CompanyMembership:
    id: str  # the customer's id: one company per customer, kept here, not on Customer
    company_id: str


class Companies(Family):
    requires = (Customers, Threads)

    def __init__(self, state: Any) -> None:
        super().__init__(state)
        self.companies = self.store.collection("test_company", Company)
        self.company_of = self.store.collection("test_company_membership", CompanyMembership)
        state.family(Threads).defaults_provider_register(self._thread_defaults)

    def company_create(self, *, name: str, domain_name: str, priority: int | None = None) -> str:
        company = Company(new_id("co", self.store.now()), name, domain_name, priority)
        self.companies[company.id] = company
        self.store.touch("test_company", company.id)
        return company.id

    def customer_company_set(self, *, customer_id: str, company_id: str) -> None:
        self.state.family(Customers).customer_get(customer_id)
        if company_id not in self.companies:
            raise not_found("company_id", "company", company_id)
        self.company_of[customer_id] = CompanyMembership(customer_id, company_id)
        self.store.touch("test_company_membership", customer_id)

    def _thread_defaults(
        self, *, customer_id: str, tenant_id: str | None, channel: str
    ) -> ThreadDefaults | None:
        membership = self.company_of.get(customer_id)
        if membership is None:
            return None
        return ThreadDefaults(priority=self.companies[membership.company_id].priority)


def _company(customer: Customer, info: Any) -> Company | None:
    companies = ctx(info).state.family(Companies)
    membership = companies.company_of.get(customer.id)
    return companies.companies[membership.company_id] if membership else None


COMPANIES = FamilyModule(
    name="companies",
    family=Companies,
    # The SDL already declares Company and Customer.company (answered as absent until a family
    # holds the data): this family's resolver, and its own storage, take the field over.
    sdl="",
    resolvers={"Customer": {"company": _company}},
    type_resolvers={},
)


# The discovered families less the real companies family (and tiers, which requires it): the
# test family above takes its place, as a new family would before it is a module.
OTHERS = tuple(m for m in discover() if m.name not in ("companies", "tiers"))


def _post(app: Any, query: str, **variables: Any) -> dict[str, Any]:
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as client:
        body = client.post(
            URL,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {KEY}"},
        ).json()
    assert "errors" not in body, body
    return body["data"]


def _customer(app: Any, email: str) -> str:
    data = _post(
        app,
        "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { customer { id } } }",
        i={
            "identifier": {"emailAddress": email},
            "onCreate": {"fullName": "Ann", "email": {"email": email, "isVerified": True}},
            "onUpdate": {},
        },
    )
    return str(data["upsertCustomer"]["customer"]["id"])


def _thread_priority(app: Any, customer_id: str, **extra: Any) -> int:
    data = _post(
        app,
        "mutation m($i: CreateThreadInput!) { createThread(input: $i) { thread { priority } } }",
        i={"customerIdentifier": {"customerId": customer_id}, "title": "Help", **extra},
    )
    return int(data["createThread"]["thread"]["priority"])


def test_every_module_of_the_families_package_is_a_discovered_family():
    package = Path(families_package.__file__).parent
    modules = {m.name for m in pkgutil.iter_modules([str(package)])}

    assert {m.name for m in discover()} == modules
    assert {"customers", "tenants", "threads", "workspace"} <= modules


def test_a_family_comes_after_the_families_it_requires():
    order = [m.family for m in discover()]

    for position, family in enumerate(order):
        assert set(family.requires) <= set(order[:position]), family


def test_every_query_and_mutation_field_is_resolved_by_a_family():
    schema = build_executable_schema()

    for root in ("Query", "Mutation"):
        unresolved = [name for name, f in schema.type_map[root].fields.items() if f.resolve is None]
        assert unresolved == [], root


def test_the_combined_sdl_is_every_sdl_file_merged():
    emulator = Path(families_package.__file__).parents[1]
    files = [emulator / "shared.graphql", *sorted((emulator / "families").glob("*.graphql"))]
    merged = build_schema("\n".join(path.read_text() for path in files))

    assert build_schema(emulator_sdl()).type_map.keys() == merged.type_map.keys()
    assert "extend type" not in emulator_sdl()


def test_a_new_family_adds_a_field_to_another_familys_type_with_data_of_its_own(tmp_path):
    families = (*OTHERS, COMPANIES)
    path = str(tmp_path / "plain.sqlite3")
    app = create_app(api_key=KEY, data_path=path, families=families)
    customer_id = _customer(app, "ann@acme.test")
    lonely_id = _customer(app, "bob@other.test")
    with app.state.transaction() as state:
        companies = state.family(Companies)
        company_id = companies.company_create(name="Acme", domain_name="acme.test")
        companies.customer_company_set(customer_id=customer_id, company_id=company_id)
    query = "query q($id: ID!) { customer(customerId: $id) { company { id name domainName } } }"

    reopened = create_app(api_key=KEY, data_path=path, families=families)

    company = {"id": company_id, "name": "Acme", "domainName": "acme.test"}
    assert _post(app, query, id=customer_id) == {"customer": {"company": company}}
    assert _post(app, query, id=lonely_id) == {"customer": {"company": None}}
    assert _post(reopened, query, id=customer_id) == {"customer": {"company": company}}
    assert "company" in build_executable_schema(families).type_map["Customer"].fields  # type: ignore[attr-defined]


def test_a_thread_defaults_provider_sets_the_priority_unless_the_caller_gives_one():
    # Given first, the family is still built after the ones it requires.
    app = create_app(api_key=KEY, families=(COMPANIES, *OTHERS))
    customer_id = _customer(app, "ann@acme.test")
    other_id = _customer(app, "bob@other.test")
    with app.state.transaction() as state:
        companies = state.family(Companies)
        company_id = companies.company_create(name="Acme", domain_name="acme.test", priority=0)
        companies.customer_company_set(customer_id=customer_id, company_id=company_id)

    assert _thread_priority(app, customer_id) == 0
    assert _thread_priority(app, customer_id, priority=3) == 3
    assert _thread_priority(app, other_id) == 2  # Plain's default, no provider's opinion


def test_a_resolver_for_a_field_the_sdl_lacks_is_refused():
    stray = FamilyModule(
        name="stray",
        family=type("Stray", (Family,), {}),
        sdl="",
        resolvers={"Customer": {"favouriteColour": _company}},
        type_resolvers={},
    )

    with pytest.raises(KeyError, match=r"Customer\.favouriteColour"):
        build_executable_schema((*discover(), stray))


def test_two_families_resolving_one_field_are_refused():
    twice = FamilyModule(
        name="twice",
        family=type("Twice", (Family,), {}),
        sdl="",
        resolvers={"Customer": {"fullName": lambda c, _i: c.full_name}},
        type_resolvers={},
    )
    with_full_name = FamilyModule(
        name="first",
        family=type("First", (Family,), {}),
        sdl="",
        resolvers={"Customer": {"fullName": lambda c, _i: c.full_name}},
        type_resolvers={},
    )

    with pytest.raises(ValueError, match=r"Customer\.fullName"):
        build_executable_schema((*discover(), with_full_name, twice))


def test_two_families_with_one_public_name_are_refused():
    class Clash(Family):
        def customer_find(self) -> None: ...

    clash = FamilyModule("clash", Clash, "", {}, {})

    with pytest.raises(TypeError, match="customer_find"):
        create_app(api_key=KEY, families=(*discover(), clash))


class Partial(Family):
    requires = (Threads,)

    def thread_retitle_then_refuse(self, *, thread_id: str) -> None:
        threads = self.state.family(Threads)
        threads.thread_title_change(
            actor={"kind": "system", "id": "t"}, thread_id=thread_id, title="x"
        )
        raise not_found("other_id", "thing", "nope")


@mutation
def _m_partial(context: Any, data: dict[str, Any]) -> dict[str, Any]:
    context.state.family(Partial).thread_retitle_then_refuse(thread_id=data["threadId"])
    return {"thread": None}


PARTIAL = FamilyModule(
    name="partial",
    family=Partial,
    sdl="extend type Mutation"
    " { partialWrite(input: MarkThreadAsDoneInput!): MarkThreadAsDoneOutput! }",
    resolvers={"Mutation": {"partialWrite": _m_partial}},
    type_resolvers={},
)


def test_a_mutation_refused_after_it_emitted_delivers_none_of_its_events():
    app = create_app(api_key=KEY, families=(*discover(), PARTIAL))
    customer_id = _customer(app, "ann@acme.test")
    thread = _post(
        app,
        "mutation m($i: CreateThreadInput!) { createThread(input: $i) { thread { id } } }",
        i={"customerIdentifier": {"customerId": customer_id}, "title": "Help"},
    )["createThread"]["thread"]
    events: list[Any] = []
    app.state.store.subscribe("*", events.append)

    refused = _post(
        app,
        "mutation m($t: ID!) { partialWrite(input: { threadId: $t })"
        " { error { code fields { field } } } }",
        t=thread["id"],
    )["partialWrite"]

    assert refused["error"] == {"code": "not_found", "fields": [{"field": "otherId"}]}
    assert events == []


def test_a_field_listed_absent_while_a_family_resolves_it_is_refused():
    # ABSENT says "no data here": a family that holds the data takes the field off the list.
    stale = FamilyModule(
        name="stale",
        family=type("Stale", (Family,), {}),
        sdl="",
        resolvers={},
        type_resolvers={},
        absent={"Customer": ("company",)},
    )

    with pytest.raises(ValueError, match=r"Customer\.company as absent"):
        build_executable_schema((*discover(), stale))


def test_an_absent_field_answers_what_plain_answers_for_nothing():
    app = create_app(api_key=KEY)
    customer_id = _customer(app, "nobody@gmail.com")
    thread_id = _post(
        app,
        "mutation m($c: ID!) { createThread(input: {customerIdentifier: {customerId: $c},"
        ' title: "t", components: [{componentText: {text: "x"}}]}) { thread { id } } }',
        c=customer_id,
    )["createThread"]["thread"]["id"]
    query = (
        "query q($id: ID!, $n: Int) { thread(threadId: $id) { surveyResponse { id }"
        " threadDiscussions { id }"
        " links(first: $n) { edges { cursor } pageInfo { hasNextPage } } } }"
    )

    answer = _post(app, query, id=thread_id, n=5)

    assert answer["thread"] == {
        "surveyResponse": None,
        "threadDiscussions": [],
        "links": {"edges": [], "pageInfo": {"hasNextPage": False}},
    }
    # An empty connection still keeps Plain's paging rules.
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as client:
        body = client.post(
            URL,
            json={"query": query, "variables": {"id": thread_id, "n": 1000}},
            headers={"Authorization": f"Bearer {KEY}"},
        ).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
