"""The emulator's domain events: each write emits what Plain's webhooks would say, after commit.

Every test subscribes to "*" on a fresh emulator's store, runs one GraphQL mutation (or control
call) over httpx.WSGITransport, and compares the exact list of events it delivered.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plain_gateway.emulator import EmulatorControl, create_app
from plain_gateway.emulator.families import SYSTEM
from plain_gateway.emulator.families.threads import Threads
from plain_gateway.emulator.store import Event

KEY = "test-key"
URL = "http://emulator.test/graphql/v1"
ERROR = "error { code fields { field } }"


class Recorder:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.events: list[Event] = []
        self.http = httpx.Client(transport=httpx.WSGITransport(app=app))
        app.state.store.subscribe("*", self.events.append)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.http.post(
            URL,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {KEY}"},
        ).json()
        assert "errors" not in body, body
        return body["data"]

    def run(self, query: str, **variables: Any) -> list[tuple[str, dict[str, Any]]]:
        """The events one document delivered, as (name, payload)."""
        self.events.clear()
        self.last = self.gql(query, **variables)
        return [(e.name, e.payload) for e in self.events]

    # --- data made before the event under test ---------------------------------------------

    def tenant(self, external_id: str = "acme", name: str = "Acme") -> str:
        data = self.gql(
            "mutation m($i: UpsertTenantInput!) { upsertTenant(input: $i) { tenant { id } } }",
            i={"identifier": {"externalId": external_id}, "externalId": external_id, "name": name},
        )
        return str(data["upsertTenant"]["tenant"]["id"])

    def customer(self, email: str = "ann@acme.test", tenants: tuple[str, ...] = ()) -> str:
        data = self.gql(UPSERT_CUSTOMER, i=_customer_input(email, tenants))
        return str(data["upsertCustomer"]["customer"]["id"])

    def thread(self, customer_id: str, **extra: Any) -> str:
        data = self.gql(CREATE_THREAD, i=_thread_input(customer_id, **extra))
        return str(data["createThread"]["thread"]["id"])

    def label_type(self, name: str = "Bug") -> str:
        data = self.gql(
            "mutation m($n: String!) { createLabelType(input: { name: $n }) { labelType { id } } }",
            n=name,
        )
        return str(data["createLabelType"]["labelType"]["id"])


UPSERT_CUSTOMER = (
    "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) "
    f"{{ result customer {{ id }} {ERROR} }} }}"
)
CREATE_THREAD = (
    "mutation m($i: CreateThreadInput!) { createThread(input: $i) "
    f"{{ thread {{ id }} {ERROR} }} }}"
)


def _customer_input(email: str, tenants: tuple[str, ...] = (), **on_update: Any) -> dict[str, Any]:
    return {
        "identifier": {"emailAddress": email},
        "onCreate": {
            "fullName": "Ann",
            "email": {"email": email, "isVerified": True},
            "tenantIdentifiers": [{"externalId": t} for t in tenants],
        },
        "onUpdate": on_update,
    }


def _thread_input(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "customerIdentifier": {"customerId": customer_id},
        "title": "Broken",
        "components": [{"componentText": {"text": "It broke."}}],
        **extra,
    }


@pytest.fixture
def rec() -> Recorder:
    return Recorder(create_app(api_key=KEY))


# --- tenants and customers ---------------------------------------------------------------------

UPSERT_TENANT = (
    "mutation m($i: UpsertTenantInput!) { upsertTenant(input: $i) "
    f"{{ result tenant {{ id }} {ERROR} }} }}"
)


def test_upsert_tenant_emits_created_then_updated_with_the_previous_name_and_nothing_for_noop(
    rec,
):
    tenant = {"identifier": {"externalId": "acme"}, "externalId": "acme", "name": "Acme"}

    created = rec.run(UPSERT_TENANT, i=tenant)
    tenant_id = rec.last["upsertTenant"]["tenant"]["id"]
    updated = rec.run(UPSERT_TENANT, i={**tenant, "name": "Acme Inc"})
    unchanged = rec.run(UPSERT_TENANT, i={**tenant, "name": "Acme Inc"})

    assert created == [("tenant.tenant_created", {"tenant_id": tenant_id})]
    assert updated == [
        ("tenant.tenant_updated", {"tenant_id": tenant_id, "previous": {"name": "Acme"}})
    ]
    assert unchanged == []


def test_upsert_customer_emits_created_and_each_tenant_joined(rec):
    tenant_id = rec.tenant()

    # A personal-mail address: a company domain would also create its company (companies tests).
    events = rec.run(UPSERT_CUSTOMER, i=_customer_input("ann@gmail.com", ("acme",)))

    customer_id = rec.last["upsertCustomer"]["customer"]["id"]
    assert events == [
        ("customer.customer_created", {"customer_id": customer_id}),
        ("tenant.customer_added", {"tenant_id": tenant_id, "customer_id": customer_id}),
    ]


def test_upsert_customer_update_carries_the_previous_values(rec):
    customer_id = rec.customer()

    events = rec.run(
        UPSERT_CUSTOMER, i=_customer_input("ann@acme.test", fullName={"value": "Ann B"})
    )

    assert events == [
        (
            "customer.customer_updated",
            {"customer_id": customer_id, "previous": {"full_name": "Ann"}},
        )
    ]


@pytest.mark.parametrize(
    ("mutation", "start", "expected"),
    [
        ("addCustomerToTenants", ("acme",), [("tenant.customer_added", "globex")]),
        ("removeCustomerFromTenants", ("acme", "globex"), [("tenant.customer_removed", "globex")]),
        (
            "setCustomerTenants",
            ("acme",),
            [("tenant.customer_added", "globex"), ("tenant.customer_removed", "acme")],
        ),
    ],
)
def test_tenant_membership_mutations_emit_one_event_per_tenant_changed(
    rec, mutation, start, expected
):
    tenants = {"acme": rec.tenant("acme"), "globex": rec.tenant("globex", "Globex")}
    customer_id = rec.customer(tenants=start)
    input_type = mutation[0].upper() + mutation[1:] + "Input"

    events = rec.run(
        f"mutation m($i: {input_type}!) {{ {mutation}(input: $i) {{ {ERROR} }} }}",
        i={
            "customerIdentifier": {"customerId": customer_id},
            "tenantIdentifiers": [{"externalId": "globex"}],
        },
    )

    assert events == [
        (name, {"tenant_id": tenants[t], "customer_id": customer_id}) for name, t in expected
    ]


# --- threads -----------------------------------------------------------------------------------


def test_create_thread_emits_thread_created_with_its_customer_and_tenant(rec):
    tenant_id = rec.tenant()
    customer_id = rec.customer(tenants=("acme",))

    events = rec.run(
        CREATE_THREAD,
        i=_thread_input(customer_id, tenantIdentifier={"externalId": "acme"}),
    )

    thread_id = rec.last["createThread"]["thread"]["id"]
    assert events == [
        (
            "thread.thread_created",
            {"thread_id": thread_id, "customer_id": customer_id, "tenant_id": tenant_id},
        )
    ]


def test_a_refused_mutation_emits_nothing_and_a_document_keeps_the_events_of_its_good_part(rec):
    customer_id = rec.customer()

    refused = rec.run(CREATE_THREAD, i=_thread_input(customer_id, priority=9))
    mixed = rec.run(
        "mutation m($good: CreateThreadInput!, $bad: CreateThreadInput!) {"
        f" a: createThread(input: $good) {{ thread {{ id }} {ERROR} }}"
        f" b: createThread(input: $bad) {{ thread {{ id }} {ERROR} }} }}",
        good=_thread_input(customer_id),
        bad=_thread_input(customer_id, title=""),
    )

    assert rec.last["b"]["error"]["code"] == "input_validation"
    assert refused == []
    assert [name for name, _ in mixed] == ["thread.thread_created"]
    assert mixed[0][1]["thread_id"] == rec.last["a"]["thread"]["id"]


@pytest.mark.parametrize("status", ["DONE", "SNOOZED"])
def test_status_mutations_emit_the_transition_with_the_previous_status(rec, status):
    thread_id = rec.thread(rec.customer())
    mutation, extra = (
        ("markThreadAsDone", "") if status == "DONE" else ("snoozeThread", ", durationSeconds: 60")
    )

    events = rec.run(
        f"mutation m($t: ID!) {{ {mutation}(input: {{ threadId: $t{extra} }}) {{ {ERROR} }} }}",
        t=thread_id,
    )

    assert events == [
        (
            "thread.thread_status_transitioned",
            {"thread_id": thread_id, "previous_status": "TODO", "status": status},
        )
    ]


def test_change_priority_emits_the_previous_priority_and_nothing_when_it_stays(rec):
    thread_id = rec.thread(rec.customer())
    change = (
        "mutation m($t: ID!, $p: Int!) { changeThreadPriority(input: { threadId: $t, priority: $p"
        f" }}) {{ {ERROR} }} }}"
    )

    changed = rec.run(change, t=thread_id, p=0)
    same = rec.run(change, t=thread_id, p=0)

    assert changed == [
        (
            "thread.thread_priority_changed",
            {"thread_id": thread_id, "previous_priority": 2, "priority": 0},
        )
    ]
    assert same == []


def test_update_title_emits_the_previous_title(rec):
    thread_id = rec.thread(rec.customer())

    events = rec.run(
        'mutation m($t: ID!) { updateThreadTitle(input: { threadId: $t, title: "New" })'
        f" {{ {ERROR} }} }}",
        t=thread_id,
    )

    assert events == [
        ("thread.thread_title_changed", {"thread_id": thread_id, "previous_title": "Broken"})
    ]


def test_add_and_remove_labels_emit_the_label_types_before_and_after(rec):
    thread_id = rec.thread(rec.customer())
    bug, urgent = rec.label_type("Bug"), rec.label_type("Urgent")

    added = rec.run(
        "mutation m($t: ID!, $l: [ID!]!) { addLabels(input: { threadId: $t, labelTypeIds: $l })"
        f" {{ labels {{ id }} {ERROR} }} }}",
        t=thread_id,
        l=[bug, urgent],
    )
    label_id = rec.last["addLabels"]["labels"][0]["id"]
    removed = rec.run(
        f"mutation m($l: [ID!]!) {{ removeLabels(input: {{ labelIds: $l }}) {{ {ERROR} }} }}",
        l=[label_id],
    )

    assert added == [
        (
            "thread.thread_labels_changed",
            {
                "thread_id": thread_id,
                "previous_label_type_ids": [],
                "label_type_ids": [bug, urgent],
            },
        )
    ]
    assert removed == [
        (
            "thread.thread_labels_changed",
            {
                "thread_id": thread_id,
                "previous_label_type_ids": [bug, urgent],
                "label_type_ids": [urgent],
            },
        )
    ]


def _entry_ids(rec: Recorder, thread_id: str) -> list[str]:
    threads = rec.app.state.family(Threads)
    return [entry.id for entry in threads.timeline(thread_id)]


def test_send_chat_emits_chat_sent_and_a_customer_chat_chat_received_and_the_reopening(rec):
    customer_id = rec.customer()
    thread_id = rec.thread(customer_id)
    rec.gql(
        "mutation m($t: ID!) { markThreadAsDone(input: { threadId: $t }) { error { code } } }",
        t=thread_id,
    )
    send = "mutation m($i: {kind}Input!) {{ {name}(input: $i) {{ chat {{ id }} {ERROR} }} }}"
    chat = {"threadId": thread_id, "customerId": customer_id, "text": "hi"}

    sent = rec.run(send.format(kind="SendChat", name="sendChat", ERROR=ERROR), i=chat)
    sent_chat = rec.last["sendChat"]["chat"]["id"]
    received = rec.run(
        send.format(kind="SendCustomerChat", name="sendCustomerChat", ERROR=ERROR), i=chat
    )
    received_chat = rec.last["sendCustomerChat"]["chat"]["id"]

    # The customer's chat is followed by the entry of the transition it caused.
    *_, sent_entry, received_entry, _transition_entry = _entry_ids(rec, thread_id)
    assert sent == [
        (
            "thread.chat_sent",
            {"thread_id": thread_id, "timeline_entry_id": sent_entry, "chat_id": sent_chat},
        )
    ]
    assert received == [
        (
            "thread.chat_received",
            {"thread_id": thread_id, "timeline_entry_id": received_entry, "chat_id": received_chat},
        ),
        (
            "thread.thread_status_transitioned",
            {"thread_id": thread_id, "previous_status": "DONE", "status": "TODO"},
        ),
    ]


def test_reply_on_an_email_thread_emits_email_sent(rec):
    control = EmulatorControl(url=URL, api_key=KEY, transport=httpx.WSGITransport(app=rec.app))
    delivered = control.inbound_email(from_email="ann@acme.test", subject="Help", text="Please")

    events = rec.run(
        'mutation m($t: ID!) { replyToThread(input: { threadId: $t, textContent: "On it" })'
        f" {{ {ERROR} }} }}",
        t=delivered["thread_id"],
    )

    entry = rec.app.state.family(Threads).timeline(delivered["thread_id"])[-1]
    assert events == [
        (
            "thread.email_sent",
            {
                "thread_id": delivered["thread_id"],
                "timeline_entry_id": entry.id,
                "email_id": entry.data["email_id"],
            },
        )
    ]


def test_an_inbound_email_from_a_stranger_emits_customer_thread_and_email(rec):
    control = EmulatorControl(url=URL, api_key=KEY, transport=httpx.WSGITransport(app=rec.app))
    rec.events.clear()

    # A personal-mail address: a company domain would also create its company (companies tests).
    delivered = control.inbound_email(from_email="new@gmail.com", subject="Hi", text="Hello")

    assert [(e.name, e.payload) for e in rec.events] == [
        ("customer.customer_created", {"customer_id": delivered["customer_id"]}),
        (
            "thread.thread_created",
            {
                "thread_id": delivered["thread_id"],
                "customer_id": delivered["customer_id"],
                "tenant_id": None,
            },
        ),
        (
            "thread.email_received",
            {
                "thread_id": delivered["thread_id"],
                "timeline_entry_id": delivered["timeline_entry_id"],
                "email_id": delivered["email_id"],
            },
        ),
    ]


def test_create_note_emits_note_created(rec):
    customer_id = rec.customer()
    thread_id = rec.thread(customer_id)

    events = rec.run(
        f"mutation m($i: CreateNoteInput!) {{ createNote(input: $i) {{ note {{ id }} {ERROR} }} }}",
        i={"threadId": thread_id, "customerId": customer_id, "text": "internal"},
    )

    (entry_id,) = _entry_ids(rec, thread_id)[-1:]
    assert events == [
        (
            "thread.note_created",
            {
                "thread_id": thread_id,
                "timeline_entry_id": entry_id,
                "note_id": rec.last["createNote"]["note"]["id"],
            },
        )
    ]


# --- labels and thread fields ------------------------------------------------------------------


def test_create_label_type_emits_it_and_archiving_it_emits_after_commit(rec):
    created = rec.run(
        f'mutation {{ createLabelType(input: {{ name: "Bug" }}) {{ labelType {{ id }} {ERROR} }} }}'
    )
    label_type_id = rec.last["createLabelType"]["labelType"]["id"]
    rec.events.clear()
    with rec.app.state.transaction() as state:
        state.label_type_archive(actor=SYSTEM, label_type_id=label_type_id)
        during = list(rec.events)

    assert created == [("label_type.label_type_created", {"label_type_id": label_type_id})]
    assert during == []
    assert [(e.name, e.payload) for e in rec.events] == [
        ("label_type.label_type_archived", {"label_type_id": label_type_id})
    ]


def test_thread_field_schema_and_values_emit_created_updated_and_nothing_for_noop(rec):
    thread_id = rec.thread(rec.customer())
    schema = rec.run(
        "mutation m($i: CreateThreadFieldSchemaInput!) { createThreadFieldSchema(input: $i)"
        f" {{ threadFieldSchema {{ id }} {ERROR} }} }}",
        i={
            "label": "Area",
            "key": "area",
            "type": "STRING",
            "description": "",
            "order": 0,
            "enumValues": [],
            "isRequired": False,
            "isAiAutoFillEnabled": False,
        },
    )
    schema_id = rec.last["createThreadFieldSchema"]["threadFieldSchema"]["id"]
    upsert = (
        "mutation m($i: UpsertThreadFieldInput!) { upsertThreadField(input: $i)"
        f" {{ result threadField {{ id }} {ERROR} }} }}"
    )

    def value(text: str) -> dict[str, Any]:
        return {
            "identifier": {"threadId": thread_id, "key": "area"},
            "type": "STRING",
            "stringValue": text,
        }

    created = rec.run(upsert, i=value("billing"))
    field_id = rec.last["upsertThreadField"]["threadField"]["id"]
    updated = rec.run(upsert, i=value("api"))
    unchanged = rec.run(upsert, i=value("api"))

    assert schema == [("thread_field_schema.thread_field_schema_created", {"schema_id": schema_id})]
    ids = {"thread_id": thread_id, "thread_field_id": field_id, "key": "area"}
    assert created == [("thread.thread_field_created", ids)]
    previous = {
        "key": "area",
        "type": "STRING",
        "string_value": "billing",
        "boolean_value": None,
        "number_value": None,
        "date_value": None,
    }
    assert updated == [("thread.thread_field_updated", {**ids, "previous": previous})]
    assert unchanged == []


# --- thread and customer events ----------------------------------------------------------------


def test_thread_and_customer_events_emit_their_ids_and_the_threads_they_reached(rec):
    customer_id = rec.customer()
    first, second = rec.thread(customer_id), rec.thread(customer_id)
    components = [{"componentText": {"text": "Logged in"}}]

    thread_event = rec.run(
        "mutation m($i: CreateThreadEventInput!) { createThreadEvent(input: $i)"
        f" {{ threadEvent {{ id }} {ERROR} }} }}",
        i={"threadId": first, "title": "Login", "components": components},
    )
    thread_event_id = rec.last["createThreadEvent"]["threadEvent"]["id"]
    (first_entry,) = _entry_ids(rec, first)[-1:]
    customer_event = rec.run(
        "mutation m($i: CreateCustomerEventInput!) { createCustomerEvent(input: $i)"
        f" {{ customerEvent {{ id }} {ERROR} }} }}",
        i={
            "customerIdentifier": {"customerId": customer_id},
            "title": "Plan changed",
            "components": components,
        },
    )

    assert thread_event == [
        (
            "thread.thread_event_created",
            {"event_id": thread_event_id, "thread_id": first, "timeline_entry_id": first_entry},
        )
    ]
    assert customer_event == [
        (
            "customer.customer_event_created",
            {
                "event_id": rec.last["createCustomerEvent"]["customerEvent"]["id"],
                "customer_id": customer_id,
                "thread_ids": sorted([first, second]),
            },
        )
    ]


# --- attachments -------------------------------------------------------------------------------


def test_an_attachment_emits_created_then_uploaded(rec):
    customer_id = rec.customer()

    created = rec.run(
        "mutation m($i: CreateAttachmentUploadUrlInput!) { createAttachmentUploadUrl(input: $i)"
        " { attachmentUploadUrl { attachment { id } uploadFormUrl uploadFormData { key value } }"
        f" {ERROR} }} }}",
        i={
            "customerId": customer_id,
            "fileName": "a.txt",
            "fileSizeBytes": 5,
            "attachmentType": "CUSTOM_TIMELINE_ENTRY",
        },
    )
    upload = rec.last["createAttachmentUploadUrl"]["attachmentUploadUrl"]
    attachment_id = upload["attachment"]["id"]
    rec.events.clear()
    response = rec.http.post(
        upload["uploadFormUrl"],
        data={f["key"]: f["value"] for f in upload["uploadFormData"]},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )

    assert response.status_code == 204
    assert created == [
        (
            "attachment.attachment_created",
            {"attachment_id": attachment_id, "customer_id": customer_id},
        )
    ]
    assert [(e.name, e.payload) for e in rec.events] == [
        ("attachment.attachment_uploaded", {"attachment_id": attachment_id})
    ]


# --- delivery ----------------------------------------------------------------------------------


@pytest.mark.parametrize("with_file", [False, True])
def test_a_request_that_crashes_delivers_none_of_its_events(tmp_path, monkeypatch, with_file):
    app = create_app(api_key=KEY, data_path=str(tmp_path / "e.sqlite3") if with_file else None)
    rec = Recorder(app)
    thread_id = rec.thread(rec.customer())
    threads = app.state.family(Threads)
    original = threads.entry_append

    def append_then_explode(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise RuntimeError("bug in the emulator")

    monkeypatch.setattr(threads, "entry_append", append_then_explode)
    rec.events.clear()
    body = rec.http.post(
        URL,
        json={
            "query": "mutation m($t: ID!) { markThreadAsDone(input: { threadId: $t }) "
            "{ error { code } } }",
            "variables": {"t": thread_id},
        },
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert rec.events == []


def test_a_subscriber_to_one_name_gets_only_those_until_it_unsubscribes(rec):
    created: list[Event] = []
    unsubscribe = rec.app.state.store.subscribe("thread.thread_created", created.append)
    customer_id = rec.customer()
    first = rec.thread(customer_id)
    unsubscribe()
    rec.thread(customer_id)

    assert [(e.name, e.payload["thread_id"]) for e in created] == [("thread.thread_created", first)]
