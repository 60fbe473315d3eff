"""Plain's codes in the customer's words, and which timeline entries a customer sees, as whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.urls import NoReverseMatch, reverse

from plain_gateway.components import Text, components_from_graphql, components_from_input
from plain_gateway.types import (
    Actor,
    Attachment,
    ChatEntry,
    CustomEntry,
    Customer,
    EmailEntry,
    EmailParticipant,
    HiddenEntry,
    MergedEntry,
    MessageEntry,
    StatusChangeEntry,
    SurveyRequestEntry,
    Thread,
    TimelineEntry,
)
from portal.support.presentation import priority_label, reply_item, status_label, timeline_items

T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
SOON = T0 + timedelta(seconds=2)
CUSTOMER = Actor("customer", "c_1", "Alice Archer")
AGENT = Actor("user", "u_1", "Sam from Support")
PORTAL_KEY = Actor("machine_user", "mu_1", "Support")

# Ids shaped as Plain makes them, so the download route takes them.
THREAD_ID = "th_01JAAAAAAAAAAAAAAAAAAAAAA1"
ATT_1 = "att_01JAAAAAAAAAAAAAAAAAAAAAA1"
ATT_2 = "att_01JAAAAAAAAAAAAAAAAAAAAAA2"
ATT_9 = "att_01JAAAAAAAAAAAAAAAAAAAAAA9"


def make_thread(**changes) -> Thread:
    values = {
        "id": THREAD_ID,
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
        # Nobody has written yet: the request waits for support.
        ({}, "Waiting for support"),
        ({"last_inbound_at": T0}, "Waiting for support"),
        ({"last_outbound_at": LATER}, "Waiting for you"),
        ({"last_inbound_at": T0, "last_outbound_at": LATER}, "Waiting for you"),
        ({"last_inbound_at": LATER, "last_outbound_at": T0}, "Waiting for support"),
        # Snoozed is an agent parking the thread: the customer hears whose turn it is.
        ({"status": "SNOOZED", "last_outbound_at": LATER}, "Waiting for you"),
        (
            {"status": "SNOOZED", "last_inbound_at": LATER, "last_outbound_at": T0},
            "Waiting for support",
        ),
        ({"status": "SNOOZED"}, "Waiting for support"),
        # Opened through the API: Plain counts the opening message as outbound; it is the
        # customer's, so support has not spoken yet.
        ({"created_by": PORTAL_KEY, "last_outbound_at": T0}, "Waiting for support"),
        ({"created_by": PORTAL_KEY, "last_outbound_at": LATER}, "Waiting for you"),
        # Opened by an agent (outreach): their opening message is support speaking.
        ({"created_by": AGENT, "last_outbound_at": T0}, "Waiting for you"),
        # With the message's source known: an API message at the opening, even stamped a moment
        # apart from the thread, is the customer's; an agent's reply from Plain never is.
        (
            {"created_by": PORTAL_KEY, "last_outbound_at": SOON, "last_outbound_source": "API"},
            "Waiting for support",
        ),
        (
            {"created_by": PORTAL_KEY, "last_outbound_at": T0, "last_outbound_source": "EMAIL"},
            "Waiting for you",
        ),
        (
            {"created_by": PORTAL_KEY, "last_outbound_at": LATER, "last_outbound_source": "API"},
            "Waiting for you",
        ),
        (
            {
                "created_by": PORTAL_KEY,
                "last_outbound_at": SOON,
                "last_outbound_source": "API",
                "last_inbound_at": LATER,
            },
            "Waiting for support",
        ),
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


def test_custom_entries_keep_their_component_tree_and_drop_agent_only_parts():
    components = (
        {"__typename": "ComponentText", "text": "**md**"},
        {"__typename": "ComponentWorkflowButton", "workflowButtonLabel": "Run"},
        {
            "__typename": "ComponentContainer",
            "containerContent": [
                {"__typename": "ComponentText", "text": "inside"},
                {
                    "__typename": "ComponentRow",
                    "rowMainContent": [{"__typename": "ComponentPlainText", "plainText": "main"}],
                    "rowAsideContent": [{"__typename": "ComponentBadge", "badgeLabel": "aside"}],
                },
            ],
        },
    )
    components = (
        *components_from_graphql(components),
        *components_from_input([{"componentPlainText": {"plainText": "input shape"}}]),
    )

    (item,) = timeline_items(
        [entry(CustomEntry(title="Form", type=None, components=components))],
        thread=make_thread(),
        starts_thread=True,
    )

    text, container, plain = item.components
    assert (text.kind, text.text) == ("text", "**md**")
    assert "<strong>md</strong>" in text.html
    assert container.kind == "container"
    inside, row = container.content
    assert (inside.kind, inside.text) == ("text", "inside")
    assert [(c.kind, c.text) for c in row.content] == [("plain", "main")]
    assert [(c.kind, c.text) for c in row.aside] == [("badge", "aside")]
    assert (plain.kind, plain.text) == ("plain", "input shape")
    assert item.title == "Form"


def test_a_custom_entry_with_nothing_to_show_is_left_out():
    body = CustomEntry(
        title="x",
        type=None,
        components=components_from_graphql([{"__typename": "ComponentWorkflowButton"}]),
    )

    assert timeline_items([entry(body)], thread=make_thread(), starts_thread=True) == []


def test_the_opening_message_of_a_thread_opened_through_the_api_is_the_customers():
    thread = make_thread(created_by=PORTAL_KEY)
    opening = CustomEntry(title="Title", type=None, components=(Text(text="Help"),))
    later = CustomEntry(title="Bot", type=None, components=(Text(text="Beep"),))

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
    assert all(item.is_event for item in items)


def test_moves_between_todo_and_snoozed_are_not_shown():
    items = timeline_items(
        [
            entry(StatusChangeEntry("TODO", "SNOOZED"), actor=AGENT, entry_id="a"),
            entry(StatusChangeEntry("SNOOZED", "TODO"), entry_id="b"),
            entry(StatusChangeEntry("SNOOZED", "DONE"), actor=AGENT, entry_id="c"),
            entry(StatusChangeEntry("DONE", "SNOOZED"), actor=AGENT, entry_id="d"),
        ],
        thread=make_thread(),
        starts_thread=True,
    )

    assert [(item.id, item.status_words) for item in items] == [
        ("c", "marked this as resolved"),
        ("d", "reopened this"),
    ]


def test_plains_own_automations_read_as_support():
    (item,) = timeline_items(
        [entry(StatusChangeEntry("TODO", "DONE"), actor=Actor("system", "s", "Plain"))],
        thread=make_thread(),
        starts_thread=True,
    )

    assert (item.author, item.is_support) == ("Support", True)


def make_email(**changes) -> EmailEntry:
    values = {
        "subject": "Re: Logs",
        "from_": EmailParticipant("a@x.test", "A"),
        "to": EmailParticipant("support@x.test"),
        "cc": (),
        "text": "Newest part",
        "markdown": "Newest **part**",
    }
    return EmailEntry(**{**values, **changes})


def test_an_email_prefers_markdown_and_falls_back_to_its_text():
    with_markdown, text_only = timeline_items(
        [
            entry(make_email(), entry_id="a"),
            entry(make_email(markdown=None, text="Plain <b>text</b>"), entry_id="b"),
        ],
        thread=make_thread(),
        starts_thread=True,
    )

    assert "<strong>part</strong>" in with_markdown.body_html
    assert text_only.body_html == "<p>Plain &lt;b&gt;text&lt;/b&gt;</p>"


def test_an_email_with_more_offers_the_whole_email_and_the_opening_one_shows_it_at_once():
    whole = "Newest **part**\n\n> On Monday, A wrote:\n> the earlier mail"
    reply, opening, nothing_more = timeline_items(
        [
            entry(make_email(has_more=True, full_markdown=whole), entry_id="a"),
            entry(
                make_email(has_more=True, full_markdown=whole, is_start_of_thread=True),
                entry_id="b",
            ),
            entry(make_email(has_more=False, full_markdown=whole), entry_id="c"),
        ],
        thread=make_thread(),
        starts_thread=True,
    )

    assert "earlier mail" not in reply.body_html and "earlier mail" in reply.full_html
    assert "earlier mail" in opening.body_html and opening.full_html == ""
    assert nothing_more.full_html == ""


def test_the_whole_email_falls_back_to_its_text():
    (item,) = timeline_items(
        [entry(make_email(has_more=True, full_markdown=None, full_text="All <of> it"))],
        thread=make_thread(),
        starts_thread=True,
    )

    assert item.full_html == "<p>All &lt;of&gt; it</p>"


@pytest.mark.parametrize(
    ("body", "via", "html"),
    [
        (
            MessageEntry("slack", "<https://x.test|the *docs*> and *bold*"),
            "via Slack",
            '<a href="https://x.test" target="_blank" rel="noopener noreferrer nofollow">'
            "the *docs*</a> and <strong>bold</strong>",
        ),
        (
            MessageEntry("ms_teams", "plain **text**", markdown="teams **md**"),
            "via Microsoft Teams",
            "teams <strong>md</strong>",
        ),
        (MessageEntry("ms_teams", "no <markdown>"), "via Microsoft Teams", "no &lt;markdown&gt;"),
        (
            MessageEntry("discord", "**d**", markdown="**d**"),
            "via Discord",
            "<strong>d</strong>",
        ),
        (
            MessageEntry("help_center", "_ai_", markdown="_ai_"),
            "in the help center",
            "<em>ai</em>",
        ),
    ],
)
def test_channel_messages_render_in_their_own_markup(body, via, html):
    (item,) = timeline_items([entry(body)], thread=make_thread(), starts_thread=True)

    assert item.kind == "message"
    assert item.via == via
    assert html in item.body_html


def test_edited_and_deleted_channel_messages_say_so_and_a_deleted_one_shows_nothing():
    attachment = Attachment(id=ATT_1, file_name="secret.txt", size_bytes=3, mime_type="text/plain")
    edited, deleted = timeline_items(
        [
            entry(MessageEntry("slack", "fixed", edited_at=LATER), entry_id="a"),
            entry(
                MessageEntry("slack", "gone", (attachment,), deleted_at=LATER),
                entry_id="b",
            ),
        ],
        thread=make_thread(),
        starts_thread=True,
    )

    assert edited.edited and not edited.deleted
    assert deleted.deleted and deleted.body_html == "" and deleted.files == ()


def test_a_survey_request_is_an_event():
    (item,) = timeline_items(
        [entry(SurveyRequestEntry(), actor=Actor("system", "s", "Plain"))],
        thread=make_thread(),
        starts_thread=True,
    )

    assert item.is_event
    assert (item.author, item.status_words) == ("Support", "asked for feedback on this request")


def merged(child_customer_id: str | None, body=None, *, child=True) -> MergedEntry:
    return MergedEntry(
        child_thread_ref="T-9",
        child_thread_title="Older request",
        child=(
            TimelineEntry(
                id="ti_child",
                timestamp=T0,
                actor=AGENT,
                entry=body or ChatEntry(text="from the merged thread"),
                customer_id=child_customer_id,
            )
            if child
            else None
        ),
    )


def test_merged_messages_of_the_same_customer_show_with_where_they_came_from():
    (item,) = timeline_items(
        [entry(merged("c_1"), entry_id="ti_merged", at=LATER)],
        thread=make_thread(),
        starts_thread=False,
    )

    assert item.id == "ti_merged"
    assert (item.kind, item.author, item.timestamp) == ("chat", "Sam from Support", T0)
    assert "from the merged thread" in item.body_html
    # By title: Plain's refs number every customer's threads (issue 15.11).
    assert item.merged_from == "“Older request”"


@pytest.mark.parametrize(
    "body",
    [
        merged("c_other"),
        merged(None),
        merged("c_1", child=False),
        merged("c_1", HiddenEntry("NoteEntry")),
        merged("c_1", StatusChangeEntry("TODO", "DONE")),
        merged("c_1", SurveyRequestEntry()),
    ],
)
def test_merged_entries_of_another_customer_or_of_no_message_are_left_out(body):
    assert timeline_items([entry(body)], thread=make_thread(), starts_thread=True) == []


def test_files_link_to_the_threads_download_route_once_resolved():
    files = (
        Attachment(id=ATT_1, file_name="log.txt", size_bytes=2048, mime_type="text/plain"),
        Attachment(id=ATT_2, file_name="", size_bytes=1, mime_type="image/png"),
    )

    (item,) = timeline_items(
        [entry(ChatEntry(text="see files", attachments=files))],
        thread=make_thread(),
        starts_thread=True,
    )

    assert [(f.file_name, f.size_bytes) for f in item.files] == [("log.txt", 2048), (ATT_2, 1)]
    assert [f.url for f in item.files] == [download_url(ATT_1), download_url(ATT_2)]


def download_url(attachment_id: str) -> str:
    """Where the portal serves a file of thread th_1 ("" while it has no download route)."""
    try:
        return reverse("support:attachment_download", args=[THREAD_ID, attachment_id])
    except NoReverseMatch:
        return ""


def test_the_reply_just_sent_is_the_customers_chat():
    item = reply_item(text="Thanks **a lot**", author="Alice Archer", timestamp=T0)

    assert (item.kind, item.author, item.is_support) == ("chat", "Alice Archer", False)
    assert "<strong>a lot</strong>" in item.body_html
    assert item.css_class == "entry entry--chat entry--customer"


def test_the_reply_just_sent_lists_its_files():
    file = Attachment(id=ATT_9, file_name="shot.png", size_bytes=10, mime_type="image/png")

    item = reply_item(
        text="see", author="Alice", timestamp=T0, attachments=[file], thread_id=THREAD_ID
    )

    assert [(f.file_name, f.url) for f in item.files] == [("shot.png", download_url(ATT_9))]


# --- thread list rows, kept per thread object --------------------------------------------------


def test_a_list_of_the_same_thread_objects_gets_the_same_rows_and_a_new_name_a_new_row():
    from plain_gateway.types import Tenant
    from portal.support.presentation import thread_rows

    threads = [
        make_thread(tenant=Tenant(id="te_1", external_id="acme", name="Acme")),
        make_thread(id="th_01JAAAAAAAAAAAAAAAAAAAAAA2", title="Second", status="DONE"),
    ]

    first = thread_rows(threads, organization_names=None)
    again = thread_rows(threads, organization_names=None)
    named = thread_rows(threads, organization_names={"acme": "Acme Inc"})
    equal_copy = thread_rows([make_thread(tenant=threads[0].tenant)], organization_names=None)

    assert all(a is b for a, b in zip(first, again, strict=True))
    assert (named[0].organization_name, first[0].organization_name) == ("Acme Inc", None)
    assert named[0] is not first[0]
    assert [row.status for row in first] == ["Waiting for support", "Resolved"]
    # Another object with the same content is another row (nothing is keyed by content).
    assert equal_copy[0] is not first[0] and equal_copy[0] == first[0]


class _RowReader(HTMLParser):
    """Each element's class and its own text, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, list[str]]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        texts: list[str] = []
        self.found.append((tag, dict(attrs).get("class") or "", texts))
        self._open.append(texts)

    def handle_endtag(self, tag):
        self._open.pop()

    def handle_data(self, data):
        if self._open and data.strip():
            self._open[-1].append(data.strip())


