"""How threads and timelines read to a customer: words for Plain's codes, and timeline view models.

Nothing here calls Plain or the database; selectors hand their results to these functions, and
templates read what they return. A list page renders every row through here, so the row work is
kept cheap (one URL reversal per list, not per row).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from django.urls import NoReverseMatch, reverse

from plain_gateway import (
    PlainAuthenticationError,
    PlainForbiddenError,
    PlainMutationError,
    PlainRateLimitError,
    PlainTimeoutError,
)
from plain_gateway import components as pc
from plain_gateway.types import (
    Actor,
    Attachment,
    ChatEntry,
    CustomEntry,
    EmailEntry,
    MergedEntry,
    MessageEntry,
    StatusChangeEntry,
    SurveyRequestEntry,
    Thread,
    TimelineEntry,
)
from portal.support.markdown import (
    markdown_subset_to_html,
    markdown_to_html,
    plain_text_to_html,
    slack_to_markdown,
)

if TYPE_CHECKING:  # the selectors' data types; the selectors call nothing here
    from portal.support.models import PortalStatusChange, RequestChoices
    from portal.support.selectors import RequestOptions, ThreadListing

__all__ = [
    "PRIORITY_CHOICES",
    "STATUS_CREDIT_WINDOW",
    "AttachmentView",
    "ComponentView",
    "StatusCredit",
    "ThreadRow",
    "TimelineItem",
    "component_views",
    "opened_by",
    "plain_error_message",
    "priority_label",
    "reply_item",
    "request_answers",
    "status_change_item",
    "status_credits",
    "status_label",
    "status_tone",
    "thread_last_activity",
    "thread_list_rows",
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


def priority_label(priority: int | None) -> str:
    """Plain's priority number in words (0 Urgent ... 3 Low)."""
    return _PRIORITY_WORDS.get(priority if priority is not None else 2, "Normal")


def status_label(thread: Thread) -> str:
    """The thread's status as the customer thinks of it.

    A resolved thread (Done) is "Resolved". An open one says whose turn it is: "Waiting for you"
    when support wrote last, "Waiting for support" when the customer did, or when nobody has
    written yet. Snoozed is open too: snoozing is how an agent parks a thread in their own queue
    (often right after replying), so the customer is told whose turn it is, as for Todo, rather
    than a word for an agent's tool they never see.
    """
    if thread.status == "DONE":
        return "Resolved"
    inbound, outbound = thread.last_inbound_at, thread.last_outbound_at
    if outbound is not None and _is_opening_message(thread, outbound):
        # The customer's own first message, written through the API: it counts as theirs.
        inbound, outbound = max(inbound or outbound, outbound), None
    if outbound and (inbound is None or outbound > inbound):
        return "Waiting for you"
    return "Waiting for support"


# How far apart Plain may stamp a thread opened through the API and its first message.
_OPENING_MESSAGE_WINDOW = timedelta(seconds=5)


def _is_opening_message(thread: Thread, moment: datetime) -> bool:
    """Whether the last outbound message, at `moment`, is the first message of a thread the
    portal opened through the API.

    A thread the portal opens is created by Plain's machine user (our API key) on behalf of the
    customer, so Plain may record its first message as the machine user's, i.e. as outbound. To
    the customer it is their own message, not support speaking. With the message's source known,
    that is an API message at the thread's opening (within a few seconds, in case Plain stamps
    the two apart); a reply an agent writes in Plain has the thread's channel as its source
    (EMAIL, CHAT, SLACK, ...) and never matches. Without a source, the moments must be equal.
    """
    if thread.created_by.kind != "machine_user" or thread.created_at is None:
        return False
    source = thread.last_outbound_source
    if source is None:
        return moment == thread.created_at
    return source == "API" and abs(moment - thread.created_at) <= _OPENING_MESSAGE_WINDOW


