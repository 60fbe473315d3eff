"""Plain's webhook requests: the signature, the replay window, the version, and a typed event.

Plain signs each webhook request with the workspace's HMAC secret: the `Plain-Request-Signature`
header carries the hex HMAC-SHA256 of the raw body, and nothing else is signed. The body names
its delivery attempt and when it was made (`webhookMetadata.webhookDeliveryAttemptTimestamp`,
fresh on every attempt), so a body replayed later than WINDOW_SECONDS after it was signed, or
dated as far ahead, is refused. `webhookMetadata.webhookTargetVersion` names the body's schema;
only the versions in SUPPORTED_VERSIONS are read (Plain's webhook JSON schema pins the one it
describes).

    event = webhook_parse(body=raw, signature=header, secret=secret)   # or raises:

    WebhookError                    reason         (every refusal; nothing of the body is kept)
     ├── WebhookSignatureError      bad_signature  missing, wrong, or no secret to check with
     ├── WebhookStaleError          stale          attempt timestamp too old or in the future
     ├── WebhookVersionError        unknown_version
     └── WebhookMalformedError      malformed      not JSON, or not the shape of a webhook body

The checks run in that order, and the body is not parsed before its signature is verified.
Framework-free: the caller reads the raw body and the header; `sign` is the sender's half (the
emulator, tests).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "SIGNATURE_HEADER",
    "SUPPORTED_VERSIONS",
    "WINDOW_SECONDS",
    "EventActor",
    "WebhookError",
    "WebhookEvent",
    "WebhookMalformedError",
    "WebhookMetadata",
    "WebhookSignatureError",
    "WebhookStaleError",
    "WebhookVersionError",
    "event_actor",
    "sign",
    "verify_signature",
    "verify_window",
    "webhook_parse",
    "webhook_read",
]

SIGNATURE_HEADER: Final = "Plain-Request-Signature"
# The webhook target versions whose bodies this module reads: the one Plain's webhook JSON schema
# pins (webhookMetadata.webhookTargetVersion is a const there).
SUPPORTED_VERSIONS: Final = frozenset({"2026-04-21"})
# How far the attempt timestamp may be from now, either way (Plain's own SDK uses 300 s).
WINDOW_SECONDS: Final = 300.0

# Where an event's actor is read from, first match wins: the message or entry the event
# announces, then the thread or customer it changed.
_ACTOR_SOURCES: Final = (
    ("chat", "createdBy"),
    ("email", "createdBy"),
    ("note", "createdBy"),
    ("slackMessage", "createdBy"),
    ("msTeamsMessage", "createdBy"),
    ("discordMessage", "createdBy"),
    ("threadField", "updatedBy"),
    ("thread", "updatedBy"),
    ("customer", "updatedBy"),
)
_ACTOR_ID_FIELDS: Final = {
    "user": "userId",
    "machineUser": "machineUserId",
    "customer": "customerId",
    "system": "system",
}


class WebhookError(Exception):
    """A webhook request refused; `reason` is a short code for logs and responses."""

    reason = "invalid"


class WebhookSignatureError(WebhookError):
    reason = "bad_signature"


class WebhookStaleError(WebhookError):
    reason = "stale"


class WebhookVersionError(WebhookError):
    reason = "unknown_version"


class WebhookMalformedError(WebhookError):
    reason = "malformed"


@dataclass(frozen=True, slots=True)
class EventActor:
    """Who caused an event: `type` is Plain's actorType (user, machineUser, customer, system),
    `id` the matching id (the system's name for a system actor)."""

    type: str
    id: str | None


@dataclass(frozen=True, slots=True)
class WebhookMetadata:
    """Which target and which delivery attempt a body came with."""

    target_id: str
    target_version: str
    attempt_id: str
    attempt_number: int
    attempt_timestamp: datetime


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One Plain event. `id` is the same on every delivery attempt (the idempotency key).

    `thread_id`, `customer_id` and `tenant_id` are set where the payload names them (a thread's
    own webhook carries no tenant: only thread.thread_tenant_updated does). `payload` is the body's
    payload as sent; nothing in it is trusted text.
    """

    id: str
    type: str
    timestamp: datetime
    workspace_id: str
    payload: Mapping[str, Any] = field(repr=False, compare=False)
    metadata: WebhookMetadata | None
    thread_id: str | None = None
    customer_id: str | None = None
    tenant_id: str | None = None
    actor: EventActor | None = None


def sign(body: bytes, secret: str) -> str:
    """The `Plain-Request-Signature` of `body`: hex HMAC-SHA256 keyed by `secret`."""
    if not secret:
        raise ValueError("a webhook signing secret must not be empty")
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(*, body: bytes, signature: str | None, secret: str) -> None:
    """Raise WebhookSignatureError unless `signature` is `body`'s signature under `secret`.

    Compared in constant time. An empty secret verifies nothing (an HMAC keyed by "" is anyone's).
    """
    if not secret:
        raise WebhookSignatureError("no signing secret is configured")
    if not signature:
        raise WebhookSignatureError("the request carries no signature")
    expected = sign(body, secret)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise WebhookSignatureError("the signature does not match the body")


def verify_window(
    *, attempt_timestamp: datetime, now: datetime, window_seconds: float = WINDOW_SECONDS
) -> None:
    """Raise WebhookStaleError when the attempt was made more than `window_seconds` from `now`,
    before or after."""
    skew = (now - attempt_timestamp).total_seconds()
    if skew > window_seconds:
        raise WebhookStaleError(f"the delivery attempt is {skew:.0f}s old")
    if -skew > window_seconds:
        raise WebhookStaleError(f"the delivery attempt is dated {-skew:.0f}s in the future")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def webhook_parse(
    *,
    body: bytes,
    signature: str | None,
    secret: str,
    now: Callable[[], datetime] = _utc_now,
    versions: frozenset[str] = SUPPORTED_VERSIONS,
    window_seconds: float = WINDOW_SECONDS,
) -> WebhookEvent:
    """Verify a webhook request (signature, version, window) and read it into a WebhookEvent.

    `now` is the clock the window is measured on (injectable for tests and the emulator's clock).
    Raises a WebhookError; its message never quotes the body.
    """
    verify_signature(body=body, signature=signature, secret=secret)
    event = webhook_read(body=body, versions=versions)
    assert event.metadata is not None
    verify_window(
        attempt_timestamp=event.metadata.attempt_timestamp, now=now(), window_seconds=window_seconds
    )
    return event


def webhook_read(
    *, body: bytes | str, versions: frozenset[str] = SUPPORTED_VERSIONS
) -> WebhookEvent:
    """Read a webhook body into a WebhookEvent, checking its version and shape but neither a
    signature nor the replay window: only for a body the caller got from Plain's API itself
    (`publicEventRequestBody`), never for one that arrived in a request."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookMalformedError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookMalformedError("the body is not a JSON object")
    metadata = data.get("webhookMetadata")
    if not isinstance(metadata, dict):
        raise WebhookMalformedError("the body has no webhookMetadata")
    version = metadata.get("webhookTargetVersion")
    if version not in versions:
        shown = version if isinstance(version, str) and len(version) <= 40 else "?"
        raise WebhookVersionError(f"webhook version {shown!r} is not one this portal reads")
    return _event(data, _metadata(metadata, str(version)))


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise WebhookMalformedError(f"{key} is missing or not a string")
    return value


def _datetime(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise WebhookMalformedError(f"{what} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookMalformedError(f"{what} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise WebhookMalformedError(f"{what} has no time zone")
    return parsed.astimezone(UTC)


def _metadata(data: Mapping[str, Any], version: str) -> WebhookMetadata:
    number = data.get("webhookDeliveryAttemptNumber")
    # The JSON schema says integer; the prose docs say string: accept a string of digits too.
    if isinstance(number, str) and number.isdigit():
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise WebhookMalformedError("webhookDeliveryAttemptNumber is not a positive integer")
    return WebhookMetadata(
        target_id=_text(data, "webhookTargetId"),
        target_version=version,
        attempt_id=_text(data, "webhookDeliveryAttemptId"),
        attempt_number=number,
        attempt_timestamp=_datetime(
            data.get("webhookDeliveryAttemptTimestamp"), "webhookDeliveryAttemptTimestamp"
        ),
    )


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = payload.get(key)
    return value if isinstance(value, dict) else None


def _id_of(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    found = value.get("id")
    return found if isinstance(found, str) and found else None


def event_actor(payload: Mapping[str, Any]) -> EventActor | None:
    """Who caused the event a payload describes, or None when the payload does not say."""
    for key, actor_field in _ACTOR_SOURCES:
        source = _object(payload, key)
        actor = source.get(actor_field) if source is not None else None
        if isinstance(actor, dict) and isinstance(actor.get("actorType"), str):
            actor_type = actor["actorType"]
            actor_id = actor.get(_ACTOR_ID_FIELDS.get(actor_type, ""))
            return EventActor(type=actor_type, id=actor_id if isinstance(actor_id, str) else None)
    return None


def _event(data: Mapping[str, Any], metadata: WebhookMetadata) -> WebhookEvent:
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise WebhookMalformedError("payload is missing or not an object")
    event_type = _text(data, "type")
    if payload.get("eventType") not in (None, event_type):
        raise WebhookMalformedError("payload.eventType disagrees with type")
    thread = _object(payload, "thread")
    customer = (
        _object(payload, "customer")
        or (_object(thread, "customer") if thread is not None else None)
        or _object(payload, "previousCustomer")
    )
    return WebhookEvent(
        id=_text(data, "id"),
        type=event_type,
        timestamp=_datetime(data.get("timestamp"), "timestamp"),
        workspace_id=_text(data, "workspaceId"),
        payload=payload,
        metadata=metadata,
        thread_id=_id_of(thread),
        customer_id=_id_of(customer),
        tenant_id=_id_of(_object(payload, "tenant")),
        actor=event_actor(payload),
    )
