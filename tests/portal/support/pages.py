"""Reading rendered pages in tests, with an HTML parser: links, form values, headings."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Elements(HTMLParser):
    """The page's <a>, <input> and <textarea> elements, with their attributes (values unescaped
    by the parser) and a textarea's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.links: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []
        self.textareas: list[tuple[dict[str, str], str]] = []
        # (select's name, option's attributes, option's text)
        self.options: list[tuple[str, dict[str, str], str]] = []
        self._textarea: dict[str, str] | None = None
        self._select: str | None = None
        self._option: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        if tag == "select":
            self._select = values.get("name", "")
        elif tag == "option" and self._select is not None:
            self._option, self._text = values, []
        if tag == "a":
            self.links.append(values)
        elif tag == "input":
            self.inputs.append(values)
        elif tag == "textarea":
            self._textarea, self._text = values, []

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.textareas.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            self.options.append((self._select, self._option, "".join(self._text).strip()))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None or self._option is not None:
            self._text.append(data)


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def link_hrefs(html: str, *, rel: str | None = None, contains: str | None = None) -> list[str]:
    """The href of each <a> in the page, optionally only those with `rel` or containing text."""
    return [
        link["href"]
        for link in _elements(html).links
        if "href" in link
        and (rel is None or link.get("rel") == rel)
        and (contains is None or contains in link["href"])
    ]


def elements(html: str, tag: str) -> list[dict[str, str]]:
    """The attributes of every <tag> element of the page, in order."""
    return [attrs for name, attrs in _elements(html).tags if name == tag]


def select_options(html: str, name: str) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of each <option> of the <select name=...>."""
    return [
        (attrs.get("value", text), text, "selected" in attrs)
        for select, attrs, text in _elements(html).options
        if select == name
    ]


def page_text(response) -> str:
    return response.content.decode()


def textarea_value(html: str, name: str) -> str | None:
    """The text inside the <textarea name=...>, unescaped; None when there is none."""
    for attrs, text in _elements(html).textareas:
        if attrs.get("name") == name:
            return text.strip()
    return None


def input_value(html: str, name: str) -> str | None:
    """The value of the <input name=...>, unescaped; None when there is none."""
    for attrs in _elements(html).inputs:
        if attrs.get("name") == name:
            return attrs.get("value", "")
    return None


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


class _ClassTexts(HTMLParser):
    """The whitespace-collapsed text of each element whose class list holds a class."""

    _VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr", "source"})

    def __init__(self, css_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.css_class = css_class
        self.texts: list[str] = []
        self._open: list[list[str] | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in self._VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        self._open.append([] if self.css_class in classes else None)

    def handle_endtag(self, tag):
        if tag in self._VOID or not self._open:
            return
        parts = self._open.pop()
        if parts is not None:
            self.texts.append(" ".join("".join(parts).split()))
            # An enclosing match holds this text too.
            for outer in reversed(self._open):
                if outer is not None:
                    outer.extend(parts)
                    break

    def handle_data(self, data):
        for parts in reversed(self._open):
            if parts is not None:
                parts.append(data)
                break


def class_texts(html: str, css_class: str) -> list[str]:
    """The text of every element with `css_class`, in document order of their ends."""
    parser = _ClassTexts(css_class)
    parser.feed(html)
    parser.close()
    return parser.texts


class _Labels(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.labels: dict[str, str] = {}
        self._for: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "label":
            self._for, self._text = dict(attrs).get("for") or "", []

    def handle_endtag(self, tag):
        if tag == "label" and self._for is not None:
            self.labels[self._for] = " ".join("".join(self._text).split())
            self._for = None

    def handle_data(self, data):
        if self._for is not None:
            self._text.append(data)


def label_texts(html: str) -> dict[str, str]:
    """Each <label>'s text, by the id of the field it is `for`."""
    parser = _Labels()
    parser.feed(html)
    parser.close()
    return parser.labels
