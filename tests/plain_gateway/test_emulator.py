"""The emulator answers Plain's GraphQL as Plain does: schema, auth, queries, mutations, errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from plain_gateway.emulator import create_app
from plain_gateway.emulator.families.customers import CustomerRef
from plain_gateway.emulator.graph import SCHEMA_FILE, emulator_sdl, schema_file_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_TOOLS = PROJECT_ROOT.parent / "shared" / "tools"

THREAD = """
fragment T on Thread {
  id ref title status priority previewText externalId channel
  statusChangedAt { iso8601 unixTimestamp }
  createdAt { iso8601 } updatedAt { iso8601 }
  createdBy { __typename ... on MachineUserActor { machineUserId machineUser { publicName } } }
  customer { id fullName }
  tenant { id externalId name }
  labels { id labelType { id name } }
  lastInboundMessageInfo { timestamp { unixTimestamp } messageSource }
  lastOutboundMessageInfo { timestamp { unixTimestamp } messageSource }
}
"""

ENTRIES = """
query thread($threadId: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  thread(threadId: $threadId) {
    id status
    timelineEntries(first: $first, after: $after, last: $last, before: $before) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges {
        cursor
        node {
          id timestamp { unixTimestamp }
          actor {
            __typename
            ... on CustomerActor { customerId customer { fullName } }
            ... on MachineUserActor { machineUserId }
            ... on UserActor { userId user { fullName publicName } }
            ... on SystemActor { systemId }
          }
          entry {
            __typename
            ... on ChatEntry { chatId text attachments { id } }
            ... on NoteEntry { noteId noteText: text markdown }
            ... on CustomEntry {
              title components { __typename ... on ComponentText { text textSize } }
            }
            ... on EmailEntry {
              subject textContent from { email name } to { email }
              additionalRecipients { email } hiddenRecipients { email }
            }
            ... on ThreadStatusTransitionedEntry { previousStatus nextStatus }
            ... on ThreadPriorityChangedEntry { previousPriority nextPriority }
            ... on ThreadLabelsChangedEntry {
              previousLabels { id } nextLabels { labelType { name } }
            }
            ... on ThreadEventEntry { timelineEventId title customerId components { __typename } }
            ... on CustomerEventEntry { timelineEventId title }
          }
        }
      }
    }
  }
}
"""

THREADS = (
    """
