"""Template helpers for the support pages: markdown, times, the header's organisations, the
thread list's rows, and the site's small script.

Times are shown in the current time zone: the user's own (User.time_zone), activated for each
request by portal.accounts.middleware.TimeZoneMiddleware, else settings.TIME_ZONE.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, tzinfo

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from portal.support.markdown import markdown_to_html, plain_text_to_html
from portal.support.markup import html_format
from portal.support.presentation import ThreadRow
from portal.tenancy.selectors import organizations_of_user

register = template.Library()

_UNKNOWN_TIME = mark_safe('<span class="muted">unknown</span>')
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Largest unit first; a month is 30 days and a year 365, as people count them in passing.
_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Untrusted markdown as sanitized HTML (portal.support.markdown)."""
    return markdown_to_html(text)


@register.filter(name="plaintext")
def plaintext_filter(text: str | None) -> SafeString:
    """Untrusted plain text as escaped HTML paragraphs."""
    return plain_text_to_html(text)


def relative_time(moment: datetime, *, now: datetime | None = None) -> str:
    """ "3 hours ago", "just now", or "in 5 minutes" for a moment in the future (largest unit)."""
    seconds = ((now or timezone.now()) - moment).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def absolute_time_text(moment: datetime, *, zone: tzinfo | None = None) -> str:
    """ "21 Nov 2026, 14:05 EST" in `zone`, by default the current time zone."""
    local = moment.astimezone(zone or timezone.get_current_timezone())
    return (
        f"{local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
    )


class Clock:
    """The current time zone and "now", read once for a page full of times."""

    __slots__ = ("now", "zone")

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.now = timezone.now()

    # format_html rather than Django's date filters: a list page shows a time on every row and
    # a thread page on every message, and this keeps each one cheap.
    def relative_tag(self, moment: datetime | None) -> SafeString:
        """<time> relative to now, the absolute local time as its title (hover)."""
        if moment is None:
            return _UNKNOWN_TIME
        local = moment.astimezone(self.zone)
        return html_format(
            '<time datetime="{}" title="{}">{}</time>',
            local.isoformat(),
            absolute_time_text(local, zone=local.tzinfo),
            relative_time(moment, now=self.now),
        )

    def absolute_tag(self, moment: datetime | None) -> SafeString:
        """<time> showing the absolute local time, relative to now as its title."""
        if moment is None:
            return _UNKNOWN_TIME
        local = moment.astimezone(self.zone)
        return html_format(
            '<time datetime="{}" title="{}">{}</time>',
            local.isoformat(),
            relative_time(moment, now=self.now),
            absolute_time_text(local, zone=local.tzinfo),
        )


@register.simple_tag
def timestamp(moment: datetime | None) -> SafeString:
    """<time> showing the moment relative to now, with the absolute local time as its title.

    The datetime attribute carries the moment with the reader's UTC offset, so what a machine
    reads and what the title says agree.
    """
    return Clock().relative_tag(moment)


@register.simple_tag
def local_time(moment: datetime | None) -> SafeString:
    """<time> showing the absolute local time, relative to now as its title (a date component)."""
    return Clock().absolute_tag(moment)


_UNREAD_CLASS = mark_safe(" thread-row--unread")
_UNREAD_BADGE = mark_safe('<span class="badge badge--new">New reply</span>')
_NOTHING = mark_safe("")


@register.simple_tag
def thread_rows(
    rows: Iterable[ThreadRow],
    unread_ids: Collection[str],
    previews: Mapping[str, str] | None = None,
) -> SafeString:
    """Each row of the thread list as an <li>, in the order given; `unread_ids` are marked;
    `previews` (thread id -> the first line of its newest visible message) under the title.

    Written by hand rather than as a template, as the timeline's entries are
    (timeline_tags.py): a list shows 25 rows, and through the template engine each cost about
    80 microseconds. Every value goes through html_format, which escapes it. What a row shows
    but its unread mark, its preview and its time relative to now is kept per row (see
    _row_parts): the preview comes from our search index, not from the row, so it is never kept.
    """
    clock = Clock()
    previews = previews or {}
    return mark_safe(  # noqa: S308
        "".join(_thread_row(row, unread_ids, clock, previews.get(row.thread.id)) for row in rows)
    )


