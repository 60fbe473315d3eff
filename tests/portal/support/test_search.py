"""Search and the organisation filter on the thread list (`/threads/?q=&org=`), and each row's
preview line (portal/support/search.py, selectors.thread_list_for_user).

The emulator runs in its worst case throughout: its searchThreads matches internal notes (the
default, checked below), so any search that went through it would leak them. The portal's own
index holds only what the thread page shows.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

import portal.plain
from portal.support import search
from portal.support.models import SearchText, SearchThread
from tests.factories import MembershipFactory
from tests.portal.support.pages import elements, link_hrefs, page_text, without_tokens
from tests.portal.support.test_cache import (  # noqa: F401  (fixtures)
    _calls,
    _texts,
    _titles,
    agent,
    deliver,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = "/threads/"

SEARCH_THREADS = """
query($term: String!) {
  searchThreads(searchQuery: {term: $term}, first: 25) { edges { node { thread { id } } } }
}
"""


def _graphql(plain, settings, query: str, **variables):
    """A query of our own to the test's emulator (the portal's embedded one), with its key."""
    with httpx.Client(transport=portal.plain._embedded_transport()) as http:
        response = http.post(
            plain.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {settings.PLAIN_API_KEY}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


MOVE = """
mutation($input: UpdateThreadTenantInput!) { updateThreadTenant(input: $input) { thread { id } } }
"""


def _search(client, term: str, **params: str):
    return client.get(LIST, {"q": term, **params})


def _previews(response) -> list[str]:
    return _texts(page_text(response), "thread-row__preview")


def _same_page(one, other, *, terms: tuple[str, str]) -> None:
    """The two pages are the same, but for the term each echoes back."""
    first = without_tokens(page_text(one)).replace(terms[0], "TERM")
    second = without_tokens(page_text(other)).replace(terms[1], "TERM")
    assert first == second


@pytest.fixture
def opened(alice, acme, make_thread, alice_client):
    """A thread of Alice's, its page read once (which indexes what it shows)."""
    thread = make_thread(
        user=alice, organization=acme, title="Printer on fire", text="Smoke from tray two."
    )
    alice_client.get(reverse("support:thread_detail", args=[thread.id]))
    return thread


def _view(client, thread) -> None:
    response = client.get(reverse("support:thread_detail", args=[thread.id]))
    assert response.status_code == 200


# --- never a match on what the customer cannot see ------------------------------------------


def test_a_word_only_in_an_internal_note_finds_nothing_and_the_page_is_that_of_no_match(
    alice_client, plain, settings, emulator_control, opened
):
    plain.create_note(
        customer_id=opened.customer.id, thread_id=opened.id, text="Refund via quuxbarzle only."
    )
    _view(alice_client, opened)
    # The worst case is on: Plain's own search would have found the thread by the note.
    assert emulator_control.search_matches_notes()
    found = _graphql(plain, settings, SEARCH_THREADS, term="quuxbarzle")["searchThreads"]["edges"]
    assert [edge["node"]["thread"]["id"] for edge in found] == [opened.id]

    note_only, note_calls = _calls(emulator_control, lambda: _search(alice_client, "quuxbarzle"))
    nothing, nothing_calls = _calls(emulator_control, lambda: _search(alice_client, "zorblatts"))

    assert note_only.status_code == nothing.status_code == 200
    assert _titles(note_only) == []
    # No count, no "more" link, no different word: the same page as a word nobody wrote.
    _same_page(note_only, nothing, terms=("quuxbarzle", "zorblatts"))
    # And no call to Plain for either, so nothing in between depends on what Plain matched.
    assert note_calls == nothing_calls == []
    # The visible words of the same thread do find it.
    assert _titles(_search(alice_client, "tray two")) == ["Printer on fire"]


def test_bcc_addresses_and_internal_discussions_never_match(
    alice_client,
    alice,
    emulator_control,
    agent,  # noqa: F811
    deliver,  # noqa: F811
    opened,
):
    emulator_control.inbound_email(
        from_email=alice.email,
        subject="More smoke",
        text="It is getting worse.",
        thread_id=opened.id,
        bcc=["hush-zeppelin@partner.test"],
    )
    emulator_control.inbound_email(
        from_email=alice.email,
        subject="Escalation",
        text="Internal: blame the flibbertigibbet supplier.",
        thread_id=opened.id,
        category="THREAD_DISCUSSION",
    )
    deliver()  # the email events index the thread's newest page again

    assert _titles(_search(alice_client, "getting worse")) == ["Printer on fire"]
    assert _titles(_search(alice_client, "hush-zeppelin")) == []
    assert _titles(_search(alice_client, "flibbertigibbet")) == []
    stored = " ".join(SearchText.objects.values_list("folded", flat=True))
    assert "hush-zeppelin" not in stored
    assert "flibbertigibbet" not in stored