query threads($filters: ThreadsFilter, $sortBy: ThreadsSort, $first: Int, $after: String,
              $last: Int, $before: String) {
  threads(filters: $filters, sortBy: $sortBy, first: $first, after: $after, last: $last,
          before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ...T } }
  }
}
"""
    + THREAD
)

ERROR = "error { message type code fields { field message type } }"


def _titles(body):
    return [edge["node"]["title"] for edge in body["data"]["threads"]["edges"]]


def _entries(body):
    return [edge["node"] for edge in body["data"]["thread"]["timelineEntries"]["edges"]]


def _kinds(body):
    return [node["entry"]["__typename"] for node in _entries(body)]


# --- schema --------------------------------------------------------------------------------------


def test_the_sdl_is_a_faithful_subset_of_plains_schema(tmp_path):
    checker = SHARED_TOOLS / "check_operations.py"
    if not checker.exists():
        pytest.skip(f"Plain's schema and checker are not available here ({checker} is absent)")
    spec = importlib.util.spec_from_file_location("check_operations", checker)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from graphql import build_schema

    real = build_schema(module.REAL_SCHEMA.read_text())

    # The committed file, as a reader (or check_operations.py --subset) finds it.
    assert module.check_subset(real, SCHEMA_FILE) == []


def test_the_committed_schema_file_is_the_schema_the_emulator_serves():
    # Regenerate it with: python -m plain_gateway.emulator --print-sdl > <that file>
    assert SCHEMA_FILE.read_text() == schema_file_text()
    assert schema_file_text().endswith(emulator_sdl())


def test_the_sdl_carries_no_descriptions():
    sdl = emulator_sdl()

    assert "type Thread {" in sdl
    assert '"' not in sdl


def test_the_command_line_prints_the_combined_sdl(capsys):
    from plain_gateway.emulator.__main__ import main

    assert main(["--print-sdl"]) == 0
    assert capsys.readouterr().out == schema_file_text()


def test_the_sdl_is_served_next_to_the_endpoint(emulator_http):
    response = emulator_http.get("/graphql/v1/schema.graphql")

    assert response.status_code == 200
    assert response.text == emulator_sdl()


# --- protocol ------------------------------------------------------------------------------------


def test_a_request_without_a_key_is_refused_with_401_json(emulator_http):
    response = emulator_http.post("/graphql/v1", json={"query": "{ myMachineUser { id } }"})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_request_with_a_wrong_key_is_refused_with_401_json(emulator_http):
    response = emulator_http.post(
        "/graphql/v1",
        json={"query": "{ myMachineUser { id } }"},
        headers={"Authorization": "Bearer not-the-key"},
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_the_key_acts_as_a_machine_user(graphql):
    body = graphql("{ myMachineUser { id fullName publicName type } myUser { id } }")

    machine_user = body["data"]["myMachineUser"]
    assert machine_user["id"].startswith("mu_")
    assert machine_user["type"] == "API_USER"
    assert body["data"]["myUser"] is None


def test_an_operation_outside_the_emulated_subset_fails_validation_loudly(graphql):
    # Query.knowledgeSources exists in Plain's schema but not in the emulator's: no silent null.
    body = graphql("{ knowledgeSources(first: 1) { edges { cursor } } }", expect_errors=True)

    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in body


def test_a_syntax_error_is_reported_as_parse_failed(graphql):
    body = graphql("{ threads { ", expect_errors=True)

    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_a_body_that_is_not_json_is_a_400(emulator_http):
    response = emulator_http.post(
        "/graphql/v1", content=b"{nope", headers={"Authorization": "Bearer test-key"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_a_variable_of_the_wrong_type_is_bad_user_input(graphql):
    body = graphql(
        "query t($first: Int) { tenants(first: $first) { edges { cursor } } }",
        expect_errors=True,
        first="ten",
    )

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_responses_carry_a_request_id(emulator_http):
    response = emulator_http.post("/graphql/v1", json={"query": "{ myUser { id } }"})

    assert response.headers["x-request-id"].startswith("req_")


# --- tenants and customers -----------------------------------------------------------------------

UPSERT_TENANT = f"""
mutation upsertTenant($input: UpsertTenantInput!) {{
  upsertTenant(input: $input) {{ result tenant {{ id externalId name url }} {ERROR} }}
}}
"""

UPSERT_CUSTOMER = f"""
mutation upsertCustomer($input: UpsertCustomerInput!) {{
  upsertCustomer(input: $input) {{
    result customer {{ id externalId fullName shortName email {{ email isVerified }} }} {ERROR}
  }}
}}
"""


def _upsert_customer(
    graphql, *, identifier, full_name="Alice Doe", email="alice@acme.test", on_update=None
):
    return graphql(
        UPSERT_CUSTOMER,
        input={
            "identifier": identifier,
            "onCreate": {
                "fullName": full_name,
                "externalId": "user-1",
                "email": {"email": email, "isVerified": True},
            },
            "onUpdate": on_update or {},
        },
    )["data"]["upsertCustomer"]


def test_upsert_tenant_answers_created_then_noop_then_updated(graphql):
    tenant = {"identifier": {"externalId": "org-acme"}, "externalId": "org-acme", "name": "Acme"}

    first = graphql(UPSERT_TENANT, input=tenant)["data"]["upsertTenant"]
    again = graphql(UPSERT_TENANT, input=tenant)["data"]["upsertTenant"]
    renamed = graphql(
        UPSERT_TENANT, input={**tenant, "name": "Acme Inc", "url": {"value": "https://acme.test"}}
    )

    assert first["result"] == "CREATED"
    assert first["tenant"]["id"].startswith("te_")
    assert again["result"] == "NOOP"
    assert again["tenant"]["id"] == first["tenant"]["id"]
    updated = renamed["data"]["upsertTenant"]
    assert updated["result"] == "UPDATED"
    assert (updated["tenant"]["name"], updated["tenant"]["url"]) == (
        "Acme Inc",
        "https://acme.test",
    )


def test_upsert_customer_answers_created_then_noop_then_updated(graphql):
    created = _upsert_customer(graphql, identifier={"externalId": "user-1"})
    same = _upsert_customer(
        graphql, identifier={"externalId": "user-1"}, on_update={"fullName": {"value": "Alice Doe"}}
    )
    changed = _upsert_customer(
        graphql, identifier={"externalId": "user-1"}, on_update={"fullName": {"value": "Alice D."}}
    )

    assert created["result"] == "CREATED"
    assert created["customer"]["id"].startswith("c_")
    assert created["customer"]["email"] == {"email": "alice@acme.test", "isVerified": True}
    assert same["result"] == "NOOP"
    assert changed["result"] == "UPDATED"
    assert changed["customer"]["fullName"] == "Alice D."
    assert changed["customer"]["id"] == created["customer"]["id"]


def test_upsert_customer_rejects_a_bad_email_with_a_field_error(graphql):
    result = _upsert_customer(
        graphql, identifier={"emailAddress": "not-an-email"}, email="not-an-email"
    )

    assert result["customer"] is None
    assert result["error"]["code"] == "input_validation"
    assert result["error"]["type"] == "VALIDATION"
    assert result["error"]["fields"][0]["field"] == "onCreate.email.email"


def test_upsert_customer_by_an_unknown_id_is_not_found(graphql):
    result = _upsert_customer(graphql, identifier={"customerId": "c_01NOPE"})

    assert result["error"]["code"] == "not_found"
    assert result["error"]["fields"][0]["type"] == "NOT_FOUND"


def test_customers_are_found_by_email_and_external_id(graphql, emulator_factory):
    customer = emulator_factory.customer(email="Bob@Acme.test")
    graphql(
        UPSERT_CUSTOMER,
        input={
            "identifier": {"customerId": customer["id"]},
            "onCreate": {"fullName": "x", "email": {"email": "x@x.test", "isVerified": False}},
            "onUpdate": {"externalId": {"value": "user-bob"}},
        },
    )

    body = graphql(
        """query q($email: String!, $ext: ID!) {
             customerByEmail(email: $email) { id }
             customerByExternalId(externalId: $ext) { id externalId }
           }""",
        email="bob@acme.test",
        ext="user-bob",
    )

    assert body["data"]["customerByEmail"]["id"] == customer["id"]
    assert body["data"]["customerByExternalId"] == {"id": customer["id"], "externalId": "user-bob"}


CUSTOMERS = """
query customers($filters: CustomersFilter, $first: Int, $after: String) {
  customers(filters: $filters, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id fullName
      tenantMemberships { edges { node { tenant { externalId } createdAt { iso8601 } } } }
    } }
  }
}
"""


def _memberships(node):
    return sorted(
        edge["node"]["tenant"]["externalId"] for edge in node["tenantMemberships"]["edges"]
    )


def test_customers_filter_by_tenant_and_show_their_memberships(graphql, emulator_factory):
    emulator_factory.tenant(external_id="org-acme")
    emulator_factory.tenant(external_id="org-globex")
    alice = emulator_factory.customer(tenants=["org-acme"])
    carol = emulator_factory.customer(tenants=["org-globex", "org-acme"])
    emulator_factory.customer()

    body = graphql(CUSTOMERS, filters={"tenantIdentifiers": [{"externalId": "org-acme"}]})

    nodes = [edge["node"] for edge in body["data"]["customers"]["edges"]]
    assert [n["id"] for n in nodes] == [alice["id"], carol["id"]]
    assert body["data"]["customers"]["totalCount"] == 2
    assert _memberships(nodes[1]) == ["org-acme", "org-globex"]


def test_tenant_membership_mutations_add_remove_and_set(graphql, emulator_factory):
    for external_id in ("a", "b", "c"):
        emulator_factory.tenant(external_id=external_id)
    customer = emulator_factory.customer()

    def run(name, tenants):
        result = graphql(
            f"""mutation m($input: {name[0].upper() + name[1:]}Input!) {{
                  {name}(input: $input) {{
                    customer {{
                      tenantMemberships {{ edges {{ node {{ tenant {{ externalId }} }} }} }}
                    }}
                    {ERROR}
                  }}
                }}""",
            input={
                "customerIdentifier": {"customerId": customer["id"]},
                "tenantIdentifiers": [{"externalId": t} for t in tenants],
            },
        )["data"][name]
        assert result["error"] is None, result["error"]
        return _memberships(result["customer"])

    assert run("addCustomerToTenants", ["a", "b"]) == ["a", "b"]
    assert run("removeCustomerFromTenants", ["a"]) == ["b"]
    assert run("setCustomerTenants", ["c", "a"]) == ["a", "c"]


def test_adding_a_customer_to_an_unknown_tenant_is_not_found(graphql, emulator_factory):
    customer = emulator_factory.customer()

    result = graphql(
        f"""mutation m($input: AddCustomerToTenantsInput!) {{
              addCustomerToTenants(input: $input) {{ {ERROR} }}
            }}""",
        input={
            "customerIdentifier": {"customerId": customer["id"]},
            "tenantIdentifiers": [{"externalId": "nope"}],
        },
    )["data"]["addCustomerToTenants"]

    assert result["error"]["code"] == "not_found"


UPSERT_CUSTOMER_WITH_TENANTS = f"""
mutation upsertCustomer($input: UpsertCustomerInput!) {{
  upsertCustomer(input: $input) {{
    result
    customer {{ id tenantMemberships {{ edges {{ node {{ tenant {{ externalId }} }} }} }} }}
    {ERROR}
  }}
}}
"""


def _upsert_customer_joining(graphql, *, tenants, email="dana@acme.test"):
    return graphql(
        UPSERT_CUSTOMER_WITH_TENANTS,
        input={
            "identifier": {"externalId": "user-dana"},
            "onCreate": {
                "externalId": "user-dana",
                "fullName": "Dana Doe",
                "email": {"email": email, "isVerified": True},
                "tenantIdentifiers": [{"externalId": t} for t in tenants],
            },
            "onUpdate": {},
        },
    )["data"]["upsertCustomer"]


def test_upsert_customer_puts_a_new_customer_in_its_oncreate_tenants(graphql, emulator_factory):
    emulator_factory.tenant(external_id="org-acme")
    emulator_factory.tenant(external_id="org-globex")

    result = _upsert_customer_joining(graphql, tenants=["org-acme", "org-globex"])

    assert result["error"] is None, result["error"]
    assert result["result"] == "CREATED"
    assert _memberships(result["customer"]) == ["org-acme", "org-globex"]
    listed = graphql(CUSTOMERS, filters={"tenantIdentifiers": [{"externalId": "org-globex"}]})
    assert [e["node"]["id"] for e in listed["data"]["customers"]["edges"]] == [
        result["customer"]["id"]
    ]


def test_upsert_customer_leaves_an_existing_customers_memberships_alone(graphql, emulator_factory):
    emulator_factory.tenant(external_id="org-acme")
    emulator_factory.tenant(external_id="org-globex")
    first = _upsert_customer_joining(graphql, tenants=["org-acme"])

    again = _upsert_customer_joining(graphql, tenants=["org-globex"])

    assert again["error"] is None, again["error"]
    assert again["result"] == "NOOP"
    assert again["customer"]["id"] == first["customer"]["id"]
    assert _memberships(again["customer"]) == ["org-acme"]


def test_upsert_customer_with_an_unknown_oncreate_tenant_creates_nothing(graphql, emulator_factory):
    emulator_factory.tenant(external_id="org-acme")

    result = _upsert_customer_joining(graphql, tenants=["org-acme", "nope"])

    assert result["customer"] is None
    assert result["error"]["code"] == "not_found"
    assert result["error"]["fields"][0]["field"] == "onCreate.tenantIdentifiers"
    assert result["error"]["fields"][0]["type"] == "NOT_FOUND"
    assert graphql(CUSTOMERS)["data"]["customers"]["edges"] == []


def test_tenants_list_get_and_search(graphql, emulator_factory):
    acme = emulator_factory.tenant(external_id="org-acme", name="Acme")
    emulator_factory.tenant(external_id="org-globex", name="Globex")

    body = graphql(
        """query q($id: ID!) {
             tenants(first: 10) { edges { node { externalId } } }
             tenant(tenantId: $id) { name }
             searchTenants(searchQuery: { term: "acm" }) { edges { node { tenant { id } } } }
           }""",
        id=acme["id"],
    )

    assert [e["node"]["externalId"] for e in body["data"]["tenants"]["edges"]] == [
        "org-acme",
        "org-globex",
    ]
    assert body["data"]["tenant"] == {"name": "Acme"}
    assert body["data"]["searchTenants"]["edges"] == [{"node": {"tenant": {"id": acme["id"]}}}]


# --- threads -------------------------------------------------------------------------------------

CREATE_THREAD = (
    f"""
