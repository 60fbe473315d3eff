"""Staff's view of customers' saved requests and replies (the submissions kind of the outbox).

Rows are written by portal/support/services.py only; here they can be read, and failed ones put
back in the queue (the outbox's retry action). The customer's text is shown, files by name (they
are in the default storage until Plain has them).
"""

from __future__ import annotations

from django.contrib import admin

from portal.outbox.admin import OutboxAdmin
from portal.support.models import Submission


@admin.register(Submission)
class SubmissionAdmin(OutboxAdmin):
    list_display = ("key", "kind", "user", "status", "attempts", "next_attempt_at", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "user__email", "thread_id")
    ordering = ("-created_at",)
