"""Focus and place after partial updates, in a real browser (issue 15, items 6, 7 and 10).

After a tab, a resolve or "show earlier" swaps part of the page, focus is on the matching new
element, never dropped on <body>; a server-side error is focused and scrolled to on a phone; a
long thread opens at its newest message, and loading earlier ones keeps the reader's place.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.pages import PHONE, log_in

pytestmark = pytest.mark.browser

LONG = "A long message that fills the screen. " * 25


def _focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          return {tag: e.tagName, text: (e.textContent || "").trim(), id: e.id || ""};
        }"""
    )


def _in_view(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
          const box = document.querySelector(selector).getBoundingClientRect();
          return box.top < window.innerHeight && box.bottom > 0;
        }""",
        selector,
    )


def test_a_tab_keeps_focus_on_the_chosen_tab(page: Page, alice, acme, make_thread) -> None:
    make_thread(user=alice, organization=acme, title="Open one")
    log_in(page, email=alice.email)

    page.get_by_role("link", name="Resolved").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("link", name="Resolved")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Resolved")).to_be_focused()


def test_resolve_confirms_shows_it_in_the_timeline_and_keeps_focus(
    page: Page, alice, acme, make_thread
) -> None:
    thread = make_thread(user=alice, organization=acme)
    log_in(page, email=alice.email)
    page.goto(reverse("support:thread_detail", args=[thread.id]))

    page.get_by_role("button", name="Mark as resolved").click()

    expect(page.get_by_role("button", name="Reopen")).to_be_focused()
    expect(page.locator("#flash")).to_have_text("Marked as resolved.")
    expect(page.locator("#timeline .entry--status").last).to_contain_text(
        "You marked this as resolved"
    )
    expect(page.locator("#thread-header .badge")).to_have_text("Resolved")


def test_a_long_thread_opens_at_the_newest_and_show_earlier_keeps_the_place(
    page: Page, alice, acme, make_thread, plain
) -> None:
    thread = make_thread(user=alice, organization=acme)
    for number in range(55):
        plain.reply_to_thread(thread_id=thread.id, text=f"Message {number}. {LONG}")
    log_in(page, email=alice.email)

    page.goto(reverse("support:thread_detail", args=[thread.id]))

    newest = page.locator("#timeline > li.entry").last
    expect(newest).to_contain_text("Message 54.")
    assert _in_view(page, "#timeline > li.entry:last-of-type")
    assert page.evaluate("window.scrollY") > 0

    page.locator(".timeline__earlier a").scroll_into_view_if_needed()
    first = page.locator("#timeline > li.entry").first
    first_id = first.get_attribute("id")
    top_before = first.bounding_box()["y"]
    page.get_by_role("link", name="Show earlier messages").click()

    expect(page.locator("#timeline > li.entry")).to_have_count(56)
    # The message that was first has not moved on the screen...
    top_after = page.locator(f"#{first_id}").bounding_box()["y"]
    assert abs(top_after - top_before) < 2
    # ...and focus is on the message just before it, not on <body>.
    assert _focused(page)["tag"] == "LI"
    assert page.evaluate("(id) => document.activeElement.nextElementSibling.id === id", first_id)


def test_on_a_phone_a_server_side_error_is_focused_and_scrolled_to(
    new_context: Callable[..., BrowserContext], alice, acme
) -> None:
    page = new_context(viewport=PHONE).new_page()
    log_in(page, email=alice.email)
    page.goto(reverse("support:thread_create"))
    page.get_by_label("Title").fill("Only a title")
    # Spaces pass the browser's check; the server strips them and refuses the message.
    page.get_by_label("Message").fill("     ")
    page.get_by_role("button", name="Send request").scroll_into_view_if_needed()
    page.get_by_role("button", name="Send request").click()

    message = page.get_by_label("Message")
    expect(message).to_be_focused()
    expect(message).to_have_attribute("aria-invalid", "true")
    assert _in_view(page, "#id_message")
