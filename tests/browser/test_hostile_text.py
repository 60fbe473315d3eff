"""Hostile text in every Plain field the portal renders, in a real browser: nothing runs.

The emulator is seeded with script-shaped text (tags with handlers, <script>, attribute
breakouts, javascript: and markdown links) in thread titles, message text and markdown, emails,
customer and agent names, UI components, attachment file names, the workspace's categories and
thread fields (labels, descriptions, choices), the error message Plain answers a form with, and
tenant names in the admin. Each page is visited as its reader would: no dialog may open, no
Content-Security-Policy violation may be reported (conftest's `watch`: a payload the escaping
missed would be refused by the policy, and reported), and the DOM the browser built holds no
element or attribute that could run or embed anything; the hostile text is on the page as text.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

import portal.plain
from plain_gateway import PlainClient
from portal.tenancy.services import plain_customer_ensure
from tests.browser.pages import log_in
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.portal.support.hostile import (
    HOSTILE,
    HOSTILE_LINES,
    hostile_components,
    hostile_workspace_create,
)

pytestmark = pytest.mark.browser

TITLE = " ".join(HOSTILE_LINES[:4])
CUSTOMER_NAME = "\"><img src=x onerror=alert('customer')>"
AGENT_NAME = "<script>alert('agent')</script>"
FILE_NAME = "\"><svg onload=alert('file')>.txt"
EMAIL_FROM = "<img src=x onerror=alert('from')>"
TENANT_NAME = "Hostile tenant <img src=x onerror=alert('tenant')>"
TENANT_EXTERNAL_ID = "hostile-\"><svg onload=alert('tenant-id')>"
PLAIN_ERROR_CHOICE = "<img src=x onerror=alert('plain-error')>"

# What the browser built that could run, embed or load something: handler attributes, scripts and
# images not from our static files, embedding elements, links and forms with a script URL. (The
# admin's own icons are inline <svg> and /static/ images; an injected <svg> would carry a handler.)
_LIVE_DOM = """() => {
  const found = [];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      if (attribute.name.startsWith("on")) found.push(`${element.tagName}[${attribute.name}]`);
    }
  }
  for (const script of document.scripts) {
    const url = script.src ? new URL(script.src) : null;
    const ours = url && url.origin === location.origin
      && (url.pathname.startsWith("/static/") || url.pathname === "/admin/jsi18n/");
    if (!ours && script.type !== "application/json") found.push(`script ${script.src || "inline"}`);
  }
  for (const element of document.querySelectorAll("iframe, object, embed, frame, base")) {
    found.push(element.tagName);
  }
  for (const image of document.images) {
    const url = new URL(image.src, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith("/static/")) {
      found.push(`img ${image.src}`);
    }
  }
  for (const link of document.querySelectorAll("a[href], area[href]")) {
    if (!["http:", "https:", "mailto:"].includes(link.protocol)) found.push(`a ${link.href}`);
  }
  for (const form of document.forms) {
    // The attribute, not form.action: the admin's forms hold a control named "action".
    const action = new URL(form.getAttribute("action") || "", location.href);
    if (action.origin !== location.origin) found.push(`form ${action}`);
  }
  return found;
}"""


def assert_inert(page: Page) -> None:
    assert page.evaluate(_LIVE_DOM) == [], page.url


def _emulator_state():
    return portal.plain._embedded_transport().app.state


@pytest.fixture
def hostile_thread(plain, alice, acme, emulator_control) -> str:
    """Alice's thread with hostile text in every part of it a customer sees."""
    hostile_workspace_create(plain)
    customer_id = plain_customer_ensure(user=alice)
    with _emulator_state().transaction() as state:
        state.customers[customer_id].full_name = CUSTOMER_NAME
    upload = plain.create_attachment_upload_url(
        customer_id=customer_id,
        file_name=FILE_NAME,
        size_bytes=5,
        attachment_type="CUSTOM_TIMELINE_ENTRY",
    )
    plain.upload_attachment(upload=upload, content=b"hello")
    thread = plain.create_thread(
        customer_id=customer_id,
        tenant_external_id=acme.tenant_external_id,
        title=TITLE,
        text=HOSTILE_LINES[1],
        components=hostile_components(),
        attachment_ids=[upload.attachment.id],
    )
    plain.send_chat(customer_id=customer_id, thread_id=thread.id, text=HOSTILE)
    plain.reply_to_thread(
        thread_id=thread.id, text=HOSTILE, markdown=HOSTILE, as_customer_id=customer_id
    )
    agent = PlainClient(
        api_key=emulator_control.add_agent(full_name=AGENT_NAME, public_name=AGENT_NAME),
        url=portal.plain.EMBEDDED_URL,
        transport=portal.plain._embedded_transport(),
    )
    agent.reply_to_thread(thread_id=thread.id, text=HOSTILE, markdown=HOSTILE)
    emulator_control.inbound_email(
        from_email=alice.email,
        from_name=EMAIL_FROM,
        subject=HOSTILE_LINES[2],
        text=HOSTILE,
        markdown=HOSTILE,
        thread_id=thread.id,
        cc=[{"email": "cc@acme.test", "name": HOSTILE_LINES[0]}],
    )
    plain.upsert_tenant(external_id=TENANT_EXTERNAL_ID, name=TENANT_NAME)
    return thread.id


