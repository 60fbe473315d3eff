"""The outbox of what customers send: every new request and reply, kept until Plain has it.

A Submission is written (and committed) before Plain is called, with the customer's text, the
fields they chose and their files (in Django's default storage). It is a row of the outbox
(portal/outbox/): delivery is tried at once, in the request; when Plain is slow, down or
rate-limiting the row stays pending and the outbox's workers deliver it later.
portal/support/services.py says how, and what "exactly once" can and cannot mean for each kind.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from ulid import ULID

from plain_gateway.types import Attachment
from portal.outbox.models import OutboxRow
from portal.tenancy.models import Organization

__all__ = [
    "PortalStatusChange",
    "ReadCacheStamp",
    "RequestChoices",
    "Submission",
    "new_submission_key",
]

SUBMISSION_KEY_PREFIX = "sub_"


def new_submission_key() -> str:
    """A unique, time-ordered key. It is also the externalId of the thread a new request makes."""
    return f"{SUBMISSION_KEY_PREFIX}{ULID()}"


class Submission(OutboxRow):
    """One new request or reply, from the moment the customer sends it until Plain has it.

    `payload` holds what is sent: {"title", "text", "priority", "label_type_ids",
    "thread_fields": [CreateThreadFieldOnThreadInput objects], "files": [{"name", "path", "size",
    "content_type", "attachment_id", "uploaded_at"}]} (title, priority, labels and fields for new
    requests only). A file's `attachment_id` is set once it is uploaded to Plain, so a retry does
    not upload it again.
    """

    class Kind(models.TextChoices):
        THREAD = "thread", "New request"
        REPLY = "reply", "Reply"

    # The idempotency key: createThread's externalId for new requests, and the public handle of
    # the "saved" page.
    key = models.CharField(max_length=40, unique=True, default=new_submission_key, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_submissions"
    )
    # The organisation a new request is for (replies go to a thread, whose tenant decides).
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Plain's thread: the one replied to, or the one a new request became once sent.
    thread_id = models.CharField("Plain thread id", max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    # The key of the form this came from (a hidden field, one per rendered form): two POSTs of
    # the same form (a double click, a browser or proxy resending) make one submission, as the
    # database refuses a second row with the same user and key. Null (not "") for callers
    # without a form: nulls never collide in the unique constraint, empty strings would.
    form_key = models.CharField(  # noqa: DJ001
        max_length=40, null=True, blank=True, editable=False
    )
    # The delivery state (status, attempts, due time, lease, last error) is OutboxRow's.

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="support_submission_due"),
            models.Index(fields=["user", "status"], name="support_submission_user"),
            models.Index(fields=["thread_id", "user"], name="support_submission_thread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "form_key"], name="support_submission_form_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ({self.status})"

    @property
    def title(self) -> str:
        return str(self.payload.get("title") or "")

    @property
    def text(self) -> str:
        return str(self.payload.get("text") or "")

    @property
    def files(self) -> list[dict[str, Any]]:
        return list(self.payload.get("files") or [])

    @property
    def sent_attachments(self) -> tuple[Attachment, ...]:
        """The files Plain has accepted, as the gateway's Attachment values."""
        return tuple(
            Attachment(
                id=f["attachment_id"],
                file_name=f.get("name") or "",
                size_bytes=int(f.get("size") or 0),
                mime_type=f.get("content_type") or "application/octet-stream",
            )
            for f in self.files
            if f.get("attachment_id")
        )


class ReadCacheStamp(models.Model):
    """The version of one scope of the read cache (portal/support/cache.py): a thread's
    timeline ("thread:<id>") or a tenant's lists ("tenant:<external id>").

    Cached reads are keyed by the versions of the scopes they depend on, so invalidating is
    writing a new version here: a database write that the web processes and the workers applying
    webhooks all see, whatever cache backend each of them has.
    """

    scope = models.CharField(max_length=200, unique=True)
    version = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.scope} @ {self.version}"


class PortalStatusChange(models.Model):
    """A thread resolved or reopened by a customer in the portal: who, and when Plain did it.

    Plain records the change as made by the portal's machine user (the API key), so its timeline
    cannot say which customer clicked. This row can: the timeline's status entry by the machine
    user on the same thread, in the same direction, at (nearly) the same moment is credited to
    `user` (presentation.timeline_items).
    """

    thread_id = models.CharField("Plain thread id", max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resolved = models.BooleanField(help_text="Resolved (true) or reopened (false).")
    # Plain's statusChangedAt of the thread it returned, which its status entry carries too.
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["thread_id", "changed_at"], name="support_status_change_thread")
        ]

    def __str__(self) -> str:
        verb = "resolved" if self.resolved else "reopened"
        return f"{self.thread_id} {verb} at {self.changed_at:%Y-%m-%d %H:%M:%S}"


class RequestChoices(models.Model):
    """Which categories and thread fields the customer chose when opening a thread through the
    portal: the ones shown back to customers (presentation.request_answers), with their values
    as Plain has them now. Labels and fields agents add are theirs and stay out of the portal;
    Plain cannot tell them apart (both come through the API key), so this row does. Kept for
    as long as the thread (a submission row is pruned after delivery)."""

    thread_id = models.CharField("Plain thread id", max_length=64, unique=True)
    label_type_ids = models.JSONField(default=list, blank=True)
    field_keys = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "request choices"

    def __str__(self) -> str:
        return f"Choices of {self.thread_id}"


class SearchThread(models.Model):
    """One thread in the search index (portal/support/search.py): what a customer can see of it.

    Only text the thread page shows is ever stored here (its title and the texts of visible
    timeline entries, chosen by presentation.timeline_items), so a search can match nothing
    else. `tenant_external_id` is the tenant Plain last reported; search results are still read
    from Plain filtered by the user's tenants, so a stale value can only hide a thread.
    """

    thread_id = models.CharField("Plain thread id", max_length=64, unique=True)
    tenant_external_id = models.CharField(max_length=200, db_index=True)
    title = models.TextField(blank=True, default="")
    # casefold()ed copies, matched with `contains`: Unicode-correct on every database.
    title_folded = models.TextField(blank=True, default="")
    # The first line of the newest visible message, and when it was written.
    preview = models.CharField(max_length=300, blank=True, default="")
    preview_at = models.DateTimeField(null=True, blank=True)
    # The newest moment seen on the thread: the order hits are capped in.
    activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.thread_id


class SearchText(models.Model):
    """The searchable text of one visible timeline entry of an indexed thread."""

    thread = models.ForeignKey(SearchThread, on_delete=models.CASCADE, related_name="texts")
    entry_id = models.CharField(max_length=64)
    folded = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "entry_id"], name="search_text_unique_entry")
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}/{self.entry_id}"
