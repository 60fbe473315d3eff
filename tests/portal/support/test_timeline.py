"""The conversation on the thread page, as a customer reads it: every kind of message with its
author and time, nothing meant for agents, nothing live from anyone's content, and status words
that say whose turn it is."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from plain_gateway.components import CopyButton, Text
from plain_gateway.types import (
    Actor,
    ChatEntry,
    Customer,
    MergedEntry,
    MessageEntry,
    Thread,
    TimelineEntry,
)
from portal.support.presentation import timeline_items
from portal.tenancy.services import plain_customer_ensure
from tests.portal.support.hostile import HOSTILE, audit, hostile_components, unescaped_text
from tests.portal.support.pages import page_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>x()</script>",
        '<script src="https://cdn.test/x.js"></script>',
        "<img src=x>",
        '<a href="javascript:x">a</a>',
        '<a href=" JAVASCRIPT:x">a</a>',
        '<a href="//evil.test/">a</a>',
        '<a href="https://x.test">no rel</a>',
        '<b onclick="x">b</b>',
        '<p style="x">p</p>',
        '<form action="https://evil.test/"></form>',
        '<iframe srcdoc="x"></iframe>',
    ],
)
def test_the_auditor_catches_what_it_looks_for(snippet):
    assert audit(f"<body>{snippet}</body>").problems != []


def test_the_auditor_lets_the_pages_own_parts_through():
    page = audit(
        '<head><link rel="stylesheet" href="/static/css/portal.css"></head><body>'
        '<script src="/static/js/portal.js" defer></script><form action="/threads/"></form>'
        '<a href="/threads/?status=all">x</a><a href="https://x.test" target="_blank" '
        'rel="noopener noreferrer nofollow">y</a><button data-copy="javascript:x">c</button></body>'
    )

    assert page.problems == []


def test_hostile_content_survives_no_rendering_path(
    alice_client, alice, acme, plain, emulator_control
):
    customer_id = plain_customer_ensure(user=alice)
    thread = plain.create_thread(
        customer_id=customer_id,
        tenant_external_id=acme.tenant_external_id,
        title=HOSTILE[:200],
        text="",
        components=hostile_components(),
    )
    plain.send_chat(customer_id=customer_id, thread_id=thread.id, text=HOSTILE)
    plain.reply_to_thread(thread_id=thread.id, text=HOSTILE, as_customer_id=customer_id)
    emulator_control.inbound_email(
        from_email=alice.email,
        from_name=HOSTILE[:100],
        subject=HOSTILE[:150],
        text=HOSTILE,
        markdown=HOSTILE,
        thread_id=thread.id,
        cc=[{"email": "cc@acme.test", "name": "<script>alert('cc')</script>"}],
    )
    emulator_control.inbound_email(
        from_email=alice.email, subject="Text only", text=HOSTILE, thread_id=thread.id
    )

    detail = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))
    listing = page_text(alice_client.get(reverse("support:thread_list")))

    for html in (detail, listing):
        page = audit(html)
        assert page.problems == []
    # The content is shown as text, not dropped; the one good link of each message is a link.
    assert "<script>alert('s1')</script>" in unescaped_text(detail)
    good = [link["href"] for link in audit(detail).links]
    assert "https://example.com/fine" in good
    assert "https://ok.test/x" in good
    assert all(href.startswith(("https://", "http://", "mailto:")) for href in good)


def test_hostile_content_survives_no_channel_message_or_merged_message():
    thread = make_thread()
    customer = Actor("customer", "c_1", "<script>alert('name')</script>")
    bodies = [
        MessageEntry("slack", HOSTILE),
        MessageEntry("slack", "<javascript:alert('s')|click> <https://ok.test|ok>"),
        MessageEntry("ms_teams", HOSTILE, markdown=HOSTILE),
        MessageEntry("ms_teams", HOSTILE),
        MessageEntry("discord", HOSTILE, markdown=HOSTILE),
        MessageEntry("help_center", HOSTILE, markdown=HOSTILE),
        MergedEntry(
            child_thread_ref="T-<b>1</b>",
            child_thread_title=HOSTILE[:80],
            child=TimelineEntry(
                id="ti_c", timestamp=T0, actor=customer, entry=ChatEntry(HOSTILE), customer_id="c_1"
            ),
        ),
    ]
    entries = [
        TimelineEntry(id=f"ti_{i}", timestamp=T0, actor=customer, entry=body)
        for i, body in enumerate(bodies)
    ]

    items = timeline_items(entries, thread=thread, starts_thread=False)
    html = render_to_string("support/_timeline_entries.html", {"items": items})

    assert len(items) == len(bodies)
    assert audit(html).problems == []
    assert "<script>alert('s1')</script>" in unescaped_text(html)


T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)


def make_thread() -> Thread:
    return Thread(
        id="th_01JAAAAAAAAAAAAAAAAAAAAAA1",
        ref="T-1",
        title="Title",
        status="TODO",
        priority=2,
        customer=Customer(id="c_1", external_id=None, full_name="Alice", email=None),
        tenant=None,
        created_at=T0,
        created_by=Actor("customer", "c_1", "Alice"),
        updated_at=T0,
        status_changed_at=T0,
    )


def test_nothing_meant_for_agents_reaches_the_page(alice_client, alice, acme, plain, make_thread):
    marker = f"AGENTS-ONLY-{uuid.uuid4().hex}"
    thread = make_thread(user=alice, organization=acme)
    customer_id = plain_customer_ensure(user=alice)
    plain.create_note(customer_id=customer_id, thread_id=thread.id, text=marker)
    plain.change_thread_priority(thread_id=thread.id, priority=0)
    label_type = plain.create_label_type(name=f"{marker}-label")
    plain.add_labels(thread_id=thread.id, label_type_ids=[label_type.id])
    event = [Text(text=f"{marker}-event")]
    plain.create_thread_event(thread_id=thread.id, title=f"{marker}-title", components=event)
    plain.create_customer_event(customer_id=customer_id, title=f"{marker}-c", components=event)

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert marker not in html
    assert html.count('class="entry ') == 1  # the opening message alone


def test_each_message_says_who_wrote_it_how_and_when(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme, text="Opening words")
    customer_id = plain_customer_ensure(user=alice)
    plain.send_chat(customer_id=customer_id, thread_id=thread.id, text="Support here")
    emulator_control.inbound_email(
        from_email=alice.email, subject="By mail", text="Mailed words", thread_id=thread.id
    )

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))
    entries = entry_blocks(html)

    assert [author for author, _ in entries] == ["Alice Archer", "Support", "Alice Archer"]
    assert '<span class="tag">Support</span>' in entries[1][1]
    assert "by email" in entries[2][1] and "<dt>Subject</dt><dd>By mail</dd>" in entries[2][1]
    for _, block in entries:
        assert "<time datetime=" in block and 'title="' in block


def test_an_email_in_the_internal_discussion_is_hidden_and_the_customers_email_shown(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme, text="Opening words")
    plain_customer_ensure(user=alice)
    emulator_control.inbound_email(
        from_email=alice.email,
        subject="Internal",
        text="Agents only: refund approved by finance",
        thread_id=thread.id,
        category="THREAD_DISCUSSION",
    )
    emulator_control.inbound_email(
        from_email=alice.email,
        subject="By mail",
        text="Mailed words",
        thread_id=thread.id,
        category="MESSAGING",
    )

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    text = unescaped_text(html)
    assert "Mailed words" in text and "Opening words" in text
    assert "refund approved" not in text and "Internal" not in text
    assert [author for author, _ in entry_blocks(html)] == ["Alice Archer", "Alice Archer"]


def entry_blocks(html: str) -> list[tuple[str, str]]:
    """(author, HTML) of each message entry on the page, in order."""
    blocks = []
    for chunk in html.split('<li id="entry-')[1:]:
        block = chunk[: chunk.index("</li>")]
        start = block.index('<span class="entry__author">') + len('<span class="entry__author">')
        blocks.append((block[start : block.index("</span>", start)], block))
    return blocks


def test_resolving_and_reopening_show_but_snoozing_does_not(
    alice_client, alice, acme, plain, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    plain.snooze_thread(thread_id=thread.id, duration_seconds=3600)
    plain.mark_thread_as_todo(thread_id=thread.id)
    plain.mark_thread_as_done(thread_id=thread.id)
    plain.mark_thread_as_todo(thread_id=thread.id)

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert html.count("marked this as resolved") == 1
    assert html.count("reopened this") == 1
    assert html.index("marked this as resolved") < html.index("reopened this")
    assert "on hold" not in html and "snooze" not in html.lower()


@pytest.mark.parametrize(
    ("support_wrote_last", "words"), [(True, "Waiting for you"), (False, "Waiting for support")]
)
def test_a_snoozed_thread_says_whose_turn_it_is(
    alice_client, alice, acme, plain, make_thread, support_wrote_last, words
):
    thread = make_thread(user=alice, organization=acme)
    if support_wrote_last:
        customer_id = plain_customer_ensure(user=alice)
        plain.send_chat(customer_id=customer_id, thread_id=thread.id, text="Try this")
    plain.snooze_thread(thread_id=thread.id, duration_seconds=3600)

    detail = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))
    listing = page_text(alice_client.get(reverse("support:thread_list")))

    start = detail.index('<header id="thread-header"')
    header = detail[start : detail.index("</header>", start)]
    assert words in header
    assert words in listing


def test_a_resolved_thread_says_resolved(alice_client, alice, acme, plain, make_thread):
    thread = make_thread(user=alice, organization=acme)
    plain.mark_thread_as_done(thread_id=thread.id)

    detail = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert '<span class="badge badge--done">Resolved</span>' in detail


def test_a_copy_button_shows_its_value_without_a_script(alice_client, alice, acme, plain):
    thread = plain.create_thread(
        customer_id=plain_customer_ensure(user=alice),
        tenant_external_id=acme.tenant_external_id,
        title="Order",
        text="",
        components=[CopyButton(value="ORD-42")],
    )

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert '<code class="c-copy__value">ORD-42</code>' in html
    assert 'data-copy="ORD-42"' in html
    assert '<script src="/static/js/portal.js" defer' in html
