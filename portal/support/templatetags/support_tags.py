"""Template helpers for the support pages: markdown, times, and the header's organisations."""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from portal.support.markdown import markdown_to_html, plain_text_to_html
from portal.tenancy.selectors import organization_list_for_user

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
    """ "21 Nov 2026, 14:05 UTC" in the current time zone (settings.TIME_ZONE for now)."""
    local = moment.astimezone(zone or timezone.get_current_timezone())
    return (
        f"{local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
    )


# Written by hand rather than with format_html and Django's date filters: a list page shows a
# time on every row and a thread page on every message, and this keeps each one cheap. Every part
# is escaped with the standard library's html.escape (Django's adds only lazy-string handling).
@register.simple_tag
def timestamp(moment: datetime | None) -> SafeString:
    """<time> showing the moment relative to now, with the absolute local time as its title."""
    if moment is None:
        return mark_safe('<span class="muted">unknown</span>')
    return mark_safe(  # noqa: S308 - every part is escaped
        f'<time datetime="{escape(moment.isoformat())}" '
        f'title="{escape(absolute_time_text(moment))}">{escape(relative_time(moment))}</time>'
    )


@register.simple_tag(takes_context=True)
def user_organizations(context: template.Context) -> list:
    """The organisations of the logged-in user, for the header.

    A view that has just read them passes them as `user_organizations`; otherwise they are read
    here, once per request.
    """
    given = context.get("user_organizations")
    if given is not None:
        return list(given)
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return []
    cached = getattr(request, "_support_organizations", None)
    if cached is None:
        cached = list(organization_list_for_user(user=user))
        request._support_organizations = cached
    return cached
