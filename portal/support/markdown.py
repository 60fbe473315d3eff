"""Markdown from Plain, rendered to HTML that is safe to put in a page.

Everything Plain returns is untrusted text: a customer, an agent or an integration wrote it. The
renderers have raw HTML switched off (so `<script>` arrives as text), and their output is
sanitized by nh3 with a short list of tags and attributes anyway, so a renderer bug cannot open a
hole. Links keep only http(s) and mailto URLs and open in a new tab with
rel="noopener noreferrer nofollow". Images are not allowed: an image from a message would make
the reader's browser call a third party.

Three flavours, as Plain shows them to its agents:
- `markdown_to_html`: messages and emails (CommonMark, plus tables and strikethrough);
- `markdown_subset_to_html`: the Text UI component, whose markdown is bold, italic and links;
- `slack_to_markdown`: Slack's own markup (`<url|label>`, `*bold*`, mentions) as markdown.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

__all__ = [
    "html_to_safe_html",
    "markdown_cache_clear",
    "markdown_subset_to_html",
    "markdown_to_html",
    "plain_text_to_html",
    "slack_to_markdown",
]

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
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
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_SUBSET_TAGS = frozenset({"a", "br", "em", "p", "strong"})
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "td": {"align"}, "th": {"align"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "noopener noreferrer nofollow"

# CommonMark with raw HTML off. Single newlines become <br>: people type messages, not documents.
# Tables and strikethrough come from emails converted to markdown by Plain.
_renderer = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).enable(
    ["table", "strikethrough"]
)

# The Text component's markdown: bold, italic and links (and line breaks), nothing else, so a
# list or a heading reads as the same plain characters Plain's agents see.
_subset_renderer = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["newline", "escape", "entity", "emphasis", "link", "autolink"]
)


def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(tags),
        attributes={tag: set(attrs) for tag, attrs in _ALLOWED_ATTRIBUTES.items() if tag in tags},
        url_schemes=set(_URL_SCHEMES),
        link_rel=_LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


_full_cleaner = _cleaner(_ALLOWED_TAGS)
_subset_cleaner = _cleaner(_SUBSET_TAGS)


# Rendering costs a few tenths of a millisecond per message; a thread page shows up to fifty, and
# the same messages come back on every view of the thread, so recent results are kept.
# The results are kept as SafeStrings, so a cache hit costs no more than the lookup.
@lru_cache(maxsize=2048)
def _render(text: str) -> SafeString:
    return SafeString(_full_cleaner.clean(_renderer.render(text)))


@lru_cache(maxsize=1024)
def _render_subset(text: str) -> SafeString:
    return SafeString(_subset_cleaner.clean(_subset_renderer.render(text)))


_EMPTY = SafeString("")


def markdown_to_html(text: str | None) -> SafeString:
    """Sanitized HTML for `text` read as markdown; empty for None or blank text."""
    if not text or text.isspace():
        return _EMPTY
    return _render(text)


def markdown_subset_to_html(text: str | None) -> SafeString:
    """Sanitized HTML for the Text component's markdown subset: bold, italic, links."""
    if not text or text.isspace():
        return _EMPTY
    return _render_subset(text)


def plain_text_to_html(text: str | None) -> SafeString:
    """`text` escaped, with its paragraphs and line breaks kept."""
    if not text:
        return mark_safe("")
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 - escaped by linebreaks


# Slack's markup (https://api.slack.com/reference/surfaces/formatting): <url|label> links,
# <@U123|name> and <#C123|name> mentions, <!here>, *bold*, ~strike~. Slack escapes &, < and >
# as entities, which markdown decodes back to text.
_SLACK_ANGLE = re.compile(r"<([^<>\s][^<>]*)>")
_SLACK_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_SLACK_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_MARKDOWN_LABEL_SPECIALS = re.compile(r"([\\\[\]*_`~<>])")


def _slack_angle(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target[:1] in "@#":
        return f"{target[0]}{label}" if label else target[0] + "someone"
    if target.startswith("!"):
        name = label or target[1:].split("^", 1)[0]
        return f"@{name}"
    if target.startswith(("http://", "https://", "mailto:")):
        text = _MARKDOWN_LABEL_SPECIALS.sub(r"\\\1", label or target)
        return f"[{text}](<{target}>)"
    # Anything else stays as the characters it was (markdown escapes the angle brackets).
    return match.group(0)


@lru_cache(maxsize=1024)
def slack_to_markdown(text: str) -> str:
    """Slack's message markup as markdown (for markdown_to_html)."""
    parts = []
    position = 0
    # Bold and strike are converted between the <...> tokens only, never inside a link's label
    # or URL, whose characters are escaped instead.
    for match in _SLACK_ANGLE.finditer(text):
        parts.append(_slack_emphasis(text[position : match.start()]))
        parts.append(_slack_angle(match))
        position = match.end()
    parts.append(_slack_emphasis(text[position:]))
    return "".join(parts)


def _slack_emphasis(text: str) -> str:
    return _SLACK_STRIKE.sub(r"~~\1~~", _SLACK_BOLD.sub(r"**\1**", text))


@lru_cache(maxsize=256)
def _clean_html(html: str) -> SafeString:
    return SafeString(_full_cleaner.clean(html))


def html_to_safe_html(html: str | None) -> SafeString:
    """HTML written in Plain (help center articles) cleaned by the same policy as messages:
    headings, lists, code, tables and links (http, https, mailto; rel="noopener noreferrer
    nofollow"); no images, scripts, styles, event handlers or other attributes."""
    if not html or html.isspace():
        return _EMPTY
    return _clean_html(html)


def markdown_cache_clear() -> None:
    """Forget every rendered message (benchmarks of the first view of a thread)."""
    _render.cache_clear()
    _render_subset.cache_clear()
    _clean_html.cache_clear()
    slack_to_markdown.cache_clear()
