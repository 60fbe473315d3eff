"""How threads and timelines read to a customer: words for Plain's codes, and timeline view models.

Nothing here calls Plain or the database; selectors hand their results to these functions, and
templates read what they return. A list page renders every row through here, so the row work is
kept cheap (one URL reversal per list, not per row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.urls import reverse

from plain_gateway import (
    PlainAuthenticationError,
    PlainForbiddenError,
    PlainMutationError,
    PlainRateLimitError,
    PlainTimeoutError,
)
from plain_gateway.types import (
    Actor,
    Attachment,
    ChatEntry,
    CustomEntry,
    EmailEntry,
    MessageEntry,
    StatusChangeEntry,
    Thread,
    TimelineEntry,
)

__all__ = [
    "PRIORITY_CHOICES",
    "ComponentView",
    "ThreadRow",
    "TimelineItem",
    "opened_by",
    "plain_error_message",
    "priority_label",
    "reply_item",
    "status_label",
    "status_tone",
    "thread_last_activity",
    "thread_rows",
    "timeline_item",
    "timeline_items",
]

PRIORITY_CHOICES: tuple[tuple[int, str], ...] = (
    (0, "Urgent"),
    (1, "High"),
    (2, "Normal"),
    (3, "Low"),
)
_PRIORITY_WORDS = dict(PRIORITY_CHOICES)

_CHANNEL_NAMES = {"slack": "Slack", "ms_teams": "Microsoft Teams", "discord": "Discord"}

_STATUS_CHANGE_WORDS = {
    "DONE": "marked this as resolved",
    "TODO": "reopened this",
    "SNOOZED": "put this on hold",
}


def priority_label(priority: int | None) -> str:
    """Plain's priority number in words (0 Urgent ... 3 Low)."""
    return _PRIORITY_WORDS.get(priority if priority is not None else 2, "Normal")


def status_label(thread: Thread) -> str:
    """The thread's status as the customer thinks of it.

    A resolved thread is "Resolved". An open one (Todo or Snoozed in Plain) says whose turn it is:
    "Waiting for you" when support spoke last, "Waiting for support" when the customer did, and
    plain "Open" while neither side has a message on record.
    """
    if thread.status == "DONE":
        return "Resolved"
    inbound, outbound = thread.last_inbound_at, thread.last_outbound_at
    if outbound is not None and _is_opening_moment(thread, outbound):
        # The customer's own first message, written through the API: it counts as theirs.
        inbound, outbound = max(inbound or outbound, outbound), None
    if outbound and (inbound is None or outbound > inbound):
        return "Waiting for you"
    if inbound:
        return "Waiting for support"
    return "Open"


def _is_opening_moment(thread: Thread, moment: datetime | None) -> bool:
    """Whether `moment` is when a thread opened through the API got its first message.

    A thread the portal opens is created by Plain's machine user (our API key) on behalf of the
    customer, so Plain records its first message as the machine user's, i.e. as outbound. To the
    customer it is their own message, not support speaking. This assumes Plain stamps the thread
    and that message with the same moment, as the emulator does; were it not so, a new thread
    would read "Waiting for you" until the customer writes again.
    """
    return (
        thread.created_by.kind == "machine_user"
        and moment is not None
        and moment == thread.created_at
    )


def status_tone(thread: Thread) -> str:
    """A CSS modifier for the status badge: done, yours (the customer's turn) or open."""
    if thread.status == "DONE":
        return "done"
    return "yours" if status_label(thread) == "Waiting for you" else "open"


def thread_last_activity(thread: Thread) -> datetime | None:
    """The latest moment anything visible happened on the thread."""
    moments = [
        moment
        for moment in (
            thread.last_inbound_at,
            thread.last_outbound_at,
            thread.status_changed_at,
            thread.created_at,
        )
        if moment is not None
    ]
    return max(moments) if moments else thread.updated_at


def opened_by(thread: Thread) -> str:
    """Who the thread is for: its customer (an API-created thread's creator is a machine user)."""
    return thread.customer.full_name or thread.created_by.name