def test_another_organisations_thread_is_never_found(
    alice_client, carol, globex, make_thread, opened
):
    theirs = make_thread(user=carol, organization=globex, title="Globex secret gizmo")
    carol_client = Client()
    carol_client.force_login(carol)
    _view(carol_client, theirs)
    assert _titles(_search(carol_client, "gizmo")) == ["Globex secret gizmo"]

    assert _titles(_search(alice_client, "gizmo")) == []
    assert _titles(_search(alice_client, "printer")) == ["Printer on fire"]


def test_a_thread_moved_to_another_tenant_is_not_found_even_while_the_index_lags(
    alice_client, plain, settings, opened
):
    # The index still says Acme (no event was applied); Plain's answer, filtered by Alice's
    # tenants, has the last word.
    _graphql(plain, settings, MOVE, input={"threadId": opened.id, "tenantIdentifier": None})
    assert SearchThread.objects.get(thread_id=opened.id).tenant_external_id.endswith("acme")
    assert _titles(_search(alice_client, "printer")) == []


# --- finding what the customer can see -------------------------------------------------------


def test_an_agents_reply_is_searchable_without_anyone_opening_the_thread(
    alice_client,
    alice,
    acme,
    make_thread,
    agent,  # noqa: F811
    deliver,  # noqa: F811
):
    thread = make_thread(user=alice, organization=acme, title="Broken hinge")
    deliver()
    agent(thread, "Replacement hinge ships Tuesday.\nTracking to follow.", deliver=deliver)

    response = _search(alice_client, "TUESDAY")
    assert _titles(response) == ["Broken hinge"]
    assert _previews(response) == ["Replacement hinge ships Tuesday."]


def test_every_word_must_appear_somewhere_in_the_thread(alice_client, opened):
    assert _titles(_search(alice_client, "printer smoke")) == ["Printer on fire"]
    assert _titles(_search(alice_client, "printer toaster")) == []


def test_search_keeps_to_the_status_tab(alice_client, plain, opened):
    plain.mark_thread_as_done(thread_id=opened.id)
    assert _titles(_search(alice_client, "printer")) == []  # the open tab
    assert _titles(_search(alice_client, "printer", status="done")) == ["Printer on fire"]
    assert _titles(_search(alice_client, "printer", status="all")) == ["Printer on fire"]


def test_a_title_on_the_list_is_searchable_before_the_thread_is_opened(
    alice_client, alice, acme, make_thread
):
    make_thread(user=alice, organization=acme, title="Quarterly invoice missing")
    alice_client.get(LIST)
    assert _titles(_search(alice_client, "invoice")) == ["Quarterly invoice missing"]


def test_a_term_too_short_says_so_and_asks_plain_no_search(alice_client, emulator_control, opened):
    response, calls = _calls(emulator_control, lambda: _search(alice_client, "p"))
    html = page_text(response)
    assert response.status_code == 200
    assert _texts(html, "list-search__error") == ["Type at least 2 characters to search."]
    assert [e.get("aria-invalid") for e in elements(html, "input") if e.get("name") == "q"] == [
        "true"
    ]
    assert _titles(response) == ["Printer on fire"]  # the list as without a term
    assert calls in ([], ["threads"])


def test_links_on_a_search_page_keep_the_search(alice_client, opened):
    html = page_text(_search(alice_client, "printer", status="all"))
    tabs = [href for href in link_hrefs(html) if "status=" in href and "q=" in href]
    assert {parse_qs(urlsplit(href).query)["status"][0] for href in tabs} >= {"open", "done", "all"}
    poller = [
        e["hx-get"] for e in elements(html, "p") if e.get("id") == "list-live" and "hx-get" in e
    ]
    assert len(poller) == 1
    assert parse_qs(urlsplit(poller[0]).query)["q"] == ["printer"]


def test_the_live_check_of_a_search_answers_with_the_search(alice_client, opened):
    url = reverse("support:thread_list_live")
    response = alice_client.get(url, {"status": "open", "q": "nomatchhere"}, **HTMX)
    assert response.status_code == 200
    assert _titles(response) == []
    response = alice_client.get(url, {"status": "open", "q": "printer"}, **HTMX)
    assert _titles(response) == ["Printer on fire"]


def test_hostile_terms_are_escaped_and_never_an_error(alice_client, opened):
    for term in ("<script>alert(1)</script>", "%_", "' OR 1=1 --", "x" * 1500):
        response = _search(alice_client, term)
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in page_text(response)
    assert _titles(_search(alice_client, "%_")) == []


# --- the organisation filter ------------------------------------------------------------------


