"""The timeline's entries as HTML: `{% timeline_entries items %}` (items: TimelineItem).

Written by hand rather than as a template: a thread page shows up to fifty entries, and through
the template engine each one cost about 80 microseconds (variable lookups, conditions, an
include), here about 15. This is the whole entry shell and the message bodies; the bodies of the
rarer kinds stay templates: templates/support/entries/ (emails, custom entries, file lists) and
templates/support/components/ (Plain's UI components). Every value from Plain is escaped here with
html.escape, or is HTML already sanitized by portal.support.markdown (TimelineItem.body_html).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from portal.support.presentation import TimelineItem
from portal.support.templatetags.support_tags import Clock

register = template.Library()

_BODY_TEMPLATES = {
    "email": "support/entries/_email.html",
    "custom": "support/entries/_custom.html",
}
_FILES_TEMPLATE = "support/entries/_attachments.html"
_SUPPORT_TAG = '\n      <span class="tag">Support</span>'


@register.simple_tag
def timeline_entries(items: Iterable[TimelineItem]) -> SafeString:
    """Each item as an <li> of the timeline, in the order given."""
    clock = Clock()
    return mark_safe("".join(_entry(item, clock) for item in items))  # noqa: S308 - escaped


def _entry(item: TimelineItem, clock: Clock) -> str:
    opening = f'<li id="entry-{escape(item.id)}" class="{escape(item.css_class)}">\n'
    when = clock.relative_tag(item.timestamp)
    if item.is_event:
        return (
            f"{opening}  <p><strong>{escape(item.author)}</strong> "
            f"{escape(item.status_words)} &middot; {when}</p>\n</li>\n"
        )
    via = f"{escape(item.via)} &middot; " if item.via else ""
    edited = " &middot; edited" if item.edited else ""
    merged = (
        f'    <p class="entry__merged muted">From {escape(item.merged_from)}, '
        "merged into this request</p>\n"
        if item.merged_from
        else ""
    )
    return (
        f"{opening}  <article>\n"
        '    <header class="entry__meta">\n'
        f'      <span class="entry__author">{escape(item.author)}</span>'
        f"{_SUPPORT_TAG if item.is_support else ''}\n"
        f'      <span class="muted">{via}{when}{edited}</span>\n'
        "    </header>\n"
        f"{merged}"
        f"    {_body(item)}\n"
        f"{_render(_FILES_TEMPLATE, item) if item.files else ''}"
        "  </article>\n</li>\n"
    )


def _body(item: TimelineItem) -> str:
    name = _BODY_TEMPLATES.get(item.kind)
    if name is not None:
        return _render(name, item)
    if item.deleted:
        return '<p class="entry__deleted muted">This message was deleted.</p>'
    return f'<div class="entry__body prose">{item.body_html}</div>'


def _render(name: str, item: TimelineItem) -> str:
    return get_template(name).render({"item": item})
