"""Markdown from Plain becomes sanitized HTML: no raw HTML, no scripts, safe links only."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from portal.support.markdown import (
    markdown_subset_to_html,
    markdown_to_html,
    plain_text_to_html,
    slack_to_markdown,
)


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


def test_emails_keep_their_tables_and_strikethrough():
    html = markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~")

    assert "<table>" in html and "<td>1</td>" in html
    assert "<s>gone</s>" in html


def test_the_text_components_subset_is_bold_italic_and_links_only():
    html = markdown_subset_to_html(
        "**b** *i* [l](https://x.test) <https://auto.test>\n- item\n# heading\n`code`\n> quote"
    )

    assert "<strong>b</strong>" in html and "<em>i</em>" in html
    assert (
        '<a href="https://x.test" target="_blank" rel="noopener noreferrer nofollow">l</a>' in html
    )
    assert '<a href="https://auto.test"' in html
    for tag in ("<li", "<h1", "<code", "<blockquote"):
        assert tag not in html
    assert "- item" in html and "# heading" in html and "`code`" in html


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
        "![x](https://tracker.test/p.gif)",
        "<b onclick=alert(1)>x</b>",
    ],
)
def test_the_subset_never_makes_a_script_link_an_image_or_an_element(text):
    tags = start_tags(markdown_subset_to_html(text))

    assert {tag for tag, _ in tags} <= {"p", "br", "strong", "em", "a"}
    assert [attrs["href"] for tag, attrs in tags if tag == "a" and "href" in attrs] in (
        [],
        ["https://tracker.test/p.gif"],  # the image's alt text as a link: a link, never an image
    )
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]


def start_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    tags: list[tuple[str, dict[str, str | None]]] = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append((tag, dict(attrs)))
    parser.feed(html)
    parser.close()
    return tags


@pytest.mark.parametrize(
    ("slack", "markdown"),
    [
        ("<https://x.test|the docs>", "[the docs](<https://x.test>)"),
        ("<https://x.test>", "[https://x.test](<https://x.test>)"),
        ("<https://x.test|a [b] *c*>", "[a \\[b\\] \\*c\\*](<https://x.test>)"),
        ("hi <@U123|sam> in <#C1|general>", "hi @sam in #general"),
        ("<@U123>", "@someone"),
        ("<!here> and <!channel>", "@here and @channel"),
        ("*bold* and _it_ and ~gone~", "**bold** and _it_ and ~~gone~~"),
        ("2*3*4 stays", "2*3*4 stays"),
        ("<javascript:alert(1)|click>", "<javascript:alert(1)|click>"),
    ],
)
def test_slack_markup_becomes_markdown(slack, markdown):
    assert slack_to_markdown(slack) == markdown


def test_slack_links_render_as_safe_links_and_escaped_entities_as_text():
    html = markdown_to_html(slack_to_markdown("see <https://x.test|docs> &lt;b&gt; *now*"))

    assert (
        '<a href="https://x.test" target="_blank" rel="noopener noreferrer nofollow">docs</a>'
        in html
    )
    assert "&lt;b&gt;" in html and "<strong>now</strong>" in html
    assert "href" not in markdown_to_html(slack_to_markdown("<javascript:alert(1)|click>"))