def _thread_url_builder() -> Callable[[str], str]:
    """thread id -> its page's URL, with one reverse() per list instead of one per row."""
    marker = "th_0MARKER0"
    pattern = reverse("support:thread_detail", args=[marker])
    return lambda thread_id: pattern.replace(marker, quote(thread_id, safe=""))


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One line of the thread list."""

    thread: Thread
    url: str
    status: str
    status_tone: str
    priority: str
    last_activity: datetime | None
    opened_by: str
    organization_name: str | None


def thread_rows(
    threads: Iterable[Thread], *, organization_names: Mapping[str, str] | None
) -> list[ThreadRow]:
    """Rows for the list; organization_names (tenant external id -> name) only for several orgs."""
    thread_url = _thread_url_builder()
    return [
        ThreadRow(
            thread=thread,
            url=thread_url(thread.id),
            status=status_label(thread),
            status_tone=status_tone(thread),
            priority=priority_label(thread.priority),
            last_activity=thread_last_activity(thread),
            opened_by=opened_by(thread),
            organization_name=(
                organization_names.get(thread.tenant.external_id)
                if organization_names is not None and thread.tenant is not None
                else None
            ),
        )
        for thread in threads
    ]


# --- timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentView:
    """A custom entry component the portal can show: markdown, plain text, a link, a divider."""

    kind: str  # markdown | plain | link | badge | divider | spacer
    text: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One visible timeline entry, in the shape the templates read."""

    id: str
    kind: str  # chat | email | custom | message | status
    timestamp: datetime | None
    author: str
    author_kind: str  # customer | user | machine_user | system | deleted_customer
    is_support: bool
    text: str = ""
    markdown: str | None = None
    subject: str | None = None
    email_from: str = ""
    email_to: str = ""
    email_cc: str = ""
    title: str = ""
    channel: str = ""
    status_words: str = ""
    components: tuple[ComponentView, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())

    @property
    def css_class(self) -> str:
        side = "support" if self.is_support else "customer"
        return f"entry entry--{self.kind} entry--{side}"

    @property
    def body_template(self) -> str:
        """The template of this entry's body (templates/support/entries/), or "" for a message.

        Chats and channel messages, most of any timeline, are rendered inline: an include per
        entry is a measurable share of a thread page's time.
        """
        return "" if self.kind in ("chat", "message") else f"support/entries/_{self.kind}.html"

    @property
    def via(self) -> str:
        """How the message came, when not through the portal: "by email", "via Slack"."""
        if self.kind == "email":
            return "by email"
        if self.channel:
            return f"via {_CHANNEL_NAMES.get(self.channel, self.channel.capitalize())}"
        return ""


def _participant(participant: Any) -> str:
    if participant is None or not participant.email:
        return ""
    return f"{participant.name} <{participant.email}>" if participant.name else participant.email


def _is_support(actor: Actor) -> bool:
    return actor.kind in ("user", "machine_user", "system")


def _component_views(components: Sequence[Mapping[str, Any]]) -> list[ComponentView]:
    """Flatten Plain's component tree into the text-like parts a customer should read.

    Accepts both shapes a component can have: the output union ({"__typename": "ComponentText",
    "text": ...}) and the input form ({"componentText": {"text": ...}}). Unknown kinds are
    dropped (default-deny).
    """
    views: list[ComponentView] = []
    for raw in components:
        if not isinstance(raw, Mapping):
            continue
        typename = raw.get("__typename")
        data: Mapping[str, Any] = raw
        if typename is None and len(raw) == 1:
            key, value = next(iter(raw.items()))
            if isinstance(value, Mapping):
                typename = key[0].upper() + key[1:]
                data = value
        views.extend(_component_view(typename or "", data))
    return views


def _component_view(typename: str, data: Mapping[str, Any]) -> list[ComponentView]:
    if typename == "ComponentText":
        return [ComponentView("markdown", text=str(data.get("text") or ""))]
    if typename == "ComponentPlainText":
        return [ComponentView("plain", text=str(data.get("plainText") or ""))]
    if typename == "ComponentDivider":
        return [ComponentView("divider")]
    if typename == "ComponentSpacer":
        return [ComponentView("spacer")]
    if typename == "ComponentBadge":
        return [ComponentView("badge", text=str(data.get("badgeLabel") or ""))]
    if typename == "ComponentLinkButton":
        url = str(data.get("linkButtonUrl") or data.get("url") or "")
        label = str(data.get("linkButtonLabel") or data.get("label") or url)
        # Only web links become links; anything else (javascript:, data:) shows as its label.
        if url.lower().startswith(("https://", "http://")):
            return [ComponentView("link", text=label, url=url)]
        return [ComponentView("plain", text=label)]
    if typename == "ComponentContainer":
        return _component_views(data.get("containerContent") or ())
    if typename == "ComponentRow":
        return _component_views(
            [*(data.get("rowMainContent") or ()), *(data.get("rowAsideContent") or ())]
        )
    return []


