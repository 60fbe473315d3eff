"""The portal's webhook target in Plain: what settings say it must be, the drift, and the repair.

Exactly one target points at the portal's endpoint (PORTAL_PUBLIC_URL + the webhook path), with
the event types of PLAIN_WEBHOOK_EVENT_TYPES, the body version the portal reads, enabled. Targets
at other URLs belong to other integrations and are never touched; extra targets at our URL are
deleted (Plain would deliver each event once per target). `manage.py plain_webhooks` and the
embedded start (`run_embedded`) call `target_ensure`; the admin page reads `target_status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from plain_gateway import PlainClient, iter_items
from plain_gateway.types import WebhookDeliveryAttempt, WebhookTarget
from plain_gateway.webhooks import SUPPORTED_VERSIONS
from portal.plain import get_plain_client

__all__ = [
    "TARGET_DESCRIPTION",
    "DesiredTarget",
    "TargetReport",
    "target_delete",
    "target_desired",
    "target_drift",
    "target_ensure",
    "target_recent_attempts",
]

TARGET_DESCRIPTION = "Support portal (managed by manage.py plain_webhooks)"
# Plain allows 25 targets per workspace: one page of 50 sees them all.
_TARGETS_PAGE = 50


@dataclass(frozen=True, slots=True)
class DesiredTarget:
    url: str
    event_types: frozenset[str]
    version: str
    is_enabled: bool = True


def target_desired() -> DesiredTarget:
    """The target the settings describe."""
    base = str(settings.PORTAL_PUBLIC_URL).rstrip("/")
    return DesiredTarget(
        url=base + reverse("webhooks:plain_webhook"),
        event_types=frozenset(settings.PLAIN_WEBHOOK_EVENT_TYPES),
        # The newest body version the endpoint reads (plain_gateway.webhooks).
        version=max(SUPPORTED_VERSIONS),
    )


@dataclass(frozen=True, slots=True)
class TargetReport:
    """What was found and done. `target` is the one kept (None: none, or deleted)."""

    desired: DesiredTarget
    target: WebhookTarget | None
    drift: tuple[str, ...] = ()
    extras: tuple[WebhookTarget, ...] = ()
    actions: tuple[str, ...] = field(default=())

    @property
    def in_sync(self) -> bool:
        return not self.drift


def _ours(client: PlainClient, url: str) -> list[WebhookTarget]:
    targets = iter_items(lambda after: client.webhook_targets(first=_TARGETS_PAGE, after=after))
    # The oldest first, so the one kept is stable across runs.
    return sorted(
        (target for target in targets if target.url == url),
        key=lambda target: (target.created_at is None, target.created_at, target.id),
    )


def _differences(target: WebhookTarget, desired: DesiredTarget) -> list[str]:
    found: list[str] = []
    if target.version != desired.version:
        found.append(f"version is {target.version!r}, not {desired.version!r}")
    if not target.is_enabled and desired.is_enabled:
        found.append("it is disabled")
    missing = sorted(desired.event_types - target.event_types)
    extra = sorted(target.event_types - desired.event_types)
    if missing:
        found.append("it lacks the event types " + ", ".join(missing))
    if extra:
        found.append("it has event types not in the settings: " + ", ".join(extra))
    return found


def target_drift(*, client: PlainClient | None = None) -> TargetReport:
    """Compare Plain's targets at our URL with the settings; changes nothing."""
    client = client or get_plain_client()
    desired = target_desired()
    ours = _ours(client, desired.url)
    if not ours:
        return TargetReport(desired=desired, target=None, drift=(f"no target at {desired.url}",))
    kept, extras = ours[0], tuple(ours[1:])
    drift = [f"target {kept.id}: {difference}" for difference in _differences(kept, desired)]
    drift += [f"target {extra.id} is a second target at our URL" for extra in extras]
    return TargetReport(desired=desired, target=kept, drift=tuple(drift), extras=extras)


def target_ensure(*, client: PlainClient | None = None) -> TargetReport:
    """Make Plain hold exactly the desired target at our URL: create it, or update the oldest
    one there and delete the others. Idempotent: in sync, it writes nothing."""
    client = client or get_plain_client()
    report = target_drift(client=client)
    desired = report.desired
    actions: list[str] = []
    target = report.target
    if target is None:
        target = client.create_webhook_target(
            url=desired.url,
            event_types=sorted(desired.event_types),
            description=TARGET_DESCRIPTION,
            is_enabled=desired.is_enabled,
            version=desired.version,
        )
        actions.append(f"created target {target.id}")
    elif _differences(target, desired):
        target = client.update_webhook_target(
            webhook_target_id=target.id,
            event_types=sorted(desired.event_types),
            is_enabled=desired.is_enabled,
            version=desired.version,
        )
        actions.append(f"updated target {target.id}")
    for extra in report.extras:
        client.delete_webhook_target(webhook_target_id=extra.id)
        actions.append(f"deleted target {extra.id} (a second one at our URL)")
    return TargetReport(desired=desired, target=target, drift=report.drift, actions=tuple(actions))


def target_delete(*, client: PlainClient | None = None) -> TargetReport:
    """Delete every target at our URL (the portal stops hearing from Plain)."""
    client = client or get_plain_client()
    desired = target_desired()
    actions = []
    for target in _ours(client, desired.url):
        client.delete_webhook_target(webhook_target_id=target.id)
        actions.append(f"deleted target {target.id}")
    return TargetReport(desired=desired, target=None, actions=tuple(actions))


def target_recent_attempts(
    *, target_id: str, count: int = 25, client: PlainClient | None = None
) -> tuple[WebhookDeliveryAttempt, ...]:
    """The target's latest delivery attempts, newest first."""
    client = client or get_plain_client()
    attempts = client.webhook_delivery_attempts(webhook_target_id=target_id, first=count).items
    return tuple(
        sorted(
            attempts,
            key=lambda attempt: (attempt.attempted_at is not None, attempt.attempted_at),
            reverse=True,
        )
    )


def target_ensure_on_start() -> str:
    """`make run`'s start (manage.py run_embedded): ensure the target when the portal talks to
    an emulator and PLAIN_WEBHOOKS_ENSURE_ON_START is on. Against real Plain it does nothing
    (that is `plain_webhooks --ensure`'s job, run on purpose). Returns a line for the console;
    a failure is reported there, never raised: the portal still starts."""
    from plain_gateway import PlainError
    from portal.plain import is_emulator

    if not settings.PLAIN_WEBHOOKS_ENSURE_ON_START or not is_emulator():
        return ""
    try:
        report = target_ensure()
    except PlainError as error:
        return f"Webhooks: the target could not be ensured ({type(error).__name__})."
    assert report.target is not None
    done = "; ".join(report.actions) or "in sync"
    return f"Webhooks: the emulator delivers to {report.target.url} ({done})."
