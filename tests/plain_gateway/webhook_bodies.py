"""A factory of Plain webhook bodies shaped as Plain's webhook JSON schema says, and signing.

`validate(body)` checks one against /work/shared/plain/webhook-schema.json (beside the project
root, as tests/plain_gateway/test_operations.py finds Plain's schema); `needs_schema` skips a
test where that file is absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ulid import ULID

from plain_gateway.webhooks import SIGNATURE_HEADER, SUPPORTED_VERSIONS, sign

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SCHEMA = PROJECT_ROOT.parent / "shared" / "plain" / "webhook-schema.json"
VERSION = next(iter(SUPPORTED_VERSIONS))
SECRET = "test-hmac-secret-7f3a9c"

needs_schema = pytest.mark.skipif(
    not WEBHOOK_SCHEMA.is_file(),
    reason=f"Plain's webhook JSON schema lives outside the repo, at {WEBHOOK_SCHEMA}; absent here",
)


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"


def stamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as Plain writes them."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def now() -> datetime:
    return datetime.now(UTC)


def user_actor(user_id: str | None = None) -> dict[str, Any]:
    return {"actorType": "user", "userId": user_id or new_id("u")}


def machine_user_actor(machine_user_id: str) -> dict[str, Any]:
    return {"actorType": "machineUser", "machineUserId": machine_user_id}


def customer_actor(customer_id: str) -> dict[str, Any]:
    return {"actorType": "customer", "customerId": customer_id}


def customer(
    *,
    customer_id: str | None = None,
    email: str = "alice@acme.test",
    full_name: str = "Alice Example",
    at: datetime | None = None,
    updated_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    at = at or now()
    customer_id = customer_id or new_id("c")
    return {
        "id": customer_id,
        "email": {"email": email, "isVerified": True, "verifiedAt": stamp(at)},
        "externalId": None,
        "fullName": full_name,
        "shortName": None,
        "customerGroupMemberships": [],
        "createdAt": stamp(at - timedelta(days=1)),
        "createdBy": user_actor(),
        "updatedAt": stamp(at),
        "updatedBy": updated_by or user_actor(),
    }


def thread(
    *,
    thread_id: str | None = None,
    customer_id: str | None = None,
    status: str = "TODO",
    title: str = "Cannot export invoices",
    at: datetime | None = None,
    updated_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    at = at or now()
    return {
        "id": thread_id or new_id("th"),
        "customer": customer(customer_id=customer_id, at=at),
        "title": title,
        "previewText": None,
        "priority": 2,
        "externalId": None,
        "status": status,
        "statusChangedAt": stamp(at),
        "statusDetail": {"type": "CREATED", "createdAt": stamp(at)}
        if status == "TODO"
        else {"type": "DONE_MANUALLY_SET"},
        "assignee": None,
        "assignedAt": None,
        "labels": [],
        "firstInboundMessageInfo": None,
        "firstOutboundMessageInfo": None,
        "lastInboundMessageInfo": None,
        "lastOutboundMessageInfo": None,
        "supportEmailAddresses": [],
        "createdAt": stamp(at - timedelta(minutes=5)),
        "createdBy": user_actor(),
        "updatedAt": stamp(at),
        "updatedBy": updated_by or user_actor(),
    }


def body(
    event_type: str,
    payload: dict[str, Any],
    *,
    event_id: str | None = None,
    timestamp: datetime | None = None,
    attempt_at: datetime | None = None,
    attempt_number: int = 1,
    version: str = VERSION,
) -> dict[str, Any]:
    timestamp = timestamp or now()
    return {
        "id": event_id or new_id("pEv"),
        "type": event_type,
        "timestamp": stamp(timestamp),
        "workspaceId": new_id("w"),
        "payload": {"eventType": event_type, **payload},
        "webhookMetadata": {
            "webhookTargetId": new_id("whTarget"),
            "webhookTargetVersion": version,
            "webhookDeliveryAttemptId": new_id("whAttempt"),
            "webhookDeliveryAttemptNumber": attempt_number,
            "webhookDeliveryAttemptTimestamp": stamp(attempt_at or now()),
        },
    }


def thread_created(**thread_fields: Any) -> dict[str, Any]:
    at = thread_fields.get("at")
    return body("thread.thread_created", {"thread": thread(**thread_fields)}, timestamp=at)


def chat_sent(
    *,
    text: str = "We have fixed the export.",
    by: dict[str, Any] | None = None,
    **thread_fields: Any,
) -> dict[str, Any]:
    """An agent's chat reply (by a user unless `by` says otherwise)."""
    at = thread_fields.get("at") or now()
    actor = by or user_actor()
    chat = {
        "timelineEntryId": new_id("te"),
        "id": new_id("chat"),
        "customerReadAt": None,
        "text": text,
        "attachments": [],
        "createdAt": stamp(at),
        "createdBy": actor,
        "updatedAt": stamp(at),
        "updatedBy": actor,
    }
    return body(
        "thread.chat_sent",
        {"chat": chat, "thread": thread(updated_by=actor, **thread_fields)},
        timestamp=at,
    )


def status_transitioned(
    *, status: str, previous: str = "TODO", **thread_fields: Any
) -> dict[str, Any]:
    at = thread_fields.get("at") or now()
    current = thread(status=status, **thread_fields)
    before = {**thread(status=previous, **thread_fields), "id": current["id"]}
    return body(
        "thread.thread_status_transitioned",
        {"previousThread": before, "thread": current},
        timestamp=at,
    )


def customer_updated(
    *, customer_id: str | None = None, full_name: str = "Alice B. Example"
) -> dict[str, Any]:
    customer_id = customer_id or new_id("c")
    return body(
        "customer.customer_updated",
        {
            "customer": customer(customer_id=customer_id, full_name=full_name),
            "previousCustomer": customer(customer_id=customer_id),
        },
    )


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def signed_headers(raw: bytes, secret: str = SECRET) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(raw, secret)}


@cache
def _validator() -> Any:
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    schema = json.loads(WEBHOOK_SCHEMA.read_text())
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=FormatChecker())


def validate(data: dict[str, Any]) -> None:
    """Raise jsonschema's ValidationError unless `data` is a webhook body Plain's schema allows."""
    _validator().validate(data)
