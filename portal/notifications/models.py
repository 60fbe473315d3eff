"""Who wants which emails, and the emails waiting to go out.

- `Preference`: one user's choice, for every organisation they belong to; a user without one
  follows each organisation's default.
- `OrganizationDefault`: the scope an organisation's members get until they choose (set by the
  organisation's admins on the preferences page, or by staff in the admin).
- `Notification`: one email to one user about one thread, an outbox row. Agent messages that
  arrive while it waits for its window to pass join it, so they go out as one email.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.outbox.models import OutboxRow

__all__ = ["Notification", "OrganizationDefault", "Preference", "Scope"]


class Scope(models.TextChoices):
    ALL = "all", "Every update on my organisation's requests"
    MINE = "mine", "Only requests I opened"
    NONE = "none", "No emails"


class Preference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    scope = models.CharField(max_length=8, choices=Scope.choices)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.scope}"


class OrganizationDefault(models.Model):
    organization = models.OneToOneField(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="notification_default"
    )
    scope = models.CharField(max_length=8, choices=Scope.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "organisation notification default"

    def __str__(self) -> str:
        return f"{self.organization}: {self.scope}"


class Notification(OutboxRow):
    """An email to `user` about `thread_id`. `items` are what it tells, in arrival order:
    {"event_id", "kind": "message" | "resolved" | "waiting", "author", "html", "text"}.
    `sent_at` is set the moment the email left, so a retry after that sends nothing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="notifications"
    )
    thread_id = models.CharField(max_length=64)
    thread_title = models.CharField(max_length=500, blank=True, default="")
    thread_ref = models.CharField(max_length=64, blank=True, default="")
    items = models.JSONField(default=list, blank=True)
    # Why the user is told: they opened the thread, or they follow all of the organisation's.
    as_requester = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notifications_due"),
            models.Index(fields=["user", "thread_id", "status"], name="notifications_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.user} about {self.thread_id} ({self.status})"