def timeline_item(
    entry: TimelineEntry, *, thread: Thread, is_first: bool = False
) -> TimelineItem | None:
    """The view of one entry, or None for anything a customer must not see (default-deny).

    `is_first` says the entry is the thread's very first one: when the thread was opened through
    the API, that entry is the customer's message although Plain's actor is our machine user.
    """
    body = entry.entry
    actor = entry.actor
    if (
        is_first
        and isinstance(body, CustomEntry)
        and actor.kind == "machine_user"
        and thread.created_by.kind == "machine_user"
        and actor.id == thread.created_by.id
    ):
        actor = Actor("customer", thread.customer.id, opened_by(thread))
    common = {
        "id": entry.id,
        "timestamp": entry.timestamp,
        "author": actor.name,
        "author_kind": actor.kind,
        "is_support": _is_support(actor),
    }
    if isinstance(body, ChatEntry):
        return TimelineItem(
            kind="chat", text=body.text, markdown=body.text, attachments=body.attachments, **common
        )
    if isinstance(body, EmailEntry):
        # BCC recipients are never part of the entry the gateway returns, and never shown here.
        return TimelineItem(
            kind="email",
            text=body.text,
            markdown=body.markdown,
            subject=body.subject,
            email_from=_participant(body.from_),
            email_to=_participant(body.to),
            email_cc=", ".join(filter(None, (_participant(cc) for cc in body.cc))),
            attachments=body.attachments,
            **common,
        )
    if isinstance(body, CustomEntry):
        components = tuple(_component_views(body.components))
        if not components and not body.attachments:
            return None
        return TimelineItem(
            kind="custom",
            title=body.title,
            components=components,
            attachments=body.attachments,
            **common,
        )
    if isinstance(body, MessageEntry):
        return TimelineItem(
            kind="message",
            text=body.text,
            markdown=body.text,
            channel=body.channel,
            attachments=body.attachments,
            **common,
        )
    if isinstance(body, StatusChangeEntry):
        words = _STATUS_CHANGE_WORDS.get(body.next_status)
        if words is None:
            return None
        return TimelineItem(kind="status", status_words=words, **common)
    return None


def timeline_items(
    entries: Sequence[TimelineEntry], *, thread: Thread, starts_thread: bool
) -> list[TimelineItem]:
    """The visible entries of `thread`, in the order given (oldest first); hidden ones left out.

    `starts_thread` says the page holds the thread's first entry (no earlier page exists).
    """
    items = (
        timeline_item(entry, thread=thread, is_first=starts_thread and index == 0)
        for index, entry in enumerate(entries)
        if entry.is_visible
    )
    return [item for item in items if item is not None]


def reply_item(*, text: str, author: str, timestamp: datetime) -> TimelineItem:
    """The just-sent reply, shown at once after an htmx reply without fetching the timeline."""
    return TimelineItem(
        id="reply-just-sent",
        kind="chat",
        timestamp=timestamp,
        author=author,
        author_kind="customer",
        is_support=False,
        text=text,
        markdown=text,
    )


# --- Plain's failures, in words -----------------------------------------------------------------


def plain_error_message(exc: Exception, *, sending: bool) -> str:
    """What to tell the user when Plain failed; `sending` when their text was on its way."""
    not_sent = (
        " Your message was not sent; it is still below, so you can try again." if sending else ""
    )
    if isinstance(exc, PlainMutationError):
        return "Plain did not accept this. Please check what you entered and try again."
    if isinstance(exc, PlainTimeoutError):
        if sending:
            return (
                "Plain did not answer in time, so we cannot tell whether your message arrived. "
                "Your text is still below: check the conversation before sending it again."
            )
        return "Plain did not answer in time. Please try again in a moment."
    if isinstance(exc, PlainRateLimitError):
        wait = getattr(exc, "retry_after", None)
        when = f"in {int(wait)} seconds" if wait else "in a moment"
        return f"Plain is busy right now.{not_sent} Please try again {when}."
    if isinstance(exc, PlainAuthenticationError | PlainForbiddenError):
        return (
            "The connection to our support system is not set up correctly."
            f"{not_sent} We have been told; please try again later."
        )
    return f"Plain is not answering right now.{not_sent} Please try again in a moment."
