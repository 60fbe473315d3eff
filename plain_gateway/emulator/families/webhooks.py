"""Webhook targets and deliveries: Plain's targets API, and what the emulator queues to send.

State: targets (at most MAX_TARGETS, https URLs unless http is allowed, event types from Plain's
webhook schema, the schema's version), public events (the body of each event that at least one
target subscribed to, kept EVENT_RETENTION_MS for publicEventRequestBody), deliveries (one per
event and target, with the retry schedule) and attempts (each with its result). All persisted.

Queuing: the family subscribes to every domain event ("*"); when one commits, it builds Plain's
payloads for it (webhook_bodies.py) and, for each enabled target subscribed to a payload's type,
queues a delivery in a transaction of its own (right after the event's; an event no target wants
costs nothing). Sending is not here: plain_gateway/emulator/delivery.py claims due deliveries
(`deliveries_claim`), sends them with no lock held and records each attempt (`attempt_record`).

Conservative rules where Plain does not document its own:
- a URL must be absolute, https, with a host (http too when allowed: see `http_targets`), and at
  most 2,000 characters; the description at most 500;
- an event type must be one of Plain's (subscriptionEventTypes); listed twice is refused; no
  subscriptions at all is allowed (the target then receives nothing);
- the version must be one webhookVersions lists (only the one Plain's JSON schema pins); none
  given means the latest;
- only users and machine users manage targets;
- webhookDeliveryAttempts answers the attempts recorded for the id, newest first (none for an id
  that never had a target, rather than an error); deleting a target stops its pending deliveries;
- publicEventRequestBody answers the body as last sent (with that attempt's webhookMetadata), or
  without webhookMetadata before the first attempt; null after 30 days or for an unknown id.
Faults (drop, duplicate, reorder, delay) are the process's, set by the control API, not persisted.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.signing import Signing
from plain_gateway.emulator.store import Event, new_id
from plain_gateway.emulator.webhook_bodies import EVENT_TYPES, payloads

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = [
    "EVENT_RETENTION_MS",
    "EVENT_TYPES",
    "MAX_TARGETS",
    "RETRY_DELAYS_S",
    "WEBHOOK_VERSION",
    "DeliveryAttempt",
    "DeliveryRequest",
    "PublicEvent",
    "WebhookDelivery",
    "WebhookFaults",
    "WebhookTarget",
    "Webhooks",
    "http_host_allowed",
    "url_host_allowed",
]

MAX_TARGETS = 25
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500
WEBHOOK_VERSION = "2026-04-21"  # the version webhook-schema.json pins
# Plain's documented retry schedule: the delay before retry 1, 2, ... (about five days in all).
RETRY_DELAYS_S = (10, 30, 300, 1800, 3600, 10800, 21600, 43200, 86400, 86400, 86400, 86400)
EVENT_RETENTION_MS = 30 * 24 * 3600 * 1000
CLAIM_LEASE_MS = 60_000  # a claimed delivery is someone's for this long (then retried)
HTTP_LOOPBACK = "loopback"
BURST_TYPES = (
    "thread.thread_created",
    "thread.thread_status_transitioned",
    "thread.thread_priority_changed",
)
HTTP_ANY = "any"


def http_host_allowed(host: str, setting: str | None) -> bool:
    """Whether a plain http URL to `host` is allowed under `setting` (None: https only;
    HTTP_LOOPBACK: loopback hosts; HTTP_ANY: any host)."""
    if setting == HTTP_ANY:
        return True
    if setting != HTTP_LOOPBACK:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host_allowed(url: str, setting: str | None) -> bool:
    """Whether `url` is absolute with a host, and https (or http as `setting` allows)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    if parts.scheme not in ("https", "http") or not host:
        return False
    return parts.scheme == "https" or http_host_allowed(host, setting)


@dataclass(slots=True)
class WebhookTarget:
    id: str
    url: str
    description: str
    event_types: list[str]
    version: str
    is_enabled: bool
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor


