"""Outbox rows: the delivery state every kind shares, and a table for kinds with no columns.

`OutboxRow` is abstract: a kind whose rows the portal also queries by columns of their own (a
user's saved submissions, an organisation's sync rows) keeps its own table deriving from it, with
the same state fields and so the same rules. A kind that needs no columns (a webhook to process,
an event or an email to send) puts its rows in `OutboxMessage`, one table shared by such kinds,
and needs no model or migration: a handler and a registration.
"""

from __future__ import annotations

from django.db import models

__all__ = ["OutboxMessage", "OutboxRow"]


class OutboxRow(models.Model):
    """The delivery state of one row. Written only by portal/outbox/services.py's rules.

    - `attempts` counts attempts begun (a claim increments it before the handler runs).
    - `next_attempt_at`: not before this time is the row tried (its retry's due time); a row
      just written is due a little later (services.HANDOFF_SECONDS), so the sweep leaves it to
      the task enqueued for it.
    - `lease_until`: an attempt under way holds the row until then (the task's hard time limit);
      a crashed worker's rows come back once it passes. `lease_owner` is the Celery task id
      that holds it, so the broker's redelivery of that very task (its worker died) takes the
      rows back at once, while any other task waits for the lease to end.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the row was delivered, or given up (failed).
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED


class OutboxMessage(OutboxRow):
    """A row of a kind with no table of its own: the kind's name, a group and a JSON payload.

    Rows with the same non-empty `group_key` are delivered together, in order (see
    registry.Kind.group_field).
    """

    kind = models.CharField(max_length=64, db_index=True)
    group_key = models.CharField(max_length=200, blank=True, default="", db_index=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbox message"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_message_due")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
