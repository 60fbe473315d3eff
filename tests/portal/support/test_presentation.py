"""Plain's codes in the customer's words, and which timeline entries a customer sees, as whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plain_gateway.types import (
    Actor,
    ChatEntry,
    CustomEntry,
    Customer,
    EmailEntry,
    EmailParticipant,
    HiddenEntry,
    StatusChangeEntry,
    Thread,
    TimelineEntry,
)
from portal.support.presentation import priority_label, status_label, timeline_items

T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
CUSTOMER = Actor("customer", "c_1", "Alice Archer")
AGENT = Actor("user", "u_1", "Sam from Support")
PORTAL_KEY = Actor("machine_user", "mu_1", "Support")


def make_thread(**changes) -> Thread:
    values = {
        "id": "th_1",
        "ref": "T-1",
        "title": "Title",
        "status": "TODO",
        "priority": 2,
        "customer": Customer(id="c_1", external_id=None, full_name="Alice Archer", email=None),
        "tenant": None,
        "created_at": T0,
        "created_by": CUSTOMER,
        "updated_at": T0,
        "status_changed_at": T0,
    }
    return Thread(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"status": "DONE"}, "Resolved"),
        ({"status": "DONE", "last_outbound_at": LATER}, "Resolved"),
        ({}, "Open"),
        ({"last_inbound_at": T0}, "Waiting for support"),
        ({"last_outbound_at": LATER}, "Waiting for you"),
        ({"last_inbound_at": T0, "last_outbound_at": LATER}, "Waiting for you"),
        ({"last_inbound_at": LATER, "last_outbound_at": T0}, "Waiting for support"),
        ({"status": "SNOOZED", "last_outbound_at": LATER}, "Waiting for you"),
        # Opened through the API: Plain counts the opening message as outbound; it is the
        # customer's, so support has not spoken yet.
        ({"created_by": PORTAL_KEY, "last_outbound_at": T0}, "Waiting for support"),
        ({"created_by": PORTAL_KEY, "last_outbound_at": LATER}, "Waiting for you"),
        # Opened by an agent (outreach): their opening message is support speaking.
        ({"created_by": AGENT, "last_outbound_at": T0}, "Waiting for you"),
    ],
)
def test_status_in_the_customers_words(changes, words):
    assert status_label(make_thread(**changes)) == words


@pytest.mark.parametrize(
    ("priority", "words"), [(0, "Urgent"), (1, "High"), (2, "Normal"), (3, "Low"), (None, "Normal")]
)
def test_priority_in_words(priority, words):
    assert priority_label(priority) == words


def entry(body, actor=CUSTOMER, entry_id="ti_1", at=T0) -> TimelineEntry:
    return TimelineEntry(id=entry_id, timestamp=at, actor=actor, entry=body)


def test_hidden_entries_are_left_out_and_order_is_kept():
    items = timeline_items(
        [
            entry(ChatEntry(text="first"), entry_id="a"),
            entry(HiddenEntry(typename="NoteEntry"), actor=AGENT, entry_id="b"),
            entry(ChatEntry(text="second"), actor=AGENT, entry_id="c"),
        ],
        thread=make_thread(),
        starts_thread=True,
    )

    assert [item.id for item in items] == ["a", "c"]
    assert [item.is_support for item in items] == [False, True]
    assert items[1].author == "Sam from Support"


def test_emails_carry_subject_from_to_and_cc():
    email = EmailEntry(
        subject="Hello",
        from_=EmailParticipant("a@x.test", "A"),
        to=EmailParticipant("support@x.test"),
        cc=(EmailParticipant("c@x.test", "C"), EmailParticipant("d@x.test")),
        text="Body",
        markdown=None,
    )

    (item,) = timeline_items([entry(email)], thread=make_thread(), starts_thread=True)

    assert (item.subject, item.email_from, item.email_to) == (
        "Hello",
        "A <a@x.test>",
        "support@x.test",
    )
    assert item.email_cc == "C <c@x.test>, d@x.test"
    assert item.via == "by email"


def test_custom_entries_keep_text_components_and_drop_unknown_ones():
    components = (
        {"__typename": "ComponentText", "text": "**md**"},
        {"__typename": "ComponentPlainText", "plainText": "plain"},
        {"__typename": "ComponentWorkflowButton", "workflowButtonLabel": "Run"},
        {
            "__typename": "ComponentLinkButton",
            "linkButtonUrl": "javascript:x",
            "linkButtonLabel": "Bad",
        },
        {
            "__typename": "ComponentLinkButton",
            "linkButtonUrl": "https://ok.test",
            "linkButtonLabel": "Ok",
        },
        {
            "__typename": "ComponentContainer",
            "containerContent": [{"__typename": "ComponentText", "text": "inside"}],
        },
        {
            "__typename": "ComponentRow",
            "rowMainContent": [{"__typename": "ComponentPlainText", "plainText": "main"}],
            "rowAsideContent": [{"__typename": "ComponentBadge", "badgeLabel": "aside"}],
        },
        {"componentPlainText": {"plainText": "input shape"}},
    )

    (item,) = timeline_items(
        [entry(CustomEntry(title="Form", type=None, components=components))],
        thread=make_thread(),
        starts_thread=True,
    )

    assert [(c.kind, c.text, c.url) for c in item.components] == [
        ("markdown", "**md**", ""),
        ("plain", "plain", ""),
        ("plain", "Bad", ""),
        ("link", "Ok", "https://ok.test"),
        ("markdown", "inside", ""),
        ("plain", "main", ""),
        ("badge", "aside", ""),
        ("plain", "input shape", ""),
    ]


def test_a_custom_entry_with_nothing_to_show_is_left_out():
    body = CustomEntry(
        title="x", type=None, components=({"__typename": "ComponentWorkflowButton"},)
    )

    assert timeline_items([entry(body)], thread=make_thread(), starts_thread=True) == []


def test_the_opening_message_of_a_thread_opened_through_the_api_is_the_customers():
    thread = make_thread(created_by=PORTAL_KEY)
    opening = CustomEntry(
        title="Title", type=None, components=({"__typename": "ComponentText", "text": "Help"},)
    )
    later = CustomEntry(
        title="Bot", type=None, components=({"__typename": "ComponentText", "text": "Beep"},)
    )

    first, second = timeline_items(
        [entry(opening, actor=PORTAL_KEY), entry(later, actor=PORTAL_KEY, at=LATER)],
        thread=thread,
        starts_thread=True,
    )
    (on_a_later_page,) = timeline_items(
        [entry(opening, actor=PORTAL_KEY)], thread=thread, starts_thread=False
    )

    assert (first.author, first.is_support) == ("Alice Archer", False)
    assert (second.author, second.is_support) == ("Support", True)
    assert (on_a_later_page.author, on_a_later_page.is_support) == ("Support", True)


def test_status_changes_read_as_sentences():
    items = timeline_items(
        [
            entry(StatusChangeEntry("TODO", "DONE"), actor=AGENT, entry_id="a"),
            entry(StatusChangeEntry("DONE", "TODO"), entry_id="b"),
        ],
        thread=make_thread(),
        starts_thread=True,
    )

    assert [item.status_words for item in items] == ["marked this as resolved", "reopened this"]