@dataclass(slots=True)
class PublicEvent:
    id: str
    type: str
    timestamp: int
    body: dict[str, Any]  # id, type, timestamp, workspaceId, payload (no webhookMetadata)
    last_metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class WebhookDelivery:
    id: str
    event_id: str
    target_id: str
    event_type: str
    created_at: int
    sequence: int  # queue order among deliveries due at the same moment
    next_at: int | None  # due time (emulator clock); None: held, done, or given up
    state: str = "pending"  # pending | held | delivered | failed | cancelled
    attempts: int = 0
    claimed_until: int | None = None


@dataclass(slots=True)
class DeliveryAttempt:
    id: str
    delivery_id: str
    target_id: str
    event_id: str
    event_type: str
    number: int
    attempted_at: int
    duration_ms: int
    result: dict[str, Any]  # status, and http_status_code | error_code, error_message


@dataclass(frozen=True, slots=True)
class DeliveryRequest:
    """One attempt to make: what delivery.py sends (the body signed, nothing else to look up)."""

    delivery_id: str
    attempt_id: str
    number: int
    url: str
    body: bytes
    headers: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class WebhookFaults:
    """Injected by the control API: the next `drop` events are not delivered, the next
    `duplicate` are delivered twice, the next `delay_count` are held `delay_seconds`
    (emulator seconds), and `reorder` swaps the next pair of events."""

    drop: int = 0
    duplicate: int = 0
    delay_count: int = 0
    delay_seconds: float = 0.0
    reorder: int = 0  # pairs left to swap
    held: list[str] = field(default_factory=list)  # delivery ids held for the swap

    def view(self) -> dict[str, Any]:
        return {
            "drop": self.drop,
            "duplicate": self.duplicate,
            "delay": {"count": self.delay_count, "seconds": self.delay_seconds},
            "reorder": self.reorder,
            "held": len(self.held),
        }


