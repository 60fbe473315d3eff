"""axe-core in the real browser: the customer pages have no accessibility violations, with the
default theme and with brand colours chosen to be hostile (yellow, near-black), light and dark.

axe.min.js comes from the axe-playwright-python package (no download at test time). Each page is
also saved as a screenshot under artifacts/screenshots/ (brand-<theme>-<scheme>-<page>.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

ARTIFACT_SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
THEMES = {
    "default": {},
    "yellow": {"PORTAL_BRAND_PRIMARY_COLOR": "#ffff00", "PORTAL_BRAND_ACCENT_COLOR": "#ffff00"},
    "near-black": {
        "PORTAL_BRAND_PRIMARY_COLOR": "#111111",
        "PORTAL_BRAND_ACCENT_COLOR": "#111111",
    },
}
AXE = Axe()


def _violations(page: Page) -> list[str]:
    """axe's violations on the page as it is now, one line per rule and element."""
    results = AXE.run(page).response
    return [
        f"{violation['id']} ({violation['impact']}): {', '.join(map(str, node['target']))}: "
        f"{node.get('failureSummary', '').strip()}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", list(THEMES))
def test_the_customer_pages_have_no_axe_violations(
    new_context, settings, alice, acme, make_thread, theme, scheme
):
    for name, value in THEMES[theme].items():
        setattr(settings, name, value)
    settings.PORTAL_BRAND_NAME = "Acme Cloud Support"
    settings.PORTAL_BRAND_SUPPORT_EMAIL = "help@acme.example"
    thread = make_thread(user=alice, organization=acme, title="Printer on fire")
    page = new_context(color_scheme=scheme).new_page()
    ARTIFACT_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        expect(page.locator("main h1").first).to_be_visible()
        found[name] = _violations(page)
        page.screenshot(
            path=ARTIFACT_SCREENSHOTS / f"brand-{theme}-{scheme}-{name}.png", full_page=True
        )

    page.goto(reverse("login"))
    check("login")
    log_in(page, email=alice.email)
    check("list")
    page.goto(reverse("support:thread_detail", args=[thread.id]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Printer on fire")
    check("thread")
    page.goto(reverse("support:thread_create"))
    check("new-request")
    page.goto(reverse("notifications:preferences"))
    check("preferences")

    assert found == {name: [] for name in found}
    assert list(found) == ["login", "list", "thread", "new-request", "preferences"]
