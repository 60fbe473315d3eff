"""Staff's view of the inbox: what Plain sent, and what applying it did.

The list shows received (pending), applied, ignored, echo and failed rows (with the error);
filters by type, delivery status and outcome. The outbox's retry action re-applies failed rows;
"re-fetch" asks Plain for the selected events' bodies again (publicEventRequestBody) and applies
them through the inbox. The target page (linked from the list) shows the webhook target in Plain,
its drift from the settings, its recent delivery attempts (each failed one can be fetched and
applied from there), the inbox's counts, and whether a signing secret is configured.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from plain_gateway import PlainError
from plain_gateway.webhooks import WebhookError
from portal.outbox.admin import OutboxAdmin
from portal.webhooks import selectors, services
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import target_desired


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
    change_list_template = "admin/webhooks/inboxevent/change_list.html"

    @admin.display(description="State", ordering="outcome")
    def state(self, row: InboxEvent) -> str:
        """Received (not applied yet), applied, ignored, echo, or failed (with the error)."""
        if row.is_failed:
            return "failed"
        return row.get_outcome_display() + (f": {row.outcome_detail}" if row.outcome_detail else "")

    @admin.action(
        description="Re-fetch the event's body from Plain and apply it again",
        permissions=["retry"],
    )
    def refetch_body(self, request: HttpRequest, queryset: QuerySet[InboxEvent]) -> None:
        done, problems = 0, []
        for event_id in queryset.filter(source=InboxEvent.Source.WEBHOOK).values_list(
            "event_id", flat=True
        ):
            problem = _refetch(event_id)
            if problem:
                problems.append(problem)
            else:
                done += 1
        self.message_user(request, f"{done} events re-fetched from Plain.", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)

    # --- the target page ------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "target/",
                self.admin_site.admin_view(self.target_view),
                name="webhooks_inboxevent_target",
            ),
            path(
                "target/refetch/",
                self.admin_site.admin_view(require_POST(self.refetch_view)),
                name="webhooks_inboxevent_refetch",
            ),
        ]
        return own + super().get_urls()

    def target_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        overview = selectors.webhook_overview()
        target = overview.report.target if overview.report else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Plain webhook target",
            "overview": overview,
            "report": overview.report,
            "target": target,
            "event_types": sorted(target.event_types) if target else [],
            "desired": overview.report.desired if overview.report else target_desired(),
            "can_refetch": self.has_retry_permission(request),
        }
        return TemplateResponse(request, "admin/webhooks/inboxevent/target.html", context)

    def refetch_view(self, request: HttpRequest) -> HttpResponse:
        """Fetch one missed event (by Plain's event id, from the attempts list) and store it."""
        if not self.has_retry_permission(request):
            raise PermissionDenied
        event_id = request.POST.get("event_id", "").strip()
        if not event_id or len(event_id) > 100:
            self.message_user(request, "Give the id of one Plain event.", messages.ERROR)
        else:
            problem = _refetch(event_id)
            if problem:
                self.message_user(request, problem, messages.WARNING)
            else:
                self.message_user(
                    request, f"Event {event_id} fetched from Plain and stored.", messages.SUCCESS
                )
        return HttpResponseRedirect(reverse("admin:webhooks_inboxevent_target"))


def _refetch(event_id: str) -> str:
    """ "" when the event was fetched and stored, else what went wrong (for staff)."""
    try:
        services.inbox_refetch(event_id=event_id)
    except LookupError:
        return f"Plain has no event {event_id}."
    except WebhookError as error:
        return f"Event {event_id}: its body cannot be read ({error.reason})."
    except PlainError as error:
        return f"Event {event_id}: Plain could not be asked ({type(error).__name__})."
    return ""