def _read_row(html: str) -> dict[str, str]:
    reader = _RowReader()
    reader.feed(html)
    reader.close()
    return {f"{tag}.{cls}": " ".join(texts) for tag, cls, texts in reader.found}


def test_a_kept_row_still_shows_its_unread_mark_and_time_as_of_now(monkeypatch):
    from django.utils import timezone

    from portal.support.presentation import thread_rows
    from portal.support.templatetags.support_tags import thread_rows as thread_rows_tag

    (row,) = thread_rows([make_thread(title="<b>Hi</b>")], organization_names=None)
    monkeypatch.setattr(timezone, "now", lambda: T0 + timedelta(minutes=5))
    read = _read_row(thread_rows_tag([row], set()))
    monkeypatch.setattr(timezone, "now", lambda: T0 + timedelta(hours=3))
    unread = _read_row(thread_rows_tag([row], {THREAD_ID}))

    assert read["time."] == "5 minutes ago"
    assert "li.thread-row" in read and "span.badge badge--new" not in read
    assert unread["time."] == "3 hours ago"
    assert "li.thread-row thread-row--unread" in unread
    assert unread["span.badge badge--new"] == "New reply"
    assert unread["a.thread-row__title"] == "<b>Hi</b>"  # text, escaped in the markup
    assert "b." not in unread
