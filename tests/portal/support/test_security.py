"""What must never reach a page: the API key, internal notes, BCC recipients, live HTML."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from portal.plain import get_emulator_control, get_plain_client, reset_plain_client
from portal.tenancy.services import plain_customer_ensure
from tests.portal.support.pages import page_text

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def response_leaks(response, secret: str) -> bool:
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return secret in response.content.decode(errors="replace") or secret in headers


def test_the_api_key_never_reaches_a_page_a_header_or_a_log(settings, client, alice, acme, caplog):
    canary = f"plain-canary-{uuid.uuid4().hex}"
    settings.PLAIN_API_KEY = canary
    reset_plain_client()
    plain = get_plain_client()
    # The emulator is rebuilt with the canary as its key; the tenant must exist in it again.
    plain.upsert_tenant(external_id=acme.tenant_external_id, name=acme.name)
    customer_id = plain_customer_ensure(user=alice)
    thread = plain.create_thread(
        customer_id=customer_id, tenant_external_id=acme.tenant_external_id, title="T", text="x"
    )
    control = get_emulator_control()
    client.force_login(alice)
    detail = reverse("support:thread_detail", args=[thread.id])
    caplog.set_level(logging.DEBUG)

    responses = [
        client.get(reverse("support:thread_list")),
        client.get(reverse("support:thread_list") + "?status=all", **HTMX),
        client.get(detail),
        client.get(reverse("support:thread_create")),
        client.post(reverse("support:thread_create"), {"title": "New", "message": "Body"}),
        client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Hi"}),
        client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Hi"}, **HTMX),
        client.post(reverse("support:thread_resolve", args=[thread.id]), **HTMX),
        client.post(reverse("support:thread_reopen", args=[thread.id])),
        client.get(reverse("support:thread_detail", args=["th_01JZZZZZZZZZZZZZZZZZZZZZZZ"])),
    ]
    # And while Plain fails: the last known pages (from the read cache), then, with the cache
    # emptied, every kind of failure page.
    control.fail_next(count=50, status=503)
    responses += [client.get(reverse("support:thread_list")), client.get(detail)]
    cache.clear()
    responses += [
        client.get(reverse("support:thread_list")),
        client.get(detail),
        client.post(reverse("support:thread_reply", args=[thread.id]), {"text": "Hi"}),
        client.post(reverse("support:thread_create"), {"title": "New", "message": "Body"}),
        client.post(reverse("support:thread_resolve", args=[thread.id]), **HTMX),
    ]
    control.clear_faults()

    assert any(r.status_code == 200 for r in responses)
    assert any(r.status_code == 503 for r in responses)
    for response in responses:
        assert not response_leaks(response, canary), response.request["PATH_INFO"]
    assert any(record.name.startswith("portal") for record in caplog.records)
    assert canary not in caplog.text
    for record in caplog.records:
        assert canary not in str(record.args) and canary not in record.getMessage()


def test_internal_notes_never_show(alice_client, alice, acme, plain, make_thread):
    marker = f"INTERNAL-NOTE-{uuid.uuid4().hex}"
    thread = make_thread(user=alice, organization=acme)
    plain.create_note(
        customer_id=plain_customer_ensure(user=alice), thread_id=thread.id, text=marker
    )
    detail = reverse("support:thread_detail", args=[thread.id])

    pages = [alice_client.get(detail), alice_client.get(reverse("support:thread_list"))]

    for response in pages:
        assert response.status_code == 200
        assert marker not in page_text(response)


def test_bcc_recipients_never_show(alice_client, alice, acme, emulator_control, make_thread):
    thread = make_thread(user=alice, organization=acme)
    emulator_control.inbound_email(
        from_email=alice.email,
        from_name="Alice Archer",
        subject="With a secret copy",
        text="Body of the email",
        thread_id=thread.id,
        cc=[{"email": "visible-cc@acme.test", "name": "Visible"}],
        bcc=[{"email": "secret-bcc@hidden.test", "name": "Hidden Person"}],
    )

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert "With a secret copy" in html
    assert "visible-cc@acme.test" in html
    assert "secret-bcc@hidden.test" not in html
    assert "Hidden Person" not in html


def test_messages_render_no_live_html_and_safe_links(alice_client, alice, acme, plain, make_thread):
    thread = make_thread(
        user=alice,
        organization=acme,
        title="<script>alert('title')</script>",
        text="<script>alert(1)</script> [click](javascript:alert(2)) [ok](https://example.com)",
    )
    plain.send_chat(
        customer_id=plain_customer_ensure(user=alice),
        thread_id=thread.id,
        text='<img src=x onerror="alert(3)"> **bold**',
    )

    detail = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))
    listing = page_text(alice_client.get(reverse("support:thread_list")))

    for html in (detail, listing):
        assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "<img" not in detail
    assert 'href="javascript:' not in detail
    assert (
        '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">ok</a>'
        in detail
    )
    assert "<strong>bold</strong>" in detail


def test_pages_load_htmx_from_our_own_static_files(alice_client):
    html = page_text(alice_client.get(reverse("support:thread_list")))

    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html
    assert "://unpkg" not in html and "cdn" not in html.lower()