@pytest.fixture
def two_orgs(alice, acme, globex, make_thread, alice_client):
    MembershipFactory(user=alice, organization=globex)
    acme_thread = make_thread(user=alice, organization=acme, title="Acme printer")
    globex_thread = make_thread(user=alice, organization=globex, title="Globex printer")
    return acme_thread, globex_thread


def test_the_organisation_filter_lists_one_of_the_users_organisations(alice_client, two_orgs):
    assert sorted(_titles(alice_client.get(LIST))) == ["Acme printer", "Globex printer"]
    assert _titles(alice_client.get(LIST, {"org": "acme"})) == ["Acme printer"]
    assert _titles(alice_client.get(LIST, {"org": "globex"})) == ["Globex printer"]
    assert _titles(_search(alice_client, "printer", org="globex")) == ["Globex printer"]
    assert sorted(_titles(_search(alice_client, "printer"))) == ["Acme printer", "Globex printer"]


def test_the_filter_is_offered_only_to_members_of_several_organisations(
    alice_client, alice, globex, opened
):
    assert [e for e in elements(page_text(alice_client.get(LIST)), "select")] == []
    MembershipFactory(user=alice, organization=globex)
    selects = elements(page_text(alice_client.get(LIST)), "select")
    assert [s.get("name") for s in selects] == ["org"]


def test_another_organisations_slug_is_the_same_404_as_a_slug_that_does_not_exist(
    alice_client, globex, opened
):
    foreign = alice_client.get(LIST, {"org": globex.slug})
    unknown = alice_client.get(LIST, {"org": "no-such-org"})
    assert foreign.status_code == unknown.status_code == 404
    assert without_tokens(page_text(foreign)) == without_tokens(page_text(unknown))


# --- the preview line ---------------------------------------------------------------------------


def test_the_preview_is_the_first_line_of_the_newest_visible_message_never_a_note(
    alice_client,
    plain,
    emulator_control,
    agent,  # noqa: F811
    deliver,  # noqa: F811
    opened,
):
    deliver()
    agent(opened, "\n  We are on our way.  \nBring a bucket.", deliver=deliver)
    plain.create_note(customer_id=opened.customer.id, thread_id=opened.id, text="Secret note")
    _view(alice_client, opened)

    response, calls = _calls(emulator_control, lambda: alice_client.get(LIST))
    assert _previews(response) == ["We are on our way."]
    assert calls == ["threads"]  # one call for the page, none per row


def test_the_preview_shows_words_without_markdown_marks(
    alice_client,
    agent,  # noqa: F811
    deliver,  # noqa: F811
    opened,
):
    deliver()
    agent(opened, "Set *Audience URI* to `https://app.test/saml` &amp; retry.", deliver=deliver)
    expected = "Set Audience URI to https://app.test/saml & retry."
    assert _previews(alice_client.get(LIST)) == [expected]


def test_a_thread_opened_in_the_portal_previews_its_first_message(alice_client, opened):
    assert _previews(alice_client.get(LIST)) == ["Smoke from tray two."]


def test_reading_an_earlier_page_never_rolls_the_preview_back(
    plain,
    agent,  # noqa: F811
    deliver,  # noqa: F811
    opened,
):
    deliver()
    agent(opened, "Newest words.", deliver=deliver)
    assert SearchThread.objects.get(thread_id=opened.id).preview == "Newest words."
    # Only the first entry, as "show earlier" reads an older page.
    earlier = plain.thread(thread_id=opened.id, first=1)
    assert earlier is not None
    search.search_index_found(found=earlier)
    assert SearchThread.objects.get(thread_id=opened.id).preview == "Newest words."


def test_hostile_text_in_a_preview_is_escaped(alice, acme, make_thread, alice_client):
    thread = make_thread(user=alice, organization=acme, text='<img src=x onerror="alert(1)">')
    _view(alice_client, thread)
    html = page_text(alice_client.get(LIST))
    assert not re.search(r"<img src=x", html)
    assert _previews(alice_client.get(LIST)) == ['<img src=x onerror="alert(1)">']


# --- filling the index for threads from before it listened ----------------------------------


def test_rebuild_indexes_what_no_page_read_and_no_event_announced(
    alice_client, alice, acme, make_thread, plain
):
    thread = make_thread(user=alice, organization=acme, title="Old thread", text="Ancient words.")
    plain.create_note(customer_id=thread.customer.id, thread_id=thread.id, text="Hidden words.")
    assert _titles(_search(alice_client, "ancient")) == []

    out = io.StringIO()
    call_command("search_index", "--rebuild", stdout=out)

    assert out.getvalue().strip() == "Indexed 1 threads."
    assert _titles(_search(alice_client, "ancient")) == ["Old thread"]
    assert _titles(_search(alice_client, "hidden")) == []
