"""Markdown from Plain becomes sanitized HTML: no raw HTML, no scripts, safe links only."""

from __future__ import annotations

from django.template import Context, Template

from portal.support.markdown import markdown_to_html, plain_text_to_html


def test_markdown_formats_text():
    html = markdown_to_html("**bold** _it_ `code`\n\n- one\n- two")

    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html


def test_single_newlines_are_kept_as_line_breaks():
    assert "first<br>\nsecond" in markdown_to_html("first\nsecond")


def test_raw_html_stays_text():
    html = markdown_to_html('<script>alert(1)</script><b onclick="x()">hi</b>')

    assert "<script" not in html and "<b" not in html
    assert "&lt;script&gt;" in html


def test_links_open_in_a_new_tab_without_referrer_or_opener():
    html = markdown_to_html("[docs](https://example.com/docs)")

    assert html.strip() == (
        '<p><a href="https://example.com/docs" target="_blank" '
        'rel="noopener noreferrer nofollow">docs</a></p>'
    )


def test_script_urls_never_become_links():
    for url in ("javascript:alert(1)", "data:text/html,<script>x</script>", "vbscript:x"):
        assert "href" not in markdown_to_html(f"[click]({url})")


def test_images_are_dropped():
    assert "<img" not in markdown_to_html("![pixel](https://tracker.example/p.gif)")


def test_blank_markdown_is_empty():
    assert markdown_to_html(None) == "" and markdown_to_html("  \n") == ""


def test_plain_text_is_escaped_with_its_line_breaks():
    html = plain_text_to_html("a <b>\n\nsecond\nline")

    assert html == "<p>a &lt;b&gt;</p>\n\n<p>second<br>line</p>"


def test_the_template_filter_renders_sanitized_markdown():
    template = Template("{% load support_tags %}{{ text|markdown }}")

    html = template.render(Context({"text": "**x** <i>y</i>"}))

    assert html.strip() == "<p><strong>x</strong> &lt;i&gt;y&lt;/i&gt;</p>"
