"""The emulator's webhooks: the targets API, the bodies, signing, delivery, retries and faults.

Everything runs the real emulator over httpx.WSGITransport. Deliveries go to a small WSGI
receiver written here (it records each request and answers the status it is told), through
create_app(webhook_transport=...), and are driven step by step with the control route
POST /_emulator/webhooks/deliver; the standalone server's own delivery thread is tested in
test_emulator_webhooks_server.py.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from plain_gateway import webhooks as portal_webhooks
from plain_gateway.emulator import EmulatorControl, create_app
from plain_gateway.emulator.delivery import WebhookDeliverer
from plain_gateway.emulator.families.webhooks import EVENT_TYPES, MAX_TARGETS, RETRY_DELAYS_S
from plain_gateway.emulator.store import Event
from tests.plain_gateway.webhook_bodies import WEBHOOK_SCHEMA, needs_schema, validate

KEY = "test-key"
URL = "http://emulator.test/graphql/v1"
ERROR = "error { message code fields { field message type } }"
RECEIVER = "https://receiver.test/hooks/plain"
TARGET_FIELDS = "id url description version isEnabled eventSubscriptions { eventType }"
ALL_TYPES = list(EVENT_TYPES)


class Receiver:
    """A WSGI app that records every request and answers the next status from `statuses`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        self.requests.append(
            {
                "path": environ["PATH_INFO"],
                "headers": headers,
                "body": body,
                "json": json.loads(body),
            }
        )
        status = self.statuses.pop(0) if self.statuses else 200
        extra = [("Location", "https://elsewhere.test/")] if 300 <= status < 400 else []
        start_response(f"{status} X", [("Content-Type", "text/plain"), *extra])
        return [b"ok"]


