"""Events from portal actions, written into Plain's timelines for agents (issue 13).

Each function here records one kind of event as a row of the outbox kind "agent_context.event"
(rows in the shared OutboxMessage table; portal/agent_context/handlers.py delivers them). A row
is written in the transaction of the action it reports, when the caller has one, and carries
everything the event says, frozen at that moment: the title, the components (Plain's
EventComponentInput objects), the time, and where it goes (a thread, or the customer by our
externalId `user.plain_external_id`).

Each row's `externalId` is `portal:<event name>:<key>`, where the key is the submission's key for
events about a submission and a ULID drawn when the row is written for the others: stable across
retries of the row, and never reused by a later portal database (a counter that restarts with a
fresh database would collide with an id Plain remembers, and a collision counts as delivered).

Each event name can be turned off with settings.PORTAL_AGENT_EVENTS (a list of enabled names;
every name in EVENT_NAMES by default): a turned-off event writes no row. Customers never see any
of these events: the portal's timelines are default-deny (plain_gateway.types hides
ThreadEventEntry and CustomerEventEntry).

Text about people (names, emails, file names, organisation names) goes into PlainText
components, never Text: Text is markdown to Plain, and those values are whatever users typed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from ulid import ULID

from plain_gateway.components import (
    DateTime,
    EventComponent,
    PlainText,
    Row,
    TextColor,
    event_component_input,
)
from plain_gateway.types import Thread
from portal.accounts.models import User
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.outbox.registry import Kind
from portal.support.models import Submission

__all__ = [
    "CUSTOMER_EVENT_NAMES",
    "EVENT_NAMES",
    "KIND_NAME",
    "THREAD_EVENT_NAMES",
    "account_deactivated_record",
    "agent_event_enabled",
    "email_changed_record",
    "login_locked_out_record",
    "membership_event_record",
    "password_reset_record",
    "submission_delivered_record",
    "thread_status_event_record",
]

logger = logging.getLogger(__name__)

KIND_NAME = "agent_context.event"

# Thread events: one thread's timeline.
THREAD_RESOLVED = "thread_resolved"
THREAD_REOPENED = "thread_reopened"
MESSAGE_DELAYED = "message_delayed"
ATTACHMENTS_ADDED = "attachments_added"
# Customer events: every thread of the customer.
ORGANIZATION_JOINED = "organization_joined"
ORGANIZATION_LEFT = "organization_left"
EMAIL_CHANGED = "email_changed"
ACCOUNT_DEACTIVATED = "account_deactivated"
PASSWORD_RESET = "password_reset"
LOGIN_LOCKED_OUT = "login_locked_out"

THREAD_EVENT_NAMES = (THREAD_RESOLVED, THREAD_REOPENED, MESSAGE_DELAYED, ATTACHMENTS_ADDED)
CUSTOMER_EVENT_NAMES = (
    ORGANIZATION_JOINED,
    ORGANIZATION_LEFT,
    EMAIL_CHANGED,
    ACCOUNT_DEACTIVATED,
    PASSWORD_RESET,
    LOGIN_LOCKED_OUT,
)
EVENT_NAMES = THREAD_EVENT_NAMES + CUSTOMER_EVENT_NAMES

# Plain's title is a short line; whatever a user typed into a name must not make it a page.
TITLE_MAX = 200


def agent_event_enabled(*, name: str) -> bool:
    """Whether settings.PORTAL_AGENT_EVENTS turns the event `name` on (all are by default)."""
    enabled = getattr(settings, "PORTAL_AGENT_EVENTS", None)
    return name in (EVENT_NAMES if enabled is None else enabled)


def _kind() -> Kind:
    # Imported late: handlers imports this module for the names.
    from portal.agent_context.handlers import AGENT_EVENTS

    return AGENT_EVENTS


def _person(*, name: str, email: str) -> str:
    return f"{name} ({email})" if name and name != email else email


def _who(user: User) -> str:
    return _person(name=user.full_name.strip(), email=user.email)


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def _row_create(
    *,
    name: str,
    title: str,
    components: Sequence[EventComponent],
    key: str | None = None,
    at: datetime | None = None,
    thread_id: str = "",
    user: User | None = None,
    customer: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> OutboxMessage | None:
    """One row for the event `name` (None when the setting turns it off): to the thread
    `thread_id`, or to the customer `user` (or `customer`: {"external_id", "user_id"} of a user
    who may be gone by delivery time). `extra` is kept in the payload for our own look-ups."""
    if not agent_event_enabled(name=name):
        return None
    if user is not None:
        customer = {"external_id": user.plain_external_id, "user_id": user.pk}
    if bool(thread_id) == (customer is not None):
        raise ValueError("an event goes to exactly one of a thread or a customer")
    payload: dict[str, Any] = {
        "event": name,
        "external_id": f"portal:{name}:{key or ULID()}",
        "title": _title(title),
        "components": [event_component_input(component) for component in components],
        "at": (at or timezone.now()).isoformat(),
        **(extra or {}),
    }
    if thread_id:
        payload["thread_id"] = thread_id
    else:
        payload["customer"] = customer
    row: OutboxMessage = outbox.row_create(of=_kind(), payload=payload)
    return row


def _when(label: str, moment: datetime) -> Row:
    return Row(main=(PlainText(text=label, color=TextColor.MUTED),), aside=(DateTime(moment),))


# === thread events ================================================================================


def thread_status_event_record(
    *, thread: Thread, by: User, resolved: bool, was: str | None = None
) -> OutboxMessage | None:
    """`by` resolved (or reopened) the thread from the portal; `was` is its status before.

    Nothing is written when the status did not change (a stale page's second click)."""
    if was is not None and was == thread.status:
        return None
    name = THREAD_RESOLVED if resolved else THREAD_REOPENED
    verb = "resolved" if resolved else "reopened"
    who = _who(by)
    return _row_create(
        name=name,
        thread_id=thread.id,
        title=f"{who} {verb} this request in the support portal",
        components=[
            PlainText(text=f"{who} {verb} this request in the support portal."),
            _when(verb.capitalize(), timezone.now()),
        ],
    )


def submission_delivered_record(*, submission: Submission) -> list[OutboxMessage]:
    """Events about a new request or reply Plain has just accepted (its thread id set): it
    arrived late (its first attempt, in the customer's request, failed), and the files it
    carried. Called in the transaction that marks the submission delivered."""
    rows: list[OutboxMessage | None] = []
    user: User = submission.user
    who = _who(user)
    what = "request" if submission.kind == Submission.Kind.THREAD else "reply"
    if submission.attempts > 1:
        arrived = timezone.now()
        delay = _duration(arrived - submission.created_at)
        rows.append(
            _row_create(
                name=MESSAGE_DELAYED,
                key=submission.key,
                thread_id=submission.thread_id,
                at=arrived,
                title=f"This {what} from {who} reached Plain {delay} late",
                components=[
                    PlainText(
                        text=(
                            f"{who} wrote this {what} in the support portal while Plain could "
                            f"not be reached; the portal delivered it after "
                            f"{submission.attempts} attempts."
                        )
                    ),
                    _when("Written", submission.created_at),
                    _when("Arrived", arrived),
                ],
            )
        )
    files = [file for file in submission.files if file.get("attachment_id")]
    if files:
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        rows.append(
            _row_create(
                name=ATTACHMENTS_ADDED,
                key=submission.key,
                thread_id=submission.thread_id,
                title=f"{who} attached {count} to a {what} in the support portal",
                components=[
                    Row(
                        main=(PlainText(text=str(file.get("name") or "(no name)")),),
                        aside=(
                            PlainText(
                                text=_size(int(file.get("size") or 0)), color=TextColor.MUTED
                            ),
                        ),
                    )
                    for file in files
                ],
            )
        )
    return [row for row in rows if row is not None]


def _duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# === customer events ==============================================================================


def membership_event_record(
    *, user: User, organization_name: str, joined: bool
) -> OutboxMessage | None:
    """The user joined (or left) an organisation, whoever made the change."""
    who = _who(user)
    verb = "joined" if joined else "left"
    return _row_create(
        name=ORGANIZATION_JOINED if joined else ORGANIZATION_LEFT,
        user=user,
        title=f"{who} {verb} {organization_name}",
        components=[
            PlainText(
                text=(
                    f"{who} {'became a member of' if joined else 'is no longer a member of'} "
                    f"{organization_name} in the support portal."
                )
            ),
        ],
    )


def email_changed_record(*, user: User, old_email: str) -> OutboxMessage | None:
    """The user's email address changed from `old_email` to `user.email`."""
    name = user.full_name.strip() or user.email
    return _row_create(
        name=EMAIL_CHANGED,
        user=user,
        title=f"{name} changed their email from {old_email} to {user.email}",
        components=[
            Row(
                main=(PlainText(text="Before", color=TextColor.MUTED),),
                aside=(PlainText(text=old_email),),
            ),
            Row(
                main=(PlainText(text="Now", color=TextColor.MUTED),),
                aside=(PlainText(text=user.email),),
            ),
        ],
    )


def account_deactivated_record(*, user: User) -> OutboxMessage | None:
    """The user's portal account was deactivated (they can no longer sign in)."""
    who = _who(user)
    return _row_create(
        name=ACCOUNT_DEACTIVATED,
        user=user,
        title=f"{who}'s portal account was deactivated",
        components=[PlainText(text=f"{who} can no longer sign in to the support portal.")],
    )


def password_reset_record(*, user: User) -> OutboxMessage | None:
    """The user set a new password through an emailed reset link."""
    who = _who(user)
    return _row_create(
        name=PASSWORD_RESET,
        user=user,
        title=f"{who} reset their portal password",
        components=[
            PlainText(text=f"{who} set a new password through a reset link sent by email."),
        ],
    )


def login_locked_out_record(
    *, username: str, ip_address: str | None, cool_off: timedelta | None = None
) -> OutboxMessage | None:
    """Sign-ins to the account `username` from `ip_address` were locked after repeated
    failures. Nothing is written for an address that is no account (nobody to tell an agent
    about), nor again for the same account and client within `cool_off` (the lock's length:
    django-axes signals every refused attempt during a lockout, not just its start)."""
    user = User.objects.filter(email__iexact=(username or "").strip()).first()
    if user is None:
        return None
    client = ip_address or "an unknown address"
    if cool_off is not None:
        recent = OutboxMessage.objects.filter(
            kind=KIND_NAME,
            created_at__gte=timezone.now() - cool_off,
            payload__event=LOGIN_LOCKED_OUT,
            payload__customer__user_id=user.pk,
            payload__client=client,
        )
        if recent.exists():
            return None
    who = _who(user)
    minutes = f" for {int(cool_off.total_seconds() // 60)} min" if cool_off else ""
    return _row_create(
        name=LOGIN_LOCKED_OUT,
        user=user,
        extra={"client": client},
        title=f"Sign-in locked for {who} after repeated failed attempts",
        components=[
            PlainText(
                text=(
                    f"Too many failed sign-ins to {who}'s portal account from {client}: "
                    f"sign-ins from there are refused{minutes}."
                )
            ),
        ],
    )
