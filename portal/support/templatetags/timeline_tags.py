"""The timeline's entries as HTML: `{% timeline_entries items %}` (items: TimelineItem).

Written by hand rather than as a template: a thread page shows up to fifty entries, and through
the template engine each one cost about 80 microseconds (variable lookups, conditions, an
include), here a fraction of that. This is the whole entry shell and the message bodies; the
bodies of the rarer kinds stay templates: templates/support/entries/ (emails, custom entries,
file lists) and templates/support/components/ (Plain's UI components). The markup is built with
html_format (portal.support.markup: format_html without its lazy-string wrappers), which
escapes every value it is given unless it is already safe HTML (a rendered template, or HTML
sanitized by portal.support.markdown: TimelineItem.body_html); never in an f-string.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from portal.support.markup import html_format
from portal.support.presentation import TimelineItem
from portal.support.templatetags.support_tags import Clock

register = template.Library()

_BODY_TEMPLATES = {
    "email": "support/entries/_email.html",
    "custom": "support/entries/_custom.html",
}
_FILES_TEMPLATE = "support/entries/_attachments.html"
_SUPPORT_TAG = mark_safe('\n      <span class="tag">Support</span>')
_DELETED = mark_safe('<p class="entry__deleted muted">This message was deleted.</p>')
_NOTHING = mark_safe("")


@register.simple_tag
def timeline_entries(items: Iterable[TimelineItem]) -> SafeString:
    """Each item as an <li> of the timeline, in the order given."""
    clock = Clock()
    return mark_safe("".join(_entry(item, clock) for item in items))  # noqa: S308 - each is safe


def _entry(item: TimelineItem, clock: Clock) -> SafeString:
    when = clock.relative_tag(item.timestamp)
    if item.is_event:
        return html_format(
            '<li id="entry-{}" class="{}">\n  <p><strong>{}</strong> {} &middot; {}</p>\n</li>\n',
            item.id,
            item.css_class,
            item.author,
            item.status_words,
            when,
        )
    return html_format(
        '<li id="entry-{}" class="{}">\n  <article>\n'
        '    <header class="entry__meta">\n'
        '      <span class="entry__author">{}</span>{}\n'
        '      <span class="muted">{}{}{}</span>\n'
        "    </header>\n"
        "{}"
        "    {}\n"
        "{}"
        "  </article>\n</li>\n",
        item.id,
        item.css_class,
        item.author,
        _SUPPORT_TAG if item.is_support else _NOTHING,
        html_format("{} &middot; ", item.via) if item.via else _NOTHING,
        when,
        mark_safe(" &middot; edited") if item.edited else _NOTHING,
        (
            html_format(
                '    <p class="entry__merged muted">From {}, merged into this request</p>\n',
                item.merged_from,
            )
            if item.merged_from
            else _NOTHING
        ),
        _body(item),
        _render(_FILES_TEMPLATE, item) if item.files else _NOTHING,
    )


def _body(item: TimelineItem) -> SafeString:
    name = _BODY_TEMPLATES.get(item.kind)
    if name is not None:
        return _render(name, item)
    if item.deleted:
        return _DELETED
    # body_html is sanitized HTML already (portal.support.markdown): SafeString, kept as is.
    return html_format('<div class="entry__body prose">{}</div>', item.body_html)


def _render(name: str, item: TimelineItem) -> SafeString:
    return mark_safe(get_template(name).render({"item": item}))  # noqa: S308 - a template
