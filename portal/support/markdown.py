"""Markdown from Plain, rendered to HTML that is safe to put in a page.

Everything Plain returns is untrusted text: a customer, an agent or an integration wrote it. The
renderer has raw HTML switched off (so `<script>` arrives as text), and its output is sanitized by
nh3 with a short list of tags and attributes anyway, so a renderer bug cannot open a hole. Links
keep only http(s) and mailto URLs and open in a new tab with rel="noopener noreferrer nofollow".
Images are not allowed: an image from a message would make the reader's browser call a third party.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

__all__ = ["markdown_cache_clear", "markdown_to_html", "plain_text_to_html"]

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
    }
)
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "noopener noreferrer nofollow"

# CommonMark with raw HTML off. Single newlines become <br>: people type messages, not documents.
_renderer = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})


_cleaner = nh3.Cleaner(
    tags=set(_ALLOWED_TAGS),
    attributes={tag: set(attrs) for tag, attrs in _ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(_URL_SCHEMES),
    link_rel=_LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
)


# Rendering costs a few tenths of a millisecond per message; a thread page shows up to fifty, and
# the same messages come back on every view of the thread, so recent results are kept.
@lru_cache(maxsize=2048)
def _render(text: str) -> str:
    return _cleaner.clean(_renderer.render(text))


def markdown_to_html(text: str | None) -> SafeString:
    """Sanitized HTML for `text` read as markdown; empty for None or blank text."""
    if not text or not text.strip():
        return mark_safe("")
    return mark_safe(_render(text))  # noqa: S308 - sanitized by nh3 above


def plain_text_to_html(text: str | None) -> SafeString:
    """`text` escaped, with its paragraphs and line breaks kept."""
    if not text:
        return mark_safe("")
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 - escaped by linebreaks


def markdown_cache_clear() -> None:
    """Forget every rendered message (benchmarks of the first view of a thread)."""
    _render.cache_clear()
