"""Screenshots of the thread list and a conversation at desktop and phone widths.

Every run saves them in artifacts/screenshots/ (ignored by git: CI's artifacts). With
UPDATE_SCREENSHOTS=1 they also replace the README's images in docs/screenshots/. Either way the
pages are checked for what a screenshot would show wrong: content wider than the screen.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from portal.demo import data
from tests.browser.pages import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
ARTIFACT_SCREENSHOTS = ROOT / "artifacts" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}
# A desktop shot shows the whole page; a phone shot, like a phone's own, the first screen.
FULL_PAGE = {"desktop": True, "phone": False}
# The demo conversation shown: agent replies, a customer's follow-up, an internal note (hidden).
THREAD_KEY = "acme-sso-okta"


@pytest.fixture
def screenshot_dir() -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return README_SCREENSHOTS
    ARTIFACT_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACT_SCREENSHOTS


@pytest.fixture
def demo() -> None:
    """The demo's organisations, people and conversations (`manage.py seed_demo`)."""
    call_command("seed_demo", stdout=io.StringIO())


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_list_and_thread_screenshots(new_context, demo, screenshot_dir: Path, size: str) -> None:
    acme_threads = [spec for spec in data.THREADS if spec.organization == "acme"]
    shown = next(spec for spec in acme_threads if spec.key == THREAD_KEY)
    note = next(step.text for step in shown.steps if isinstance(step, data.Note))
    page = new_context(**VIEWPORTS[size]).new_page()

    log_in(page, email="alice@acme.test", password=data.DEMO_PASSWORD)
    page.get_by_role("link", name="All", exact=True).click()
    expect(page.locator(".thread-row")).to_have_count(len(acme_threads))
    expect(page.locator(".thread-row .badge", has_text="Resolved")).not_to_have_count(0)
    page.screenshot(path=screenshot_dir / f"threads-{size}.png", full_page=FULL_PAGE[size])
    assert overflow(page) <= 0

    page.get_by_role("link", name=shown.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(shown.title)
    timeline = page.locator("#timeline")
    expect(timeline.locator(".tag", has_text="Support")).not_to_have_count(0)
    expect(timeline).to_contain_text("Okta is still sending the staging audience")
    expect(timeline).not_to_contain_text(note)  # internal notes never reach the customer
    page.screenshot(path=screenshot_dir / f"thread-{size}.png", full_page=FULL_PAGE[size])
    assert overflow(page) <= 0