mutation createThread($input: CreateThreadInput!) {{
  createThread(input: $input) {{ thread {{ ...T }} {ERROR} }}
}}
"""
    + THREAD
)


def test_create_thread_makes_a_todo_thread_whose_first_message_is_a_custom_entry(
    graphql, emulator_factory
):
    emulator_factory.tenant(external_id="org-acme")
    customer = emulator_factory.customer(tenants=["org-acme"])

    result = graphql(
        CREATE_THREAD,
        input={
            "customerIdentifier": {"customerId": customer["id"]},
            "tenantIdentifier": {"externalId": "org-acme"},
            "title": "Cannot log in",
            "components": [{"componentText": {"text": "The **login** button does nothing."}}],
            "priority": 1,
            "externalId": "ticket-7",
        },
    )["data"]["createThread"]

    thread = result["thread"]
    assert result["error"] is None
    assert thread["id"].startswith("th_")
    assert thread["ref"] == "T-1"
    assert (thread["status"], thread["priority"], thread["channel"]) == ("TODO", 1, "API")
    assert thread["tenant"]["externalId"] == "org-acme"
    assert thread["previewText"] == "The **login** button does nothing."
    assert thread["createdBy"]["__typename"] == "MachineUserActor"
    timeline = graphql(ENTRIES, threadId=thread["id"])
    entry = _entries(timeline)[0]["entry"]
    assert entry == {
        "__typename": "CustomEntry",
        "title": "Cannot log in",
        "components": [
            {
                "__typename": "ComponentText",
                "text": "The **login** button does nothing.",
                "textSize": None,
            }
        ],
    }


def test_thread_refs_count_up(emulator_factory):
    refs = [emulator_factory.thread()["ref"] for _ in range(3)]

    assert refs == ["T-1", "T-2", "T-3"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"priority": 4}, "priority", "input_validation"),
        ({"priority": -1}, "priority", "input_validation"),
        ({"title": "  "}, "title", "input_validation"),
        ({"customerIdentifier": {"customerId": "c_01UNKNOWN"}}, "customerIdentifier", "not_found"),
        ({"tenantIdentifier": {"externalId": "org-none"}}, "tenantIdentifier", "not_found"),
        ({"labelTypeIds": ["lt_01UNKNOWN"]}, "labelTypeIds", "not_found"),
        (
            {"components": [{"componentText": {"text": ""}}]},
            "components[0].componentText.text",
            "input_validation",
        ),
    ],
)
def test_create_thread_refuses_bad_input_with_plains_codes(
    graphql, emulator_factory, change, field, code
):
    customer = emulator_factory.customer()
    base = {
        "customerIdentifier": {"customerId": customer["id"]},
        "title": "Help",
        "components": [{"componentText": {"text": "hi"}}],
    }

    result = graphql(CREATE_THREAD, input={**base, **change})["data"]["createThread"]

    assert result["thread"] is None
    assert result["error"]["code"] == code
    assert field in [f["field"] for f in result["error"]["fields"]]


def test_a_thread_is_fetched_by_id_ref_and_external_id(graphql, emulator_factory):
    thread = emulator_factory.thread(externalId="ext-1")

    body = graphql(
        """query q($id: ID!, $ref: String!, $customerId: ID!) {
             thread(threadId: $id) { id }
             threadByRef(ref: $ref) { id }
             threadByExternalId(customerId: $customerId, externalId: "ext-1") { id }
             missing: thread(threadId: "th_01MISSING") { id }
           }""",
        id=thread["id"],
        ref=thread["ref"],
        customerId=thread["customer"]["id"],
    )

    assert body["data"] == {
        "thread": {"id": thread["id"]},
        "threadByRef": {"id": thread["id"]},
        "threadByExternalId": {"id": thread["id"]},
        "missing": None,
    }


def test_threads_filter_by_tenant_customer_status_priority_and_label(graphql, emulator_factory):
    emulator_factory.tenant(external_id="org-a")
    emulator_factory.tenant(external_id="org-b")
    label_type = graphql(
        'mutation { createLabelType(input: { name: "Bug", icon: "bug" }) { labelType { id } } }'
    )["data"]["createLabelType"]["labelType"]
    a1 = emulator_factory.thread(
        tenant="org-a", title="a1", priority=0, labelTypeIds=[label_type["id"]]
    )
    emulator_factory.thread(tenant="org-a", title="a2")
    b1 = emulator_factory.thread(tenant="org-b", title="b1")
    graphql(
        f"mutation m($id: ID!) {{ markThreadAsDone(input: {{ threadId: $id }}) {{ {ERROR} }} }}",
        id=b1["id"],
    )

    def titles(filters):
        return sorted(_titles(graphql(THREADS, filters=filters)))

    assert titles({"tenantIdentifiers": [{"externalId": "org-a"}]}) == ["a1", "a2"]
    assert titles({"tenantIdentifiers": [{"externalId": "org-missing"}]}) == []
    assert titles({"customerIds": [a1["customer"]["id"]]}) == ["a1"]
    assert titles({"statuses": ["DONE"]}) == ["b1"]
    assert titles({"statuses": ["TODO", "SNOOZED"]}) == ["a1", "a2"]
    assert titles({"priorities": [0]}) == ["a1"]
    assert titles({"labelTypeIds": [label_type["id"]]}) == ["a1"]
    assert titles({"threadIds": [b1["id"], a1["id"]]}) == ["a1", "b1"]
    assert titles({"tenantIdentifiers": [{"externalId": "org-a"}], "priorities": [2]}) == ["a2"]


def test_threads_sort_by_created_at_status_changed_at_and_priority(graphql, emulator_factory):
    first = emulator_factory.thread(title="first", priority=3)
    emulator_factory.thread(title="second", priority=0)
    emulator_factory.thread(title="third", priority=2)
    graphql(
        f"mutation m($id: ID!) {{ markThreadAsDone(input: {{ threadId: $id }}) {{ {ERROR} }} }}",
        id=first["id"],
    )

    def order(field, direction):
        return _titles(graphql(THREADS, sortBy={"field": field, "direction": direction}))

    assert order("CREATED_AT", "ASC") == ["first", "second", "third"]
    assert order("CREATED_AT", "DESC") == ["third", "second", "first"]
    assert order("STATUS_CHANGED_AT", "DESC") == ["first", "third", "second"]
    assert order("PRIORITY", "ASC") == ["second", "third", "first"]


def test_threads_page_forward_and_backward_across_page_boundaries(graphql, emulator_factory):
    customer = emulator_factory.customer()
    for n in range(7):
        emulator_factory.thread(customer_id=customer["id"], title=f"t{n}")
    sort = {"field": "CREATED_AT", "direction": "ASC"}

    page1 = graphql(THREADS, sortBy=sort, first=3)["data"]["threads"]
    page2 = graphql(THREADS, sortBy=sort, first=3, after=page1["pageInfo"]["endCursor"])["data"][
        "threads"
    ]
    page3 = graphql(THREADS, sortBy=sort, first=3, after=page2["pageInfo"]["endCursor"])["data"][
        "threads"
    ]
    back = graphql(THREADS, sortBy=sort, last=3, before=page3["pageInfo"]["startCursor"])["data"][
        "threads"
    ]
    tail = graphql(THREADS, sortBy=sort, last=2)["data"]["threads"]

    def names(page):
        return [e["node"]["title"] for e in page["edges"]]

    assert names(page1) == ["t0", "t1", "t2"]
    assert names(page2) == ["t3", "t4", "t5"]
    assert names(page3) == ["t6"]
    assert (page1["pageInfo"]["hasPreviousPage"], page1["pageInfo"]["hasNextPage"]) == (False, True)
    assert (page2["pageInfo"]["hasPreviousPage"], page2["pageInfo"]["hasNextPage"]) == (True, True)
    assert (page3["pageInfo"]["hasPreviousPage"], page3["pageInfo"]["hasNextPage"]) == (True, False)
    assert names(back) == ["t3", "t4", "t5"]
    assert back["pageInfo"]["hasPreviousPage"] is True
    assert names(tail) == ["t5", "t6"]
    assert page1["totalCount"] == 7


def test_a_cursor_stays_valid_when_threads_are_added_before_it(graphql, emulator_factory):
    for n in range(3):
        emulator_factory.thread(title=f"old{n}")
    sort = {"field": "CREATED_AT", "direction": "DESC"}
    page1 = graphql(THREADS, sortBy=sort, first=2)["data"]["threads"]
    emulator_factory.thread(title="new")

    page2 = graphql(THREADS, sortBy=sort, first=2, after=page1["pageInfo"]["endCursor"])["data"][
        "threads"
    ]

    assert [e["node"]["title"] for e in page2["edges"]] == ["old0"]


def test_pages_default_to_25_items(graphql, emulator_factory):
    customer = emulator_factory.customer()
    for _ in range(26):
        emulator_factory.thread(customer_id=customer["id"])

    page = graphql(THREADS)["data"]["threads"]

    assert len(page["edges"]) == 25
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == 26


@pytest.mark.parametrize(
    "paging",
    [
        {"first": 101},
        {"last": 101},
        {"first": -1},
        {"first": 2, "before": "WyJ4Il0"},
        {"last": 2, "after": "WyJ4Il0"},
        {"first": 2, "after": "not a cursor!"},
    ],
)
def test_bad_paging_arguments_are_errors(graphql, emulator_factory, paging):
    emulator_factory.thread()

    body = graphql(THREADS, expect_errors=True, **paging)

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"] is None


def test_a_page_of_100_is_allowed(graphql, emulator_factory):
    emulator_factory.thread()

    body = graphql(THREADS, first=100)

    assert len(body["data"]["threads"]["edges"]) == 1


# --- timelines -----------------------------------------------------------------------------------

REPLY = f"""
mutation replyToThread($input: ReplyToThreadInput!) {{ replyToThread(input: $input) {{ {ERROR} }} }}
"""


def _reply(graphql, thread_id, text, *, as_customer=None, key="test-key", **extra):
    payload = {"threadId": thread_id, "textContent": text, **extra}
    if as_customer:
        payload["impersonation"] = {
            "asCustomer": {"customerIdentifier": {"customerId": as_customer}}
        }
    return graphql(REPLY, key=key, input=payload)["data"]["replyToThread"]


def test_a_timeline_pages_oldest_first_both_ways(graphql, emulator_factory):
    thread = emulator_factory.thread()
    for n in range(5):
        assert _reply(graphql, thread["id"], f"reply {n}")["error"] is None

    first = graphql(ENTRIES, threadId=thread["id"], first=4)
    rest = graphql(
        ENTRIES,
        threadId=thread["id"],
        first=4,
        after=first["data"]["thread"]["timelineEntries"]["pageInfo"]["endCursor"],
    )
    newest = graphql(ENTRIES, threadId=thread["id"], last=2)
    before = graphql(
        ENTRIES,
        threadId=thread["id"],
        last=2,
        before=newest["data"]["thread"]["timelineEntries"]["pageInfo"]["startCursor"],
    )

    def texts(body):
        return [n["entry"].get("text", n["entry"].get("title")) for n in _entries(body)]

    assert texts(first) == ["Request 1", "reply 0", "reply 1", "reply 2"]
    assert texts(rest) == ["reply 3", "reply 4"]
    assert texts(newest) == ["reply 3", "reply 4"]
    assert newest["data"]["thread"]["timelineEntries"]["pageInfo"]["hasPreviousPage"] is True
    assert texts(before) == ["reply 1", "reply 2"]
    stamps = [int(n["timestamp"]["unixTimestamp"]) for n in _entries(first)]
    assert stamps == sorted(stamps)


def test_timeline_filters_by_entry_type(graphql, emulator_factory):
    thread = emulator_factory.thread()
    _reply(graphql, thread["id"], "hello")

    body = graphql(
        """query q($id: ID!) { thread(threadId: $id) {
             timelineEntries(filters: { entryTypes: [CHAT] }) {
               edges { node { entry { __typename } } }
             } } }""",
        id=thread["id"],
    )

    assert body["data"]["thread"]["timelineEntries"]["edges"] == [
        {"node": {"entry": {"__typename": "ChatEntry"}}}
    ]


def test_a_customer_reply_is_the_customers_and_reopens_a_done_thread(graphql, emulator_factory):
    thread = emulator_factory.thread()
    customer_id = thread["customer"]["id"]
    graphql(
        f"mutation m($id: ID!) {{ markThreadAsDone(input: {{ threadId: $id }}) {{ {ERROR} }} }}",
        id=thread["id"],
    )

    assert _reply(graphql, thread["id"], "Still broken", as_customer=customer_id)["error"] is None

    body = graphql(ENTRIES, threadId=thread["id"])
    entries = _entries(body)
    assert body["data"]["thread"]["status"] == "TODO"
    assert [e["entry"]["__typename"] for e in entries] == [
        "CustomEntry",
        "ThreadStatusTransitionedEntry",
        "ChatEntry",
        "ThreadStatusTransitionedEntry",
    ]
    assert entries[1]["entry"] == {
        "__typename": "ThreadStatusTransitionedEntry",
        "previousStatus": "TODO",
        "nextStatus": "DONE",
    }
    assert entries[2]["actor"]["__typename"] == "CustomerActor"
    assert entries[2]["actor"]["customerId"] == customer_id
    assert entries[3]["entry"]["nextStatus"] == "TODO"
    info = graphql(THREADS)["data"]["threads"]["edges"][0]["node"]
    assert info["lastInboundMessageInfo"]["messageSource"] == "CHAT"
    assert int(info["lastInboundMessageInfo"]["timestamp"]["unixTimestamp"]) == int(
        entries[2]["timestamp"]["unixTimestamp"]
    )


def test_a_reply_without_impersonation_is_the_machine_users_and_leaves_status(
    graphql, emulator_factory
):
    thread = emulator_factory.thread()
    graphql(
        f"mutation m($id: ID!) {{ markThreadAsDone(input: {{ threadId: $id }}) {{ {ERROR} }} }}",
        id=thread["id"],
    )

    _reply(graphql, thread["id"], "We fixed it")

    body = graphql(ENTRIES, threadId=thread["id"])
    assert body["data"]["thread"]["status"] == "DONE"
    assert _entries(body)[-1]["actor"]["__typename"] == "MachineUserActor"
    node = graphql(THREADS)["data"]["threads"]["edges"][0]["node"]
    assert node["lastOutboundMessageInfo"]["messageSource"] == "CHAT"
    assert node["lastInboundMessageInfo"] is None


def test_a_reply_with_empty_text_or_to_an_unknown_thread_is_refused(graphql, emulator_factory):
    thread = emulator_factory.thread()

    empty = _reply(graphql, thread["id"], " ")
    unknown = _reply(graphql, "th_01UNKNOWN", "hi")
    stranger = _reply(graphql, thread["id"], "hi", as_customer="c_01UNKNOWN")

    assert (empty["error"]["code"], empty["error"]["fields"][0]["type"]) == (
        "input_validation",
        "REQUIRED",
    )
    assert unknown["error"]["code"] == "not_found"
    assert stranger["error"]["code"] == "not_found"


def test_a_reply_to_an_internal_thread_cannot_be_sent(graphql, emulator_factory):
    thread = emulator_factory.thread(channel="INTERNAL")

    result = _reply(graphql, thread["id"], "hello")

    assert result["error"]["code"] == "cannot_reply_to_thread"


def test_status_moves_todo_done_todo_and_snoozed(graphql, emulator_factory):
    thread = emulator_factory.thread()

    def status(mutation, **extra):
        inputs = ", ".join(f"{k}: {v}" for k, v in {"threadId": "$id", **extra}.items())
        result = graphql(
            f"mutation m($id: ID!) {{ {mutation}(input: {{ {inputs} }}) "
            f"{{ thread {{ status }} {ERROR} }} }}",
            id=thread["id"],
        )["data"][mutation]
        assert result["error"] is None, result["error"]
        return result["thread"]["status"]

    assert status("markThreadAsDone") == "DONE"
    assert status("markThreadAsTodo") == "TODO"
    assert status("snoozeThread", durationSeconds=3600) == "SNOOZED"
    assert status("markThreadAsTodo") == "TODO"
    transitions = [
        (e["entry"]["previousStatus"], e["entry"]["nextStatus"])
        for e in _entries(graphql(ENTRIES, threadId=thread["id"]))
        if e["entry"]["__typename"] == "ThreadStatusTransitionedEntry"
    ]
    assert transitions == [
        ("TODO", "DONE"),
        ("DONE", "TODO"),
        ("TODO", "SNOOZED"),
        ("SNOOZED", "TODO"),
    ]


def test_a_snooze_ends_when_its_time_has_passed():
    now = [1_700_000_000.0]
    app = create_app(api_key="k", clock=lambda: now[0])
    state = app.state
    with state.transaction():
        customer, _ = state.customer_upsert(
            actor={"kind": "system", "id": "t"},
            identifier=CustomerRef(email="a@b.test"),
            on_create={"full_name": "A", "email": "a@b.test"},
            on_update={},
        )
        thread = state.thread_create(
            actor={"kind": "system", "id": "t"},
            customer=CustomerRef(customer_id=customer.id),
            title="x",
        )
        state.thread_status_change(
            actor={"kind": "system", "id": "t"},
            thread_id=thread.id,
            status="SNOOZED",
            duration_seconds=60,
        )
    now[0] += 59
    with state.transaction():
        state.snoozes_wake()
        assert state.threads[thread.id].status == "SNOOZED"
    now[0] += 2
    with state.transaction():
        state.snoozes_wake()
        assert state.threads[thread.id].status == "TODO"


def test_snoozing_needs_a_positive_duration(graphql, emulator_factory):
    thread = emulator_factory.thread()

    result = graphql(
        f"mutation m($id: ID!) {{ snoozeThread(input: {{ threadId: $id, durationSeconds: 0 }}) "
        f"{{ {ERROR} }} }}",
        id=thread["id"],
    )["data"]["snoozeThread"]

    assert result["error"]["code"] == "input_validation"


def test_an_email_thread_gets_email_replies_with_cc_and_bcc(graphql, emulator_control):
    ids = emulator_control.inbound_email(
        from_email="dana@acme.test", from_name="Dana", subject="Invoice", text="Where is it?"
    )

    _reply(
        graphql,
        ids["thread_id"],
        "Attached.",
        channelSpecificOptions={
            "email": {
                "additionalRecipients": [{"email": "cc@acme.test"}],
                "hiddenRecipients": [{"email": "finance@acme.test", "name": "Finance"}],
            }
        },
    )

    reply = _entries(graphql(ENTRIES, threadId=ids["thread_id"]))[-1]["entry"]
    assert reply["__typename"] == "EmailEntry"
    assert reply["subject"] == "Re: Invoice"
    assert reply["to"] == {"email": "dana@acme.test"}
    assert reply["additionalRecipients"] == [{"email": "cc@acme.test"}]
    assert reply["hiddenRecipients"] == [{"email": "finance@acme.test"}]


# --- the agent side ------------------------------------------------------------------------------


def test_agent_side_mutations_add_their_entries(graphql, emulator_factory):
    thread = emulator_factory.thread()
    customer_id = thread["customer"]["id"]
    label_type = graphql(
        'mutation { createLabelType(input: { name: "Billing" }) { labelType { id } } }'
    )["data"]["createLabelType"]["labelType"]

    results = graphql(
        f"""mutation m($thread: ID!, $customer: ID!, $label: ID!) {{
              sendChat(input: {{ threadId: $thread, customerId: $customer, text: "On it" }}) {{
                chat {{ id text }} {ERROR} }}
              createNote(input: {{
                threadId: $thread, customerId: $customer, text: "internal", markdown: "*internal*"
              }}) {{
                note {{ id customer {{ id }} }} {ERROR} }}
              changeThreadPriority(input: {{ threadId: $thread, priority: 0 }}) {{
                thread {{ priority }} {ERROR} }}
              addLabels(input: {{ threadId: $thread, labelTypeIds: [$label] }}) {{
                labels {{ id labelType {{ name }} }} {ERROR} }}
              createThreadEvent(input: {{
                threadId: $thread, title: "Deployed",
                components: [{{ componentText: {{ text: "v2" }} }}]
              }}) {{
                threadEvent {{ id title components {{ __typename }} }} {ERROR} }}
              createCustomerEvent(input: {{
                customerIdentifier: {{ customerId: $customer }}, title: "Signed in",
                components: [{{ componentSpacer: {{ spacerSize: S }} }}]
              }}) {{
                customerEvent {{ id }} {ERROR} }}
            }}""",
        thread=thread["id"],
        customer=customer_id,
        label=label_type["id"],
    )["data"]

    assert all(result["error"] is None for result in results.values()), results
    assert results["sendChat"]["chat"]["text"] == "On it"
    assert results["createNote"]["note"]["customer"]["id"] == customer_id
    assert results["changeThreadPriority"]["thread"]["priority"] == 0
    assert results["addLabels"]["labels"][0]["labelType"]["name"] == "Billing"
    assert results["createThreadEvent"]["threadEvent"]["components"] == [
        {"__typename": "ComponentText"}
    ]
    body = graphql(ENTRIES, threadId=thread["id"])
    assert _kinds(body) == [
        "CustomEntry",
        "ChatEntry",
        "NoteEntry",
        "ThreadPriorityChangedEntry",
        "ThreadLabelsChangedEntry",
        "ThreadEventEntry",
        "CustomerEventEntry",
    ]
    entries = _entries(body)
    assert entries[2]["entry"] == {
        "__typename": "NoteEntry",
        "noteId": entries[2]["entry"]["noteId"],
        "noteText": "internal",
        "markdown": "*internal*",
    }
    assert entries[3]["entry"] == {
        "__typename": "ThreadPriorityChangedEntry",
        "previousPriority": 2,
        "nextPriority": 0,
    }
    assert entries[4]["entry"]["nextLabels"] == [{"labelType": {"name": "Billing"}}]
    assert entries[5]["entry"]["customerId"] == customer_id


def test_adding_a_label_twice_or_an_archived_one_is_refused(
    graphql, emulator_app, emulator_factory
):
    thread = emulator_factory.thread()
    label_type = graphql(
        'mutation { createLabelType(input: { name: "Bug" }) { labelType { id } } }'
    )["data"]["createLabelType"]["labelType"]
    add = (
        "mutation m($t: ID!, $l: ID!) { addLabels(input: { threadId: $t, labelTypeIds: [$l] }) "
        f"{{ {ERROR} }} }}"
    )
    graphql(add, t=thread["id"], l=label_type["id"])

    twice = graphql(add, t=thread["id"], l=label_type["id"])["data"]["addLabels"]
    with emulator_app.state.transaction() as state:
        archived = state.label_type_create(actor={"kind": "system", "id": "t"}, name="Old")
        state.label_type_archive(actor={"kind": "system", "id": "t"}, label_type_id=archived.id)
    old = graphql(add, t=thread["id"], l=archived.id)["data"]["addLabels"]

    assert twice["error"]["code"] == "label_with_given_type_already_added_to_thread"
    assert old["error"]["code"] == "cannot_add_label_using_archived_label_type"


def test_change_priority_outside_0_to_3_is_an_input_validation_error(graphql, emulator_factory):
    thread = emulator_factory.thread()

    result = graphql(
        "mutation m($t: ID!) { changeThreadPriority(input: { threadId: $t, priority: 9 }) "
        f"{{ {ERROR} }} }}",
        t=thread["id"],
    )["data"]["changeThreadPriority"]

    assert result["error"]["code"] == "input_validation"
    assert result["error"]["fields"] == [
        {"field": "priority", "message": "priority must be 0, 1, 2 or 3", "type": "VALIDATION"}
    ]


def test_label_types_and_thread_field_schemas_are_listed_and_used(graphql, emulator_factory):
    created = graphql(
        f"""mutation {{
              createThreadFieldSchema(input: {{
                label: "Product area", key: "product_area", description: "", order: 1, type: ENUM,
                enumValues: ["billing", "api"], isRequired: false, isAiAutoFillEnabled: false
              }}) {{ threadFieldSchema {{ id key type enumValues }} {ERROR} }}
              createLabelType(input: {{ name: "Question", icon: "question" }}) {{
                labelType {{ id }} {ERROR} }}
            }}"""
    )["data"]
    thread = emulator_factory.thread(
        threadFields=[{"key": "product_area", "type": "ENUM", "stringValue": "api"}]
    )
    bad = graphql(
        CREATE_THREAD,
        input={
            "customerIdentifier": {"customerId": thread["customer"]["id"]},
            "title": "x",
            "threadFields": [{"key": "product_area", "type": "ENUM", "stringValue": "hardware"}],
        },
    )["data"]["createThread"]

    body = graphql(
        """query q($id: ID!) {
             labelTypes(first: 10) { edges { node { name icon isArchived } } }
             threadFieldSchemas { edges { node { key label } } }
             thread(threadId: $id) { threadFields { key type stringValue threadId } }
           }""",
        id=thread["id"],
    )["data"]

    assert created["createThreadFieldSchema"]["threadFieldSchema"]["id"].startswith("tfs_")
    assert body["labelTypes"]["edges"] == [
        {"node": {"name": "Question", "icon": "question", "isArchived": False}}
    ]
    assert body["threadFieldSchemas"]["edges"] == [
        {"node": {"key": "product_area", "label": "Product area"}}
    ]
    assert body["thread"]["threadFields"] == [
        {"key": "product_area", "type": "ENUM", "stringValue": "api", "threadId": thread["id"]}
    ]
    assert bad["error"]["code"] == "input_validation"


def test_an_agent_key_acts_as_that_human_agent(graphql, emulator_control, emulator_factory):
    key = emulator_control.add_agent(full_name="Sam Agent", public_name="Sam")
    thread = emulator_factory.thread()

    _reply(graphql, thread["id"], "Hi, Sam here", key=key)
    me = graphql("{ myUser { fullName publicName } myMachineUser { id } }", key=key)

    actor = _entries(graphql(ENTRIES, threadId=thread["id"]))[-1]["actor"]
    assert actor["__typename"] == "UserActor"
    assert actor["user"] == {"fullName": "Sam Agent", "publicName": "Sam"}
    assert me["data"] == {
        "myUser": {"fullName": "Sam Agent", "publicName": "Sam"},
        "myMachineUser": None,
    }


def test_a_100_entry_page_and_a_25_thread_page_answer_quickly(
    graphql, emulator_app, emulator_factory
):
    import time

    thread = emulator_factory.thread()
    with emulator_app.state.transaction() as state:
        for n in range(120):
            state.chat_send(
                actor={"kind": "system", "id": "t"},
                thread_id=thread["id"],
                customer_id=thread["customer"]["id"],
                text=f"message {n}",
            )
        customer = thread["customer"]["id"]
        for n in range(300):
            state.thread_create(
                actor={"kind": "system", "id": "t"},
                customer=CustomerRef(customer_id=customer),
                title=f"bulk {n}",
                components=[{"componentText": {"text": "x"}}],
            )
    graphql(ENTRIES, threadId=thread["id"], last=100)  # warm the document cache
    graphql(THREADS, first=25)

    started = time.perf_counter()
    entries = graphql(ENTRIES, threadId=thread["id"], last=100)
    threads = graphql(THREADS, first=25)
    elapsed = time.perf_counter() - started

    assert len(_entries(entries)) == 100
    assert len(threads["data"]["threads"]["edges"]) == 25
    # Generous bound (CI machines vary); it only catches accidental quadratic work.
    assert elapsed < 1.0
