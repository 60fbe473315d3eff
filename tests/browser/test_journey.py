"""A customer's whole visit in a real browser: sign in, open a request (with a category and a
file), find it, download the file, reply, resolve and reopen.

The reply, resolve and reopen go through htmx: the page is swapped in place, never reloaded.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import (
    log_in,
    thread_id_of,
    upload_progress_record,
    upload_progress_seen,
)

pytestmark = pytest.mark.browser

LOG = b"2026-03-14T02:10:07Z ERROR webhook worker: duplicate delivery of evt_81\n" * 40


@pytest.fixture
def acme_threads(alice, bob, acme, make_thread) -> None:
    """A few requests of Alice's organisation, opened through Plain's API."""
    make_thread(user=alice, organization=acme, title="Export to CSV times out", priority=1)
    make_thread(user=bob, organization=acme, title="Invoice shows the wrong VAT number")
    make_thread(user=alice, organization=acme, title="Add SSO for our Okta tenant", priority=3)


@pytest.fixture
def categories(plain) -> dict[str, str]:
    """The workspace's label types, which the new-request form offers as categories."""
    return {name: plain.create_label_type(name=name).id for name in ("Billing", "Bug report")}


def test_customer_opens_a_request_replies_resolves_and_reopens(
    page: Page, alice, acme_threads, categories, plain, tmp_path
) -> None:
    log_in(page, email=alice.email)
    threads = page.get_by_role("region", name="Requests")
    expect(threads.get_by_role("link", name="Export to CSV times out")).to_be_visible()
    expect(threads.get_by_role("link", name="Invoice shows the wrong VAT number")).to_be_visible()

    # A new request, in a category, with a log file; the upload shows its progress.
    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_role("link", name="New request", exact=True).click()
    expect(page.get_by_role("heading", name="New request")).to_be_visible()
    page.get_by_label("Title").fill("Webhooks arrive twice")
    page.get_by_label("Message").fill("Every `order.created` webhook reaches us **twice**.")
    category = page.get_by_label("Category")
    expect(category.locator("option")).to_have_text(["Choose a category", "Billing", "Bug report"])
    category.select_option(label="Bug report")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "webhooks.log", "mimeType": "text/plain", "buffer": LOG}]
    )
    expect(page.locator(".upload-summary")).to_have_text(re.compile(r"^1 file, "))
    upload_progress_record(page)
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/threads/[^/]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks arrive twice")
    expect(page.get_by_role("status").first).to_contain_text("Your request has been sent")
    progress = upload_progress_seen(page)
    assert any(not seen["hidden"] and "Uploading" in seen["text"] for seen in progress), progress
    assert progress[-1]["hidden"], progress  # and hidden again once the request was done
    timeline = page.locator("#timeline")
    expect(timeline.locator("strong")).to_have_text("twice")  # the Markdown was rendered
    thread_id = thread_id_of(page)
    labels = plain.thread(thread_id=thread_id).thread.labels
    assert [label.label_type.id for label in labels] == [categories["Bug report"]]

    # The file is in the conversation, and its link downloads the very bytes.
    with page.expect_download() as download_info:
        timeline.get_by_role("link", name="webhooks.log").click()
    download = download_info.value
    assert download.suggested_filename == "webhooks.log"
    download.save_as(tmp_path / "webhooks.log")
    assert (tmp_path / "webhooks.log").read_bytes() == LOG

    # It is in the list; it leads back to the same thread.
    page.get_by_role("link", name="All requests").click()
    expect(page).to_have_url(re.compile(r"/threads/$"))
    page.get_by_role("region", name="Requests").get_by_role(
        "link", name="Webhooks arrive twice"
    ).click()
    expect(page).to_have_url(re.compile(rf"/threads/{re.escape(thread_id)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks arrive twice")

    # A reply joins the timeline in place: no reload (the marker survives), the box is emptied.
    page.evaluate("window.__marker = 1")
    reply_box = page.get_by_label("Your reply")
    reply_box.fill("Here is a request id: req_8842.")
    page.get_by_role("button", name="Send reply").click()
    expect(timeline).to_contain_text("Here is a request id: req_8842.")
    expect(page.locator("#reply").get_by_role("status")).to_have_text("Your reply has been sent.")
    expect(page.get_by_label("Your reply")).to_have_value("")
    assert page.evaluate("window.__marker") == 1
    assert page.evaluate("typeof htmx") == "object"
    # ... and it reached Plain, as Alice.
    entries = plain.thread(thread_id=thread_id).timeline.items
    assert [(e.actor.name, getattr(e.entry, "text", None)) for e in entries][-1] == (
        "Alice Archer",
        "Here is a request id: req_8842.",
    )

    # Resolve, then reopen, each swapping the header in place.
    header = page.locator("#thread-header")
    header.get_by_role("button", name="Mark as resolved").click()
    expect(header.locator(".badge")).to_have_text("Resolved")
    expect(header.get_by_role("button", name="Reopen")).to_be_visible()
    assert plain.thread(thread_id=thread_id).thread.status == "DONE"

    header.get_by_role("button", name="Reopen").click()
    expect(header.get_by_role("button", name="Mark as resolved")).to_be_visible()
    expect(header.locator(".badge")).not_to_have_text("Resolved")
    assert plain.thread(thread_id=thread_id).thread.status == "TODO"
    assert page.evaluate("window.__marker") == 1

    # After all that, a reload still shows the reply, now from Plain.
    page.reload()
    expect(page.locator("#timeline")).to_contain_text("Here is a request id: req_8842.")
