"""Template helpers for the support pages: markdown, times, the header's organisations, and the
site's small script.

Times are shown in the current time zone: the user's own (User.time_zone), activated for each
request by portal.accounts.middleware.TimeZoneMiddleware, else settings.TIME_ZONE.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from portal.support.markdown import markdown_to_html, plain_text_to_html
from portal.tenancy.selectors import organizations_of_user

register = template.Library()

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

    # Written by hand rather than with format_html and Django's date filters: a list page shows a
    # time on every row and a thread page on every message, and this keeps each one cheap. Every
    # part is escaped with the standard library's html.escape (Django's adds only lazy-string
    # handling).
    def relative_tag(self, moment: datetime | None) -> str:
        """<time> relative to now, the absolute local time as its title (hover)."""
        if moment is None:
            return '<span class="muted">unknown</span>'
        local = moment.astimezone(self.zone)
        return (
            f'<time datetime="{escape(local.isoformat())}" '
            f'title="{escape(absolute_time_text(local, zone=local.tzinfo))}">'
            f"{escape(relative_time(moment, now=self.now))}</time>"
        )

    def absolute_tag(self, moment: datetime | None) -> str:
        """<time> showing the absolute local time, relative to now as its title."""
        if moment is None:
            return '<span class="muted">unknown</span>'
        local = moment.astimezone(self.zone)
        return (
            f'<time datetime="{escape(local.isoformat())}" '
            f'title="{escape(relative_time(moment, now=self.now))}">'
            f"{escape(absolute_time_text(local, zone=local.tzinfo))}</time>"
        )


@register.simple_tag
def timestamp(moment: datetime | None) -> SafeString:
    """<time> showing the moment relative to now, with the absolute local time as its title.

    The datetime attribute carries the moment with the reader's UTC offset, so what a machine
    reads and what the title says agree.
    """
    return mark_safe(Clock().relative_tag(moment))  # noqa: S308 - every part is escaped


@register.simple_tag
def local_time(moment: datetime | None) -> SafeString:
    """<time> showing the absolute local time, relative to now as its title (a date component)."""
    return mark_safe(Clock().absolute_tag(moment))  # noqa: S308 - every part is escaped


@register.simple_tag(takes_context=True)
def portal_script(context: template.Context) -> SafeString:
    """The site's script tag (static/js/portal.js: copy buttons, time zone detection).

    For a logged-in user without a stored time zone it carries where to store the browser's one,
    which the script does once; every page works the same without it.
    """
    attributes = ""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not getattr(user, "time_zone", ""):
        attributes = f' data-time-zone-url="{escape(reverse("time_zone"))}"'
    return mark_safe(  # noqa: S308 - every part is escaped
        f'<script src="{escape(static("js/portal.js"))}" defer{attributes}></script>'
    )


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
