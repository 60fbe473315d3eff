"""Who is emailed about a thread, when, and how the email goes out.

1. Who: the thread's requester (the member whose Plain customer opened it) unless they chose no
   emails, and every member who chose every update on the organisation's requests. Never the
   customer who acted, never a user who is inactive or no longer a member (checked when the
   event is applied and again when the email is sent), never for a tenant no organisation maps
   to (the inbox does not run handlers for those), never for a thread on a channel outside
   `PORTAL_NOTIFY_CHANNELS` (Plain itself emails customers of EMAIL threads).
2. Scope: a user's `Preference`, else their organisation's `OrganizationDefault`, else
   `PORTAL_NOTIFY_DEFAULT_SCOPE`. Organisation admins (Membership.Role.ADMIN) set the default.
3. Batching: one `Notification` row per recipient and thread, due `PORTAL_NOTIFY_BATCH_MINUTES`
   after its first item; an item arriving meanwhile joins the pending row, unless a worker has
   already claimed it (then it starts a new row). Items are deduplicated by event id, so a
   redelivered event adds nothing.
4. Sending: the "notifications.email" outbox kind. A failed SMTP attempt leaves the row pending
   for the outbox's retry; `sent_at` is written as soon as the message left, so a retry after
   that (the worker died before the row was marked done) sends nothing. Every email carries a
   one-click unsubscribe (RFC 8058) whose signed link needs no login.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from plain_gateway import Thread
from portal.accounts.models import PLAIN_CUSTOMER_PREFIX, User
from portal.notifications.models import Notification, OrganizationDefault, Preference, Scope
from portal.outbox import services as outbox
from portal.outbox.registry import Attempt, Kind
from portal.support.markdown import markdown_to_html, plain_text_to_html
from portal.tenancy.models import Membership, Organization

__all__ = [
    "EMAILS",
    "Item",
    "Recipient",
    "notification_queue",
    "notification_send",
    "notify_channels",
    "organization_default_set",
    "preference_set",
    "recipients_for",
    "scope_effective",
    "scope_effective_default",
    "unsubscribe_token",
    "unsubscribe_user",
    "user_unsubscribe",
]

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "portal.notifications.unsubscribe"
# Plain's ThreadChannel values; the portal notifies for all but EMAIL unless told otherwise.
ALL_CHANNELS = ("EMAIL", "SLACK", "CHAT", "API", "MS_TEAMS", "DISCORD", "IMPORT", "INTERNAL")
DEFAULT_CHANNELS = tuple(channel for channel in ALL_CHANNELS if channel != "EMAIL")
# How many of a user's latest emails about a thread are checked for an event already told.
RECENT = 20


@dataclass(frozen=True, slots=True)
class Item:
    """One thing an email tells. `kind`: "message" (an agent's; `body` in `format`, "markdown"
    or "text"), "resolved" or "waiting"."""

    event_id: str
    kind: str
    author: str = ""
    body: str = ""
    format: str = "markdown"

    def as_json(self) -> dict[str, str]:
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "author": self.author,
            "body": self.body,
            "format": self.format,
        }


# === preferences ================================================================================


def notify_channels() -> frozenset[str]:
    return frozenset(getattr(settings, "PORTAL_NOTIFY_CHANNELS", DEFAULT_CHANNELS))


def _default_scope() -> str:
    return str(getattr(settings, "PORTAL_NOTIFY_DEFAULT_SCOPE", Scope.MINE))


def scope_effective(*, user: User, organization: Organization) -> str:
    preference = Preference.objects.filter(user=user).values_list("scope", flat=True).first()
    return preference or scope_effective_default(organization=organization)


def scope_effective_default(*, organization: Organization) -> str:
    """What the organisation's members get until they choose."""
    default = (
        OrganizationDefault.objects.filter(organization=organization)
        .values_list("scope", flat=True)
        .first()
    )
    return default or _default_scope()


def preference_set(*, user: User, scope: str | None) -> None:
    """Set the user's scope; None follows the organisation's default again."""
    if scope is None:
        Preference.objects.filter(user=user).delete()
        return
    Preference.objects.update_or_create(user=user, defaults={"scope": Scope(scope)})


def organization_default_set(*, organization: Organization, scope: str, by: User) -> None:
    """Set the organisation's default scope; only its admins may (staff use the admin)."""
    if not Membership.objects.filter(
        organization=organization, user=by, role=Membership.Role.ADMIN, user__is_active=True
    ).exists():
        raise PermissionDenied("only the organisation's admins set its default")
    OrganizationDefault.objects.update_or_create(
        organization=organization, defaults={"scope": Scope(scope)}
    )


# === who ========================================================================================


def _requester_match(thread: Thread) -> Q:
    customer = thread.customer
    match = Q(plain_customer_id=customer.id) if customer.id else Q(pk__in=[])
    external = customer.external_id or ""
    if external.startswith(PLAIN_CUSTOMER_PREFIX):
        with contextlib.suppress(ValueError):  # not one of ours
            match |= Q(portal_id=uuid.UUID(external.removeprefix(PLAIN_CUSTOMER_PREFIX)))
    return match


@dataclass(frozen=True, slots=True)
class Recipient:
    user: User
    as_requester: bool


