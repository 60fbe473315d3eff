"""Deflection in a real browser: typing a new request's title shows a help article that may
answer it (htmx asks /help/suggest/ as the title is typed); the suggestion opens the article."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.demo.help_center import demo_help_center_ensure
from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def test_typing_a_title_suggests_an_article_that_opens(page: Page, alice, plain) -> None:
    demo_help_center_ensure(client=plain)
    log_in(page, email=alice.email)
    page.goto("/threads/new/")

    page.get_by_label("Title").press_sequentially("How do I export my data?")

    suggestions = page.get_by_role("region", name="These articles may answer your question")
    link = suggestions.get_by_role("link", name="Export your data as CSV")
    expect(link).to_be_visible()
    # The draft about exports is never suggested.
    expect(
        suggestions.get_by_role("link", name="Export v2 (preview, not yet public)")
    ).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "suggested-article.png", full_page=True)

    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    expect(article.get_by_role("heading", level=1)).to_have_text("Export your data as CSV")
    assert article.url.endswith("/help/articles/export-your-data/")
