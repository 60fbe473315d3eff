"""Staff's view of the inbox: what Plain sent, and what applying it did.

The list shows received (pending), applied, ignored, echo and failed rows (with the error);
filters by type, delivery status and outcome. The outbox's retry action re-applies failed rows.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.outbox.admin import OutboxAdmin
from portal.webhooks.models import InboxEvent


@admin.register(InboxEvent)
class InboxEventAdmin(OutboxAdmin):
    list_display = (
        "created_at",
        "event_type",
        "thread_id",
        "source",
        "state",
        "received_count",
        "attempts",
        "short_error",
    )
    list_filter = ("event_type", "status", "outcome", "source")
    search_fields = ("event_id", "thread_id", "customer_id", "last_error")
    date_hierarchy = "created_at"
    actions = ["retry", "refetch_body"]

    @admin.display(description="State", ordering="outcome")
    def state(self, row: InboxEvent) -> str:
        """Received (not applied yet), applied, ignored, echo, or failed (with the error)."""
        if row.is_failed:
            return "failed"
        return row.get_outcome_display() + (f": {row.outcome_detail}" if row.outcome_detail else "")

    @admin.action(description="Re-fetch the event's body from Plain (not available yet)")
    def refetch_body(self, request: HttpRequest, queryset: QuerySet[InboxEvent]) -> None:
        # To be wired to Plain's publicEventRequestBody(publicEventId) once the gateway has it.
        self.message_user(
            request,
            "Re-fetching an event's body needs publicEventRequestBody in the gateway; "
            f"{queryset.count()} rows left unchanged.",
            messages.WARNING,
        )
