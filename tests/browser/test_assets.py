"""The live server hands the browser the stylesheet and htmx, so the pages look and act as built."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.pages import log_in

pytestmark = pytest.mark.browser


def test_stylesheet_and_htmx_load(page: Page, alice) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    log_in(page, email=alice.email)

    assert page.evaluate("typeof htmx") == "object"
    rules = page.evaluate("Array.from(document.styleSheets, s => s.cssRules.length)")
    assert rules and all(count > 0 for count in rules)
    # The stylesheet's own colours apply (the page background is not the browser's white).
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    assert failed == []