def test_hostile_text_from_plain_runs_nowhere(
    page: Page, new_context, watch, alice, acme, hostile_thread
) -> None:
    log_in(page, email=alice.email)

    # The list: the title is a link's text.
    requests = page.get_by_role("region", name="Requests")
    expect(requests.get_by_role("link", name=TITLE)).to_be_visible()
    assert_inert(page)

    # The thread: title, messages, emails, names, components, file names, all as text.
    requests.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    timeline = page.locator("#timeline")
    for text in (CUSTOMER_NAME, AGENT_NAME, EMAIL_FROM, "<script>alert('s1')</script>"):
        expect(timeline).to_contain_text(text)
    expect(timeline.get_by_role("link", name=FILE_NAME)).to_be_visible()
    assert_inert(page)
    # A reply swaps in through htmx, under the same policy.
    page.get_by_label("Your reply").fill(HOSTILE_LINES[0])
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#reply").get_by_role("status")).to_have_text("Your reply has been sent.")
    expect(timeline).to_contain_text(HOSTILE_LINES[0])
    assert_inert(page)

    # The new-request form: categories, field labels, descriptions and choices.
    page.goto("/threads/new/")
    form = page.locator("#create-form")
    expect(form.get_by_label("Category").locator("option")).to_have_count(1 + len(HOSTILE_LINES))
    expect(form).to_contain_text("<script>alert('n2')</script> \"><svg onload=alert('n3')>")
    expect(form).to_contain_text("<img src=x onerror=alert('d1')> [see](javascript:alert('d2'))")
    expect(form.get_by_label(HOSTILE_LINES[0] + " (required)", exact=True)).to_be_visible()
    assert_inert(page)
    # The workspace changes the field's choices meanwhile; Plain's refusal quotes the new ones.
    with _emulator_state().transaction() as state:
        (schema,) = [s for s in state.thread_field_schemas.values() if s.key == "area"]
        schema.enum_values = [PLAIN_ERROR_CHOICE]
    form.get_by_label("Title").fill("Still here")
    form.get_by_label("Message").fill("Hello")
    form.get_by_label(HOSTILE_LINES[0] + " (required)", exact=True).select_option(HOSTILE_LINES[2])
    form.get_by_role("button", name="Send request").click()
    expect(page.locator("#create-form")).to_contain_text(PLAIN_ERROR_CHOICE)
    assert_inert(page)

    # The admin: tenants from Plain by name and external id, and every list of Plain's data.
    UserFactory(email="admin@portal.test", is_staff=True, is_superuser=True)
    staff = new_context().new_page()
    staff.goto("/admin/login/")
    staff.get_by_label("Email").fill("admin@portal.test")
    staff.get_by_label("Password").fill(DEFAULT_PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    expect(staff.get_by_role("heading", name="Site administration")).to_be_visible()
    assert_inert(staff)
    staff.locator("#tenancy-organization").get_by_role("link", name="Organizations").click()
    staff.get_by_role("link", name="Acme").click()
    assert_inert(staff)
    # The admin's own scripts and forms work under the policy: "Sync now" posts and comes back.
    staff.locator(".sync-now-button").click()
    expect(staff.locator(".messagelist")).to_contain_text("Acme")
    staff.get_by_role("link", name="Map to an existing Plain tenant").click()
    staff.get_by_label(re.compile("Search Plain's tenants")).fill("Hostile tenant")
    staff.get_by_role("button", name="Search").click()
    results = staff.locator("table.map-tenant__results")
    expect(results).to_contain_text(TENANT_NAME)
    expect(results).to_contain_text(TENANT_EXTERNAL_ID)
    assert_inert(staff)
    for path in (
        "/admin/tenancy/organization/",
        "/admin/tenancy/organization/add/",
        "/admin/tenancy/syncevent/",
        "/admin/tenancy/retiredtenant/",
        "/admin/support/submission/",
        "/admin/accounts/user/",
    ):
        staff.goto(path)
        expect(staff.locator("#content")).to_be_visible()
        assert_inert(staff)

    # The add page's slug is filled in by the admin's script as the name is typed.
    staff.goto("/admin/tenancy/organization/add/")
    staff.get_by_label("Name").press_sequentially("Globex Corp")
    expect(staff.get_by_label("Slug")).to_have_value("globex-corp")
    # The customer's saved reply (the hostile text they quoted) and their user page.
    staff.goto("/admin/support/submission/")
    staff.locator("#result_list tbody tr", has_text="Reply").get_by_role("link").first.click()
    expect(staff.locator("#content")).to_contain_text(HOSTILE_LINES[0])
    assert_inert(staff)
    staff.goto("/admin/accounts/user/")
    staff.get_by_role("link", name=alice.email).click()
    expect(staff.locator("#content")).to_contain_text("Acme")
    assert_inert(staff)

    # Mapping Acme onto the hostile tenant: the admin's message names it, as text.
    staff.goto(f"/admin/tenancy/organization/{acme.pk}/map-tenant/?q=Hostile+tenant")
    staff.get_by_role("button", name="Map Acme here").click()
    expect(staff.locator(".messagelist")).to_contain_text(TENANT_NAME)
    assert_inert(staff)

    assert watch.dialogs == []
    assert watch.violations == []
