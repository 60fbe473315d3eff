"""An open thread page stays live in a real browser: an agent's reply, delivered by the emulator
as a webhook, appears within a few seconds with no reload, and the reply the customer is typing
stays as typed (the poll never swaps the form)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

import portal.plain
from plain_gateway import PlainClient
from portal.webhooks.target import target_ensure
from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

# The page polls every 2 s; this leaves room for a loaded machine.
APPEARS_WITHIN_MS = 6_000


def test_an_agent_reply_appears_on_the_open_page_while_the_typed_reply_stays(
    page: Page,
    alice,
    acme,
    make_thread,
    plain,
    emulator_control,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.PLAIN_HMAC_SECRET = ""  # read from the emulator
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    target_ensure()
    thread = make_thread(user=alice, organization=acme, title="Export fails")
    log_in(page, email=alice.email)
    page.goto(reverse("support:thread_detail", args=[thread.id]))
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("It is on fire.")
    reply = page.locator("#reply textarea")
    reply.click()
    reply.press_sequentially("Half a sentence I am still wri")

    agent_key = emulator_control.add_agent(full_name="Sam Agent", public_name="Sam")
    with PlainClient(
        api_key=agent_key, url=plain.url, transport=portal.plain._embedded_transport()
    ) as agent:
        agent.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text="Fixed it!")
    with django_capture_on_commit_callbacks(execute=True):
        delivered = emulator_control.deliver_webhooks()
    assert delivered and all(a["status"] == "SUCCESSFUL_RESPONSE" for a in delivered)
    started = time.monotonic()

    expect(timeline).to_contain_text("Fixed it!", timeout=APPEARS_WITHIN_MS)
    assert time.monotonic() - started < APPEARS_WITHIN_MS / 1000
    # No reload: the typed text, the caret's field and the page are the same.
    expect(reply).to_have_value("Half a sentence I am still wri")
    expect(reply).to_be_focused()
    reply.press_sequentially("ting")
    expect(reply).to_have_value("Half a sentence I am still writing")
