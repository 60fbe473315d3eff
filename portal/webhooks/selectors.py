"""Reads for the webhook admin page: the target in Plain, its attempts, and the inbox's counts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from plain_gateway import PlainError
from plain_gateway.types import WebhookDeliveryAttempt
from portal.webhooks import services
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import TargetReport, target_drift, target_recent_attempts

__all__ = ["InboxCounts", "WebhookOverview", "inbox_counts", "webhook_overview"]


@dataclass(frozen=True, slots=True)
class InboxCounts:
    received: int  # stored, not applied yet
    applied: int
    ignored: int
    echo: int
    failed: int


def inbox_counts() -> InboxCounts:
    failed = Q(status=InboxEvent.Status.FAILED)
    done = Q(status=InboxEvent.Status.DONE)
    counts = InboxEvent.objects.aggregate(
        received=Count("pk", filter=Q(status=InboxEvent.Status.PENDING)),
        applied=Count("pk", filter=done & Q(outcome=InboxEvent.Outcome.APPLIED)),
        ignored=Count("pk", filter=done & Q(outcome=InboxEvent.Outcome.IGNORED)),
        echo=Count("pk", filter=done & Q(outcome=InboxEvent.Outcome.ECHO)),
        failed=Count("pk", filter=failed),
    )
    return InboxCounts(**counts)


@dataclass(frozen=True, slots=True)
class WebhookOverview:
    """`report` and `attempts` are None when Plain could not be asked (`error` says why)."""

    report: TargetReport | None
    attempts: tuple[WebhookDeliveryAttempt, ...]
    counts: InboxCounts
    failures: tuple[InboxEvent, ...]
    secret_configured: bool
    error: str = ""


def webhook_overview(*, attempts: int = 25, failures: int = 10) -> WebhookOverview:
    """Everything the admin page shows. Never the secret: only whether there is one."""
    counts = inbox_counts()
    failed_rows = tuple(
        InboxEvent.objects.filter(status=InboxEvent.Status.FAILED).order_by("-updated_at")[
            :failures
        ]
    )
    try:
        secret_configured = bool(services.webhook_secret())
        report = target_drift()
        recent = (
            target_recent_attempts(target_id=report.target.id, count=attempts)
            if report.target is not None
            else ()
        )
    except PlainError as error:
        return WebhookOverview(
            report=None,
            attempts=(),
            counts=counts,
            failures=failed_rows,
            secret_configured=bool(services.webhook_secret()),
            error=f"Plain could not be asked ({type(error).__name__}).",
        )
    return WebhookOverview(
        report=report,
        attempts=recent,
        counts=counts,
        failures=failed_rows,
        secret_configured=secret_configured,
    )
