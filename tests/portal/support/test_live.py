"""Pages that stay live (portal/support/live.py, portal/activity): the checks for news that open
pages poll, the activity stamp and the unread marks the webhooks set.

Everything runs for real: an agent answers through the emulator's API with their own key, the
emulator delivers the webhook to the portal in-process, the inbox applies it (eager outbox
task), and the pages and checks are read through Django's test client. Calls to Plain are
counted with the emulator's request log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.urls import reverse

import portal.plain
from plain_gateway import PlainClient
from portal.activity.models import ThreadActivity, UnreadThread
from portal.tenancy.models import Membership
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import target_ensure

pytestmark = pytest.mark.django_db

# --- reading what the pages say --------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Tree(HTMLParser):
    """Every element of a page with its attributes and all the text inside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.text_parts.append(data)


def parse(html: bytes | str) -> list[Element]:
    tree = _Tree()
    tree.feed(html.decode() if isinstance(html, bytes) else html)
    tree.close()
    return tree.elements


def by_id(html: bytes | str, element_id: str) -> Element | None:
    return next((e for e in parse(html) if e.attrs.get("id") == element_id), None)


def poll_url(html: bytes | str, element_id: str) -> str:
    poller = by_id(html, element_id)
    assert poller is not None, f"no #{element_id} in the page"
    assert "every" in poller.attrs["hx-trigger"]
    return poller.attrs["hx-get"]


def unread_titles(html: bytes | str) -> list[str]:
    """The titles of the list's rows that carry the "New reply" badge."""
    elements = parse(html)
    titles = []
    for index, element in enumerate(elements):
        if element.tag == "li" and "thread-row--unread" in element.classes:
            title = next(e for e in elements[index:] if "thread-row__title" in e.classes)
            assert "New reply" in element.text
            titles.append(title.text)
    return titles


# --- making news -------------------------------------------------------------------------------


@pytest.fixture
def webhooks(db, settings, plain):
    """The portal's webhook target in the emulator; the secret read from the emulator."""
    settings.PLAIN_HMAC_SECRET = ""
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    target_ensure()


@pytest.fixture
def deliver(emulator_control, django_capture_on_commit_callbacks):
    """deliver(): the emulator delivers what is due and the inbox applies it, now."""

    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            delivered = emulator_control.deliver_webhooks()
        assert all(a["status"] == "SUCCESSFUL_RESPONSE" for a in delivered), delivered

    return run


@pytest.fixture
def agent(emulator_control, plain):
    """A human agent with their own key, talking to the same emulator."""
    key = emulator_control.add_agent(full_name="Sam Agent", public_name="Sam")
    client = PlainClient(api_key=key, url=plain.url, transport=portal.plain._embedded_transport())
    yield client
    client.close()


@pytest.fixture
def thread(webhooks, alice, acme, make_thread, deliver):
    made = make_thread(user=alice, organization=acme, title="Export fails")
    deliver()  # the portal's own thread_created comes back as an echo
    return made


def _agent_says(agent, thread, text: str) -> None:
    agent.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text=text)


def _seen(client, thread) -> bytes:
    """Open the thread page (so it is seen, and its organisation recorded): its HTML."""
    response = client.get(reverse("support:thread_detail", args=[thread.id]))
    assert response.status_code == 200
    return response.content


# --- the thread page's check ------------------------------------------------------------------


def test_a_check_with_no_news_answers_from_our_database_without_asking_plain(
    alice_client, thread, emulator_control
):
    url = poll_url(_seen(alice_client, thread), "thread-live")
    emulator_control.clear_requests()

    polled = alice_client.get(url, headers={"HX-Request": "true"})
    assert (polled.status_code, polled.content) == (204, b"")
    etag = polled["ETag"]
    conditional = alice_client.get(
        reverse("support:thread_live", args=[thread.id]), headers={"If-None-Match": etag}
    )
    assert (conditional.status_code, conditional.content) == (304, b"")
    assert "no-cache" in conditional["Cache-Control"] and "private" in conditional["Cache-Control"]
    assert emulator_control.requests() == []


