"""Delivery of the "agent_context.event" outbox kind: one row, one event written to Plain.

The outbox (portal/outbox/) claims, retries and gives up; this module says what one attempt
does. Exactly once, as far as Plain's API allows: every event carries its row's externalId, so
an attempt after a lost answer (Plain wrote the event, the answer never came back) is refused by
Plain as a repeat, which gateway raises as PlainAlreadyExistsError and which counts as
delivered. A customer event names the customer by our externalId; when Plain has no such
customer yet, it is upserted first through the tenancy sync's own service and the event sent
again by Plain's customer id.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.dateparse import parse_datetime

from plain_gateway import (
    PlainAlreadyExistsError,
    PlainAuthenticationError,
    PlainForbiddenError,
    PlainNotFoundError,
)
from plain_gateway.components import components_from_input
from portal.accounts.models import User
from portal.agent_context.services import KIND_NAME
from portal.outbox.registry import Attempt, Kind, Permanent
from portal.plain import get_plain_client
from portal.tenancy.services import plain_customer_ensure

__all__ = ["AGENT_EVENTS", "agent_event_send"]

logger = logging.getLogger(__name__)


def agent_event_send(attempt: Attempt) -> str | None:
    """The kind's handler: write the row's event to Plain; returns the event's id (None when
    Plain already had it, or when the customer it is about is gone from both sides)."""
    payload: dict[str, Any] = attempt.row.payload
    try:
        components = components_from_input(payload["components"], event=True)
        at = parse_datetime(payload["at"])
    except (KeyError, TypeError, ValueError) as exc:
        raise Permanent(f"The event's payload is not readable: {exc}") from exc
    common: dict[str, Any] = {
        "title": payload["title"],
        "components": components,
        "external_id": payload["external_id"],
        "timestamp": at,
    }
    client = get_plain_client()
    try:
        if payload.get("thread_id"):
            return client.create_thread_event(thread_id=payload["thread_id"], **common)
        return _customer_event_send(attempt, payload["customer"], common)
    except PlainAlreadyExistsError:
        # An earlier attempt wrote it; its answer was lost.
        attempt.notes["already_existed"] = True
        return None


def _customer_event_send(
    attempt: Attempt, customer: dict[str, Any], common: dict[str, Any]
) -> str | None:
    client = get_plain_client()
    try:
        return client.create_customer_event(customer_external_id=customer["external_id"], **common)
    except PlainNotFoundError:
        user_id = customer.get("user_id")
        user = User.objects.filter(pk=int(user_id)).first() if user_id else None
        if user is None or user.plain_external_id != customer["external_id"]:
            # Deleted before Plain ever knew them: no customer, so no thread an agent could
            # see the event on.
            logger.info("Agent event %s: its customer is gone; nothing to write", attempt.row_id)
            attempt.notes["customer_gone"] = True
            return None
    customer_id = plain_customer_ensure(user=user)
    attempt.notes["customer_upserted"] = True
    return client.create_customer_event(customer_id=customer_id, **common)


def _retriable(error: BaseException) -> bool:
    # A key Plain rejects is our configuration, fixed by us: the events wait for it.
    if isinstance(error, PlainAuthenticationError | PlainForbiddenError):
        return True
    return bool(getattr(error, "retriable", True))


AGENT_EVENTS = Kind(name=KIND_NAME, handler=agent_event_send, retriable=_retriable)
