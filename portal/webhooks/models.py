"""The inbox of Plain's events, and the per-thread marks that keep handlers from going back.

`InboxEvent` is an outbox row (portal/outbox/): its delivery state is OutboxRow's, and
"delivering" it means applying it to the portal through the handlers (services.inbox_apply).
It is unique on Plain's event id, so a redelivered or duplicated event is one row, applied once.
"""

from __future__ import annotations

from django.db import models

from plain_gateway.webhooks import EventActor, WebhookEvent, WebhookMetadata
from portal.outbox.models import OutboxRow


class InboxEvent(OutboxRow):
    """One event from Plain (or a synthetic one from the reconciliation), and how applying it went.

    `status` (OutboxRow's) says where delivery stands; `outcome` what applying it did once done.
    `handled` lists the handlers that completed on it, so a retry after one handler failed
    runs only the rest.
    """

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        RECONCILED = "reconciled", "Reconciliation"

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored"
        ECHO = "echo", "Echo of the portal's own action"

    event_id = models.CharField("Plain event id", max_length=100, unique=True)
    event_type = models.CharField(max_length=80, db_index=True)
    event_timestamp = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEBHOOK)
    workspace_id = models.CharField(max_length=64, blank=True, default="")
    thread_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    customer_id = models.CharField(max_length=64, blank=True, default="")
    tenant_id = models.CharField(max_length=64, blank=True, default="")
    actor_type = models.CharField(max_length=32, blank=True, default="")
    actor_id = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    # The delivery attempt that brought it first, and how many requests brought it in all.
    webhook_target_id = models.CharField(max_length=64, blank=True, default="")
    webhook_version = models.CharField(max_length=32, blank=True, default="")
    attempt_id = models.CharField(max_length=64, blank=True, default="")
    attempt_number = models.PositiveIntegerField(null=True, blank=True)
    attempt_timestamp = models.DateTimeField(null=True, blank=True)
    received_count = models.PositiveIntegerField(default=1)
    # What applying it did.
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED, db_index=True
    )
    outcome_detail = models.CharField(max_length=300, blank=True, default="")
    organization = models.ForeignKey(
        "tenancy.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    handled = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "inbox event"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhooks_inbox_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"

    def as_event(self) -> WebhookEvent:
        """The event as the handlers see it (rebuilt from the row; the metadata of its first
        delivery, none for a synthetic event)."""
        metadata = None
        if self.attempt_timestamp is not None and self.attempt_number is not None:
            metadata = WebhookMetadata(
                target_id=self.webhook_target_id,
                target_version=self.webhook_version,
                attempt_id=self.attempt_id,
                attempt_number=self.attempt_number,
                attempt_timestamp=self.attempt_timestamp,
            )
        return WebhookEvent(
            id=self.event_id,
            type=self.event_type,
            timestamp=self.event_timestamp,
            workspace_id=self.workspace_id,
            payload=self.payload,
            metadata=metadata,
            thread_id=self.thread_id or None,
            customer_id=self.customer_id or None,
            tenant_id=self.tenant_id or None,
            actor=EventActor(type=self.actor_type, id=self.actor_id or None)
            if self.actor_type
            else None,
        )


class ThreadWatermark(models.Model):
    """The timestamp of the newest event applied to a thread's state under `key` (one key per
    piece of state a handler keeps), so an older event arriving later does not overwrite it."""

    thread_id = models.CharField(max_length=64)
    key = models.CharField(max_length=80)
    applied_at = models.DateTimeField()
    event_id = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread_id", "key"], name="webhooks_watermark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.thread_id} {self.key} @ {self.applied_at.isoformat()}"


class InboxCursor(models.Model):
    """A named point in time the inbox keeps (the reconciliation's last run)."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"
