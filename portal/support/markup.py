"""`html_format`: Django's format_html, for the markup the support pages build in Python.

The thread list's rows and the timeline's entries are written in Python rather than as
templates, for speed (portal/support/templatetags/). format_html spends most of its time in the
lazy-string wrappers around conditional_escape and escape, which these pages never need: their
values are plain strings, numbers and already safe HTML. html_format escapes exactly as
format_html does (a value's own `__html__` when it has one, otherwise html.escape of its str(),
which is what django.utils.html.escape does), without those wrappers. The result is safe HTML.
"""

from __future__ import annotations

import html

from django.utils.safestring import SafeString, mark_safe

__all__ = ["html_escape", "html_format"]


def html_escape(value: object) -> str:
    """`value` as HTML: its own `__html__()` when it is safe already, else escaped."""
    if type(value) is str:
        # Most values; a plain str has no __html__, and asking costs more than escaping.
        return html.escape(value)
    as_html = getattr(value, "__html__", None)
    if as_html is not None:
        return str(as_html())
    return html.escape(str(value))


def html_format(format_string: str, *args: object) -> SafeString:
    """format_html(format_string, *args): each argument escaped unless it is safe already."""
    return mark_safe(format_string.format(*map(html_escape, args)))  # noqa: S308 - escaped above