class Emu:
    def __init__(self, receiver: Receiver | None, **options: Any) -> None:
        """`receiver` gets the deliveries in-process; None sends them over the network."""
        transport = httpx.WSGITransport(app=receiver) if receiver is not None else None
        self.app = create_app(api_key=KEY, webhook_transport=transport, **options)
        self.http = httpx.Client(transport=httpx.WSGITransport(app=self.app))
        self.control = EmulatorControl(
            url=URL, api_key=KEY, transport=httpx.WSGITransport(app=self.app)
        )
        self.events: list[Event] = []
        self.app.state.store.subscribe("*", self.events.append)

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.http.post(
            URL,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {KEY}"},
        ).json()
        assert "errors" not in body, body
        return dict(body["data"])

    def control_call(self, method: str, route: str, body: Any = None) -> httpx.Response:
        return self.http.request(
            method,
            f"http://emulator.test/_emulator/{route}",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
        )

    def deliver(self) -> list[dict[str, Any]]:
        response = self.control_call("POST", "webhooks/deliver")
        assert response.status_code == 200, response.text
        return list(response.json()["attempts"])

    def shift(self, seconds: float) -> None:
        self.control.set_clock_offset(seconds=seconds)

    def target(
        self, *, event_types: list[str] | None = None, url: str = RECEIVER, **extra: Any
    ) -> str:
        data = self.gql(
            CREATE_TARGET,
            i={
                "url": url,
                "eventSubscriptions": [
                    {"eventType": t}
                    for t in (event_types if event_types is not None else ALL_TYPES)
                ],
                "isEnabled": True,
                "description": "portal",
                **extra,
            },
        )
        out = data["createWebhookTarget"]
        assert out["error"] is None, out
        return str(out["webhookTarget"]["id"])

    def customer(self, email: str = "ann@acme.test") -> str:
        data = self.gql(
            UPSERT_CUSTOMER,
            i={
                "identifier": {"emailAddress": email},
                "onCreate": {"fullName": "Ann", "email": {"email": email, "isVerified": True}},
                "onUpdate": {},
            },
        )
        return str(data["upsertCustomer"]["customer"]["id"])

    def thread(self, customer_id: str) -> str:
        data = self.gql(
            "mutation m($i: CreateThreadInput!) { createThread(input: $i) { thread { id } } }",
            i={
                "customerIdentifier": {"customerId": customer_id},
                "title": "Broken",
                "components": [{"componentText": {"text": "It broke."}}],
            },
        )
        return str(data["createThread"]["thread"]["id"])

    def attempts(
        self, target_id: str, filters: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        data = self.gql(ATTEMPTS, t=target_id, f=filters)
        return [e["node"] for e in data["webhookDeliveryAttempts"]["edges"]]


CREATE_TARGET = (
    "mutation m($i: CreateWebhookTargetInput!) { createWebhookTarget(input: $i)"
    f" {{ webhookTarget {{ {TARGET_FIELDS} }} {ERROR} }} }}"
)
UPDATE_TARGET = (
    "mutation m($i: UpdateWebhookTargetInput!) { updateWebhookTarget(input: $i)"
    f" {{ webhookTarget {{ {TARGET_FIELDS} }} {ERROR} }} }}"
)
DELETE_TARGET = (
    f"mutation m($i: DeleteWebhookTargetInput!) {{ deleteWebhookTarget(input: $i) {{ {ERROR} }} }}"
)
UPSERT_CUSTOMER = (
    "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { customer { id } } }"
)
ATTEMPTS = """
query q($t: ID!, $f: WebhookDeliveryAttemptFilter) {
  webhookDeliveryAttempts(webhookTargetId: $t, filters: $f, first: 50) {
    edges { node {
      id webhookTargetId publicEventId publicEventEventType durationInMilliseconds
      attemptedAt { iso8601 }
      result {
        __typename
        ... on WebhookDeliveryAttemptSuccessfulResult { status httpStatusCode }
        ... on WebhookDeliveryAttemptFailedResult { status httpStatusCode }
        ... on WebhookDeliveryAttemptErrorResult { status errorCode errorMessage }
      }
    } }
  }
}
"""


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def emu(receiver: Receiver) -> Iterator[Emu]:
    emulator = Emu(receiver)
    yield emulator
    emulator.app.close()


def _target_input(**extra: Any) -> dict[str, Any]:
    return {
        "url": RECEIVER,
        "eventSubscriptions": [{"eventType": "thread.thread_created"}],
        "isEnabled": True,
        "description": "portal",
        **extra,
    }


# --- the targets API ---------------------------------------------------------------------------


def test_a_target_is_created_listed_fetched_updated_and_deleted(emu):
    created = emu.gql(CREATE_TARGET, i=_target_input())["createWebhookTarget"]
    target = created["webhookTarget"]
    assert created["error"] is None
    assert target["id"].startswith("whTarget_")
    assert target["url"] == RECEIVER
    assert target["version"] == "2026-04-21"  # the latest: the one the JSON schema pins
    assert target["eventSubscriptions"] == [{"eventType": "thread.thread_created"}]

    listed = emu.gql(
        f"{{ webhookTargets(first: 10) {{ edges {{ node {{ {TARGET_FIELDS} }} }} }} }}"
    )
    assert [e["node"] for e in listed["webhookTargets"]["edges"]] == [target]
    fetched = emu.gql(
        f'{{ webhookTarget(webhookTargetId: "{target["id"]}") {{ {TARGET_FIELDS} }} }}'
    )
    assert fetched["webhookTarget"] == target

    updated = emu.gql(
        UPDATE_TARGET,
        i={
            "webhookTargetId": target["id"],
            "isEnabled": {"value": False},
            "eventSubscriptions": [{"eventType": "thread.chat_sent"}],
        },
    )["updateWebhookTarget"]
    assert updated["error"] is None
    assert updated["webhookTarget"] == {
        **target,
        "isEnabled": False,
        "eventSubscriptions": [{"eventType": "thread.chat_sent"}],
    }

    deleted = emu.gql(DELETE_TARGET, i={"webhookTargetId": target["id"]})
    assert deleted["deleteWebhookTarget"]["error"] is None
    gone = emu.gql(f'{{ webhookTarget(webhookTargetId: "{target["id"]}") {{ id }} }}')
    assert gone["webhookTarget"] is None


def test_a_target_answers_every_field_plain_has(emu):
    target_id = emu.target(event_types=["thread.chat_sent"])
    actor = "{ __typename ... on MachineUserActor { machineUserId } }"
    data = emu.gql(
        f"""query q($t: ID!) {{ webhookTarget(webhookTargetId: $t) {{
          {TARGET_FIELDS} createdAt {{ iso8601 }} updatedAt {{ iso8601 unixTimestamp }}
          createdBy {actor} updatedBy {actor}
        }} }}""",
        t=target_id,
    )["webhookTarget"]
    machine_user_id = next(iter(emu.app.state.machine_users))
    assert data["createdBy"] == {"__typename": "MachineUserActor", "machineUserId": machine_user_id}
    assert data["updatedBy"] == data["createdBy"]
    assert data["createdAt"]["iso8601"] == data["updatedAt"]["iso8601"]
    assert data["createdAt"]["iso8601"].endswith("Z")


def test_update_and_delete_of_an_unknown_target_are_not_found(emu):
    for query, name in (
        (UPDATE_TARGET, "updateWebhookTarget"),
        (DELETE_TARGET, "deleteWebhookTarget"),
    ):
        error = emu.gql(query, i={"webhookTargetId": "whTarget_01H0000000000000000000000"})[name][
            "error"
        ]
        assert error["code"] == "not_found"
        assert [f["field"] for f in error["fields"]] == ["webhookTargetId"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"url": "http://receiver.test/hooks"}, "url"),
        ({"url": "http://127.0.0.1:9/hooks"}, "url"),
        ({"url": "ftp://receiver.test/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": ""}, "url"),
        ({"eventSubscriptions": [{"eventType": "thread.nope"}]}, "eventSubscriptions[0].eventType"),
        (
            {"eventSubscriptions": [{"eventType": "thread.chat_sent"}] * 2},
            "eventSubscriptions[1].eventType",
        ),
        ({"version": "2024-09-18"}, "version"),
        ({"description": "x" * 501}, "description"),
    ],
)
def test_create_refuses_what_plain_refuses_naming_the_field(extra, field):
    emu = Emu(Receiver())  # no http allowed: as Plain
    out = emu.gql(CREATE_TARGET, i=_target_input(**extra))["createWebhookTarget"]
    assert out["webhookTarget"] is None
    assert out["error"]["code"] == "input_validation"
    assert [f["field"] for f in out["error"]["fields"]] == [field]
    assert emu.app.state.webhook_targets == {}


