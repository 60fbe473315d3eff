"""Search in the browser, over the demo: a word only in an internal note finds nothing, a word of
an agent's reply finds the thread with its preview line, the organisation filter narrows the list,
and the page has no axe violations. Saves artifacts/screenshots/search.png (desktop; with
UPDATE_SCREENSHOTS=1 the README's docs/screenshots/search.png)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from portal.accounts.models import User
from portal.demo import data
from portal.tenancy.models import Membership, Organization
from tests.browser.pages import DESKTOP, log_in
from tests.browser.test_accessibility import _violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
THREAD_KEY = "acme-sso-okta"


def _screenshot_dir() -> Path:
    folder = (
        ROOT / "docs" / "screenshots"
        if os.environ.get("UPDATE_SCREENSHOTS") == "1"
        else ROOT / "artifacts" / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _search(page: Page, term: str) -> None:
    box = page.get_by_label("Search your requests")
    box.fill(term)
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(term)}(&|$)"))


def test_search_finds_what_the_customer_sees_and_never_a_note(new_context) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    shown = next(spec for spec in data.THREADS if spec.key == THREAD_KEY)
    note = next(step.text for step in shown.steps if isinstance(step, data.Note))
    assert "cloned" in note
    # Alice in a second organisation, so the filter shows.
    alice = User.objects.get(email="alice@acme.test")
    Membership.objects.get_or_create(
        user=alice, organization=Organization.objects.get(slug="globex")
    )
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, email="alice@acme.test", password=data.DEMO_PASSWORD)
    rows = page.locator(".thread-row")

    _search(page, "cloned")  # only in the internal note
    expect(rows).to_have_count(0)
    expect(page.locator(".empty")).to_contain_text("No open requests match")

    _search(page, "audience")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator(".thread-row__title")).to_have_text(shown.title)
    expect(row.locator(".thread-row__preview")).to_have_text(
        re.compile(r"^That's it: Okta is still sending the staging audience\.")
    )
    page.get_by_label("Organisation").select_option("acme")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]org=acme(&|$)"))
    expect(rows).to_have_count(1)

    assert _violations(page) == []
    # caret="initial": hiding the caret (the search box has focus) injects a style the CSP refuses.
    page.screenshot(path=_screenshot_dir() / "search.png", full_page=True, caret="initial")

    page.get_by_label("Organisation").select_option("globex")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]org=globex(&|$)"))
    expect(rows).to_have_count(0)