class Webhooks(Family):
    """The workspace's webhook targets, the events queued for them, and every attempt."""

    requires = (Signing,)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.webhook_targets = self.store.collection("webhook_target", WebhookTarget)
        self.public_events = self.store.collection("public_event", PublicEvent)
        self.webhook_deliveries = self.store.collection("webhook_delivery", WebhookDelivery)
        self.delivery_attempts = self.store.collection("webhook_delivery_attempt", DeliveryAttempt)
        # None: https only (as Plain); HTTP_LOOPBACK: http to loopback hosts too; HTTP_ANY: http
        # to any host (an embedding process whose transport never reaches a network).
        self.http_targets: str | None = None
        self.webhook_faults = WebhookFaults()
        self._queued_listeners: list[Any] = []
        self.store.subscribe("*", self._on_event)

    # --- targets --------------------------------------------------------------------------------

    def webhook_target_get(
        self, target_id: str, *, field_name: str = "webhook_target_id"
    ) -> WebhookTarget:
        target = self.webhook_targets.get(target_id)
        if target is None:
            raise not_found(field_name, "webhook target", target_id)
        return target

    def webhook_target_list(self) -> list[WebhookTarget]:
        return sorted(self.webhook_targets.values(), key=lambda t: (t.created_at, t.id))

    def _url_check(self, url: str) -> str:
        url = (url or "").strip()
        if not url:
            raise invalid("url", "url is required", "REQUIRED")
        if len(url) > MAX_URL_LENGTH:
            raise invalid("url", f"url must be at most {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise invalid("url", "url is not a valid URL") from None
        if parts.scheme not in ("https", "http") or not host:
            raise invalid("url", "url must be an absolute https URL")
        if parts.scheme == "http" and not self._http_allowed(host):
            raise invalid("url", "url must use https")
        return url

    def _http_allowed(self, host: str) -> bool:
        return http_host_allowed(host, self.http_targets)

    def _event_types_check(self, event_types: Sequence[str]) -> list[str]:
        errors = []
        seen: set[str] = set()
        for i, event_type in enumerate(event_types):
            where = f"event_subscriptions[{i}].event_type"
            if event_type not in EVENT_TYPES:
                errors.append(FieldError(where, f"unknown event type {event_type!r}"))
            elif event_type in seen:
                errors.append(FieldError(where, f"event type {event_type!r} is listed twice"))
            seen.add(event_type)
        if errors:
            raise fields_invalid(errors)
        return list(event_types)

    def _version_check(self, version: str | None) -> str:
        if version is None:
            return WEBHOOK_VERSION
        if version != WEBHOOK_VERSION:
            raise invalid("version", f"unknown webhook version {version!r}")
        return version

    def _description_check(self, description: str) -> str:
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise invalid(
                "description", f"description must be at most {MAX_DESCRIPTION_LENGTH} characters"
            )
        return description

    def webhook_target_create(
        self,
        *,
        actor: Actor,
        url: str,
        event_types: Sequence[str],
        is_enabled: bool,
        description: str,
        version: str | None = None,
    ) -> WebhookTarget:
        checked_url = self._url_check(url)
        types = self._event_types_check(event_types)
        checked_version = self._version_check(version)
        checked_description = self._description_check(description)
        if len(self.webhook_targets) >= MAX_TARGETS:
            raise StateError(
                "too_many_webhook_targets",
                f"a workspace can have at most {MAX_TARGETS} webhook targets",
            )
        now = self.store.now()
        target = WebhookTarget(
            id=new_id("whTarget", now),
            url=checked_url,
            description=checked_description,
            event_types=types,
            version=checked_version,
            is_enabled=is_enabled,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.webhook_targets[target.id] = target
        self.store.touch("webhook_target", target.id)
        self.store.emit("webhook_target.webhook_target_created", webhook_target_id=target.id)
        return target

    def webhook_target_update(
        self,
        *,
        actor: Actor,
        target_id: str,
        url: Any = ...,
        event_types: Any = ...,
        is_enabled: Any = ...,
        description: Any = ...,
        version: Any = ...,
    ) -> WebhookTarget:
        """`...` leaves a field as it is."""
        target = self.webhook_target_get(target_id)
        changes: dict[str, Any] = {}
        if url is not ...:
            changes["url"] = self._url_check(url)
        if event_types is not ...:
            changes["event_types"] = self._event_types_check(event_types)
        if is_enabled is not ...:
            changes["is_enabled"] = bool(is_enabled)
        if description is not ...:
            changes["description"] = self._description_check(description)
        if version is not ...:
            changes["version"] = self._version_check(version)
        previous = {k: getattr(target, k) for k, v in changes.items() if getattr(target, k) != v}
        if not previous:
            return target
        for key, value in changes.items():
            setattr(target, key, value)
        target.updated_at, target.updated_by = self.store.now(), actor
        self.store.touch("webhook_target", target.id)
        self.store.emit(
            "webhook_target.webhook_target_updated", webhook_target_id=target.id, previous=previous
        )
        return target

    def webhook_target_delete(self, *, actor: Actor, target_id: str) -> WebhookTarget:
        target = self.webhook_target_get(target_id)
        del self.webhook_targets[target.id]
        self.store.touch("webhook_target", target.id)
        for delivery in self.webhook_deliveries.values():
            if delivery.target_id == target.id and delivery.state in ("pending", "held"):
                delivery.state, delivery.next_at = "cancelled", None
                self.store.touch("webhook_delivery", delivery.id)
        self.store.emit(
            "webhook_target.webhook_target_deleted",
            webhook_target_id=target.id,
            deleted_by=actor,
        )
        return target

    # --- events and queuing ---------------------------------------------------------------------

    def webhook_queued_listen(self, callback: Any) -> None:
        """Call `callback()` whenever deliveries were queued (the delivery worker wakes on it)."""
        self._queued_listeners.append(callback)

    def _on_event(self, event: Event) -> None:
        if not any(t.is_enabled and t.event_types for t in self.webhook_targets.values()):
            return
        built = payloads(self.state, event)
        wanted = [
            (kind, payload, targets)
            for kind, payload in built
            if (
                targets := [
                    t for t in self.webhook_target_list() if t.is_enabled and kind in t.event_types
                ]
            )
        ]
        if not wanted:
            return
        # The event's transaction has committed: queue in one of our own, so the queue is durable.
        # A failure here must not fail the request whose write already committed: say it, loudly.
        try:
            with self.store.transaction():
                for kind, payload, targets in wanted:
                    self._queue(kind, payload, targets)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return
        for callback in self._queued_listeners:
            callback()

    def _queue(
        self, kind: str, payload: dict[str, Any], targets: Sequence[WebhookTarget]
    ) -> str | None:
        """Record the event and a delivery per target (faults applied); returns the event id."""
        faults = self.webhook_faults
        if faults.drop > 0:
            faults.drop -= 1
            return None
        now = self.store.now()
        event = PublicEvent(
            id=new_id("pEv", now),
            type=kind,
            timestamp=now,
            body={
                "id": "",
                "type": kind,
                "timestamp": graph.iso(now),
                "workspaceId": self.state.family(Signing).signing_workspace_id(),
                "payload": payload,
            },
        )
        event.body["id"] = event.id
        self.public_events[event.id] = event
        self.store.touch("public_event", event.id)
        copies = 1
        if faults.duplicate > 0:
            faults.duplicate -= 1
            copies = 2
        due = now
        if faults.delay_count > 0:
            faults.delay_count -= 1
            due = now + round(faults.delay_seconds * 1000)
        created = []
        for target in targets:
            for _ in range(copies):
                delivery = WebhookDelivery(
                    id=new_id("whDelivery", now),
                    event_id=event.id,
                    target_id=target.id,
                    event_type=kind,
                    created_at=now,
                    sequence=self.store.counter("webhook_delivery"),
                    next_at=due,
                )
                self.webhook_deliveries[delivery.id] = delivery
                self.store.touch("webhook_delivery", delivery.id)
                created.append(delivery)
        if faults.held:  # the second of a reordered pair: it goes first, the held one after it
            for held_id in faults.held:
                held = self.webhook_deliveries.get(held_id)
                if held is not None and held.state == "held":
                    held.state, held.next_at = "pending", due
                    held.sequence = self.store.counter("webhook_delivery")
                    self.store.touch("webhook_delivery", held.id)
            faults.held = []
        elif faults.reorder > 0:  # the first of a pair: held until the next event is queued
            faults.reorder -= 1
            for delivery in created:
                delivery.state, delivery.next_at = "held", None
            faults.held = [d.id for d in created]
        return event.id

    def webhook_burst(
        self, *, count: int, event_type: str, thread_id: str | None = None
    ) -> list[str]:
        """`count` synthetic events of `event_type`, built from a thread (the newest one unless
        `thread_id`), queued for every subscribed enabled target. Returns their event ids."""
        from plain_gateway.emulator.webhook_bodies import thread_view

        if event_type not in BURST_TYPES:
            raise invalid(
                "event_type",
                "a burst raises thread.thread_created, thread.thread_status_transitioned"
                " or thread.thread_priority_changed",
            )
        if not 1 <= count <= 100_000:
            raise invalid("count", "count must be between 1 and 100000")
        if thread_id is None:
            threads = sorted(self.state.threads.values(), key=lambda t: (t.created_at, t.id))
            if not threads:
                raise invalid("thread_id", "a burst needs a thread: create one first", "REQUIRED")
            thread = threads[-1]
        else:
            thread = self.state.thread_get(thread_id)
        view = thread_view(self.state, thread)
        assert view is not None
        payload: dict[str, Any] = {"eventType": event_type, "thread": view}
        if event_type != "thread.thread_created":
            payload["previousThread"] = view
        targets = [
            t for t in self.webhook_target_list() if t.is_enabled and event_type in t.event_types
        ]
        ids = [self._queue(event_type, payload, targets) for _ in range(count)] if targets else []
        return [i for i in ids if i is not None]

    def public_event_body(self, *, event_id: str) -> str | None:
        event = self.public_events.get(event_id)
        if event is None or self.store.clock_read() - event.timestamp > EVENT_RETENTION_MS:
            return None
        body = dict(event.body)
        if event.last_metadata is not None:
            body["webhookMetadata"] = event.last_metadata
        return json.dumps(body, separators=(",", ":"))

    # --- delivery (driven by delivery.py) -------------------------------------------------------

    def deliveries_due_at(self) -> int | None:
        """When the next pending delivery falls due (emulator ms), or None."""
        times = [
            max(d.next_at, d.claimed_until or 0)
            for d in self.webhook_deliveries.values()
            if d.state == "pending" and d.next_at is not None
        ]
        return min(times, default=None)

    def deliveries_claim(self, *, limit: int = 100, wall_ms: int) -> list[DeliveryRequest]:
        """Claim the deliveries due now (oldest first) and build each one's signed request.

        `wall_ms` is real time: the attempt timestamp a receiver checks against its own clock,
        so a replay window holds while the emulator's clock is shifted."""
        from plain_gateway.webhooks import SIGNATURE_HEADER, sign

        now = self.store.now()
        due = sorted(
            (
                d
                for d in self.webhook_deliveries.values()
                if d.state == "pending"
                and d.next_at is not None
                and d.next_at <= now
                and (d.claimed_until is None or d.claimed_until <= now)
            ),
            key=lambda d: (d.next_at, d.sequence),
        )[:limit]
        signing = self.state.family(Signing)
        secret = signing.signing_secret()
        requests = []
        for delivery in due:
            target = self.webhook_targets.get(delivery.target_id)
            event = self.public_events.get(delivery.event_id)
            if target is None or event is None or not target.is_enabled:
                delivery.state, delivery.next_at = "cancelled", None
                self.store.touch("webhook_delivery", delivery.id)
                continue
            number = delivery.attempts + 1
            attempt_id = new_id("whAttempt", now)
            attempted = graph.iso(wall_ms)
            metadata = {
                "webhookTargetId": target.id,
                "webhookTargetVersion": target.version,
                "webhookDeliveryAttemptId": attempt_id,
                "webhookDeliveryAttemptNumber": number,
                "webhookDeliveryAttemptTimestamp": attempted,
            }
            body = json.dumps({**event.body, "webhookMetadata": metadata}, separators=(",", ":"))
            raw = body.encode()
            event.last_metadata = metadata
            self.store.touch("public_event", event.id)
            delivery.claimed_until = now + CLAIM_LEASE_MS
            self.store.touch("webhook_delivery", delivery.id)
            headers = (
                ("Accept", "application/json"),
                ("Content-Type", "application/json"),
                ("User-Agent", "Plain-Webhooks/1.0 (plain.com; help@plain.com) plain-emulator"),
                ("Plain-Workspace-Id", signing.signing_workspace_id()),
                ("Plain-Webhook-Target-Id", target.id),
                ("Plain-Webhook-Target-Version", target.version),
                ("Plain-Webhook-Delivery-Attempt-Id", attempt_id),
                ("Plain-Webhook-Delivery-Attempt-Number", str(number)),
                ("Plain-Webhook-Delivery-Attempt-Timestamp", attempted),
                ("Plain-Event-Type", event.type),
                ("Plain-Event-Id", event.id),
                (SIGNATURE_HEADER, sign(raw, secret)),
            )
            requests.append(
                DeliveryRequest(
                    delivery_id=delivery.id,
                    attempt_id=attempt_id,
                    number=number,
                    url=target.url,
                    body=raw,
                    headers=headers,
                )
            )
        return requests

    def attempt_record(
        self, *, request: DeliveryRequest, duration_ms: int, result: dict[str, Any]
    ) -> DeliveryAttempt:
        """Record one attempt's result and schedule the retry (Plain's schedule) if it failed."""
        delivery = self.webhook_deliveries[request.delivery_id]
        now = self.store.now()
        attempt = DeliveryAttempt(
            id=request.attempt_id,
            delivery_id=delivery.id,
            target_id=delivery.target_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            number=request.number,
            attempted_at=now,
            duration_ms=duration_ms,
            result=result,
        )
        self.delivery_attempts[attempt.id] = attempt
        self.store.touch("webhook_delivery_attempt", attempt.id)
        delivery.attempts = request.number
        delivery.claimed_until = None
        if delivery.state != "pending":
            pass  # cancelled while in flight: stays so
        elif result["status"] == "SUCCESSFUL_RESPONSE":
            delivery.state, delivery.next_at = "delivered", None
        elif request.number <= len(RETRY_DELAYS_S):
            delivery.next_at = now + RETRY_DELAYS_S[request.number - 1] * 1000
        else:
            delivery.state, delivery.next_at = "failed", None
        self.store.touch("webhook_delivery", delivery.id)
        return attempt

    def webhook_prune(self) -> None:
        """Forget events (and their deliveries and attempts) older than the retention period."""
        cutoff = self.store.clock_read() - EVENT_RETENTION_MS
        old = {e.id for e in self.public_events.values() if e.timestamp < cutoff}
        if not old:
            return
        for event_id in old:
            del self.public_events[event_id]
            self.store.touch("public_event", event_id)
        for kind, found in (
            ("webhook_delivery", self.webhook_deliveries),
            ("webhook_delivery_attempt", self.delivery_attempts),
        ):
            for entity_id in [i for i, x in found.items() if x.event_id in old]:
                del found[entity_id]
                self.store.touch(kind, entity_id)

    def webhook_attempts(
        self,
        *,
        target_id: str,
        event_types: Sequence[str] | None = None,
        result_status: str | None = None,
    ) -> list[DeliveryAttempt]:
        """The target's attempts, oldest first, narrowed by event types and result status."""
        found = [
            a
            for a in self.delivery_attempts.values()
            if a.target_id == target_id
            and (event_types is None or a.event_type in event_types)
            and (result_status is None or a.result["status"] == result_status)
        ]
        return sorted(found, key=lambda a: (a.attempted_at, a.id))


# --- resolvers ---------------------------------------------------------------------------------

PATHS = {"event_subscriptions": "eventSubscriptions", "webhook_target_id": "webhookTargetId"}


def _webhooks(info: GraphQLResolveInfo) -> Webhooks:
    context = graph.ctx(info)
    try:
        graph.internal_actor_only(context)
    except StateError as error:
        raise graph.QueryError(error.message, "FORBIDDEN") from None
    return context.state.family(Webhooks)


def _event_types(subscriptions: Sequence[dict[str, Any]]) -> list[str]:
    return [s["eventType"] for s in subscriptions]


@graph.mutation(paths=PATHS)
def m_create_webhook_target(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    target = context.state.family(Webhooks).webhook_target_create(
        actor=context.actor,
        url=data["url"],
        event_types=_event_types(data["eventSubscriptions"]),
        is_enabled=data["isEnabled"],
        description=data["description"],
        version=data.get("version"),
    )
    return {"webhookTarget": target}


@graph.mutation(paths=PATHS)
def m_update_webhook_target(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    subscriptions = data.get("eventSubscriptions")
    target = context.state.family(Webhooks).webhook_target_update(
        actor=context.actor,
        target_id=data["webhookTargetId"],
        url=graph.optional(data, "url"),
        event_types=... if subscriptions is None else _event_types(subscriptions),
        is_enabled=graph.optional(data, "isEnabled"),
        description=graph.optional(data, "description"),
        version=graph.optional(data, "version"),
    )
    return {"webhookTarget": target}


@graph.mutation(paths=PATHS)
def m_delete_webhook_target(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    context.state.family(Webhooks).webhook_target_delete(
        actor=context.actor, target_id=data["webhookTargetId"]
    )
    return {}


def q_webhook_targets(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    targets = _webhooks(info).webhook_target_list()
    return graph.page(targets, lambda t: (t.created_at, t.id), args, presorted=True)


def q_webhook_target(_root: Any, info: GraphQLResolveInfo, webhookTargetId: str) -> Any:
    return _webhooks(info).webhook_targets.get(webhookTargetId)


def q_webhook_versions(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    _webhooks(info)
    versions = [{"version": WEBHOOK_VERSION, "isDeprecated": False, "isLatest": True}]
    return graph.page(versions, lambda v: (v["version"],), args, presorted=True)


def q_subscription_event_types(_root: Any, info: GraphQLResolveInfo) -> list[dict[str, str]]:
    _webhooks(info)
    return [{"eventType": k, "description": v} for k, v in EVENT_TYPES.items()]


def q_webhook_delivery_attempts(
    _root: Any,
    info: GraphQLResolveInfo,
    webhookTargetId: str,
    filters: dict[str, Any] | None = None,
    **args: Any,
) -> Any:
    filters = filters or {}
    attempts = _webhooks(info).webhook_attempts(
        target_id=webhookTargetId,
        event_types=filters.get("eventTypes"),
        result_status=filters.get("resultStatus"),
    )
    return graph.page(
        attempts, lambda a: (a.attempted_at, a.id), args, descending=True, presorted=True
    )


def q_public_event_request_body(_root: Any, info: GraphQLResolveInfo, publicEventId: str) -> Any:
    return _webhooks(info).public_event_body(event_id=publicEventId)


def _attempt_result(attempt: DeliveryAttempt, _info: GraphQLResolveInfo) -> graph.Payload:
    result = attempt.result
    status = result["status"]
    if status == "SUCCESSFUL_RESPONSE":
        data = {"status": status, "httpStatusCode": result["http_status_code"]}
        return graph.Payload("WebhookDeliveryAttemptSuccessfulResult", data)
    if status == "FAILED_RESPONSE":
        data = {"status": status, "httpStatusCode": result["http_status_code"]}
        return graph.Payload("WebhookDeliveryAttemptFailedResult", data)
    data = {
        "status": status,
        "errorCode": result["error_code"],
        "errorMessage": result["error_message"],
    }
    return graph.Payload("WebhookDeliveryAttemptErrorResult", data)


RESOLVERS: graph.Resolvers = {
    "Query": {
        "webhookTargets": q_webhook_targets,
        "webhookTarget": q_webhook_target,
        "webhookVersions": q_webhook_versions,
        "subscriptionEventTypes": q_subscription_event_types,
        "webhookDeliveryAttempts": q_webhook_delivery_attempts,
        "publicEventRequestBody": q_public_event_request_body,
    },
    "Mutation": {
        "createWebhookTarget": m_create_webhook_target,
        "updateWebhookTarget": m_update_webhook_target,
        "deleteWebhookTarget": m_delete_webhook_target,
    },
    "WebhookTarget": {
        "eventSubscriptions": lambda t, _i: [{"eventType": e} for e in t.event_types],
    },
    "WebhookDeliveryAttempt": {
        "webhookTargetId": graph.key("target_id"),
        "publicEventId": graph.key("event_id"),
        "publicEventEventType": graph.key("event_type"),
        "durationInMilliseconds": graph.key("duration_ms"),
        "result": _attempt_result,
    },
}

TYPE_RESOLVERS = {"WebhookDeliveryAttemptResult": graph.typename}
