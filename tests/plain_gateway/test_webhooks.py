"""plain_gateway.webhooks: what a webhook request must be to be read, and what is read from it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from plain_gateway.webhooks import (
    EventActor,
    WebhookError,
    WebhookMalformedError,
    WebhookSignatureError,
    WebhookStaleError,
    WebhookVersionError,
    sign,
    verify_signature,
    webhook_parse,
)
from tests.plain_gateway import webhook_bodies as bodies
from tests.plain_gateway.webhook_bodies import SECRET, encode, needs_schema


def _parse(raw: bytes, *, secret: str = SECRET, signature: str | None = None, **kwargs):
    return webhook_parse(
        body=raw,
        signature=sign(raw, secret) if signature is None else signature,
        secret=SECRET,
        **kwargs,
    )


def _to_milliseconds(moment):
    # Plain's timestamps carry milliseconds; the clock compared with one must too.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_sign_is_the_hex_hmac_sha256_of_the_raw_body():
    raw = b'{"id": "pEv_1"}'
    expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert sign(raw, SECRET) == expected
    verify_signature(body=raw, signature=expected, secret=SECRET)
    verify_signature(body=raw, signature=expected.upper(), secret=SECRET)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda raw, sig: (raw + b" ", sig), id="a byte added to the body"),
        pytest.param(lambda raw, sig: (raw.replace(b"fixed", b"fixes"), sig), id="body changed"),
        pytest.param(lambda raw, sig: (raw, sign(raw, "another-secret")), id="other secret"),
        pytest.param(lambda raw, sig: (raw, sig[:-1]), id="signature cut short"),
        pytest.param(lambda raw, sig: (raw, ""), id="signature empty"),
        pytest.param(lambda raw, sig: (raw, None), id="signature missing"),
    ],
)
def test_a_body_and_signature_that_do_not_match_are_refused(change):
    raw = encode(bodies.chat_sent())
    changed, signature = change(raw, sign(raw, SECRET))
    with pytest.raises(WebhookSignatureError) as refused:
        webhook_parse(body=changed, signature=signature, secret=SECRET)
    assert refused.value.reason == "bad_signature"


def test_an_empty_secret_verifies_nothing():
    raw = encode(bodies.thread_created())
    # An HMAC keyed by "" is anyone's to compute (the docs' Node sample uses one).
    empty_key_signature = hmac.new(b"", raw, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookSignatureError):
        webhook_parse(body=raw, signature=empty_key_signature, secret="")
    with pytest.raises(ValueError):
        sign(raw, "")


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_an_attempt_within_300_seconds_either_way_is_accepted(offset):
    attempt_at = _to_milliseconds(bodies.now())
    raw = encode(
        bodies.body("thread.thread_created", {"thread": bodies.thread()}, attempt_at=attempt_at)
    )
    event = _parse(raw, now=lambda: attempt_at + timedelta(seconds=offset))
    assert event.metadata is not None
    assert event.metadata.attempt_timestamp == attempt_at


@pytest.mark.parametrize("offset", [-301, 301, 86_400])
def test_an_attempt_more_than_300_seconds_away_is_stale(offset):
    attempt_at = _to_milliseconds(bodies.now())
    raw = encode(
        bodies.body("thread.thread_created", {"thread": bodies.thread()}, attempt_at=attempt_at)
    )
    with pytest.raises(WebhookStaleError) as refused:
        _parse(raw, now=lambda: attempt_at + timedelta(seconds=offset))
    assert refused.value.reason == "stale"


def test_an_unknown_version_is_refused():
    raw = encode(
        bodies.body("thread.thread_created", {"thread": bodies.thread()}, version="2024-09-18")
    )
    with pytest.raises(WebhookVersionError) as refused:
        _parse(raw)
    assert refused.value.reason == "unknown_version"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{not json", id="not JSON"),
        pytest.param(b"\xff\xfe", id="not UTF-8"),
        pytest.param(b"[1, 2]", id="not an object"),
        pytest.param(b'{"id": "pEv_1"}', id="no metadata"),
    ],
)
def test_a_body_that_is_not_a_webhook_is_malformed(raw):
    with pytest.raises(WebhookMalformedError) as refused:
        _parse(raw)
    assert refused.value.reason == "malformed"


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda b: b.pop("id"), id="no id"),
        pytest.param(lambda b: b.__setitem__("timestamp", "yesterday"), id="bad timestamp"),
        pytest.param(lambda b: b.__setitem__("payload", "text"), id="payload not an object"),
        pytest.param(
            lambda b: b["payload"].__setitem__("eventType", "thread.chat_sent"), id="types disagree"
        ),
        pytest.param(
            lambda b: b["webhookMetadata"].__setitem__("webhookDeliveryAttemptNumber", 0),
            id="attempt number 0",
        ),
        pytest.param(
            lambda b: b["webhookMetadata"].__setitem__(
                "webhookDeliveryAttemptTimestamp", "2026-12-02T00:00:00"
            ),
            id="attempt timestamp without a zone",
        ),
    ],
)
def test_a_body_missing_what_plain_always_sends_is_malformed(spoil):
    data = bodies.thread_created()
    spoil(data)
    with pytest.raises(WebhookMalformedError):
        _parse(encode(data))


def test_every_refusal_is_a_webhook_error_with_a_reason():
    for error in (
        WebhookSignatureError,
        WebhookStaleError,
        WebhookVersionError,
        WebhookMalformedError,
    ):
        assert issubclass(error, WebhookError)
    assert {
        e.reason
        for e in (
            WebhookSignatureError,
            WebhookStaleError,
            WebhookVersionError,
            WebhookMalformedError,
        )
    } == {
        "bad_signature",
        "stale",
        "unknown_version",
        "malformed",
    }


def test_a_chat_reply_is_read_into_an_event():
    agent = bodies.user_actor()
    data = bodies.chat_sent(by=agent, customer_id="c_01HZZZZZZZZZZZZZZZZZZZZZZZ")
    data["webhookMetadata"]["webhookDeliveryAttemptNumber"] = 3
    event = _parse(encode(data))

    assert event.id == data["id"]
    assert event.type == "thread.chat_sent"
    assert event.workspace_id == data["workspaceId"]
    assert event.thread_id == data["payload"]["thread"]["id"]
    assert event.customer_id == "c_01HZZZZZZZZZZZZZZZZZZZZZZZ"
    assert event.tenant_id is None  # a thread in a webhook carries no tenant
    assert event.actor == EventActor(type="user", id=agent["userId"])
    assert event.payload["chat"]["text"] == "We have fixed the export."
    assert event.timestamp.tzinfo is not None
    assert event.metadata is not None
    assert event.metadata.attempt_number == 3
    assert event.metadata.attempt_id == data["webhookMetadata"]["webhookDeliveryAttemptId"]
    assert event.metadata.target_id == data["webhookMetadata"]["webhookTargetId"]
    assert event.metadata.target_version == bodies.VERSION


def test_the_attempt_number_may_come_as_a_string_of_digits():
    # Plain's prose docs call it a string; its JSON schema an integer.
    data = bodies.thread_created()
    data["webhookMetadata"]["webhookDeliveryAttemptNumber"] = "2"
    assert _parse(encode(data)).metadata.attempt_number == 2


def test_a_machine_user_reply_names_the_machine_user_as_actor():
    data = bodies.chat_sent(by=bodies.machine_user_actor("machineUser_01J0000000000000000000000A"))
    assert _parse(encode(data)).actor == EventActor(
        type="machineUser", id="machineUser_01J0000000000000000000000A"
    )


def test_a_tenant_change_names_the_new_tenant_and_a_customer_event_its_customer():
    data = bodies.body(
        "thread.thread_tenant_updated",
        {
            "previousThread": bodies.thread(),
            "thread": bodies.thread(),
            "previousTenant": None,
            "tenant": {"id": "te_01J0000000000000000000000A", "externalId": "org-acme"},
        },
    )
    assert _parse(encode(data)).tenant_id == "te_01J0000000000000000000000A"

    updated = bodies.customer_updated(customer_id="c_01J0000000000000000000000B")
    event = _parse(encode(updated))
    assert (event.customer_id, event.thread_id) == ("c_01J0000000000000000000000B", None)


def test_the_version_check_reads_the_version_from_the_body_not_a_header():
    data = bodies.thread_created()
    assert json.loads(encode(data))["webhookMetadata"]["webhookTargetVersion"] == bodies.VERSION
    assert (
        _parse(encode(data), versions=frozenset({bodies.VERSION})).type == "thread.thread_created"
    )
    with pytest.raises(WebhookVersionError):
        _parse(encode(data), versions=frozenset({"unversioned"}))


@needs_schema
@pytest.mark.parametrize(
    "make",
    [
        bodies.thread_created,
        bodies.chat_sent,
        lambda: bodies.status_transitioned(status="DONE"),
        bodies.customer_updated,
    ],
    ids=["thread_created", "chat_sent", "status_transitioned", "customer_updated"],
)
def test_the_factory_bodies_are_what_plains_webhook_schema_allows(make):
    data = make()
    bodies.validate(data)
    assert _parse(encode(data)).type == data["type"]


@needs_schema
def test_the_schema_pins_the_version_this_module_reads():
    from jsonschema import ValidationError

    bodies.validate(bodies.thread_created())
    with pytest.raises(ValidationError):
        bodies.validate(
            bodies.body("thread.thread_created", {"thread": bodies.thread()}, version="2024-09-18")
        )