def test_update_validates_like_create(emu):
    target_id = emu.target(event_types=["thread.chat_sent"])
    out = emu.gql(
        UPDATE_TARGET, i={"webhookTargetId": target_id, "url": {"value": "http://receiver.test/"}}
    )["updateWebhookTarget"]
    assert out["error"]["code"] == "input_validation"
    assert [f["field"] for f in out["error"]["fields"]] == ["url"]


def test_http_targets_need_the_flag_and_then_only_on_loopback_unless_in_process():
    without = Emu(Receiver())
    refused = without.gql(CREATE_TARGET, i=_target_input(url="http://127.0.0.1:8000/hooks"))
    assert refused["createWebhookTarget"]["error"]["code"] == "input_validation"

    standalone_like = create_app(api_key=KEY, allow_http_targets=True)
    http = httpx.Client(transport=httpx.WSGITransport(app=standalone_like))

    def create(url: str) -> dict[str, Any]:
        body = http.post(
            URL,
            json={"query": CREATE_TARGET, "variables": {"i": _target_input(url=url)}},
            headers={"Authorization": f"Bearer {KEY}"},
        ).json()
        return dict(body["data"]["createWebhookTarget"])

    assert create("http://127.0.0.1:8000/hooks")["error"] is None
    assert create("http://localhost:8000/hooks")["error"] is None
    assert create("http://[::1]:8000/hooks")["error"] is None
    assert create("http://receiver.test/hooks")["error"]["code"] == "input_validation"

    in_process = Emu(Receiver(), allow_http_targets=True)
    allowed = in_process.gql(CREATE_TARGET, i=_target_input(url="http://testserver/hooks"))
    assert allowed["createWebhookTarget"]["error"] is None


def test_at_most_25_targets(emu):
    for _ in range(MAX_TARGETS):
        emu.target(event_types=["thread.chat_sent"])
    out = emu.gql(CREATE_TARGET, i=_target_input())["createWebhookTarget"]
    assert out["webhookTarget"] is None
    assert out["error"]["code"] == "too_many_webhook_targets"
    assert len(emu.app.state.webhook_targets) == MAX_TARGETS


def test_versions_and_event_types_are_plains():
    emu = Emu(Receiver())
    versions = emu.gql("{ webhookVersions { edges { node { version isLatest isDeprecated } } } }")
    assert [e["node"] for e in versions["webhookVersions"]["edges"]] == [
        {"version": "2026-04-21", "isLatest": True, "isDeprecated": False}
    ]
    types = emu.gql("{ subscriptionEventTypes { eventType description } }")
    listed = [t["eventType"] for t in types["subscriptionEventTypes"]]
    assert listed == ALL_TYPES
    assert all(t["description"] for t in types["subscriptionEventTypes"])


@needs_schema
def test_the_event_types_are_exactly_those_of_plains_webhook_schema():
    schema = json.loads(WEBHOOK_SCHEMA.read_text())
    assert sorted(EVENT_TYPES) == sorted(schema["properties"]["type"]["enum"])