# The parts of a row that are the same on every view, by id(row), most recently used last:
# presentation.thread_rows hands a warm list the same ThreadRow objects view after view. The
# entry holds the row, so an id is never reused while it is kept.
_ROW_PARTS_KEPT = 512
_kept_parts: OrderedDict[int, tuple[ThreadRow, SafeString, SafeString, SafeString]] = OrderedDict()
_row_parts_lock = threading.Lock()


def _row_parts(row: ThreadRow) -> tuple[SafeString, SafeString, SafeString]:
    """The row's markup, escaped: its title, the end of its main block with the customer's
    answers, and its meta block up to the time it shows (no Plain ref: the README says why)."""
    with _row_parts_lock:
        kept = _kept_parts.get(id(row))
        if kept is not None and kept[0] is row:
            _kept_parts.move_to_end(id(row))
            return kept[1], kept[2], kept[3]
    thread = row.thread
    head = html_format(
        '<a class="thread-row__title" href="{}">{}</a>\n    ',
        row.url,
        thread.title or "(no title)",
    )
    main_end = html_format("\n  </div>\n{}", _answers(row))
    body = html_format(
        '  <div class="thread-row__meta">\n'
        '    <span class="badge badge--{}">{}</span>\n'
        '    <span class="priority priority--{}"><span class="visually-hidden">Priority: </span>'
        "{}</span>\n"
        "    {}\n"
        '    <span class="muted">Opened by {}</span>\n'
        '    <span class="muted">{} ',
        row.status_tone,
        row.status,
        thread.priority,
        row.priority,
        (
            html_format('<span class="org">{}</span>', row.organization_name)
            if row.organization_name
            else _NOTHING
        ),
        row.opened_by,
        row.moment_label,
    )
    with _row_parts_lock:
        _kept_parts[id(row)] = (row, head, main_end, body)
        while len(_kept_parts) > _ROW_PARTS_KEPT:
            _kept_parts.popitem(last=False)
    return head, main_end, body


def _thread_row(
    row: ThreadRow, unread_ids: Collection[str], clock: Clock, preview: str | None
) -> SafeString:
    head, main_end, body = _row_parts(row)
    unread = row.thread.id in unread_ids
    return html_format(
        '<li class="thread-row{}">\n  <div class="thread-row__main">\n    {}{}{}  {}{}{}</span>\n'
        "  </div>\n</li>\n",
        _UNREAD_CLASS if unread else _NOTHING,
        head,
        _UNREAD_BADGE if unread else _NOTHING,
        main_end,
        (html_format('<p class="thread-row__preview">{}</p>\n', preview) if preview else _NOTHING),
        body,
        clock.relative_tag(row.moment),
    )


def _answers(row: ThreadRow) -> SafeString:
    """The category and the answers the customer gave, on one line ("" when none)."""
    parts = []
    if row.category:
        parts.append(html_format('<span class="answer">Category: {}</span>', row.category))
    parts.extend(
        html_format('<span class="answer">{}: {}</span>', question, answer)
        for question, answer in row.answers
    )
    if not parts:
        return _NOTHING
    joined = mark_safe(" ".join(parts))  # noqa: S308 - each part is escaped by html_format
    return html_format('  <p class="thread-row__answers muted">{}</p>\n', joined)


@register.simple_tag(takes_context=True)
def portal_script(context: template.Context) -> SafeString:
    """The site's script tag (static/js/portal.js: copy buttons, time zone detection).

    For a logged-in user without a stored time zone it carries where to store the browser's one,
    which the script does once; every page works the same without it.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not getattr(user, "time_zone", ""):
        return format_html(
            '<script src="{}" defer data-time-zone-url="{}"></script>',
            static("js/portal.js"),
            reverse("time_zone"),
        )
    return format_html('<script src="{}" defer></script>', static("js/portal.js"))


@register.simple_tag(takes_context=True)
def user_organizations(context: template.Context) -> list:
    """The organisations of the logged-in user, for the header.

    A view that has them at hand passes them as `user_organizations`; otherwise they are read
    here, with the one reading of the request (tenancy.selectors.organizations_of_user).
    """
    given = context.get("user_organizations")
    if given is not None:
        return list(given)
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return []
    return list(organizations_of_user(user=user))
