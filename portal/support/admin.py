"""Staff's view of customers' saved requests and replies (the delivery outbox).

Rows are written by portal/support/services.py only; here they can be read, and failed ones put
back in the queue. The customer's text is shown, files by name (they are in the default storage
until Plain has them).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.support import services
from portal.support.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "user", "status", "attempts", "next_attempt_at", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "user__email", "thread_id")
    ordering = ("-created_at",)
    readonly_fields = (
        "key",
        "kind",
        "user",
        "organization",
        "thread_id",
        "payload",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "updated_at",
        "sent_at",
    )
    actions = ("retry_failed",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False

    @admin.action(description="Send the selected failed submissions again")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = services.submission_retry(
            submission_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, f"{count} submission(s) queued again.", messages.SUCCESS)