def test_target_writes_emit_events_and_a_refused_one_none(emu):
    emu.events.clear()
    target_id = emu.target(event_types=["thread.chat_sent"])
    emu.gql(UPDATE_TARGET, i={"webhookTargetId": target_id, "description": {"value": "new"}})
    emu.gql(CREATE_TARGET, i=_target_input(url="nope"))
    emu.gql(DELETE_TARGET, i={"webhookTargetId": target_id})
    assert [(e.name, e.payload.get("webhook_target_id")) for e in emu.events] == [
        ("webhook_target.webhook_target_created", target_id),
        ("webhook_target.webhook_target_updated", target_id),
        ("webhook_target.webhook_target_deleted", target_id),
    ]
    assert emu.events[1].payload["previous"] == {"description": "portal"}


# --- the workspace's HMAC secret ---------------------------------------------------------------


def test_workspace_hmac_is_read_and_regenerated(emu):
    first = emu.gql("{ workspaceHmac { hmacSecret createdAt { iso8601 } } }")["workspaceHmac"]
    emu.events.clear()
    out = emu.gql(
        f"mutation {{ regenerateWorkspaceHmac {{ workspaceHmac {{ hmacSecret }} {ERROR} }} }}"
    )["regenerateWorkspaceHmac"]
    second = emu.gql("{ workspaceHmac { hmacSecret } }")["workspaceHmac"]["hmacSecret"]

    assert len(first["hmacSecret"]) >= 32
    assert out["error"] is None
    assert out["workspaceHmac"]["hmacSecret"] == second != first["hmacSecret"]
    assert [e.name for e in emu.events] == ["workspace.workspace_hmac_regenerated"]
    assert second not in json.dumps(emu.events[0].payload)
    assert second not in repr(emu.app.state.workspace_hmac())


def test_a_fresh_workspaces_secret_is_the_same_after_a_reset_and_differs_per_key(emu):
    query = "{ workspaceHmac { hmacSecret } }"
    first = emu.gql(query)["workspaceHmac"]["hmacSecret"]
    emu.gql("mutation { regenerateWorkspaceHmac { error { code } } }")
    rotated = emu.gql(query)["workspaceHmac"]["hmacSecret"]
    emu.control.reset()
    after_reset = emu.gql(query)["workspaceHmac"]["hmacSecret"]

    other = create_app(api_key="another-key")
    assert (
        rotated != first == after_reset == Emu(Receiver()).gql(query)["workspaceHmac"]["hmacSecret"]
    )
    assert other.state.signing_secret() != first
    assert KEY not in first


# --- bodies, headers and the signature ---------------------------------------------------------


