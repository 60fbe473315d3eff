"""Attachments on replies in a real browser, and the check made before any upload.

(A new request with a category and an attachment is part of test_journey.py.) Files are handed to
the file input from memory.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.support.forms import ATTACHMENT_MAX_BYTES, refusal_message, size_text
from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

SCREENSHOT = bytes(range(256)) * 8  # binary, so no newline or encoding is "fixed" on the way


def reply_with_attachment(page: Page, *, text: str, name: str, content: bytes) -> None:
    reply = page.locator("#reply")
    reply.get_by_label("Your reply").fill(text)
    reply.get_by_label("Attachments").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": content}]
    )
    reply.get_by_role("button", name="Send reply").click()


def test_reply_with_an_attachment_is_sent_in_place_and_downloads(
    page: Page, alice, acme, make_thread
) -> None:
    thread = make_thread(user=alice, organization=acme, title="Chart renders blank")
    log_in(page, email=alice.email)
    page.goto(f"/threads/{thread.id}/")
    page.evaluate("window.__marker = 1")

    reply_with_attachment(
        page, text="Here is what we see.", name="blank-chart.png", content=SCREENSHOT
    )

    expect(page.locator("#reply").get_by_role("status")).to_have_text("Your reply has been sent.")
    expect(page.locator("#timeline")).to_contain_text("Here is what we see.")
    expect(page.locator("#reply").get_by_label("Attachments")).to_have_value("")
    assert page.evaluate("window.__marker") == 1

    # From Plain's timeline, the file has its link, fetched with the page's session: the bytes,
    # as a download that is never rendered inline.
    page.reload()
    link = page.locator("#timeline").get_by_role("link", name="blank-chart.png")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok
    assert response.body() == SCREENSHOT
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_reply_sent_in_place_shows_its_attachment(page: Page, alice, acme, make_thread) -> None:
    thread = make_thread(user=alice, organization=acme, title="Chart renders blank")
    log_in(page, email=alice.email)
    page.goto(f"/threads/{thread.id}/")

    reply_with_attachment(page, text="Screenshot attached.", name="chart.png", content=SCREENSHOT)

    expect(page.locator("#reply").get_by_role("status")).to_have_text("Your reply has been sent.")
    expect(page.locator("#timeline li", has_text="Screenshot attached.")).to_contain_text(
        "chart.png", timeout=1_000
    )


def test_a_file_type_plain_refuses_is_stopped_before_uploading(page: Page, alice, acme) -> None:
    log_in(page, email=alice.email)
    page.goto("/threads/new/")
    page.get_by_label("Title").fill("Installer question")
    page.get_by_label("Message").fill("Is this the right installer?")
    files = page.get_by_label("Attachments")
    files.set_input_files(
        files=[{"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}]
    )

    expect(page.locator(".upload-summary")).to_contain_text("setup.exe")
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    page.get_by_role("button", name="Send request").click()

    # The browser refuses to submit the form and says why, beside the field.
    assert "setup.exe" in files.evaluate("input => input.validationMessage")
    expect(page).to_have_url(re.compile(r"/threads/new/$"))
    assert posts == []


def test_each_file_the_server_would_refuse_is_named_with_the_servers_reason(
    page: Page, alice, acme
) -> None:
    log_in(page, email=alice.email)
    page.goto("/threads/new/")
    files = page.get_by_label("Attachments")
    big = ATTACHMENT_MAX_BYTES + 100 * 1024
    chosen = [
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"},
        {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"},
        {"name": "dump.bin.gz", "mimeType": "application/gzip", "buffer": b"x" * big},
    ]
    files.set_input_files(files=chosen)

    # The server's own words (portal.support.forms), so the browser and the server agree.
    refused = [
        refusal_message("setup.exe", "files of type .exe cannot be attached"),
        refusal_message(
            "dump.bin.gz",
            f"it is {size_text(big)} and a file can be at most {size_text(ATTACHMENT_MAX_BYTES)}",
        ),
    ]
    summary = page.locator(".upload-summary li")
    expect(summary).to_have_text([*refused, "These are fine: notes.txt."])
    assert files.evaluate("input => input.validationMessage") == " ".join(refused)

    # Choosing only the fine file clears the refusal.
    files.set_input_files(files=chosen[:1])
    expect(page.locator(".upload-summary")).to_have_text("1 file, 5 bytes")
    assert files.evaluate("input => input.validationMessage") == ""
