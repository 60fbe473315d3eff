"""The admin's view of deflection: suggested articles opened, and the rate of requests not sent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from portal.helpcenter.models import SuggestionOpen
from portal.helpcenter.selectors import deflection_stats


@admin.register(SuggestionOpen)
class SuggestionOpenAdmin(admin.ModelAdmin):
    list_display = ("opened_at", "user", "article_title", "article_slug")
    list_select_related = ("user",)
    search_fields = ("article_slug", "article_title", "user__email")
    date_hierarchy = "opened_at"
    change_list_template = "admin/helpcenter/suggestionopen/change_list.html"

    # A record of what happened: nobody edits it.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request, {**(extra_context or {}), "deflection": deflection_stats()}
        )
