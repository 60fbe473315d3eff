"""Staff's view of the outbox: read-only rows, and one retry action for every kind.

`OutboxAdmin` is the base of every kind's admin (the kinds with tables of their own register
theirs in their app); the retry action reopens the selected failed rows, resets their attempts
and requeues exactly the rows it reopened (portal/outbox/services.py `retry`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from portal.outbox import services
from portal.outbox.models import OutboxMessage
from portal.outbox.registry import Kind, kind_get, kinds

STATE_FIELDS = (
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "lease_until",
    "created_at",
    "updated_at",
    "done_at",
)


class OutboxAdmin(admin.ModelAdmin):
    """Rows are the record of what happened: viewable, never added, edited or deleted by hand."""

    actions = ["retry"]
    retry_permission = ""  # a permission the retry needs beyond viewing ("" for none)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    # Read-only as it says: no delete is offered (a deleted row is a submission or message lost
    # without a trace; pruning, portal/outbox/services.py, removes delivered rows). The delete
    # permission itself stays, so deleting a user or an organisation in the admin still
    # cascades to their rows rather than being refused for them.
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "show_delete": False}
        )

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    @admin.display(description="Last error")
    def short_error(self, row: Any) -> str:
        return Truncator(row.last_error).chars(120) or "—"

    def has_retry_permission(self, request: HttpRequest) -> bool:
        if self.retry_permission:
            return request.user.has_perm(self.retry_permission)
        return self.has_view_permission(request)

    def outbox_kinds(self, queryset: QuerySet[Any]) -> list[tuple[Kind, QuerySet[Any]]]:
        """The kinds among the selected rows, with their rows (one kind per table of its own)."""
        return [(kind, queryset) for kind in kinds() if kind.model is self.model]

    @admin.action(description="Send the selected failed rows again", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = sum(
            services.retry(kind=kind, row_ids=list(rows.values_list("pk", flat=True)))
            for kind, rows in self.outbox_kinds(queryset)
        )
        self.message_user(request, f"{count} rows queued again.", messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(OutboxAdmin):
    list_display = ("created_at", "kind", "group_key", "status", "attempts", "short_error")
    list_filter = ("status", "kind")
    search_fields = ("kind", "group_key", "last_error")
    date_hierarchy = "created_at"

    def outbox_kinds(self, queryset: QuerySet[Any]) -> list[tuple[Kind, QuerySet[Any]]]:
        registered = {kind.name for kind in kinds()}
        names = sorted(set(queryset.values_list("kind", flat=True)) & registered)
        return [(kind_get(name), queryset.filter(kind=name)) for name in names]
