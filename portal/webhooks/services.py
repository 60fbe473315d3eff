"""The inbox's rules: storing an event once, applying it once on a worker, recovering missed ones.

1. The endpoint calls `inbox_receive` with a verified event: it is stored unless an event with
   its id already is (a redelivery or a duplicate counts in `received_count` and changes nothing
   else), and the outbox's task is enqueued for it on commit. No call to Plain.
2. The task applies it (`inbox_apply`, the "webhooks.inbox" kind's handler): an event made by
   the portal's own machine user is an echo; an event about a thread is routed by reading the
   thread from Plain (a thread in a webhook carries no tenant), and ignored when no organisation
   maps to its tenant or the thread is gone; otherwise each handler registered for its type
   runs once (portal/webhooks/handlers.py). A failing handler leaves the row pending for the
   outbox's retry, which runs only the handlers that had not completed.
3. `inbox_refetch` (staff, from the admin) asks Plain for a missed event's body by its id
   (`publicEventRequestBody`) and stores it through `inbox_receive`, like a delivery.
4. `inbox_reconcile` (beat) asks Plain which threads of the mapped tenants changed since its
   last run and records a synthetic RECONCILED entry for each change no stored event covers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from plain_gateway import Page, PlainClient, PlainError, Thread, iter_items
from plain_gateway.webhooks import EventActor, WebhookError, WebhookEvent, webhook_read
from portal.outbox import services as outbox
from portal.outbox.registry import Attempt, Kind
from portal.plain import get_plain_client, is_emulator, on_client_reset
from portal.tenancy.models import Organization
from portal.webhooks.handlers import RECONCILED, HandlerContext, handlers_for
from portal.webhooks.models import InboxCursor, InboxEvent, ThreadWatermark

__all__ = [
    "INBOX",
    "Received",
    "event_is_echo",
    "inbox_apply",
    "inbox_receive",
    "inbox_reconcile",
    "inbox_refetch",
    "machine_user_id",
    "machine_user_id_remember",
    "thread_changes_since",
    "thread_watermark_advance",
    "webhook_secret",
    "webhook_secret_forget",
]

logger = logging.getLogger(__name__)

# The reconciliation: how far back its first run looks, how much each run overlaps the last
# (clocks disagree a little), and how many pages of threads one run reads at most.
RECONCILE_FIRST_LOOKBACK = timedelta(hours=1)
RECONCILE_OVERLAP = timedelta(minutes=2)
RECONCILE_PAGE_SIZE = 50
RECONCILE_MAX_PAGES = 20
RECONCILE_TENANTS_PER_QUERY = 25
RECONCILE_CURSOR = "reconcile"


# === secrets and identities ====================================================================


_lock = threading.Lock()
# What the portal learnt from Plain about itself, per process and in memory only (the secret
# must not sit in a shared cache); forgotten whenever the Plain client is rebuilt.
_learnt: dict[str, str] = {}


def _forget() -> None:
    with _lock:
        _learnt.clear()


on_client_reset(_forget)


def webhook_secret() -> str:
    """The secret Plain signs webhook requests with: settings.PLAIN_HMAC_SECRET; unset, over an
    emulator (embedded or standalone, never real Plain), the emulator's `workspaceHmac`, read
    once per process (never logged, never put in the cache). "" when there is none, and then
    every request is refused."""
    configured = str(getattr(settings, "PLAIN_HMAC_SECRET", "") or "")
    if configured:
        return configured
    if not is_emulator():
        return ""
    with _lock:
        if "secret" not in _learnt:
            try:
                found = get_plain_client().workspace_hmac_secret()
            except PlainError as error:
                # Unknown for now: the request is refused and Plain retries it.
                logger.warning("Could not read the emulator's HMAC secret (%s)", _name(error))
                return ""
            _learnt["secret"] = found or ""
        return _learnt["secret"]


def webhook_secret_forget() -> None:
    """Forget what was learnt from Plain (the secret, the machine user): a regenerated secret."""
    _forget()


def _name(error: Exception) -> str:
    return type(error).__name__


def machine_user_id() -> str | None:
    """The id of the machine user the portal's API key acts as: the setting
    PLAIN_MACHINE_USER_ID, else Plain's answer to `myMachineUser`, asked once per process and
    remembered. None when Plain cannot say (asked again next time)."""
    configured = str(getattr(settings, "PLAIN_MACHINE_USER_ID", "") or "")
    if configured:
        return configured
    with _lock:
        remembered = _learnt.get("machine_user")
    if remembered:
        return remembered
    try:
        me = get_plain_client().my_machine_user()
    except PlainError as error:
        logger.warning("Could not ask Plain which machine user the portal is (%s)", _name(error))
        return None
    if me is None:
        return None
    machine_user_id_remember(me.id)
    return me.id


def machine_user_id_remember(value: str) -> None:
    with _lock:
        _learnt["machine_user"] = value


def event_is_echo(*, actor: EventActor | None, machine_user_id: str | None) -> bool:
    """Whether an event was caused by the portal itself (its machine user)."""
    return (
        actor is not None
        and machine_user_id is not None
        and actor.type == "machineUser"
        and actor.id == machine_user_id
    )


# === receiving ==================================================================================


@dataclass(frozen=True, slots=True)
class Received:
    row: InboxEvent
    created: bool


def _without_nul(value: Any) -> Any:
    # PostgreSQL's jsonb cannot hold U+0000; a message text with one must not make the event
    # unstorable (Plain would retry it for days).
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _row_fields(event: WebhookEvent, source: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": event.id,
        "event_type": event.type[:80],
        "event_timestamp": event.timestamp,
        "source": source,
        "workspace_id": event.workspace_id[:64],
        "thread_id": (event.thread_id or "")[:64],
        "customer_id": (event.customer_id or "")[:64],
        "tenant_id": (event.tenant_id or "")[:64],
        "actor_type": event.actor.type[:32] if event.actor else "",
        "actor_id": (event.actor.id or "")[:100] if event.actor else "",
        "payload": _without_nul(dict(event.payload)),
    }
    if event.metadata is not None:
        fields |= {
            "webhook_target_id": event.metadata.target_id[:64],
            "webhook_version": event.metadata.target_version[:32],
            "attempt_id": event.metadata.attempt_id[:64],
            "attempt_number": event.metadata.attempt_number,
            "attempt_timestamp": event.metadata.attempt_timestamp,
        }
    return fields


def inbox_receive(*, event: WebhookEvent, source: str = InboxEvent.Source.WEBHOOK) -> Received:
    """Store a verified event once (unique on its id) and enqueue applying it on commit.

    An event already stored is counted again (`received_count`) and otherwise left alone.
    """
    if len(event.id) > 100:
        raise ValueError("an event id longer than 100 characters")
    try:
        with transaction.atomic():
            row = outbox.row_create(of=INBOX, **_row_fields(event, source))
        return Received(row=row, created=True)
    except IntegrityError:
        InboxEvent.objects.filter(event_id=event.id).update(received_count=F("received_count") + 1)
        return Received(row=InboxEvent.objects.get(event_id=event.id), created=False)


# === applying ===================================================================================


def _organization_for(thread: Thread) -> Organization | None:
    tenant = thread.tenant
    if tenant is None:
        return None
    return Organization.objects.filter(
        Q(tenant_external_id=tenant.external_id) | Q(plain_tenant_id=tenant.id)
    ).first()


def _conclude(row: InboxEvent, outcome: str, detail: str = "", **fields: Any) -> str:
    InboxEvent.objects.filter(pk=row.pk).update(
        outcome=outcome, outcome_detail=detail[:300], updated_at=timezone.now(), **fields
    )
    return outcome


def _read_cache_forget(event: WebhookEvent) -> None:
    # An ignored event runs no handlers, but a cached copy of its thread must not outlive the
    # thread's move away from a tenant we map (or its deletion).
    from portal.support.handlers import read_cache_event_invalidate

    read_cache_event_invalidate(event=event)


def inbox_apply(attempt: Attempt) -> str:
    """The outbox handler: apply one claimed inbox row. Returns its outcome."""
    row: InboxEvent = attempt.row
    event = row.as_event()
    echo = event_is_echo(actor=event.actor, machine_user_id=machine_user_id())
    organization: Organization | None = None
    thread: Thread | None = None
    if echo:
        handlers = handlers_for(event.type, echo=True)
    else:
        if event.thread_id:
            # The event's thread has no tenant in it; Plain's current thread says who may see it.
            found = get_plain_client().thread(thread_id=event.thread_id, last=1)
            if found is None:
                _read_cache_forget(event)
                return _conclude(row, InboxEvent.Outcome.IGNORED, "the thread no longer exists")
            thread = found.thread
            organization = _organization_for(thread)
            if organization is None:
                _read_cache_forget(event)
                tenant = thread.tenant.external_id if thread.tenant else "no tenant"
                return _conclude(
                    row,
                    InboxEvent.Outcome.IGNORED,
                    f"the thread's tenant ({tenant}) maps to no organisation",
                )
        handlers = handlers_for(event.type)
    context = HandlerContext(event=event, row=row, organization=organization, thread=thread)
    done = list(row.handled or [])
    for handler in handlers:
        if handler.name in done:
            continue
        with transaction.atomic():
            handler.func(context)
            done.append(handler.name)
            InboxEvent.objects.filter(pk=row.pk).update(handled=done)
    if echo:
        return _conclude(row, InboxEvent.Outcome.ECHO, "made by the portal's machine user")
    detail = "" if handlers else "no handler for this event type"
    return _conclude(row, InboxEvent.Outcome.APPLIED, detail, organization=organization)


INBOX = Kind(name="webhooks.inbox", model=InboxEvent, handler=inbox_apply)


def thread_watermark_advance(
    *, thread_id: str, key: str, timestamp: datetime, event_id: str
) -> bool:
    """True, and the thread's `key` mark moved to `timestamp`, unless an event newer than
    `timestamp` was already applied there (then False: the caller's event is stale)."""
    with transaction.atomic():
        mark, created = ThreadWatermark.objects.select_for_update().get_or_create(
            thread_id=thread_id,
            key=key,
            defaults={"applied_at": timestamp, "event_id": event_id},
        )
        if created:
            return True
        if timestamp < mark.applied_at:
            return False
        mark.applied_at, mark.event_id = timestamp, event_id
        mark.save(update_fields=["applied_at", "event_id", "updated_at"])
        return True


# === recovering missed events ===================================================================


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def thread_changes_since(
    *,
    client: PlainClient,
    tenant_external_ids: Sequence[str],
    since: datetime,
    max_pages: int = RECONCILE_MAX_PAGES,
) -> list[Thread]:
    """The threads of these tenants that Plain updated at or after `since`, asked of Plain with
    ThreadsFilter.updatedAt (at most `max_pages` pages per chunk of tenants)."""
    changed: dict[str, Thread] = {}
    for chunk in _chunks(list(tenant_external_ids), RECONCILE_TENANTS_PER_QUERY):

        def fetch(after: str | None, chunk: Sequence[str] = chunk) -> Page[Thread]:
            return client.threads(
                tenant_external_ids=chunk,
                updated_after=since,
                first=RECONCILE_PAGE_SIZE,
                after=after,
            )

        for thread in iter_items(fetch, max_pages=max_pages):
            if thread.updated_at is not None and thread.updated_at >= since:
                changed[thread.id] = thread
    return sorted(changed.values(), key=lambda thread: (thread.updated_at, thread.id))


def _reconciled_event(thread: Thread) -> WebhookEvent:
    assert thread.updated_at is not None
    stamp = int(thread.updated_at.timestamp() * 1000)
    return WebhookEvent(
        id=f"reconciled_{thread.id}_{stamp}",
        type=RECONCILED,
        timestamp=thread.updated_at,
        workspace_id="",
        payload={"eventType": RECONCILED, "thread": {"id": thread.id}},
        metadata=None,
        thread_id=thread.id,
        customer_id=thread.customer.id,
    )


def inbox_reconcile(*, now: datetime | None = None, client: PlainClient | None = None) -> int:
    """Record a RECONCILED inbox entry for each thread of a mapped tenant that changed since
    the last run with no stored event as recent. Returns how many entries it recorded.

    Idempotent: an entry's id is the thread and its updatedAt, so running twice adds nothing.
    """
    now = now or timezone.now()
    client = client or get_plain_client()
    cursor = InboxCursor.objects.filter(name=RECONCILE_CURSOR).first()
    since = (cursor.at if cursor else now - RECONCILE_FIRST_LOOKBACK) - RECONCILE_OVERLAP
    tenants = list(Organization.objects.order_by("pk").values_list("tenant_external_id", flat=True))
    recorded = 0
    for thread in thread_changes_since(client=client, tenant_external_ids=tenants, since=since):
        assert thread.updated_at is not None
        covered = InboxEvent.objects.filter(
            thread_id=thread.id, event_timestamp__gte=thread.updated_at
        ).exists()
        if not covered:
            received = inbox_receive(
                event=_reconciled_event(thread), source=InboxEvent.Source.RECONCILED
            )
            recorded += int(received.created)
    InboxCursor.objects.update_or_create(name=RECONCILE_CURSOR, defaults={"at": now})
    if recorded:
        logger.info("Reconciliation recorded %d changed threads no webhook covered", recorded)
    return recorded


def inbox_refetch(*, event_id: str, client: PlainClient | None = None) -> Received:
    """Fetch a missed event's body from Plain by its id and store it as a delivery would
    (`inbox_receive`: applied once, on a worker). An event already stored whose apply failed is
    reopened, with the fetched payload, for the worker to apply again; one already applied is
    left alone. Raises LookupError when Plain has no such event, and WebhookError when its body
    is not one this portal reads.

    The body comes from Plain's API (authenticated by our key), not from a request: it carries
    no signature, and its attempt timestamp is not checked against the replay window.
    """
    client = client or get_plain_client()
    body = client.public_event_request_body(event_id=event_id)
    if body is None:
        raise LookupError(f"Plain has no event {event_id!r}")
    event = webhook_read(body=body)
    if event.id != event_id:
        raise WebhookError("the body Plain returned is for another event")
    received = inbox_receive(event=event)
    if not received.created and received.row.is_failed:
        fields = _row_fields(event, received.row.source)
        fields.pop("event_id")
        InboxEvent.objects.filter(pk=received.row.pk).update(**fields)
        outbox.retry(kind=INBOX, row_ids=[received.row.pk])
        received = Received(row=InboxEvent.objects.get(pk=received.row.pk), created=False)
    return received
