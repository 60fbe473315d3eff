"""Steps and checks the browser tests share."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
THREAD_URL = re.compile(r"/threads/(?P<id>[^/]+)/(#.*)?$")


def log_in(page: Page, *, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Sign in through the login form and wait for the thread list it leads to."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/threads/$"))
    expect(page.get_by_role("heading", name="Support requests")).to_be_visible()


def thread_id_of(page: Page) -> str:
    """The Plain thread id of the thread page the browser is on."""
    match = THREAD_URL.search(page.url)
    assert match is not None, f"not on a thread page: {page.url}"
    return match.group("id")


# Records into sessionStorage what the upload progress bar shows: a new request ends in a full
# page load (HX-Redirect), which would take any page variable with it.
_RECORD_PROGRESS = """() => {
  const bar = document.querySelector("[data-upload-progress-bar]");
  const seen = [];
  new MutationObserver(() => {
    seen.push({hidden: bar.hidden, text: bar.textContent.trim()});
    sessionStorage.setItem("progress", JSON.stringify(seen));
  }).observe(bar, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


def upload_progress_record(page: Page) -> None:
    """From now on, note each state of the page's upload progress bar (it survives a reload)."""
    page.evaluate(_RECORD_PROGRESS)


def upload_progress_seen(page: Page) -> list[dict[str, Any]]:
    """The states noted since upload_progress_record: [{"hidden": bool, "text": str}, ...]."""
    return json.loads(page.evaluate("sessionStorage.getItem('progress') || '[]'"))
