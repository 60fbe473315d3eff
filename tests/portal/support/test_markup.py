"""html_format (portal/support/markup.py) escapes exactly as Django's format_html does."""

from __future__ import annotations

import pytest
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from portal.support.markup import html_escape, html_format

HOSTILE = [
    "<script>alert('x')</script>",
    '" onmouseover="alert(1)',
    "a & b < c > d 'e' \"f\"",
    "&amp; already an entity",
    mark_safe("<strong>safe</strong>"),
    lazy(lambda: "<lazy & 'text'>", str)(),
    3,
    None,
    "",
]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_each_value_is_escaped_as_format_html_escapes_it(value):
    template = '<a title="{}">{}</a>'

    ours = html_format(template, value, value)

    assert ours == format_html(template, value, value)
    assert isinstance(ours, SafeString)


def test_safe_html_is_kept_and_text_is_escaped():
    assert html_escape(mark_safe("<b>kept</b>")) == "<b>kept</b>"
    assert html_escape("<b>") == "&lt;b&gt;"
    assert html_format("{}{}", mark_safe("<i>"), "<i>") == "<i>&lt;i&gt;"
