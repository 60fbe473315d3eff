"""Staff's view: preferences, organisation defaults (staff may set them for any organisation),
and the email rows (read-only, with the outbox's retry)."""

from __future__ import annotations

from django.contrib import admin

from portal.notifications.models import Notification, OrganizationDefault, Preference
from portal.outbox.admin import OutboxAdmin


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "scope", "updated_at")
    list_filter = ("scope",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(OrganizationDefault)
class OrganizationDefaultAdmin(admin.ModelAdmin):
    list_display = ("organization", "scope", "updated_at")
    list_filter = ("scope",)
    search_fields = ("organization__name",)


@admin.register(Notification)
class NotificationAdmin(OutboxAdmin):
    list_display = ("user", "thread_title", "status", "attempts", "sent_at", "created_at")
    list_filter = ("status",)
    search_fields = ("user__email", "thread_id", "thread_title")
