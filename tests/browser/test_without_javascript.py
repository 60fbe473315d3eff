"""With JavaScript off, every step still works as plain links and form posts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_context) -> Page:
    return new_context(java_script_enabled=False).new_page()


def test_reply_and_resolve_by_plain_form_posts(page: Page, alice, acme, make_thread, plain) -> None:
    thread = make_thread(user=alice, organization=acme, title="Search returns nothing")

    log_in(page, email=alice.email)
    page.get_by_role("link", name="Search returns nothing").click()
    expect(page).to_have_url(re.compile(rf"/threads/{re.escape(thread.id)}/$"))

    page.get_by_label("Your reply").fill("It started after Monday's deploy.")
    page.get_by_role("button", name="Send reply").click()

    # Post, redirect, get (htmx would have left the URL alone): back on the thread, the message
    # now read from Plain's timeline.
    expect(page).to_have_url(re.compile(rf"/threads/{re.escape(thread.id)}/#reply$"))
    expect(page.locator("#flash")).to_contain_text("Your reply has been sent.")
    expect(page.locator("#timeline")).to_contain_text("It started after Monday's deploy.")
    expect(page.get_by_label("Your reply")).to_have_value("")

    page.get_by_role("button", name="Mark as resolved").click()
    expect(page.locator("#flash")).to_contain_text("Marked as resolved.")
    expect(page.locator("#thread-header .badge")).to_have_text("Resolved")
    assert plain.thread(thread_id=thread.id).thread.status == "DONE"


def test_new_request_with_a_file_by_a_plain_multipart_post(page: Page, alice, acme) -> None:
    log_in(page, email=alice.email)
    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_role("link", name="New request", exact=True).click()
    page.get_by_label("Title").fill("Receipts missing the PO number")
    page.get_by_label("Message").fill("See the attached receipt.")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "receipt.txt", "mimeType": "text/plain", "buffer": b"PO: (none)\n"}]
    )
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/threads/[^/]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Receipts missing the PO number")
    expect(page.locator("#flash")).to_contain_text("Your request has been sent")
    link = page.locator("#timeline").get_by_role("link", name="receipt.txt")
    assert page.request.get(link.get_attribute("href")).body() == b"PO: (none)\n"
