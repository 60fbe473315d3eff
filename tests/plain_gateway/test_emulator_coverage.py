"""The emulator is a Plain any client can use: every type its SDL declares is whole.

A client written elsewhere (Plain's SDK, a colleague's script) selects whatever fields Plain has
on a type, spreads fragments on any member of a union, sends any input field and enum value
Plain accepts. So for every type the emulator declares, the walk below asks for all of Plain's:
- object and interface types: every field, and every argument of each field; every interface
  Plain's object implements, and every object implementing a declared interface;
- input objects: every field;
- unions: every member; enums: every value.
The root types (Query, Mutation) are exempt: which operations the emulator offers is listed in its
docstring, and an operation it lacks fails validation loudly, as it should.

The second half answers: for each single-object root field, a query generated to select every
field of the object to a few levels deep validates against Plain's real schema and is answered by
the emulator without an error.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    parse,
    validate,
)
from graphql.pyutils import Undefined

from plain_gateway.emulator import create_app
from plain_gateway.emulator.graph import build_executable_schema

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REAL_SCHEMA = PROJECT_ROOT.parent / "shared" / "plain" / "schema.graphql"
ROOT_TYPES = {"Query", "Mutation", "Subscription"}
KEY = "coverage-key"

needs_shared = pytest.mark.skipif(
    not REAL_SCHEMA.is_file(),
    reason=f"Plain's real schema lives outside the repo, in {REAL_SCHEMA.parent}; not present here",
)


@pytest.fixture(scope="module")
def real() -> GraphQLSchema:
    return build_schema(REAL_SCHEMA.read_text())


@pytest.fixture(scope="module")
def emulated() -> GraphQLSchema:
    return build_executable_schema()


def _declared(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        t
        for name, t in sorted(schema.type_map.items())
        if not name.startswith("__") and name not in ROOT_TYPES
    ]


def missing_parts(emulated: GraphQLSchema, real: GraphQLSchema) -> list[str]:
    """What Plain has on each type the emulator declares and the emulator lacks, one line each."""
    problems: list[str] = []
    for ours in _declared(emulated):
        theirs = real.type_map.get(ours.name)
        if theirs is None:
            problems.append(f"{ours.name}: not a type of Plain's")
            continue
        if isinstance(ours, GraphQLObjectType | GraphQLInterfaceType):
            assert isinstance(theirs, GraphQLObjectType | GraphQLInterfaceType)
            for name, field in theirs.fields.items():
                if name not in ours.fields:
                    problems.append(f"{ours.name}.{name}: field missing")
                    continue
                for arg in field.args:
                    if arg not in ours.fields[name].args:
                        problems.append(f"{ours.name}.{name}({arg}): argument missing")
            if isinstance(theirs, GraphQLInterfaceType):
                ours_objects = {o.name for o in emulated.get_implementations(ours).objects}
                for implementation in real.get_implementations(theirs).objects:
                    if implementation.name not in ours_objects:
                        problems.append(
                            f"{ours.name}: implementation {implementation.name} missing"
                        )
            if isinstance(theirs, GraphQLObjectType):
                ours_interfaces = {i.name for i in ours.interfaces}
                for interface in theirs.interfaces:
                    if interface.name not in ours_interfaces:
                        problems.append(f"{ours.name}: does not implement {interface.name}")
        elif isinstance(ours, GraphQLInputObjectType):
            assert isinstance(theirs, GraphQLInputObjectType)
            for name in theirs.fields:
                if name not in ours.fields:
                    problems.append(f"{ours.name}.{name}: input field missing")
        elif isinstance(ours, GraphQLUnionType):
            assert isinstance(theirs, GraphQLUnionType)
            members = {m.name for m in ours.types}
            for member in theirs.types:
                if member.name not in members:
                    problems.append(f"{ours.name}: member {member.name} missing")
        elif isinstance(ours, GraphQLEnumType):
            assert isinstance(theirs, GraphQLEnumType)
            for value in theirs.values:
                if value not in ours.values:
                    problems.append(f"{ours.name}.{value}: enum value missing")
    return problems


@needs_shared
def test_every_type_the_emulator_declares_has_everything_plain_has_on_it(emulated, real):
    assert missing_parts(emulated, real) == []


@needs_shared
def test_the_walk_finds_a_field_an_argument_a_member_and_a_value_taken_away(real):
    # The walk itself, on a schema made to lack one of each.
    trimmed = build_schema(
        """
        type Query { thread(threadId: ID!): Thread }
        type Thread { id: ID! title: String! }
        union Actor = UserActor
        type UserActor { userId: ID! }
        enum ThreadStatus { TODO DONE }
        input ThreadsSort { field: ThreadsSortField! }
        enum ThreadsSortField { CREATED_AT }
        """
    )

    problems = missing_parts(trimmed, real)

    assert "Thread.customer: field missing" in problems
    assert "Actor: member MachineUserActor missing" in problems
    assert "ThreadStatus.SNOOZED: enum value missing" in problems
    assert "ThreadsSort.direction: input field missing" in problems
    assert "UserActor.user: field missing" in problems


# --- every field answered ------------------------------------------------------------------------

DEPTH = 3


def _arguments(field: GraphQLField) -> str | None:
    """Arguments for a generated selection: `first` on connections, nothing else required.

    None when the field needs an argument the generator cannot make up."""
    given = []
    for name, arg in field.args.items():
        if name == "first":
            given.append("first: 2")
        elif is_non_null_type(arg.type) and arg.default_value is Undefined:
            return None
    return f"({', '.join(given)})" if given else ""


def select_all(schema: GraphQLSchema, type_: GraphQLNamedType, depth: int, alias: str = "") -> str:
    """A selection set asking for every field of `type_` down to `depth` levels of objects.

    Inside a union member or an interface implementation every field is aliased by its type, so
    members with a same-named field of another type do not conflict."""
    if isinstance(type_, GraphQLUnionType):
        parts = ["__typename"]
        if depth > 0:
            parts += [
                f"... on {member.name} {select_all(schema, member, depth, member.name)}"
                for member in type_.types
            ]
        return "{ " + " ".join(parts) + " }"
    assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
    parts = ["__typename"]
    for name, field in type_.fields.items():
        args = _arguments(field)
        if args is None:
            continue
        named = get_named_type(field.type)
        key = f"{alias}_{name}: {name}" if alias else name
        if is_leaf_type(named):
            parts.append(f"{key}{args}")
        elif depth > 0:
            parts.append(f"{key}{args} {select_all(schema, named, depth - 1)}")
    if isinstance(type_, GraphQLInterfaceType) and depth > 0:
        for implementation in schema.get_implementations(type_).objects:
            inner = select_all(schema, implementation, depth - 1, implementation.name)
            parts.append(f"... on {implementation.name} {inner}")
    return "{ " + " ".join(parts) + " }"


def _post(app, document: str, variables: dict | None = None) -> dict:
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://emulator") as http:
        response = http.post(
            "/graphql/v1",
            json={"query": document, "variables": variables or {}},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert response.status_code == 200, response.text
    return response.json()


SEED = """
mutation seed {
  upsertTenant(input: {identifier: {externalId: "acme"}, name: "Acme", externalId: "acme"}) {
    tenant { id } error { message }
  }
  upsertCustomer(input: {
    identifier: {emailAddress: "alice@acme.test"},
    onCreate: {fullName: "Alice", email: {email: "alice@acme.test", isVerified: true}},
    onUpdate: {}
  }) { customer { id } error { message } }
}
"""


@pytest.fixture(scope="module")
def seeded():
    app = create_app(api_key=KEY)
    seed = _post(app, SEED)["data"]
    customer_id = seed["upsertCustomer"]["customer"]["id"]
    tenant_id = seed["upsertTenant"]["tenant"]["id"]
    _post(
        app,
        "mutation($c: ID!, $t: String!) { addCustomerToTenants(input: {"
        "customerIdentifier: {customerId: $c}, tenantIdentifiers: [{externalId: $t}]})"
        " { error { message } } }",
        {"c": customer_id, "t": "acme"},
    )
    thread = _post(
        app,
        "mutation($c: ID!) { createThread(input: {customerIdentifier: {customerId: $c},"
        ' title: "Export fails", components: [{componentText: {text: "It fails"}}],'
        ' tenantIdentifier: {externalId: "acme"}}) { thread { id } error { message } } }',
        {"c": customer_id},
    )["data"]["createThread"]["thread"]
    return {"app": app, "customerId": customer_id, "tenantId": tenant_id, "threadId": thread["id"]}


ROOTS = [
    ("thread", "threadId", "threadId"),
    ("customer", "customerId", "customerId"),
    ("tenant", "tenantId", "tenantId"),
    ("myMachineUser", None, None),
    ("myWorkspace", None, None),
]


@needs_shared
@pytest.mark.parametrize(("root", "argument", "seed_key"), ROOTS, ids=[r[0] for r in ROOTS])
def test_every_field_of_an_object_is_answered(seeded, real, emulated, root, argument, seed_key):
    field = emulated.query_type.fields.get(root)
    assert field is not None, f"the emulator has no Query.{root}"
    selection = select_all(real, get_named_type(real.query_type.fields[root].type), DEPTH)
    call = f"({argument}: $id)" if argument else ""
    header = "($id: ID!)" if argument else ""
    document = f"query everything{header} {{ {root}{call} {selection} }}"
    assert validate(real, parse(document)) == []
    assert validate(emulated, parse(document)) == []

    answer = _post(seeded["app"], document, {"id": seeded[seed_key]} if seed_key else None)

    assert answer.get("errors") is None
    assert answer["data"][root] is not None


# --- documents written as another Plain client writes them ---------------------------------------

SDK_DOCUMENTS = Path(__file__).with_name("sdk_documents")


def sdk_operations() -> dict[str, str]:
    """Each operation in sdk_documents/, as a document holding it and exactly the fragments it
    spreads (transitively), the way a client sends it."""
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, print_ast
    from graphql.language import FragmentSpreadNode, Visitor, visit

    definitions = [
        definition
        for path in sorted(SDK_DOCUMENTS.glob("*.graphql"))
        for definition in parse(path.read_text()).definitions
    ]
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}

    def spreads(node) -> set[str]:
        found: set[str] = set()

        class Spreads(Visitor):
            def enter_fragment_spread(self, spread: FragmentSpreadNode, *_args) -> None:
                found.add(spread.name.value)

        visit(node, Spreads())
        return found

    documents = {}
    for definition in definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        needed: set[str] = set()
        pending = spreads(definition)
        while pending:
            name = pending.pop()
            if name not in needed:
                needed.add(name)
                pending |= spreads(fragments[name])
        parts = [print_ast(definition)] + [print_ast(fragments[n]) for n in sorted(needed)]
        documents[definition.name.value] = "\n".join(parts)
    return documents


SDK_VARIABLES = {
    "getCustomerById": lambda seed: {"customerId": seed["customerId"]},
    "getTenantById": lambda seed: {"tenantId": seed["tenantId"]},
    "getThread": lambda seed: {"threadId": seed["threadId"]},
    "getTimelineEntries": lambda seed: {"threadId": seed["threadId"], "first": 25},
}


def test_the_sdk_documents_are_all_here():
    assert set(sdk_operations()) >= {
        "getCustomerById",
        "getTenantById",
        "getThread",
        "getThreads",
        "getTimelineEntries",
        "getUsers",
        "getLabelTypes",
        "getCompanies",
        "getTiers",
        "getCustomerGroups",
    }


@needs_shared
@pytest.mark.parametrize("name", sorted(sdk_operations()))
def test_an_sdk_style_document_is_valid_for_plain_and_answered_by_the_emulator(
    seeded, real, emulated, name
):
    document = sdk_operations()[name]
    assert validate(real, parse(document)) == []
    assert validate(emulated, parse(document)) == []
    variables = SDK_VARIABLES.get(name, lambda _seed: {"first": 10})(seeded)

    answer = _post(seeded["app"], document, variables)

    assert answer.get("errors") is None
    assert all(value is not None for value in answer["data"].values())


@needs_shared
def test_a_customer_answers_the_company_of_their_email_domain(seeded, emulated):
    document = sdk_operations()["getCustomerById"]

    customer = _post(seeded["app"], document, {"customerId": seeded["customerId"]})["data"][
        "customer"
    ]

    assert customer["company"]["domainName"] == "acme.test"
    assert [
        edge["node"]["tenant"]["externalId"] for edge in customer["tenantMemberships"]["edges"]
    ] == ["acme"]


@needs_shared
def test_a_thread_answers_its_customer_tenant_and_first_status_detail(seeded, emulated):
    thread = _post(seeded["app"], sdk_operations()["getThread"], {"threadId": seeded["threadId"]})[
        "data"
    ]["thread"]

    assert thread["customer"]["id"] == seeded["customerId"]
    assert thread["tenant"]["id"] == seeded["tenantId"]
    assert thread["status"] == "TODO"
    assert thread["statusDetail"]["__typename"] == "ThreadStatusDetailCreated"
    assert thread["participants"]["edges"][0]["node"] == {
        "__typename": "CustomerActor",
        "customerId": seeded["customerId"],
    }