def status_tone(thread: Thread, *, label: str) -> str:
    """A CSS modifier for the status badge: done, yours (the customer's turn) or open.

    `label` is the thread's status_label, which the callers have already worked out.
    """
    if thread.status == "DONE":
        return "done"
    return "yours" if label == "Waiting for you" else "open"


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


# The thread field types the portal asks customers (forms._thread_field), so shows back.
_ANSWERED_FIELD_TYPES = frozenset({"STRING", "BOOL", "ENUM"})


def request_answers(
    thread: Thread, *, options: RequestOptions | None, choices: RequestChoices | None
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What the customer chose when opening the thread: (the category, or "", and the answered
    fields as (question, answer) pairs in the form's order), with the values Plain has now.

    Only what the customer chose (`choices`, recorded when the portal opened the thread) is
    shown, and only of the kinds the form asks: labels and fields agents add are theirs. A
    thread opened elsewhere (no choices) shows nothing; without the options (the questions'
    labels), only the category, whose name the label carries.
    """
    if choices is None:
        return "", ()
    chosen_labels = set(choices.label_type_ids)
    category = ", ".join(
        label.label_type.name for label in thread.labels if label.label_type.id in chosen_labels
    )
    if options is None:
        return category, ()
    chosen_keys = set(choices.field_keys)
    values = {field.key: field for field in thread.thread_fields if field.key in chosen_keys}
    answers = []
    for schema in options.field_schemas:
        value = values.get(schema.key)
        if value is None or schema.type not in _ANSWERED_FIELD_TYPES:
            continue
        if schema.type == "BOOL":
            if value.boolean_value is None:
                continue
            answer = "Yes" if value.boolean_value else "No"
        else:
            answer = (value.string_value or "").strip()
            if not answer:
                continue
        answers.append((schema.label or schema.key, answer))
    return category, tuple(answers)


def _thread_url_builder() -> Callable[[str], str]:
    """thread id -> its page's URL, with one reverse() per list instead of one per row."""
    # Shaped like a thread id, so the route takes it.
    marker = "th_00000000000MARKER000000000"
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
    # The moment the list is sorted by (or, sorted by priority, when the thread was opened),
    # and its words ("Updated", "Opened"): a row never shows one date while sorted by another.
    moment: datetime | None
    moment_label: str
    opened_by: str
    organization_name: str | None
    # What the customer chose when opening it: the category and the answered fields.
    category: str = ""
    answers: tuple[tuple[str, str], ...] = ()


def _row_moment(thread: Thread, sort: str) -> tuple[datetime | None, str]:
    """The date a row shows for the list's order (selectors.THREAD_SORTS), and its words."""
    if sort == "activity":
        return (thread.status_changed_at or thread.created_at), "Updated"
    return thread.created_at, "Opened"


# id(thread) -> its row, most recently used last. A warm list view gets the very Thread objects
# the last view had (portal.support.cache reuses what it decoded), and everything on a row but
# the URL and the organisation's name is a function of the thread alone (frozen), so its row is
# built once, not on every view. The row holds the thread, so an id is never reused while kept.
_ROWS_KEPT = 512
_rows: OrderedDict[int, ThreadRow] = OrderedDict()
_rows_lock = threading.Lock()


def thread_rows(
    threads: Iterable[Thread],
    *,
    organization_names: Mapping[str, str] | None,
    sort: str = "activity",
    options: RequestOptions | None = None,
    choices: Mapping[str, RequestChoices] | None = None,
) -> list[ThreadRow]:
    """Rows for the list; organization_names (tenant external id -> name) only for several orgs;
    `sort` is the list's order (which date each row shows); `options` the workspace's questions
    and `choices` (thread id -> what the customer chose), for each row's answers
    (request_answers)."""
    choices = choices or {}
    thread_url = _thread_url_builder()
    rows = []
    for thread in threads:
        url = thread_url(thread.id)
        organization_name = (
            organization_names.get(thread.tenant.external_id)
            if organization_names is not None and thread.tenant is not None
            else None
        )
        with _rows_lock:
            row = _rows.get(id(thread))
            if row is not None:
                _rows.move_to_end(id(thread))
        if (
            row is None
            or row.thread is not thread
            or row.url != url
            or row.organization_name != organization_name
        ):
            row = _thread_row(thread, url=url, organization_name=organization_name)
            with _rows_lock:
                _rows[id(thread)] = row
                while len(_rows) > _ROWS_KEPT:
                    _rows.popitem(last=False)
        # What depends on the view, not on the thread alone: the date the order shows, and the
        # answers (kept rows hold the default order's date and none).
        moment, moment_label = _row_moment(thread, sort)
        category, answers = (
            request_answers(thread, options=options, choices=choices[thread.id])
            if thread.id in choices
            else ("", ())
        )
        if (row.moment, row.moment_label, row.category, row.answers) != (
            moment,
            moment_label,
            category,
            answers,
        ):
            row = replace(
                row,
                moment=moment,
                moment_label=moment_label,
                category=category,
                answers=answers,
            )
        rows.append(row)
    return rows


def _thread_row(thread: Thread, *, url: str, organization_name: str | None) -> ThreadRow:
    label = status_label(thread)
    moment, moment_label = _row_moment(thread, "activity")
    return ThreadRow(
        thread=thread,
        url=url,
        status=label,
        status_tone=status_tone(thread, label=label),
        priority=priority_label(thread.priority),
        moment=moment,
        moment_label=moment_label,
        opened_by=opened_by(thread),
        organization_name=organization_name,
    )


def thread_list_rows(
    *,
    listing: ThreadListing,
    options: RequestOptions | None = None,
    choices: Mapping[str, RequestChoices] | None = None,
) -> list[ThreadRow]:
    """The list page's rows for one page of threads; each names its organisation when the user
    is in several."""
    names = (
        {org.tenant_external_id: org.name for org in listing.organizations}
        if listing.shows_organization
        else None
    )
    return thread_rows(
        listing.threads,
        organization_names=names,
        sort=listing.sort,
        options=options,
        choices=choices,
    )


# --- timeline ---------------------------------------------------------------------------------

# How far apart Plain's status entry and the statusChangedAt it returned to the portal may be
# stamped and still be the same change (selectors.STATUS_CREDIT_WINDOW reads the rows as wide).
STATUS_CREDIT_WINDOW = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class StatusCredit:
    """A status change made in the portal: by whom (as the viewer calls them), which way, when
    Plain made it. Plain's entry for it names the machine user (our API key) instead."""

    name: str
    resolved: bool
    at: datetime


def status_credits(
    changes: Iterable[PortalStatusChange], *, viewer_id: int | None
) -> tuple[StatusCredit, ...]:
    """The portal's records of status changes as credits: "You" for the viewer's own, the
    colleague's name for anyone else's (they are of the same organisation: the thread is)."""
    return tuple(
        StatusCredit(
            name="You" if change.user_id == viewer_id else change.user.get_full_name(),
            resolved=change.resolved,
            at=change.changed_at,
        )
        for change in changes
    )


def _credited_actor(
    actor: Actor,
    body: StatusChangeEntry,
    timestamp: datetime | None,
    credits: Sequence[StatusCredit],
) -> Actor:
    """The person who made a status change in the portal, when `body` is that change; else
    `actor`. Only the machine user's entries are credited: a change an agent (a user) or Plain
    (system) made is theirs, whoever clicked nearby."""
    if actor.kind != "machine_user" or timestamp is None or not credits:
        return actor
    resolved = body.next_status == "DONE"
    matches = [
        credit
        for credit in credits
        if credit.resolved == resolved and abs(credit.at - timestamp) <= STATUS_CREDIT_WINDOW
    ]
    if not matches:
        return actor
    best = min(matches, key=lambda credit: abs(credit.at - timestamp))
    return Actor("customer", "", best.name)


#
# Which entry types reach this point is decided in plain_gateway.types (CUSTOMER_VISIBLE_ENTRY_TYPES
# and HIDDEN_ENTRY_TYPES, with reasons); here each visible one becomes a TimelineItem whose HTML
# parts are computed once, so the template only places them. Within visible types the portal
# leaves out what would mislead: Todo <-> Snoozed moves, merged messages of another customer,
# custom entries with nothing customer-facing.

_CHANNEL_NAMES = {
    "slack": "via Slack",
    "ms_teams": "via Microsoft Teams",
    "discord": "via Discord",
    "help_center": "in the help center",
}
_SUPPORT_KINDS = frozenset({"user", "machine_user", "system"})

# Plain's component enums -> CSS modifiers (the enum values, lower-cased). Only these values ever
# reach a class attribute: the parser in plain_gateway.components keeps nothing else.
# Plain nests at most a row in a container, which the component types themselves enforce.


@dataclass(frozen=True, slots=True)
class ComponentView:
    """One of Plain's UI components, ready for templates/support/components/_components.html.

    kind: text | plain | badge | link | copy | divider | spacer | datetime | user | row |
    container. `html` is the Text component's sanitized markdown; `text` the plain text, label
    or value; `url` a link button's http(s) URL; `tooltip` a copy button's hover label; `moment`
    a date-time; `content` a container's or a row's main components, `aside` a row's others.
    """

    kind: str
    text: str = ""
    html: str = ""
    url: str = ""
    tooltip: str = ""
    css_class: str = ""
    moment: datetime | None = None
    content: tuple[ComponentView, ...] = ()
    aside: tuple[ComponentView, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachmentView:
    """A file on an entry: its name, size, and where to download it ("" when it cannot be)."""

    file_name: str
    size_bytes: int
    mime_type: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One visible timeline entry, in the shape the templates read.

    kind: chat | email | custom | message | status | survey. Status and survey items are events
    (`is_event`): a line saying what `author` did (`status_words`). `body_html` is the message,
    rendered and sanitized; `full_html` an email's whole text when Plain has more than its newest
    part. `merged_from` names the request a merged message came from.
    """

    id: str
    kind: str
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
    files: tuple[AttachmentView, ...] = ()
    body_html: str = ""
    full_html: str = ""
    edited: bool = False
    deleted: bool = False
    merged_from: str = ""
    css_class: str = ""
    via: str = ""

    @property
    def is_event(self) -> bool:
        return self.kind in ("status", "survey")


def _participant(participant: Any) -> str:
    if participant is None or not participant.email:
        return ""
    return f"{participant.name} <{participant.email}>" if participant.name else participant.email


def _author(actor: Actor) -> str:
    # Plain's own automations act as "system"; to a customer that is simply support.
    return "Support" if actor.kind == "system" else actor.name


def _safe_url(url: str) -> str:
    """`url` when it is an absolute http(s) URL, else "" (javascript:, data:, relative, junk)."""
    url = url.strip()
    if not url or any(ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def component_views(components: Sequence[pc.Component]) -> tuple[ComponentView, ...]:
    """Plain's component tree as views, in order; agent-only kinds and empty ones dropped."""
    views = (_component_view(component) for component in components)
    return tuple(view for view in views if view is not None)


def _modifier(value: StrEnum | None, default: str) -> str:
    return value.value.lower() if value is not None else default


def _component_view(component: pc.Component) -> ComponentView | None:
    match component:
        case pc.Text(text=text, size=size, color=color):
            if not text.strip():
                return None
            css = f"c-text c-size-{_modifier(size, 'm')} c-color-{_modifier(color, 'normal')}"
            return ComponentView(
                "text", text=text, html=markdown_subset_to_html(text), css_class=css
            )
        case pc.PlainText(text=text, size=size, color=color):
            if not text:
                return None
            css = f"c-size-{_modifier(size, 'm')} c-color-{_modifier(color, 'normal')}"
            return ComponentView("plain", text=text, css_class=f"c-text c-text--plain {css}")
        case pc.Badge(label=label, color=badge_color):
            css = f"c-badge c-badge--{_modifier(badge_color, 'grey')}"
            return ComponentView("badge", text=label, css_class=css)
        case pc.LinkButton(url=raw_url, label=raw_label):
            url = _safe_url(raw_url)
            label = raw_label or url
            if not url:
                # Not a web link (javascript:, data:, ...): the label alone, never a link.
                return ComponentView(
                    "plain", text=label, css_class="c-text c-size-m c-color-normal"
                )
            return ComponentView("link", text=label, url=url, css_class="c-link-button")
        case pc.CopyButton(value=value, tooltip=tooltip):
            return ComponentView("copy", text=value, tooltip=tooltip or "Copy", css_class="c-copy")
        case pc.Divider(spacing=spacing):
            return ComponentView(
                "divider", css_class=f"c-divider c-divider--{_modifier(spacing, 's')}"
            )
        case pc.Spacer(size=spacer_size):
            return ComponentView(
                "spacer", css_class=f"c-spacer c-spacer--{_modifier(spacer_size, 'm')}"
            )
        case pc.DateTime(moment=moment):
            return ComponentView("datetime", moment=moment, css_class="c-datetime")
        case pc.User(public_name=name):
            return ComponentView("user", text=name or "Former team member", css_class="c-user")
        case pc.Row(main=main_parts, aside=aside_parts):
            main, aside = component_views(main_parts), component_views(aside_parts)
            if not main and not aside:
                return None
            return ComponentView("row", content=main, aside=aside, css_class="c-row")
        case pc.Container(content=parts):
            content = component_views(parts)
            if not content:
                return None
            return ComponentView("container", content=content, css_class="c-container")
    # WorkflowButton: an agent action (plain_gateway.types.HIDDEN_COMPONENT_TYPES).
    return None


def _status_words(body: StatusChangeEntry) -> str | None:
    """What a status change means to the customer, or None for moves they cannot see."""
    if body.next_status == "DONE" and body.previous_status != "DONE":
        return "marked this as resolved"
    if body.previous_status == "DONE" and body.next_status in ("TODO", "SNOOZED"):
        return "reopened this"
    return None


def _email_bodies(body: EmailEntry) -> tuple[str, str]:
    """(the email's newest part, its whole text or "") as HTML: markdown first, else text.

    The email that opened the thread shows whole at once: its quoted history came from before
    the thread, and nothing earlier in the timeline repeats it.
    """
    main = markdown_to_html(body.markdown) if body.markdown else plain_text_to_html(body.text)
    if not body.has_more:
        return main, ""
    if body.full_markdown:
        full = markdown_to_html(body.full_markdown)
    else:
        full = plain_text_to_html(body.full_text)
    if not full or full == main:
        return main, ""
    return (full, "") if body.is_start_of_thread else (main, full)


def _message_body(body: MessageEntry) -> str:
    if body.markdown:
        return markdown_to_html(body.markdown)
    if body.channel == "slack":
        return markdown_to_html(slack_to_markdown(body.text))
    return plain_text_to_html(body.text)


def _item(
    *,
    id: str,
    kind: str,
    timestamp: datetime | None,
    actor: Actor,
    attachment_url: Callable[[str], str] | None = None,
    **values: Any,
) -> TimelineItem:
    attachments = values.get("attachments") or ()
    if attachments:
        values["files"] = tuple(
            AttachmentView(
                file_name=attachment.file_name or attachment.id,
                size_bytes=attachment.size_bytes,
                mime_type=attachment.mime_type,
                url=attachment_url(attachment.id) if attachment_url else "",
            )
            for attachment in attachments
        )
    is_support = actor.kind in _SUPPORT_KINDS
    side = "support" if is_support else "customer"
    event = " entry--event" if kind in ("status", "survey") else ""
    return TimelineItem(
        id=id,
        kind=kind,
        timestamp=timestamp,
        author=_author(actor),
        author_kind=actor.kind,
        is_support=is_support,
        css_class=f"entry entry--{kind} entry--{side}{event}",
        **values,
    )


def timeline_item(
    entry: TimelineEntry,
    *,
    thread: Thread,
    is_first: bool = False,
    attachment_url: Callable[[str], str] | None = None,
    credits: Sequence[StatusCredit] = (),
) -> TimelineItem | None:
    """The view of one entry, or None for anything a customer must not see (default-deny).

    `is_first` says the entry is the thread's very first one: when the thread was opened through
    the API, that entry is the customer's message although Plain's actor is our machine user.
    `attachment_url` (attachment id -> download URL) links the entry's files. `credits` name
    who made the status changes done through the portal (status_credits).
    """
    body = entry.entry
    actor = entry.actor
    timestamp = entry.timestamp
    merged_from = ""
    if isinstance(body, MergedEntry):
        merged, child = body, body.child
        # Only the thread's own customer's messages: the other thread may have been anyone's,
        # and the portal cannot check its tenant without asking Plain again.
        if child is None or not child.customer_id or child.customer_id != thread.customer.id:
            return None
        body, actor, timestamp = child.entry, child.actor, child.timestamp or timestamp
        # By its title: Plain's ref (T-6) counts every customer's threads, so it is not shown.
        title = (merged.child_thread_title or "").strip()
        merged_from = f"“{title}”" if title else "another request"
        # Its files belong to the other thread, which the download route does not serve.
        is_first, attachment_url = False, None
    if (
        is_first
        and isinstance(body, CustomEntry)
        and actor.kind == "machine_user"
        and thread.created_by.kind == "machine_user"
        and actor.id == thread.created_by.id
    ):
        actor = Actor("customer", thread.customer.id, opened_by(thread))
    common: dict[str, Any] = {
        "id": entry.id,
        "timestamp": timestamp,
        "actor": actor,
        "merged_from": merged_from,
        "attachment_url": attachment_url,
    }
    if isinstance(body, ChatEntry):
        return _item(
            kind="chat",
            text=body.text,
            markdown=body.text,
            body_html=markdown_to_html(body.text),
            attachments=body.attachments,
            **common,
        )
    if isinstance(body, EmailEntry):
        main, full = _email_bodies(body)
        # BCC recipients are never part of the entry the gateway returns, and never shown here.
        return _item(
            kind="email",
            text=body.text,
            markdown=body.markdown,
            subject=body.subject,
            email_from=_participant(body.from_),
            email_to=_participant(body.to),
            email_cc=", ".join(filter(None, (_participant(cc) for cc in body.cc))),
            body_html=main,
            full_html=full,
            attachments=body.attachments,
            via="by email",
            **common,
        )
    if isinstance(body, CustomEntry):
        components = component_views(body.components)
        if not components and not body.attachments:
            return None
        return _item(
            kind="custom",
            title=body.title if body.title != thread.title else "",
            components=components,
            attachments=body.attachments,
            **common,
        )
    if isinstance(body, MessageEntry):
        deleted = body.deleted_at is not None
        return _item(
            kind="message",
            text=body.text,
            markdown=body.markdown,
            channel=body.channel,
            body_html="" if deleted else _message_body(body),
            attachments=() if deleted else body.attachments,
            edited=body.edited_at is not None and not deleted,
            deleted=deleted,
            via=_CHANNEL_NAMES.get(body.channel, ""),
            **common,
        )
    if isinstance(body, StatusChangeEntry):
        words = _status_words(body)
        if words is None or merged_from:
            return None
        common["actor"] = _credited_actor(actor, body, timestamp, credits)
        return _item(kind="status", status_words=words, **common)
    if isinstance(body, SurveyRequestEntry) and not merged_from:
        return _item(kind="survey", status_words="asked for feedback on this request", **common)
    return None


def timeline_items(
    entries: Sequence[TimelineEntry],
    *,
    thread: Thread,
    starts_thread: bool,
    credits: Sequence[StatusCredit] = (),
) -> list[TimelineItem]:
    """The visible entries of `thread`, in the order given (oldest first); hidden ones left out.

    `starts_thread` says the page holds the thread's first entry (no earlier page exists);
    `credits` say who made the status changes done through the portal.
    """
    attachment_url = _attachment_url_builder(thread.id)
    items = (
        timeline_item(
            entry,
            thread=thread,
            is_first=starts_thread and index == 0,
            attachment_url=attachment_url,
            credits=credits,
        )
        for index, entry in enumerate(entries)
        if entry.is_visible
    )
    return [item for item in items if item is not None]


def _attachment_url_builder(thread_id: str) -> Callable[[str], str] | None:
    """attachment id -> its download URL on this thread, with one reverse() per page; None when
    the portal has no download route (the files are then listed by name only)."""
    # Shaped like an attachment id, so the route takes it; no thread id can contain it.
    marker = "att_00000000000MARKER000000000"
    try:
        pattern = reverse("support:attachment_download", args=[thread_id, marker])
    except NoReverseMatch:
        return None
    return lambda attachment_id: pattern.replace(marker, quote(attachment_id, safe=""))


def reply_item(
    *,
    text: str,
    author: str,
    timestamp: datetime,
    attachments: Sequence[Attachment] = (),
    thread_id: str | None = None,
) -> TimelineItem:
    """The just-sent reply, shown at once after an htmx reply without fetching the timeline.

    `attachments` are the files sent with it, linked for download when `thread_id` is given.
    """
    return _item(
        id="reply-just-sent",
        kind="chat",
        timestamp=timestamp,
        actor=Actor("customer", "", author),
        text=text,
        markdown=text,
        body_html=markdown_to_html(text),
        attachments=tuple(attachments),
        attachment_url=_attachment_url_builder(thread_id) if thread_id else None,
    )


def status_change_item(*, resolved: bool, author: str, timestamp: datetime | None) -> TimelineItem:
    """The status change just made in the portal, shown at once after an htmx resolve or
    reopen, in the words its timeline entry will have."""
    return _item(
        # Unique on the page: the customer may resolve and reopen more than once.
        id=f"status-just-changed-{uuid.uuid4().hex[:12]}",
        kind="status",
        timestamp=timestamp,
        actor=Actor("customer", "", author),
        status_words="marked this as resolved" if resolved else "reopened this",
    )


# --- Plain's failures, in words -----------------------------------------------------------------


def plain_error_message(exc: Exception, *, sending: bool) -> str:
    """What to tell the user when Plain failed; `sending` when their text was on its way.

    The words say "our support system", never "Plain": customers know the company, not its tools.
    """
    not_sent = (
        " Your message was not sent; it is still below, so you can try again." if sending else ""
    )
    if isinstance(exc, PlainMutationError):
        return (
            "Our support system did not accept this. Please check what you entered and try again."
        )
    if isinstance(exc, PlainTimeoutError):
        if sending:
            return (
                "Our support system did not answer in time, so we cannot tell whether your message "
                "arrived. Your text is still below: check the conversation before sending it again."
            )
        return "Our support system did not answer in time. Please try again in a moment."
    if isinstance(exc, PlainRateLimitError):
        wait = getattr(exc, "retry_after", None)
        when = f"in {int(wait)} seconds" if wait else "in a moment"
        return f"Our support system is busy right now.{not_sent} Please try again {when}."
    if isinstance(exc, PlainAuthenticationError | PlainForbiddenError):
        return (
            "The connection to our support system is not set up correctly."
            f"{not_sent} We have been told; please try again later."
        )
    return f"Our support system is not answering right now.{not_sent} Please try again in a moment."
