"""What the portal knows, in its own database, about news on a thread: a per-thread activity
stamp (bumped by the webhook that brings news) and a per-user unread mark.

Pages ask these, never Plain, whether anything changed since they were rendered; the thread's
organisation is kept beside the stamp so that the access check of a check for news also needs
nothing but our database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ThreadActivity(models.Model):
    """One Plain thread's activity stamp. `version` grows by one with each event that changes
    what the thread page shows; `organization` is the one its tenant mapped to when last seen."""

    thread_id = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="thread_activity"
    )
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "thread activity"

    def __str__(self) -> str:
        return f"{self.thread_id} v{self.version}"


class UnreadThread(models.Model):
    """A thread with news the user has not looked at yet (absent: nothing new)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unread_threads"
    )
    thread_id = models.CharField(max_length=64)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="unread_threads"
    )
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread_id"], name="unread_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.thread_id} unread for user {self.user_id}"