def test_an_agent_reply_delivered_by_webhook_is_rendered_by_the_next_check(
    alice_client, thread, agent, deliver, emulator_control
):
    url = poll_url(_seen(alice_client, thread), "thread-live")
    _agent_says(agent, thread, "We found the cause: a timeout.")
    deliver()

    emulator_control.clear_requests()
    response = alice_client.get(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert len(emulator_control.requests()) >= 1  # the new entries are read from Plain
    timeline = by_id(response.content, "timeline")
    assert timeline is not None and timeline.attrs["hx-swap-oob"] == "innerHTML"
    assert "We found the cause: a timeout." in timeline.text
    header = by_id(response.content, "thread-header")
    assert header is not None and header.attrs["hx-swap-oob"] == "true"
    # The reply form is not part of the answer: what the customer types is not swapped.
    tags = {e.tag for e in parse(response.content)}
    assert "textarea" not in tags and by_id(response.content, "reply") is None
    # The new poller carries the new version: the next check finds nothing new.
    next_url = poll_url(response.content, "thread-live")
    assert next_url != url
    emulator_control.clear_requests()
    assert alice_client.get(next_url, headers={"HX-Request": "true"}).status_code == 204
    assert emulator_control.requests() == []


def test_a_status_change_by_support_reaches_the_open_page(
    alice_client, thread, agent, deliver, plain
):
    url = poll_url(_seen(alice_client, thread), "thread-live")
    agent.mark_thread_as_done(thread_id=thread.id)
    deliver()

    response = alice_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    header = by_id(response.content, "thread-header")
    assert header is not None
    assert "Reopen" in header.text  # the header now offers what a resolved thread offers


# --- access -----------------------------------------------------------------------------------


def test_the_check_decides_access_from_our_database_on_every_call(
    client, alice_client, alice, acme, carol, thread, emulator_control
):
    url = poll_url(_seen(alice_client, thread), "thread-live")
    emulator_control.clear_requests()
    never_recorded = reverse("support:thread_live", args=["th_01JAAAAAAAAAAAAAAAAAAAAAAA"])
    assert alice_client.get(never_recorded).status_code == 404

    # Alice leaves Acme: the very URL she polled is the same 404 as an unknown thread.
    Membership.objects.filter(user=alice, organization=acme).delete()
    assert alice_client.get(url).status_code == 404

    client.force_login(carol)  # another organisation
    assert client.get(url).status_code == 404
    assert emulator_control.requests() == []


def test_the_check_asks_for_a_login(client, thread):
    response = client.get(reverse("support:thread_live", args=[thread.id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- unread state ------------------------------------------------------------------------------


def _unread(user) -> set[str]:
    return set(UnreadThread.objects.filter(user=user).values_list("thread_id", flat=True))


def test_news_from_support_marks_the_thread_unread_for_members_until_each_views_it(
    client, alice_client, alice, bob, carol, thread, agent, deliver
):
    _seen(alice_client, thread)
    _agent_says(agent, thread, "Could you send us the file?")
    deliver()
    assert (_unread(alice), _unread(bob), _unread(carol)) == ({thread.id}, {thread.id}, set())

    _seen(alice_client, thread)
    assert (_unread(alice), _unread(bob)) == (set(), {thread.id})

    client.force_login(bob)
    listing = client.get(reverse("support:thread_list"))
    assert unread_titles(listing.content) == ["Export fails"]
    _seen(client, thread)
    assert unread_titles(client.get(reverse("support:thread_list")).content) == []


def test_a_customers_own_reply_marks_it_unread_for_colleagues_not_for_themselves(
    alice_client, alice, bob, thread, deliver
):
    _seen(alice_client, thread)
    version = ThreadActivity.objects.get(thread_id=thread.id).version
    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Here it is."}
    )
    assert response.status_code == 302
    deliver()  # the portal's reply comes back as an echo

    assert (_unread(alice), _unread(bob)) == (set(), {thread.id})
    # The echo still moves the stamp: Bob's open page shows Alice's reply.
    assert ThreadActivity.objects.get(thread_id=thread.id).version > version


def test_resolving_from_the_portal_marks_no_one(alice_client, alice, bob, thread, deliver):
    _seen(alice_client, thread)
    response = alice_client.post(reverse("support:thread_resolve", args=[thread.id]))
    assert response.status_code == 302
    deliver()
    assert (_unread(alice), _unread(bob)) == (set(), set())


# --- the list's check ------------------------------------------------------------------------


def test_the_list_check_is_204_until_news_then_the_list_with_its_new_reply_badge(
    client, bob, alice_client, thread, agent, deliver, emulator_control
):
    _seen(alice_client, thread)  # the thread's organisation is recorded
    client.force_login(bob)
    url = poll_url(client.get(reverse("support:thread_list")).content, "list-live")
    emulator_control.clear_requests()
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 204
    assert emulator_control.requests() == []

    _agent_says(agent, thread, "Fixed in the latest release.")
    deliver()
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert by_id(response.content, "thread-list") is not None
    assert unread_titles(response.content) == ["Export fails"]
    next_url = poll_url(response.content, "list-live")
    assert client.get(next_url, headers={"HX-Request": "true"}).status_code == 204


def test_an_internal_note_is_no_news(settings, alice_client, alice, bob, thread, agent, deliver):
    # The portal does not subscribe to notes; were it to, they would still be no news.
    settings.PLAIN_WEBHOOK_EVENT_TYPES = [
        *settings.PLAIN_WEBHOOK_EVENT_TYPES,
        "thread.note_created",
    ]
    target_ensure()
    _seen(alice_client, thread)
    version = ThreadActivity.objects.get(thread_id=thread.id).version
    agent.create_note(customer_id=thread.customer.id, thread_id=thread.id, text="Internal only")
    deliver()
    assert InboxEvent.objects.filter(
        event_type="thread.note_created", thread_id=thread.id, status="done"
    ).exists()
    assert ThreadActivity.objects.get(thread_id=thread.id).version == version
    assert (_unread(alice), _unread(bob)) == (set(), set())


def test_the_list_news_counts_the_users_organisations_and_their_own_unread_marks_only(
    alice, bob, acme, globex, django_assert_num_queries
):
    from portal.support.live import thread_list_news

    Membership.objects.create(user=alice, organization=globex)
    ThreadActivity.objects.create(thread_id="th_acme", organization=acme, version=3)
    ThreadActivity.objects.create(thread_id="th_globex", organization=globex, version=4)
    UnreadThread.objects.create(user=alice, thread_id="th_acme", organization=acme)
    UnreadThread.objects.create(user=bob, thread_id="th_bobs", organization=acme)

    with django_assert_num_queries(2):  # the memberships, then the news
        news = thread_list_news(user=alice)

    assert news.unread_ids == frozenset({"th_acme"})
    # Bob is in Acme only: Globex's stamp is not his news, and he has no marks of Alice's.
    bobs = thread_list_news(user=bob)
    assert bobs.unread_ids == frozenset({"th_bobs"})
    assert bobs.version.split(".")[1] == "3"
    # With no unread marks the stamps still count, and a new stamp changes the token.
    UnreadThread.objects.filter(user=alice).delete()
    before = thread_list_news(user=alice)
    assert before.unread_ids == frozenset() and before.version.split(".")[1] == "7"
    ThreadActivity.objects.filter(thread_id="th_globex").update(version=5)
    assert thread_list_news(user=alice).version != before.version


def test_the_activity_peek_reads_the_stamp_its_organisation_and_the_users_unread_mark(
    alice, bob, acme
):
    from portal.support import live

    assert live.thread_activity_peek(user=alice, thread_id="th_peek") is None
    ThreadActivity.objects.create(thread_id="th_peek", organization=acme, version=7)
    UnreadThread.objects.create(user=alice, thread_id="th_peek", organization=acme)

    assert live.thread_activity_peek(user=alice, thread_id="th_peek") == live.ActivityPeek(
        version=7, organization_id=acme.pk, unread=True
    )
    assert live.thread_activity_peek(user=bob, thread_id="th_peek") == live.ActivityPeek(
        version=7, organization_id=acme.pk, unread=False
    )
