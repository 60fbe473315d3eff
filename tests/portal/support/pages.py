"""Reading rendered pages in tests: links and text, without a browser."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser


def link_hrefs(html: str, *, rel: str | None = None, contains: str | None = None) -> list[str]:
    """The href of each <a> in the page, optionally only those with `rel` or containing text."""
    hrefs = []
    for match in re.finditer(r"<a\b([^>]*)>", html):
        attrs = match.group(1)
        href = re.search(r'\bhref="([^"]*)"', attrs)
        if href is None:
            continue
        if rel is not None and f'rel="{rel}"' not in attrs:
            continue
        value = unescape(href.group(1))
        if contains is not None and contains not in value:
            continue
        hrefs.append(value)
    return hrefs


def page_text(response) -> str:
    return response.content.decode()


def textarea_value(html: str, name: str) -> str | None:
    """The text inside the <textarea name=...>, unescaped; None when there is none."""
    match = re.search(
        rf'<textarea\b[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S
    )
    return unescape(match.group(1)).strip() if match else None


def input_value(html: str, name: str) -> str | None:
    """The value of the <input name=...>, unescaped; None when there is none."""
    match = re.search(rf'<input\b[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return unescape(value.group(1)) if value else ""


def without_tokens(html: str) -> str:
    """The page with its CSRF tokens blanked, so two renders of one page compare equal."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', html)


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1 and data.strip():
            self.h1.append(data.strip())


def h1_texts(html: str) -> list[str]:
    """The text of each <h1> of the page, as a parser reads it."""
    parser = _Headings()
    parser.feed(html)
    return parser.h1
