"""Threads in the emulator: status details, participants, tenant changes, thread field deletion,
and the domain events of those writes. Raw GraphQL over httpx.WSGITransport."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from plain_gateway.emulator.families import SYSTEM
from plain_gateway.emulator.families.threads import SLA_BREACH_HOOK, THREAD_FILTER_HOOK, Threads
from plain_gateway.emulator.families.tiers import MemberRef
from plain_gateway.emulator.graph import iso

ERROR = "error { message type code fields { field message type } }"

DETAIL = """
statusDetail {
  __typename
  ... on ThreadStatusDetailCreated { statusChangedAt { iso8601 } createdAt { iso8601 } }
  ... on ThreadStatusDetailSnoozed { snoozedAt { iso8601 } snoozedUntil { iso8601 } }
  ... on ThreadStatusDetailUnsnoozed { snoozedAt { iso8601 } statusChangedAt { iso8601 } }
  ... on ThreadStatusDetailNewReply { statusChangedAt { iso8601 } }
  ... on ThreadStatusDetailWaitingForCustomer { statusChangedAt { iso8601 } }
  ... on ThreadStatusDetailWaitingForDuration { waitingUntil { iso8601 } }
  ... on ThreadStatusDetailInProgress { statusChangedAt { iso8601 } }
  ... on ThreadStatusDetailIgnored { statusChangedAt { iso8601 } }
  ... on ThreadStatusDetailDoneManuallySet { statusChangedAt { iso8601 } }
  ... on ThreadStatusDetailDoneAutomaticallySet { afterSeconds }
  ... on ThreadStatusDetailThreadLinkUpdated { linearIssueId }
  ... on ThreadStatusDetailThreadDiscussionResolved { threadDiscussionId }
}
"""

THREAD = f"""
query thread($id: ID!) {{
  thread(threadId: $id) {{
    id status createdAt {{ iso8601 }} statusChangedAt {{ iso8601 }} {DETAIL}
    tenant {{ id externalId }}
    threadFields {{ key stringValue }}
    timelineEntries(first: 100) {{ edges {{ node {{ entry {{
      __typename
      ... on ThreadStatusTransitionedEntry {{
        previousStatus nextStatus
        previousStatusDetail {{ __typename }} nextStatusDetail {{ __typename }}
      }}
    }} }} }} }}
  }}
}}
"""

PARTICIPANTS = """
query participants($id: ID!, $first: Int, $after: String) {
  thread(threadId: $id) {
    participants(first: $first, after: $after) {
      edges { cursor node {
        __typename
        ... on CustomerActor { customerId }
        ... on UserActor { userId }
        ... on MachineUserActor { machineUserId }
      } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

STATUS_MUTATIONS = {
    "DONE": ("markThreadAsDone", "MarkThreadAsDoneInput"),
    "TODO": ("markThreadAsTodo", "MarkThreadAsTodoInput"),
    "SNOOZED": ("snoozeThread", "SnoozeThreadInput"),
}


def _status(graphql, status, thread_id, **extra):
    name, input_type = STATUS_MUTATIONS[status]
    document = (
        f"mutation m($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ thread {{ id status {DETAIL} }} {ERROR} }} }}"
    )
    return graphql(document, input={"threadId": thread_id, **extra})["data"][name]


def _thread(graphql, thread_id) -> dict[str, Any]:
    return graphql(THREAD, id=thread_id)["data"]["thread"]


def _transitions(thread) -> list[tuple[str, str, str | None, str | None]]:
    found = []
    for edge in thread["timelineEntries"]["edges"]:
        entry = edge["node"]["entry"]
        if entry["__typename"] == "ThreadStatusTransitionedEntry":
            found.append(
                (
                    entry["previousStatus"],
                    entry["nextStatus"],
                    (entry["previousStatusDetail"] or {}).get("__typename"),
                    (entry["nextStatusDetail"] or {}).get("__typename"),
                )
            )
    return found


def _reply(graphql, thread_id, text="On it", **key):
    document = (
        f"mutation m($input: ReplyToThreadInput!) {{ replyToThread(input: $input) {{ {ERROR} }} }}"
    )
    result = graphql(document, input={"threadId": thread_id, "textContent": text}, **key)
    assert result["data"]["replyToThread"]["error"] is None
    return result


def _customer_chat(graphql, thread_id, customer_id, text="Any news?"):
    document = (
        "mutation m($input: SendCustomerChatInput!) "
        f"{{ sendCustomerChat(input: $input) {{ chat {{ id }} {ERROR} }} }}"
    )
    result = graphql(
        document, input={"threadId": thread_id, "customerId": customer_id, "text": text}
    )["data"]["sendCustomerChat"]
    assert result["error"] is None, result["error"]


@pytest.fixture
def recorded(emulator_app):
    events: list[Any] = []
    emulator_app.state.store.subscribe("*", events.append)
    return events


# --- status details ---------------------------------------------------------------------------


def test_a_new_thread_is_created_with_its_creation_time(graphql, emulator_factory):
    thread = _thread(graphql, emulator_factory.thread()["id"])

    detail = thread["statusDetail"]
    assert detail["__typename"] == "ThreadStatusDetailCreated"
    assert detail["createdAt"] == thread["createdAt"]
    assert detail["statusChangedAt"] == thread["statusChangedAt"]


def test_done_defaults_to_manually_set_and_takes_ignored_or_automatic(graphql, emulator_factory):
    thread_id = emulator_factory.thread()["id"]
    assert _status(graphql, "DONE", thread_id)["thread"]["statusDetail"]["__typename"] == (
        "ThreadStatusDetailDoneManuallySet"
    )
    ignored = _status(graphql, "DONE", thread_id, statusDetail="IGNORED")["thread"]
    assert ignored["statusDetail"]["__typename"] == "ThreadStatusDetailIgnored"
    automatic = _status(graphql, "DONE", thread_id, statusDetail="TIMER_EXPIRED")["thread"]
    assert automatic["statusDetail"] == {
        "__typename": "ThreadStatusDetailDoneAutomaticallySet",
        "afterSeconds": None,
    }
    # Only the first call changed the status: one transition, Created -> DoneManuallySet.
    assert _transitions(_thread(graphql, thread_id)) == [
        ("TODO", "DONE", "ThreadStatusDetailCreated", "ThreadStatusDetailDoneManuallySet")
    ]


@pytest.mark.parametrize(
    ("detail", "typename"),
    [
        (None, "ThreadStatusDetailInProgress"),
        ("IN_PROGRESS", "ThreadStatusDetailInProgress"),
        ("NEW_REPLY", "ThreadStatusDetailNewReply"),
        ("CREATED", "ThreadStatusDetailCreated"),
        ("THREAD_LINK_UPDATED", "ThreadStatusDetailThreadLinkUpdated"),
        ("THREAD_DISCUSSION_RESOLVED", "ThreadStatusDetailThreadDiscussionResolved"),
    ],
)
def test_todo_sets_the_detail_it_is_given(graphql, emulator_factory, detail, typename):
    thread_id = emulator_factory.thread()["id"]
    _status(graphql, "DONE", thread_id)
    extra = {"statusDetail": detail} if detail else {}

    result = _status(graphql, "TODO", thread_id, **extra)

    assert result["error"] is None
    assert result["thread"]["statusDetail"]["__typename"] == typename


def test_todo_on_a_todo_thread_without_a_detail_keeps_the_detail(graphql, emulator_factory):
    thread_id = emulator_factory.thread()["id"]
    result = _status(graphql, "TODO", thread_id)
    assert result["thread"]["statusDetail"]["__typename"] == "ThreadStatusDetailCreated"


def test_snooze_without_a_detail_is_snoozed_until_the_duration(graphql, emulator_factory):
    thread_id = emulator_factory.thread()["id"]
    result = _status(graphql, "SNOOZED", thread_id, durationSeconds=3600)
    detail = result["thread"]["statusDetail"]
    assert detail["__typename"] == "ThreadStatusDetailSnoozed"
    until = _iso_ms(detail["snoozedUntil"]["iso8601"]) - _iso_ms(detail["snoozedAt"]["iso8601"])
    assert 3_599_000 <= until <= 3_601_000


def test_snooze_waiting_for_duration_and_for_customer(graphql, emulator_factory):
    thread_id = emulator_factory.thread()["id"]
    waiting = _status(
        graphql, "SNOOZED", thread_id, durationSeconds=60, statusDetail="WAITING_FOR_DURATION"
    )
    assert waiting["thread"]["statusDetail"]["__typename"] == (
        "ThreadStatusDetailWaitingForDuration"
    )
    assert waiting["thread"]["statusDetail"]["waitingUntil"]["iso8601"]
    # Waiting for the customer needs no duration.
    customer = _status(graphql, "SNOOZED", thread_id, statusDetail="WAITING_FOR_CUSTOMER")
    assert customer["error"] is None
    assert customer["thread"]["statusDetail"]["__typename"] == (
        "ThreadStatusDetailWaitingForCustomer"
    )


def test_snooze_waiting_for_duration_needs_the_duration(graphql, emulator_factory):
    thread_id = emulator_factory.thread()["id"]
    result = _status(graphql, "SNOOZED", thread_id, statusDetail="WAITING_FOR_DURATION")
    assert result["thread"] is None
    assert result["error"]["code"] == "input_validation"
    assert [f["field"] for f in result["error"]["fields"]] == ["durationSeconds"]
    assert result["error"]["fields"][0]["type"] == "REQUIRED"


def test_a_status_change_on_an_unknown_thread_is_not_found(graphql):
    result = _status(graphql, "DONE", "th_missing", statusDetail="IGNORED")
    assert result["error"]["code"] == "not_found"
    assert [f["field"] for f in result["error"]["fields"]] == ["threadId"]


def test_a_snooze_that_runs_out_is_unsnoozed(emulator_app, graphql, emulator_factory):
    thread_id = emulator_factory.thread()["id"]
    _status(graphql, "SNOOZED", thread_id, durationSeconds=60)
    state = emulator_app.state
    with state.transaction():
        state.clock_shift(offset_ms=61_000)
        state.family(Threads).snoozes_wake()

    thread = _thread(graphql, thread_id)

    assert thread["status"] == "TODO"
    assert thread["statusDetail"]["__typename"] == "ThreadStatusDetailUnsnoozed"
    assert _transitions(thread)[-1] == (
        "SNOOZED",
        "TODO",
        "ThreadStatusDetailSnoozed",
        "ThreadStatusDetailUnsnoozed",
    )


@pytest.mark.parametrize("status", ["DONE", "SNOOZED"])
def test_a_customer_message_on_a_done_or_snoozed_thread_is_a_new_reply(
    graphql, emulator_factory, status
):
    thread = emulator_factory.thread()
    _status(
        graphql, status, thread["id"], **({"durationSeconds": 600} if status == "SNOOZED" else {})
    )

    _customer_chat(graphql, thread["id"], thread["customer"]["id"])

    found = _thread(graphql, thread["id"])
    assert found["status"] == "TODO"
    assert found["statusDetail"]["__typename"] == "ThreadStatusDetailNewReply"
    previous, following, _, detail = _transitions(found)[-1]
    assert (previous, following, detail) == (status, "TODO", "ThreadStatusDetailNewReply")


def test_an_agent_reply_waits_for_the_customer_and_their_answer_is_a_new_reply(
    graphql, emulator_factory
):
    thread = emulator_factory.thread()
    _reply(graphql, thread["id"])
    waiting = _thread(graphql, thread["id"])
    # The status stays as it was; only the detail says it waits.
    assert waiting["status"] == "TODO"
    assert waiting["statusDetail"]["__typename"] == "ThreadStatusDetailWaitingForCustomer"

    _customer_chat(graphql, thread["id"], thread["customer"]["id"])

    assert _thread(graphql, thread["id"])["statusDetail"]["__typename"] == (
        "ThreadStatusDetailNewReply"
    )


def test_an_agent_reply_on_a_done_thread_keeps_its_detail(graphql, emulator_factory):
    thread = emulator_factory.thread()
    _status(graphql, "DONE", thread["id"], statusDetail="IGNORED")
    _reply(graphql, thread["id"])
    found = _thread(graphql, thread["id"])
    assert (found["status"], found["statusDetail"]["__typename"]) == (
        "DONE",
        "ThreadStatusDetailIgnored",
    )


# --- participants -----------------------------------------------------------------------------


def test_participants_are_the_customer_then_writers_in_first_appearance_order(
    graphql, emulator_factory, emulator_control
):
    thread = emulator_factory.thread()
    agent_key = emulator_control.add_agent(full_name="Ada", public_name="Ada")
    _reply(graphql, thread["id"], key=agent_key)
    _reply(graphql, thread["id"])  # the emulator's own key: a machine user
    _reply(graphql, thread["id"], key=agent_key)  # seen already
    _customer_chat(graphql, thread["id"], thread["customer"]["id"])

    edges = graphql(PARTICIPANTS, id=thread["id"], first=10)["data"]["thread"]["participants"][
        "edges"
    ]
    kinds = [e["node"]["__typename"] for e in edges]

    # The emulator's key created the thread (its custom entry), so the machine user wrote first.
    assert kinds == ["CustomerActor", "MachineUserActor", "UserActor"]
    assert edges[0]["node"]["customerId"] == thread["customer"]["id"]


def test_participants_page(graphql, emulator_factory, emulator_control):
    thread = emulator_factory.thread()
    for name in ("Ada", "Bob", "Cy"):
        _reply(
            graphql, thread["id"], key=emulator_control.add_agent(full_name=name, public_name=name)
        )

    first = graphql(PARTICIPANTS, id=thread["id"], first=2)["data"]["thread"]["participants"]
    rest = graphql(PARTICIPANTS, id=thread["id"], first=10, after=first["pageInfo"]["endCursor"])[
        "data"
    ]["thread"]["participants"]

    assert first["pageInfo"]["hasNextPage"] is True
    assert len(first["edges"]) == 2
    assert [e["node"]["__typename"] for e in rest["edges"]] == ["UserActor"] * 3
    assert rest["pageInfo"]["hasNextPage"] is False


# --- updateThreadTenant ------------------------------------------------------------------------

UPDATE_TENANT = f"""
mutation m($input: UpdateThreadTenantInput!) {{
  updateThreadTenant(input: $input) {{ thread {{ id tenant {{ externalId }} }} {ERROR} }}
}}
"""


def test_update_thread_tenant_sets_and_clears_it_and_emits(graphql, emulator_factory, recorded):
    acme = emulator_factory.tenant(external_id="acme")
    other = emulator_factory.tenant(external_id="other")
    customer = emulator_factory.customer(tenants=["acme", "other"])
    thread = emulator_factory.thread(customer_id=customer["id"], tenant="acme")

    recorded.clear()
    moved = graphql(
        UPDATE_TENANT,
        input={"threadId": thread["id"], "tenantIdentifier": {"tenantId": other["id"]}},
    )["data"]["updateThreadTenant"]
    assert moved["error"] is None
    assert moved["thread"]["tenant"] == {"externalId": "other"}
    assert [(e.name, e.payload) for e in recorded] == [
        (
            "thread.thread_tenant_updated",
            {"thread_id": thread["id"], "previous_tenant_id": acme["id"], "tenant_id": other["id"]},
        )
    ]
    listed = graphql(
        "query q($t: [TenantIdentifierInput!]) { threads(filters: { tenantIdentifiers: $t }) "
        "{ edges { node { id } } } }",
        t=[{"externalId": "other"}],
    )["data"]["threads"]["edges"]
    assert [e["node"]["id"] for e in listed] == [thread["id"]]

    recorded.clear()
    cleared = graphql(UPDATE_TENANT, input={"threadId": thread["id"], "tenantIdentifier": None})
    assert cleared["data"]["updateThreadTenant"]["thread"]["tenant"] is None
    assert [(e.name, e.payload) for e in recorded] == [
        (
            "thread.thread_tenant_updated",
            {"thread_id": thread["id"], "previous_tenant_id": other["id"], "tenant_id": None},
        )
    ]

    recorded.clear()
    again = graphql(UPDATE_TENANT, input={"threadId": thread["id"]})["data"]["updateThreadTenant"]
    assert again["error"] is None
    assert recorded == []


def test_update_thread_tenant_refuses_a_tenant_the_customer_is_not_in(
    graphql, emulator_factory, recorded
):
    emulator_factory.tenant(external_id="acme")
    thread = emulator_factory.thread()
    recorded.clear()

    result = graphql(
        UPDATE_TENANT, input={"threadId": thread["id"], "tenantIdentifier": {"externalId": "acme"}}
    )["data"]["updateThreadTenant"]

    assert result["thread"] is None
    assert result["error"]["code"] == "input_validation"
    assert [f["field"] for f in result["error"]["fields"]] == ["tenantIdentifier"]
    assert recorded == []


@pytest.mark.parametrize(
    ("thread_id", "tenant", "field"),
    [
        ("th_missing", None, "threadId"),
        (None, {"externalId": "nope"}, "tenantIdentifier"),
    ],
)
def test_update_thread_tenant_not_found(graphql, emulator_factory, thread_id, tenant, field):
    thread_id = thread_id or emulator_factory.thread()["id"]
    result = graphql(UPDATE_TENANT, input={"threadId": thread_id, "tenantIdentifier": tenant})
    error = result["data"]["updateThreadTenant"]["error"]
    assert error["code"] == "not_found"
    assert [f["field"] for f in error["fields"]] == [field]


# --- deleteThreadField -------------------------------------------------------------------------

DELETE_FIELD = f"""
mutation m($input: DeleteThreadFieldInput!) {{ deleteThreadField(input: $input) {{ {ERROR} }} }}
"""


@pytest.fixture
def field_schema(emulator_app):
    state = emulator_app.state
    with state.transaction():
        state.thread_field_schema_create(actor=SYSTEM, label="Env", key="env", type="STRING")


def test_delete_thread_field_removes_the_value_and_emits(
    graphql, emulator_factory, field_schema, recorded
):
    thread = emulator_factory.thread(
        threadFields=[{"key": "env", "type": "STRING", "stringValue": "prod"}]
    )
    recorded.clear()

    result = graphql(DELETE_FIELD, input={"identifier": {"threadId": thread["id"], "key": "env"}})

    assert result["data"]["deleteThreadField"]["error"] is None
    assert _thread(graphql, thread["id"])["threadFields"] == []
    ((name, payload),) = [(e.name, e.payload) for e in recorded]
    assert name == "thread.thread_field_deleted"
    assert payload["thread_id"] == thread["id"]
    assert payload["key"] == "env"
    assert payload["previous"]["string_value"] == "prod"


@pytest.mark.parametrize(
    ("thread", "key", "field"),
    [(False, "env", "identifier.threadId"), (True, "nope", "identifier.key")],
)
def test_delete_thread_field_not_found(
    graphql, emulator_factory, field_schema, recorded, thread, key, field
):
    thread_id = emulator_factory.thread()["id"] if thread else "th_missing"
    recorded.clear()
    result = graphql(DELETE_FIELD, input={"identifier": {"threadId": thread_id, "key": key}})
    error = result["data"]["deleteThreadField"]["error"]
    assert error["code"] == "not_found"
    assert [f["field"] for f in error["fields"]] == [field]
    assert recorded == []


def _iso_ms(moment: str) -> int:
    return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp() * 1000)


# --- threads: sorting -------------------------------------------------------------------------

LIST = """
query q($filters: ThreadsFilter, $sortBy: ThreadsSort, $first: Int, $after: String) {
  threads(filters: $filters, sortBy: $sortBy, first: $first, after: $after) {
    edges { node { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _ids(graphql, **variables) -> list[str]:
    edges = graphql(LIST, **variables)["data"]["threads"]["edges"]
    return [e["node"]["id"] for e in edges]


def _sorted(graphql, field, direction, **extra) -> list[str]:
    return _ids(graphql, sortBy={"field": field, "direction": direction, **extra})


@pytest.fixture
def three(graphql, emulator_factory, emulator_app):
    """Threads a, b, c created in that order; their other sort values deliberately disagree."""
    state = emulator_app.state
    with state.transaction():
        state.thread_field_schema_create(actor=SYSTEM, label="Env", key="env", type="STRING")
        state.thread_field_schema_create(actor=SYSTEM, label="Seats", key="seats", type="NUMBER")
    a = emulator_factory.thread(
        priority=3, threadFields=[{"key": "seats", "type": "NUMBER", "numberValue": 50}]
    )
    b = emulator_factory.thread(
        priority=0, threadFields=[{"key": "env", "type": "STRING", "stringValue": "prod"}]
    )
    c = emulator_factory.thread(
        priority=1,
        threadFields=[
            {"key": "env", "type": "STRING", "stringValue": "dev"},
            {"key": "seats", "type": "NUMBER", "numberValue": 5},
        ],
    )
    _customer_chat(graphql, b["id"], b["customer"]["id"])  # b: the only inbound message
    _status(graphql, "DONE", a["id"])  # a: the latest status change
    return {"a": a["id"], "b": b["id"], "c": c["id"]}


@pytest.mark.parametrize(
    ("field", "extra", "ascending"),
    [
        ("CREATED_AT", {}, "abc"),
        ("STATUS_CHANGED_AT", {}, "bca"),
        ("PRIORITY", {}, "bca"),
    ],
)
def test_threads_sort_both_ways(graphql, three, field, extra, ascending):
    expected = [three[name] for name in ascending]
    assert _sorted(graphql, field, "ASC", **extra) == expected
    assert _sorted(graphql, field, "DESC", **extra) == expected[::-1]


def test_threads_sort_by_last_inbound_message(graphql, three):
    assert _sorted(graphql, "LAST_INBOUND_MESSAGE_AT", "DESC")[0] == three["b"]
    assert _sorted(graphql, "LAST_INBOUND_MESSAGE_AT", "ASC")[-1] == three["b"]


def test_threads_without_the_sort_field_come_last_both_ways(graphql, three):
    # env: b "prod", c "dev", a has none.
    assert _sorted(graphql, "THREAD_FIELD", "ASC", threadFieldKey="env") == [
        three["c"],
        three["b"],
        three["a"],
    ]
    assert _sorted(graphql, "THREAD_FIELD", "DESC", threadFieldKey="env") == [
        three["b"],
        three["c"],
        three["a"],
    ]
    # seats (a number): a 50, c 5, b has none.
    assert _sorted(graphql, "THREAD_FIELD", "ASC", threadFieldKey="seats") == [
        three["c"],
        three["a"],
        three["b"],
    ]
    assert _sorted(graphql, "THREAD_FIELD", "DESC", threadFieldKey="seats") == [
        three["a"],
        three["c"],
        three["b"],
    ]


def test_closest_to_breach_sorts_by_the_breach_time_another_family_provides(
    graphql, three, emulator_app
):
    breaches = {three["a"]: 2_000, three["c"]: 1_000}  # b has no SLA
    emulator_app.state.store.provide(SLA_BREACH_HOOK, breaches.get)

    assert _sorted(graphql, "CLOSEST_TO_BREACH_SLA", "ASC") == [three["c"], three["a"], three["b"]]
    assert _sorted(graphql, "CLOSEST_TO_BREACH_SLA", "DESC") == [three["a"], three["c"], three["b"]]


def test_closest_to_breach_follows_the_tiers_slas(graphql, emulator_factory, emulator_app):
    state = emulator_app.state
    emulator_factory.tenant(external_id="gold-org")
    emulator_factory.tenant(external_id="silver-org")
    with state.transaction():
        gold_tenant = state.tenant_find(external_id="gold-org").id
        silver_tenant = state.tenant_find(external_id="silver-org").id
        gold = state.tier_create(
            actor=SYSTEM,
            name="Gold",
            external_id="gold",
            color="#ffd700",
            members=[MemberRef(tenant_id=gold_tenant)],
        )
        silver = state.tier_create(
            actor=SYSTEM,
            name="Silver",
            external_id="silver",
            color="#c0c0c0",
            members=[MemberRef(tenant_id=silver_tenant)],
        )
        state.sla_create(actor=SYSTEM, tier_id=gold.id, first_response_time_minutes=30)
        state.sla_create(actor=SYSTEM, tier_id=silver.id, first_response_time_minutes=240)
    slow = emulator_factory.thread(tenant="silver-org")["id"]
    untiered = emulator_factory.thread()["id"]
    fast = emulator_factory.thread(tenant="gold-org")["id"]
    answered = emulator_factory.thread(tenant="gold-org")["id"]
    _reply(graphql, answered)  # its first response is in: nothing left to breach

    assert _sorted(graphql, "CLOSEST_TO_BREACH_SLA", "ASC")[:2] == [fast, slow]
    assert _sorted(graphql, "CLOSEST_TO_BREACH_SLA", "DESC")[:2] == [slow, fast]
    assert set(_sorted(graphql, "CLOSEST_TO_BREACH_SLA", "ASC")[2:]) == {untiered, answered}


def test_closest_to_breach_without_any_sla_is_by_id(graphql, three):
    ids = sorted(three.values())
    assert _sorted(graphql, "CLOSEST_TO_BREACH_SLA", "ASC") == ids
    assert _sorted(graphql, "CLOSEST_TO_BREACH_SLA", "DESC") == ids[::-1]


def test_sorted_pages_continue_where_they_stopped(graphql, three):
    sort = {"field": "PRIORITY", "direction": "ASC"}
    first = graphql(LIST, sortBy=sort, first=2)["data"]["threads"]
    rest = graphql(LIST, sortBy=sort, first=2, after=first["pageInfo"]["endCursor"])["data"][
        "threads"
    ]
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == [
        three["b"],
        three["c"],
        three["a"],
    ]


@pytest.mark.parametrize(
    "sort",
    [
        {"field": "THREAD_FIELD", "direction": "ASC"},
        {"field": "THREAD_FIELD", "direction": "ASC", "threadFieldKey": "nope"},
    ],
)
def test_thread_field_sort_needs_a_known_key(graphql, three, sort):
    body = graphql(LIST, sortBy=sort, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- threads: filters -------------------------------------------------------------------------


def _filtered(graphql, **filters) -> set[str]:
    return set(_ids(graphql, filters=filters, first=100))


def test_filters_on_the_thread_itself(graphql, three, emulator_app):
    a, b, c = three["a"], three["b"], three["c"]
    state = emulator_app.state
    refs = {t.id: t.ref for t in state.threads.values()}
    assert _filtered(graphql, threadIds=[a, c]) == {a, c}
    assert _filtered(graphql, refs=[refs[b]]) == {b}
    assert _filtered(graphql, statuses=["DONE"]) == {a}
    assert _filtered(graphql, priorities=[0, 1]) == {b, c}
    assert _filtered(graphql, statusDetails=["DONE_MANUALLY_SET"]) == {a}
    assert _filtered(graphql, statusDetails=["CREATED"]) == {b, c}
    assert _filtered(graphql, messageSource=["API"]) == {a, b, c}
    assert _filtered(graphql, messageSource=["EMAIL"]) == set()
    assert _filtered(graphql, supportEmailAddresses=["support@emulator.plain.test"]) == set()
    customer_b = state.threads[b].customer_id
    assert _filtered(graphql, customerIds=[customer_b]) == {b}
    assert _filtered(graphql, participantIds=[customer_b]) == {b}


def test_filters_on_thread_fields(graphql, three):
    a, b, c = three["a"], three["b"], three["c"]
    assert _filtered(graphql, threadFields=[{"key": "env"}]) == {b, c}
    assert _filtered(graphql, threadFields=[{"key": "env", "stringValue": "prod"}]) == {b}
    # Two matches on one key are alternatives; on two keys both must hold.
    assert _filtered(
        graphql,
        threadFields=[{"key": "env", "stringValue": "prod"}, {"key": "env", "stringValue": "dev"}],
    ) == {b, c}
    assert _filtered(
        graphql, threadFields=[{"key": "env"}, {"key": "seats", "number": {"lte": 10}}]
    ) == {c}
    assert _filtered(graphql, threadFields=[{"key": "seats", "number": {"gte": 10}}]) == {a}
    assert _filtered(graphql, threadFields=[{"key": "seats", "number": {"value": 5}}]) == {c}


def test_datetime_filters_are_after_inclusive_before_exclusive(graphql, three, emulator_app):
    state = emulator_app.state
    created = {name: state.threads[i].created_at for name, i in three.items()}
    window = {"after": iso(created["b"]), "before": iso(created["c"])}
    assert _filtered(graphql, createdAt=window) == {three["b"]}
    assert _filtered(graphql, createdAt={"after": iso(created["c"])}) == {three["c"]}
    changed = state.threads[three["a"]].status_changed_at
    assert _filtered(graphql, statusChangedAt={"after": iso(changed)}) == {three["a"]}
    assert three["a"] in _filtered(graphql, updatedAt={"after": iso(changed)})
    body = graphql(LIST, filters={"createdAt": {"after": "yesterday"}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "createdAt.after" in body["errors"][0]["message"]


def test_filters_on_labels_and_tenants(graphql, emulator_factory, emulator_app):
    state = emulator_app.state
    with state.transaction():
        bug = state.label_type_create(actor=SYSTEM, name="Bug").id
    emulator_factory.tenant(external_id="acme")
    labelled = emulator_factory.thread(labelTypeIds=[bug])["id"]
    tenanted = emulator_factory.thread(tenant="acme")["id"]
    assert _filtered(graphql, labelTypeIds=[bug]) == {labelled}
    assert _filtered(graphql, tenantIdentifiers=[{"externalId": "acme"}]) == {tenanted}
    assert _filtered(graphql, tenantIdentifiers=[{"externalId": "unknown"}]) == set()


def test_and_or_not_combine_filters(graphql, three):
    a, b, c = three["a"], three["b"], three["c"]
    assert _filtered(graphql, **{"or": [{"threadIds": [a]}, {"priorities": [0]}]}) == {a, b}
    assert _filtered(graphql, **{"and": [{"priorities": [0, 1]}, {"threadIds": [b, a]}]}) == {b}
    assert _filtered(graphql, **{"not": {"statuses": ["DONE"]}}) == {b, c}
    assert _filtered(
        graphql, statuses=["TODO"], **{"not": {"or": [{"threadIds": [b]}, {"threadIds": [a]}]}}
    ) == {c}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("serviceLevelAgreements", {"statuses": ["BREACHED"]}),
        ("surveyResponse", {"hasResponse": True}),
    ],
)
def test_a_filter_no_family_provides_is_refused_loudly(graphql, three, name, value):
    body = graphql(LIST, filters={name: value}, expect_errors=True)
    (error,) = body["errors"]
    assert name in error["message"]
    assert "does not emulate" in error["message"]


def test_a_filter_another_family_provides_is_applied(graphql, three, emulator_app):
    def provider(name, value):
        if name != "agentStatus":
            return None
        return lambda thread: thread.id == three["c"]

    emulator_app.state.store.provide(THREAD_FILTER_HOOK, provider)

    assert _filtered(graphql, agentStatus={"statuses": ["HANDED_OFF"]}) == {three["c"]}
    body = graphql(LIST, filters={"tenantFields": [{"key": "k"}]}, expect_errors=True)
    assert "tenantFields" in body["errors"][0]["message"]


def test_tier_company_and_group_filters_come_from_their_families(graphql, emulator_factory):
    tenant = emulator_factory.tenant(external_id="acme")
    acme = emulator_factory.customer(email="ann@acme.test", tenants=["acme"])
    other = emulator_factory.customer(email="bob@globex.test")
    in_acme = emulator_factory.thread(customer_id=acme["id"], tenant="acme")["id"]
    elsewhere = emulator_factory.thread(customer_id=other["id"])["id"]
    created = graphql(
        "mutation m($t: CreateTierInput!, $g: CreateCustomerGroupInput!) {"
        f" createTier(input: $t) {{ tier {{ id }} {ERROR} }}"
        f" createCustomerGroup(input: $g) {{ customerGroup {{ id }} {ERROR} }} }}",
        t={
            "name": "Gold",
            "externalId": "gold",
            "color": "#ffcc00",
            "memberIdentifiers": [{"tenantId": tenant["id"]}],
        },
        g={"name": "VIP", "key": "vip", "color": "#000000"},
    )["data"]
    assert created["createTier"]["error"] is None
    group_id = created["createCustomerGroup"]["customerGroup"]["id"]
    added = graphql(
        "mutation m($i: AddCustomerToCustomerGroupsInput!) {"
        f" addCustomerToCustomerGroups(input: $i) {{ {ERROR} }} }}",
        i={
            "customerId": other["id"],
            "customerGroupIdentifiers": [{"customerGroupId": group_id}],
        },
    )["data"]["addCustomerToCustomerGroups"]
    assert added["error"] is None

    assert _filtered(graphql, tierIdentifiers=[{"externalId": "gold"}]) == {in_acme}
    assert _filtered(graphql, tierIdentifiers=[{"tierId": "ti_unknown"}]) == set()
    assert _filtered(graphql, companyIdentifiers=[{"companyDomainName": "acme.test"}]) == {in_acme}
    assert _filtered(graphql, companyIdentifiers=[{"companyDomainName": "globex.test"}]) == {
        elsewhere
    }
    assert _filtered(graphql, customerGroupIdentifiers=[{"customerGroupKey": "vip"}]) == {elsewhere}


def test_assignment_filters_come_from_the_assignment_family(graphql, three, emulator_control):
    agent_key = emulator_control.add_agent(full_name="Ada", public_name="Ada")
    me = graphql("{ myUser { id } }", key=agent_key)["data"]["myUser"]["id"]
    assigned = graphql(
        f"mutation m($input: AssignThreadInput!) {{ assignThread(input: $input) {{ {ERROR} }} }}",
        input={"threadId": three["c"], "userId": me},
    )["data"]["assignThread"]
    assert assigned["error"] is None

    assert _filtered(graphql, isAssigned=True) == {three["c"]}
    assert _filtered(graphql, isAssigned=False) == {three["a"], three["b"]}
    assert _filtered(graphql, assignedToUser=[me]) == {three["c"]}
    assert _filtered(graphql, assignedToUser=["u_nobody"]) == set()