def recipients_for(
    *, organization: Organization, thread: Thread, actor_customer_id: str | None = None
) -> list[Recipient]:
    """The users to email about `thread` (rule 1 and 2), in id order."""
    if (thread.channel or "") not in notify_channels():
        return []
    members = User.objects.filter(is_active=True, memberships__organization=organization).distinct()
    if actor_customer_id:
        members = members.exclude(plain_customer_id=actor_customer_id)
    requester_ids = set(members.filter(_requester_match(thread)).values_list("pk", flat=True))
    chosen = []
    for user in members.order_by("pk"):
        scope = scope_effective(user=user, organization=organization)
        if scope == Scope.ALL or (scope == Scope.MINE and user.pk in requester_ids):
            chosen.append(Recipient(user=user, as_requester=user.pk in requester_ids))
    return chosen


def _still_wanted(row: Notification) -> bool:
    user = row.user
    if not user.is_active:
        return False
    if not Membership.objects.filter(user=user, organization_id=row.organization_id).exists():
        return False
    # The choice may have changed while the email waited: a follower who now wants only their
    # own requests is not told about someone else's.
    scope = scope_effective(user=user, organization=row.organization)
    return scope == Scope.ALL or (scope == Scope.MINE and row.as_requester)


# === queueing ===================================================================================


def _window() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "PORTAL_NOTIFY_BATCH_MINUTES", 3)))


def notification_queue(
    *,
    organization: Organization,
    thread: Thread,
    item: Item,
    actor_customer_id: str | None = None,
) -> list[Notification]:
    """Add `item` to each recipient's pending email about the thread, or start one (rule 3).
    Returns the rows touched."""
    touched = []
    for recipient in recipients_for(
        organization=organization, thread=thread, actor_customer_id=actor_customer_id
    ):
        touched.append(
            _queue_for(recipient=recipient, organization=organization, thread=thread, item=item)
        )
    return touched


def _queue_for(
    *, recipient: Recipient, organization: Organization, thread: Thread, item: Item
) -> Notification:
    user = recipient.user
    now = timezone.now()
    with transaction.atomic():
        pending = (
            Notification.objects.select_for_update()
            .filter(
                user=user,
                thread_id=thread.id,
                status=Notification.Status.PENDING,
                attempts=0,
                sent_at__isnull=True,
            )
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .order_by("pk")
            .first()
        )
        if pending is not None:
            if all(existing.get("event_id") != item.event_id for existing in pending.items):
                pending.items = [*pending.items, item.as_json()]
                pending.thread_title = thread.title
                pending.save(update_fields=["items", "thread_title", "updated_at"])
            return pending
        for earlier in Notification.objects.filter(user=user, thread_id=thread.id).order_by("-pk")[
            :RECENT
        ]:
            if any(told.get("event_id") == item.event_id for told in earlier.items):
                return earlier  # already told (or being told): a redelivery adds nothing
        window = _window()
        row: Notification = outbox.row_create(
            of=EMAILS,
            enqueue=False,
            user=user,
            organization=organization,
            thread_id=thread.id,
            thread_title=thread.title,
            thread_ref=thread.ref,
            items=[item.as_json()],
            as_requester=recipient.as_requester,
        )
        # Due when the window ends: the sweep takes it then; a worker with a real clock also gets
        # a task with that countdown (an eager task would run at once and skip the window).
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=now + window)
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            outbox.enqueue_on_commit(
                kind=EMAILS, row_ids=[row.pk], countdown=window.total_seconds()
            )
        return row


# === unsubscribing ==============================================================================


def unsubscribe_token(*, user: User) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user.portal_id))


def unsubscribe_user(*, token: str) -> User | None:
    """The user a token was made for, or None for a token that is forged or names nobody."""
    try:
        portal_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    try:
        return User.objects.filter(portal_id=uuid.UUID(portal_id)).first()
    except ValueError:
        return None


def user_unsubscribe(*, user: User) -> None:
    preference_set(user=user, scope=Scope.NONE)


# === sending ====================================================================================


def _public(path: str) -> str:
    return settings.PORTAL_PUBLIC_URL.rstrip("/") + path


def _rendered(item: dict[str, Any]) -> SafeString:
    body = str(item.get("body") or "")
    if item.get("format") == "text":
        return plain_text_to_html(body)
    return markdown_to_html(body)


def _message(row: Notification) -> EmailMultiAlternatives:
    user = row.user
    unsubscribe_url = _public(
        reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(user=user)})
    )
    context = {
        "user": user,
        "title": row.thread_title or "your request",
        "ref": row.thread_ref,
        "thread_url": _public(
            reverse("support:thread_detail", kwargs={"thread_id": row.thread_id})
        ),
        "preferences_url": _public(reverse("notifications:preferences")),
        "unsubscribe_url": unsubscribe_url,
        "items": [{**item, "html": _rendered(item)} for item in row.items],
    }
    subject = render_to_string("notifications/email_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("notifications/email.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": f"<notification-{row.pk}@{_domain()}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return message


def _domain() -> str:
    from urllib.parse import urlsplit

    return urlsplit(settings.PORTAL_PUBLIC_URL).hostname or "localhost"


def notification_send(attempt: Attempt) -> str:
    """The outbox handler: send each claimed row's email once (rule 4)."""
    outcomes = []
    for row in attempt.rows:
        row = Notification.objects.select_related("user", "organization").get(pk=row.pk)
        if row.sent_at is not None:
            outcomes.append("already sent")
            continue
        if not row.items or not _still_wanted(row):
            outcomes.append("not wanted")
            continue
        _message(row).send(fail_silently=False)
        Notification.objects.filter(pk=row.pk).update(sent_at=timezone.now())
        outcomes.append("sent")
    return ", ".join(outcomes)


EMAILS = Kind(name="notifications.email", model=Notification, handler=notification_send)
