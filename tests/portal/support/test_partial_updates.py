"""What an htmx reply, resolve or reopen brings back besides its own part (issue 15.6)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.portal.support.pages import class_texts, elements

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _oob(html: str, tag: str) -> list[dict[str, str]]:
    return [attrs for attrs in elements(html, tag) if "hx-swap-oob" in attrs]


def test_an_htmx_reply_brings_the_headers_new_status(alice_client, alice, acme, make_thread, plain):
    thread = make_thread(user=alice, organization=acme)
    plain.reply_to_thread(thread_id=thread.id, text="Can you send the logs?")
    page = alice_client.get(reverse("support:thread_detail", args=[thread.id])).content.decode()
    assert "Waiting for you" in class_texts(page, "badge")

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Here they are."}, **HTMX
    )

    html = response.content.decode()
    [header] = [h for h in _oob(html, "header") if h.get("id") == "thread-header"]
    assert header["hx-swap-oob"] == "true"
    assert class_texts(html, "badge") == ["Waiting for support"]


def test_an_htmx_resolve_shows_the_change_in_the_timeline_and_confirms_it(
    alice_client, alice, acme, make_thread
):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.post(reverse("support:thread_resolve", args=[thread.id]), **HTMX)

    html = response.content.decode()
    assert class_texts(html, "badge") == ["Resolved"]
    [timeline] = _oob(html, "ol")
    assert timeline["hx-swap-oob"] == "beforeend:#timeline"
    [entry] = class_texts(html, "entry--status")
    assert entry.startswith("You marked this as resolved")
    [flash] = [div for div in _oob(html, "div") if div.get("id") == "flash"]
    assert flash["hx-swap-oob"] == "innerHTML"
    assert class_texts(html, "alert--success") == ["Marked as resolved."]
    # The page, read from Plain afterwards, says the same.
    page = alice_client.get(reverse("support:thread_detail", args=[thread.id])).content.decode()
    assert class_texts(page, "entry--status")[0].startswith("You marked this as resolved")


def test_an_htmx_reopen_confirms_it(alice_client, alice, acme, make_thread, plain):
    thread = make_thread(user=alice, organization=acme)
    plain.mark_thread_as_done(thread_id=thread.id)

    response = alice_client.post(reverse("support:thread_reopen", args=[thread.id]), **HTMX)

    html = response.content.decode()
    assert class_texts(html, "alert--success") == ["Reopened."]
    assert class_texts(html, "entry--status")[0].startswith("You reopened this")