def _run_everything(emu: Emu) -> dict[str, str]:
    """One write of each kind the emulator raises webhooks for; returns the ids made."""
    customer_id = emu.customer()
    emu.gql(
        UPSERT_CUSTOMER,
        i={
            "identifier": {"emailAddress": "ann@acme.test"},
            "onCreate": {
                "fullName": "Ann",
                "email": {"email": "ann@acme.test", "isVerified": True},
            },
            "onUpdate": {"fullName": {"value": "Ann Smith"}},
        },
    )
    thread_id = emu.thread(customer_id)
    emu.gql(
        'mutation m($t: ID!) { replyToThread(input: { threadId: $t, textContent: "On it" })'
        " { error { code } } }",
        t=thread_id,
    )
    emu.gql(
        "mutation m($c: ID!, $t: ID!) { sendCustomerChat(input:"
        ' { customerId: $c, threadId: $t, text: "Thanks" }) { error { code } } }',
        c=customer_id,
        t=thread_id,
    )
    emu.gql(
        "mutation m($c: ID!, $t: ID!) { createNote(input:"
        ' { customerId: $c, threadId: $t, text: "internal" }) { error { code } } }',
        c=customer_id,
        t=thread_id,
    )
    emu.gql(
        "mutation m($t: ID!) { changeThreadPriority(input: { threadId: $t, priority: 0 })"
        " { error { code } } }",
        t=thread_id,
    )
    label_type = emu.gql(
        'mutation { createLabelType(input: { name: "Bug" }) { labelType { id } } }'
    )
    label_type_id = label_type["createLabelType"]["labelType"]["id"]
    added = emu.gql(
        "mutation m($t: ID!, $l: [ID!]!) { addLabels(input: { threadId: $t, labelTypeIds: $l })"
        " { labels { id } } }",
        t=thread_id,
        l=[label_type_id],
    )
    emu.gql(
        "mutation m($l: [ID!]!) { removeLabels(input: { labelIds: $l }) { error { code } } }",
        l=[added["addLabels"]["labels"][0]["id"]],
    )
    emu.gql(
        "mutation m($i: CreateThreadFieldSchemaInput!) { createThreadFieldSchema(input: $i)"
        " { threadFieldSchema { id } } }",
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
    for text in ("billing", "api"):
        emu.gql(
            "mutation m($i: UpsertThreadFieldInput!) { upsertThreadField(input: $i)"
            " { error { code } } }",
            i={
                "identifier": {"threadId": thread_id, "key": "area"},
                "type": "STRING",
                "stringValue": text,
            },
        )
    emu.gql(
        "mutation m($t: ID!) { markThreadAsDone(input: { threadId: $t }) { error { code } } }",
        t=thread_id,
    )
    email = emu.control.inbound_email(
        from_email="bob@globex.test", subject="Invoice", text="Where is my invoice?"
    )
    emu.gql(
        'mutation m($t: ID!) { replyToThread(input: { threadId: $t, textContent: "Sent" })'
        " { error { code } } }",
        t=email["thread_id"],
    )
    return {"customer_id": customer_id, "thread_id": thread_id}


EXPECTED_TYPES = {
    "customer.customer_created",
    "customer.customer_updated",
    "customer.customer_changed",
    "thread.thread_created",
    "thread.chat_sent",
    "thread.chat_received",
    "thread.note_created",
    "thread.thread_priority_changed",
    "thread.thread_labels_changed",
    "thread.thread_field_created",
    "thread.thread_field_updated",
    "thread.thread_status_transitioned",
    "thread.email_received",
    "thread.email_sent",
    "timeline.timeline_entry_changed",
}


@needs_schema
def test_every_body_validates_against_plains_webhook_schema_and_verifies(emu, receiver):
    target_id = emu.target()
    _run_everything(emu)

    attempts = emu.deliver()

    secret = emu.gql("{ workspaceHmac { hmacSecret } }")["workspaceHmac"]["hmacSecret"]
    bodies = [r["json"] for r in receiver.requests]
    assert {b["type"] for b in bodies} >= EXPECTED_TYPES
    assert len(attempts) == len(receiver.requests)
    for request in receiver.requests:
        body = request["json"]
        validate(body)
        assert body["payload"]["eventType"] == body["type"]
        # The portal's own verifier accepts it: signature, window and version.
        event = portal_webhooks.webhook_parse(
            body=request["body"],
            signature=request["headers"]["Plain-Request-Signature"],
            secret=secret,
        )
        assert event.id == body["id"]
        headers, metadata = request["headers"], body["webhookMetadata"]
        assert headers["Plain-Webhook-Target-Id"] == metadata["webhookTargetId"] == target_id
        assert headers["Plain-Webhook-Target-Version"] == metadata["webhookTargetVersion"]
        assert headers["Plain-Webhook-Delivery-Attempt-Id"] == metadata["webhookDeliveryAttemptId"]
        assert headers["Plain-Webhook-Delivery-Attempt-Number"] == "1"
        assert metadata["webhookDeliveryAttemptNumber"] == 1
        assert (
            headers["Plain-Webhook-Delivery-Attempt-Timestamp"]
            == metadata["webhookDeliveryAttemptTimestamp"]
        )
        assert headers["Plain-Event-Type"] == body["type"]
        assert headers["Plain-Event-Id"] == body["id"]
        assert headers["Plain-Workspace-Id"] == body["workspaceId"]
        assert headers["User-Agent"].startswith("Plain-Webhooks/1.0")
        assert headers["Content-Type"] == "application/json"
        assert body["id"].startswith("pEv_")
    assert len({b["id"] for b in bodies}) == len(bodies)


def test_bodies_carry_the_change_and_the_previous_state(emu, receiver):
    emu.target(
        event_types=[
            "thread.thread_status_transitioned",
            "thread.thread_priority_changed",
            "customer.customer_updated",
            "thread.thread_labels_changed",
        ]
    )
    _run_everything(emu)
    emu.deliver()

    by_type: dict[str, list[dict[str, Any]]] = {}
    for request in receiver.requests:
        by_type.setdefault(request["json"]["type"], []).append(request["json"]["payload"])
    status = by_type["thread.thread_status_transitioned"][-1]
    assert (status["previousThread"]["status"], status["thread"]["status"]) == ("TODO", "DONE")
    priority = by_type["thread.thread_priority_changed"][0]
    assert (priority["previousThread"]["priority"], priority["thread"]["priority"]) == (2, 0)
    customer = by_type["customer.customer_updated"][0]
    assert customer["previousCustomer"]["fullName"] == "Ann"
    assert customer["customer"]["fullName"] == "Ann Smith"
    added, removed = by_type["thread.thread_labels_changed"]
    assert added["changeType"] == "ADDED" and removed["changeType"] == "REMOVED"
    assert [len(added["previousThread"]["labels"]), len(added["thread"]["labels"])] == [0, 1]
    assert added["thread"]["labels"][0]["labelType"]["name"] == "Bug"


def test_only_subscribed_enabled_targets_get_an_event_and_nothing_is_sent_in_the_request(
    emu, receiver
):
    emu.target(event_types=["thread.chat_sent"])
    disabled = emu.target(event_types=["thread.thread_created"])
    emu.gql(UPDATE_TARGET, i={"webhookTargetId": disabled, "isEnabled": {"value": False}})

    emu.thread(emu.customer())

    assert receiver.requests == []  # queued, not sent: delivery never runs inside a request
    assert emu.deliver() == []
    assert receiver.requests == []


def test_unknown_domain_events_are_ignored(emu, receiver):
    emu.target()
    with emu.app.state.transaction():
        emu.app.state.store.emit("thread.something_new", thread_id="th_x")
        emu.app.state.store.emit("nothing.at_all")
    assert emu.deliver() == []


# --- delivery results and retries --------------------------------------------------------------


def test_a_500_is_retried_at_10_then_30_seconds_with_fresh_attempts_until_a_2xx(emu, receiver):
    target_id = emu.target(event_types=["thread.thread_created"])
    receiver.statuses = [500, 500, 204]
    emu.thread(emu.customer())

    first = emu.deliver()
    assert [a["http_status_code"] for a in first] == [500]
    assert emu.deliver() == []  # not due yet
    emu.shift(RETRY_DELAYS_S[0] - 1)
    assert emu.deliver() == []
    emu.shift(RETRY_DELAYS_S[0] + 1)
    second = emu.deliver()
    emu.shift(RETRY_DELAYS_S[0] + RETRY_DELAYS_S[1] + 2)
    third = emu.deliver()
    emu.shift(10 * 86400)
    after = emu.deliver()

    assert [a["status"] for a in second + third] == ["FAILED_RESPONSE", "SUCCESSFUL_RESPONSE"]
    assert after == []
    bodies = [r["json"] for r in receiver.requests]
    assert len({b["id"] for b in bodies}) == 1  # one event, the same id on every attempt
    metadata = [b["webhookMetadata"] for b in bodies]
    assert [m["webhookDeliveryAttemptNumber"] for m in metadata] == [1, 2, 3]
    assert len({m["webhookDeliveryAttemptId"] for m in metadata}) == 3
    signatures = [r["headers"]["Plain-Request-Signature"] for r in receiver.requests]
    assert len(set(signatures)) == 3

    recorded = emu.attempts(target_id)
    assert [(a["result"]["status"], a["result"]["httpStatusCode"]) for a in recorded] == [
        ("SUCCESSFUL_RESPONSE", 204),
        ("FAILED_RESPONSE", 500),
        ("FAILED_RESPONSE", 500),
    ]
    assert all(a["publicEventId"] == bodies[0]["id"] for a in recorded)
    assert all(a["publicEventEventType"] == "thread.thread_created" for a in recorded)
    failed = emu.attempts(target_id, {"resultStatus": "FAILED_RESPONSE"})
    assert len(failed) == 2
    assert emu.attempts(target_id, {"eventTypes": ["thread.chat_sent"]}) == []


def test_a_redirect_is_a_failure_and_is_not_followed(emu, receiver):
    target_id = emu.target(event_types=["thread.thread_created"])
    receiver.statuses = [302]
    emu.thread(emu.customer())

    attempts = emu.deliver()

    assert [(a["status"], a["http_status_code"]) for a in attempts] == [("FAILED_RESPONSE", 302)]
    assert len(receiver.requests) == 1  # elsewhere.test was never asked
    recorded = emu.attempts(target_id)
    assert recorded[0]["result"] == {
        "__typename": "WebhookDeliveryAttemptFailedResult",
        "status": "FAILED_RESPONSE",
        "httpStatusCode": 302,
    }


def test_a_connection_failure_is_an_error_result_and_retried():
    emu = Emu(None, allow_http_targets=True)  # over the network: nothing listens on :9
    target_id = emu.target(event_types=["thread.thread_created"], url="http://127.0.0.1:9/hooks")
    emu.thread(emu.customer())

    attempts = emu.deliver()

    assert [(a["status"], a["error_code"]) for a in attempts] == [("ERROR", "connection_error")]
    result = emu.attempts(target_id)[0]["result"]
    assert result["__typename"] == "WebhookDeliveryAttemptErrorResult"
    assert result["errorCode"] == "connection_error" and result["errorMessage"]
    emu.shift(RETRY_DELAYS_S[0] + 1)
    assert [a["number"] for a in emu.deliver()] == [2]
    emu.app.close()


def test_the_schedule_gives_up_after_plains_last_retry(emu, receiver):
    emu.target(event_types=["thread.thread_created"])
    receiver.statuses = [500] * 20
    emu.thread(emu.customer())
    offset = 0
    for number, delay in enumerate((0, *RETRY_DELAYS_S), start=1):
        offset += delay
        emu.shift(offset + number)  # a second later each time: each attempt is due by then
        assert len(emu.deliver()) == 1
    emu.shift(offset + 30 * 86400)
    assert emu.deliver() == []
    assert len(receiver.requests) == 1 + len(RETRY_DELAYS_S)  # 13 attempts, about five days


def test_a_deleted_target_gets_nothing_more(emu, receiver):
    target_id = emu.target(event_types=["thread.thread_created"])
    emu.thread(emu.customer())
    emu.gql(DELETE_TARGET, i={"webhookTargetId": target_id})
    assert emu.deliver() == []
    assert receiver.requests == []


def test_public_event_request_body_answers_the_body_as_sent_for_30_days(emu, receiver):
    emu.target(event_types=["thread.thread_created"])
    emu.thread(emu.customer())
    emu.deliver()
    sent = receiver.requests[0]

    query = "query q($e: ID!) { publicEventRequestBody(publicEventId: $e) }"
    body = emu.gql(query, e=sent["json"]["id"])["publicEventRequestBody"]
    assert json.loads(body) == sent["json"]
    assert emu.gql(query, e="pEv_01H0000000000000000000000")["publicEventRequestBody"] is None
    emu.shift(31 * 86400)
    assert emu.gql(query, e=sent["json"]["id"])["publicEventRequestBody"] is None


def test_deliveries_survive_a_restart_of_the_emulator_on_the_same_file(tmp_path, receiver):
    data = str(tmp_path / "emu.sqlite3")
    first = Emu(receiver, data_path=data)
    first.target(event_types=["thread.thread_created"])
    first.thread(first.customer())
    first.app.close()

    second = Emu(receiver, data_path=data)
    attempts = second.deliver()

    assert [a["event_type"] for a in attempts] == ["thread.thread_created"]
    assert receiver.requests[0]["json"]["type"] == "thread.thread_created"
    second.app.close()


# --- faults ------------------------------------------------------------------------------------


def _faults(emu: Emu, body: dict[str, Any]) -> dict[str, Any]:
    response = emu.control_call("POST", "webhooks/faults", body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _thread_ids(receiver: Receiver) -> list[str]:
    return [r["json"]["payload"]["thread"]["id"] for r in receiver.requests]


def test_drop_loses_the_next_events(emu, receiver):
    emu.target(event_types=["thread.thread_created"])
    customer = emu.customer()
    _faults(emu, {"drop": 2})
    emu.thread(customer)
    emu.thread(customer)
    kept = emu.thread(customer)
    emu.deliver()
    assert _thread_ids(receiver) == [kept]


def test_duplicate_delivers_the_same_event_twice(emu, receiver):
    emu.target(event_types=["thread.thread_created"])
    _faults(emu, {"duplicate": 1})
    emu.thread(emu.customer())
    emu.deliver()
    ids = [r["json"]["id"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1]
    attempt_ids = {
        r["json"]["webhookMetadata"]["webhookDeliveryAttemptId"] for r in receiver.requests
    }
    assert len(attempt_ids) == 2


def test_reorder_swaps_the_next_pair(emu, receiver):
    emu.target(event_types=["thread.thread_created"])
    customer = emu.customer()
    _faults(emu, {"reorder": 1})
    first = emu.thread(customer)
    assert emu.deliver() == []  # held until its pair arrives
    second = emu.thread(customer)
    third = emu.thread(customer)
    emu.deliver()
    assert _thread_ids(receiver) == [second, first, third]


def test_delay_holds_events_for_emulator_seconds(emu, receiver):
    emu.target(event_types=["thread.thread_created"])
    _faults(emu, {"delay": {"count": 1, "seconds": 120}})
    emu.thread(emu.customer())
    assert emu.deliver() == []
    emu.shift(119)
    assert emu.deliver() == []
    emu.shift(121)
    assert len(emu.deliver()) == 1


def test_faults_are_shown_refused_when_wrong_and_cleared(emu):
    assert _faults(emu, {"drop": 1, "duplicate": 2})["duplicate"] == 2
    shown = emu.control_call("GET", "webhooks/faults").json()
    assert (shown["drop"], shown["duplicate"]) == (1, 2)
    assert emu.control_call("POST", "webhooks/faults", {"drop": -1}).status_code == 400
    assert (
        emu.control_call("POST", "webhooks/faults", {"delay": {"seconds": "x"}}).status_code == 400
    )
    cleared = emu.control_call("DELETE", "webhooks/faults").json()
    assert (cleared["drop"], cleared["duplicate"], cleared["reorder"]) == (0, 0, 0)


@needs_schema
def test_a_burst_queues_n_valid_events(emu, receiver):
    emu.target(event_types=["thread.thread_created"])
    emu.thread(emu.customer())
    emu.deliver()
    receiver.requests.clear()

    response = emu.control_call("POST", "webhooks/burst", {"count": 50})
    emu.deliver()

    assert len(response.json()["event_ids"]) == 50
    assert len(receiver.requests) == 50
    assert len({r["json"]["id"] for r in receiver.requests}) == 50
    for request in receiver.requests[:3]:
        validate(request["json"])
    refused = emu.control_call(
        "POST", "webhooks/burst", {"count": 1, "event_type": "thread.chat_sent"}
    )
    assert refused.status_code == 400


def test_the_control_routes_need_the_key(emu):
    response = emu.http.post("http://emulator.test/_emulator/webhooks/deliver")
    assert response.status_code == 401


# --- where deliveries run ----------------------------------------------------------------------


class WaitingReceiver(Receiver):
    """A Receiver whose test can wait for the n-th request (delivered from another thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        answer = super().__call__(environ, start_response)
        with self.arrived:
            self.arrived.notify_all()
        return answer

    def wait_for(self, count: int) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=15)


def test_in_process_the_background_thread_delivers_through_the_given_transport():
    receiver = WaitingReceiver()
    emu = Emu(receiver, allow_http_targets=True, deliver_in_background=True)
    try:
        emu.target(event_types=["thread.thread_created"], url="http://testserver/hooks/plain")
        thread_id = emu.thread(emu.customer())
        receiver.wait_for(1)  # nobody called the deliver route
    finally:
        emu.app.close()
    assert receiver.requests[0]["path"] == "/hooks/plain"
    assert receiver.requests[0]["json"]["payload"]["thread"]["id"] == thread_id


def test_a_url_with_credentials_is_sent_as_basic_auth_without_them_in_the_url(emu, receiver):
    emu.target(
        event_types=["thread.thread_created"], url="https://plain:s%40cret@receiver.test/hooks"
    )
    emu.thread(emu.customer())
    emu.deliver()
    expected = "Basic " + base64.b64encode(b"plain:s@cret").decode()
    assert receiver.requests[0]["headers"]["Authorization"] == expected
    assert receiver.requests[0]["path"] == "/hooks"


def test_a_target_that_does_not_answer_in_time_is_an_error_timeout():
    started = threading.Event()
    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            started.set()
            release.wait(10)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    emu = Emu(None, allow_http_targets=True)  # over the network, to the slow server
    app = emu.app
    try:
        target_id = emu.target(
            event_types=["thread.thread_created"],
            url=f"http://127.0.0.1:{server.server_address[1]}/hooks",
        )
        emu.thread(emu.customer())
        deliverer = WebhookDeliverer(state=app.state, timeout=0.3)
        attempts = deliverer.deliver_due()
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        app.close()
    assert started.is_set()
    assert [(a["status"], a["error_code"]) for a in attempts] == [("ERROR", "timeout")]
    assert emu.attempts(target_id)[0]["result"]["errorCode"] == "timeout"


def test_an_attempt_a_day_later_on_the_emulators_clock_still_passes_the_portals_window(
    emu, receiver
):
    emu.target(event_types=["thread.thread_created"])
    receiver.statuses = [500]
    emu.thread(emu.customer())
    emu.deliver()
    emu.shift(86400)  # the attempt timestamp is real time: a receiver's replay window holds
    emu.deliver()
    secret = emu.gql("{ workspaceHmac { hmacSecret } }")["workspaceHmac"]["hmacSecret"]
    late = receiver.requests[1]
    event = portal_webhooks.webhook_parse(
        body=late["body"], signature=late["headers"]["Plain-Request-Signature"], secret=secret
    )
    assert event.metadata.attempt_number == 2
