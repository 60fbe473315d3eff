"""The support pages end to end: Django's test client, the real gateway client, the emulator."""

from __future__ import annotations

import logging

import httpx
import pytest
from django.urls import reverse

from portal.support.models import Submission
from portal.support.selectors import PAGE_SIZE
from portal.tenancy.services import plain_customer_ensure
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.support.conftest import org_in_plain
from tests.portal.support.pages import input_value, link_hrefs, page_text, textarea_value

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def plain_calls(emulator_control) -> list[str]:
    return [request["operationName"] for request in emulator_control.requests()]


# --- the list -------------------------------------------------------------------------------------


def test_list_shows_the_threads_of_the_users_organisation_only(
    alice_client, alice, carol, acme, globex, make_thread
):
    make_thread(user=alice, organization=acme, title="Acme invoice wrong", priority=0)
    make_thread(user=carol, organization=globex, title="Globex secret outage")

    response = alice_client.get(reverse("support:thread_list"))

    html = page_text(response)
    assert response.status_code == 200
    assert "Acme invoice wrong" in html
    assert "Urgent" in html
    assert "Opened by Alice Archer" in html
    assert "Globex secret outage" not in html


def test_list_is_one_call_to_plain_filtered_by_every_tenant_of_the_user(
    client, plain, emulator_control, acme, globex, make_thread
):
    both = UserFactory(full_name="Dana Dual")
    MembershipFactory(user=both, organization=acme)
    MembershipFactory(user=both, organization=globex)
    make_thread(user=both, organization=acme, title="From Acme")
    make_thread(user=both, organization=globex, title="From Globex")
    client.force_login(both)
    emulator_control.clear_requests()

    response = client.get(reverse("support:thread_list"))

    requests = emulator_control.requests()
    assert [r["operationName"] for r in requests] == ["threads"]
    tenants = requests[0]["variables"]["filters"]["tenantIdentifiers"]
    assert sorted(t["externalId"] for t in tenants) == ["org-acme", "org-globex"]
    html = page_text(response)
    # Several organisations: each row says which one it belongs to.
    assert "From Acme" in html and "From Globex" in html
    assert '<span class="org">Acme</span>' in html
    assert '<span class="org">Globex</span>' in html


def test_list_names_no_organisation_on_rows_for_a_single_organisation_user(
    alice_client, alice, acme, make_thread
):
    make_thread(user=alice, organization=acme, title="Only Acme")

    html = page_text(alice_client.get(reverse("support:thread_list")))

    assert "Only Acme" in html
    assert 'class="org"' not in html


def test_tabs_split_open_done_and_all(alice_client, alice, acme, plain, make_thread):
    todo = make_thread(user=alice, organization=acme, title="Still broken")
    snoozed = make_thread(user=alice, organization=acme, title="Snoozed one")
    done = make_thread(user=alice, organization=acme, title="Fixed already")
    plain.snooze_thread(thread_id=snoozed.id, duration_seconds=3600)
    plain.mark_thread_as_done(thread_id=done.id)
    url = reverse("support:thread_list")

    open_tab = page_text(alice_client.get(url))
    default_is_open = page_text(alice_client.get(url + "?status=nonsense"))
    done_tab = page_text(alice_client.get(url + "?status=done"))
    all_tab = page_text(alice_client.get(url + "?status=all"))

    assert todo.title in open_tab and snoozed.title in open_tab
    assert done.title not in open_tab
    assert done.title not in default_is_open and todo.title in default_is_open
    assert done.title in done_tab and "Resolved" in done_tab
    assert todo.title not in done_tab and snoozed.title not in done_tab
    assert all(t.title in all_tab for t in (todo, snoozed, done))


def test_list_orders_by_most_recent_activity(alice_client, alice, acme, make_thread):
    make_thread(user=alice, organization=acme, title="First opened")
    make_thread(user=alice, organization=acme, title="Second opened")

    html = page_text(alice_client.get(reverse("support:thread_list")))

    assert html.index("Second opened") < html.index("First opened")


def test_list_pages_forwards_and_backwards(alice_client, alice, acme, make_thread):
    titles = [f"Request number {i:02d}" for i in range(PAGE_SIZE + 5)]
    for title in titles:
        make_thread(user=alice, organization=acme, title=title)
    newest_first = list(reversed(titles))
    url = reverse("support:thread_list")

    first = page_text(alice_client.get(url))
    assert [t for t in newest_first if t in first] == newest_first[:PAGE_SIZE]
    assert link_hrefs(first, rel="prev") == []
    (older,) = link_hrefs(first, rel="next")
    assert "after=" in older

    second = page_text(alice_client.get(older))
    assert [t for t in newest_first if t in second] == newest_first[PAGE_SIZE:]
    assert link_hrefs(second, rel="next") == []
    (newer,) = link_hrefs(second, rel="prev")
    assert "before=" in newer

    back = page_text(alice_client.get(newer))
    assert [t for t in newest_first if t in back] == newest_first[:PAGE_SIZE]


def test_list_tab_and_page_links_answer_htmx_with_the_list_partial(
    alice_client, alice, acme, make_thread
):
    make_thread(user=alice, organization=acme, title="Partial please")

    response = alice_client.get(reverse("support:thread_list") + "?status=all", **HTMX)

    html = page_text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="thread-list"')
    assert "<html" not in html
    assert "Partial please" in html
    assert "HX-Request" in response["Vary"]


def test_list_status_words_say_whose_turn_it_is(alice_client, alice, acme, plain, make_thread):
    waiting_for_you = make_thread(user=alice, organization=acme, title="Support answered")
    plain.send_chat(
        customer_id=plain_customer_ensure(user=alice),
        thread_id=waiting_for_you.id,
        text="Have you tried turning it off?",
    )
    waiting_for_support = make_thread(user=alice, organization=acme, title="Customer wrote")
    plain.reply_to_thread(
        thread_id=waiting_for_support.id,
        text="Any news?",
        as_customer_id=plain_customer_ensure(user=alice),
    )

    html = page_text(alice_client.get(reverse("support:thread_list")))

    def row_of(title: str) -> str:
        start = html.index(title)
        return html[start : html.index("</li>", start)]

    assert "Waiting for you" in row_of("Support answered")
    assert "Waiting for support" in row_of("Customer wrote")


def test_a_user_without_organisation_sees_the_explanation_and_plain_is_not_called(
    client, emulator_control
):
    loner = UserFactory(email="loner@example.test")
    client.force_login(loner)
    emulator_control.clear_requests()

    list_page = client.get(reverse("support:thread_list"))
    create_page = client.get(reverse("support:thread_create"))

    for response in (list_page, create_page):
        assert response.status_code == 200
        assert "not part of an organisation" in page_text(response)
    assert plain_calls(emulator_control) == []


def test_pages_need_a_login(client):
    response = client.get(reverse("support:thread_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_root_leads_to_the_thread_list(alice_client):
    response = alice_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("support:thread_list")


# --- the thread page ------------------------------------------------------------------------------


def test_thread_page_shows_the_thread_and_its_timeline_oldest_first(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(
        user=alice,
        organization=acme,
        title="VPN drops",
        text="It drops **every** hour.",
        priority=1,
    )
    plain.send_chat(
        customer_id=plain_customer_ensure(user=alice), thread_id=thread.id, text="Which client?"
    )
    plain.reply_to_thread(
        thread_id=thread.id, text="The new one.", as_customer_id=plain_customer_ensure(user=alice)
    )
    emulator_control.clear_requests()

    response = alice_client.get(reverse("support:thread_detail", args=[thread.id]))

    html = page_text(response)
    assert response.status_code == 200
    assert plain_calls(emulator_control) == ["thread"]
    assert "<h1>VPN drops</h1>" in html
    # Plain's ref (T-1) numbers all the company's customers' threads: not shown (issue 15.11).
    assert thread.ref not in html
    assert "Priority: High" in html
    assert "Waiting for support" in html
    assert "Opened by Alice Archer" in html
    assert "<strong>every</strong>" in html
    assert html.index("every") < html.index("Which client?") < html.index("The new one.")
    assert '<span class="entry__author">Alice Archer</span>' in html
    assert "<time datetime=" in html and 'title="' in html


def test_thread_page_shows_emails_with_subject_from_to_and_cc(
    alice_client, alice, acme, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme, title="Email thread")
    emulator_control.inbound_email(
        from_email=alice.email,
        from_name="Alice Archer",
        subject="Logs attached",
        text="Here are the logs.",
        thread_id=thread.id,
        cc=[{"email": "manager@acme.test", "name": "Manager"}],
    )

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert "Logs attached" in html
    assert "Here are the logs." in html
    assert "alice@acme.test" in html
    assert "manager@acme.test" in html
    assert "<dt>CC</dt>" in html


def test_thread_page_shows_status_changes(alice_client, alice, acme, plain, make_thread):
    thread = make_thread(user=alice, organization=acme)
    plain.mark_thread_as_done(thread_id=thread.id)

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert "marked this as resolved" in html
    assert "Resolved" in html
    assert "Reopen" in html


def test_long_timeline_pages_with_show_earlier(alice_client, alice, acme, plain, make_thread):
    thread = make_thread(user=alice, organization=acme, title="Chatty", text="Message zero")
    customer_id = plain_customer_ensure(user=alice)
    for i in range(1, 60):
        plain.send_chat(customer_id=customer_id, thread_id=thread.id, text=f"Chat line {i:02d}")
    url = reverse("support:thread_detail", args=[thread.id])

    latest = page_text(alice_client.get(url))
    assert "Chat line 59" in latest
    assert "Message zero" not in latest
    (earlier,) = link_hrefs(latest, contains="before=")

    # Without JavaScript: a whole page of the earlier entries, with a way back to the latest.
    earlier_page = alice_client.get(earlier)
    earlier_html = page_text(earlier_page)
    assert earlier_page.status_code == 200
    assert "Message zero" in earlier_html
    assert "Chat line 59" not in earlier_html
    assert "Show the latest messages" in earlier_html

    # With htmx: only the earlier entries, to put in place of the link.
    partial = page_text(alice_client.get(earlier, **HTMX))
    assert "<html" not in partial
    assert "Message zero" in partial
    assert 'id="reply"' not in partial
    assert partial.index("Message zero") < partial.index("Chat line 01")


# --- opening a thread -----------------------------------------------------------------------------


def test_create_form_has_no_organisation_choice_for_one_organisation(alice_client):
    html = page_text(alice_client.get(reverse("support:thread_create")))

    assert 'name="title"' in html and 'name="message"' in html and 'name="priority"' in html
    assert 'name="organization"' not in html
    assert '<option value="2" selected>Normal</option>' in html


def test_create_opens_the_thread_for_the_user_in_the_organisations_tenant(
    alice_client, alice, acme, plain
):
    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "Cannot log in", "message": "Since *Monday*.", "priority": "1"},
    )

    assert response.status_code == 302
    thread_id = response["Location"].rstrip("/").split("/")[-1]
    found = plain.thread(thread_id=thread_id)
    assert found.thread.title == "Cannot log in"
    assert found.thread.priority == 1
    assert found.thread.tenant.external_id == acme.tenant_external_id
    alice.refresh_from_db()
    assert found.thread.customer.id == alice.plain_customer_id
    page = page_text(alice_client.get(response["Location"]))
    assert "Cannot log in" in page and "<em>Monday</em>" in page
    # The opening message is Alice's, though Plain records our API key's machine user for it.
    assert '<span class="entry__author">Alice Archer</span>' in page
    assert "Waiting for support" in page


def test_create_without_priority_is_normal(alice_client, alice, acme, plain):
    response = alice_client.post(
        reverse("support:thread_create"), {"title": "Plain question", "message": "Hello"}
    )

    thread_id = response["Location"].rstrip("/").split("/")[-1]
    assert plain.thread(thread_id=thread_id).thread.priority == 2


def test_create_with_several_organisations_asks_which_and_uses_it(client, plain, acme, globex):
    both = UserFactory()
    MembershipFactory(user=both, organization=acme)
    MembershipFactory(user=both, organization=globex)
    client.force_login(both)
    assert 'name="organization"' in page_text(client.get(reverse("support:thread_create")))

    response = client.post(
        reverse("support:thread_create"),
        {"title": "For Globex", "message": "Hi", "priority": "3", "organization": globex.pk},
    )

    thread_id = response["Location"].rstrip("/").split("/")[-1]
    assert plain.thread(thread_id=thread_id).thread.tenant.external_id == "org-globex"


def test_create_missing_fields_are_shown_beside_them_and_the_text_kept(
    alice_client, emulator_control
):
    emulator_control.clear_requests()

    response = alice_client.post(
        reverse("support:thread_create"), {"title": "", "message": "My long explanation"}
    )

    html = page_text(response)
    assert response.status_code == 200
    assert "This field is required." in html
    assert textarea_value(html, "message") == "My long explanation"
    assert "createThread" not in plain_calls(emulator_control)


# --- replying -------------------------------------------------------------------------------------


def test_reply_without_javascript_redirects_back_and_shows_the_message(
    alice_client, alice, acme, plain, make_thread
):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Still **on fire**."}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("support:thread_detail", args=[thread.id]) + "#reply"
    entries = plain.thread(thread_id=thread.id).timeline.items
    assert entries[-1].entry.text == "Still **on fire**."
    assert entries[-1].actor.kind == "customer"
    assert entries[-1].actor.id == plain_customer_ensure(user=alice)
    page = page_text(alice_client.get(response["Location"]))
    assert "<strong>on fire</strong>" in page
    assert "Your reply has been sent." in page


def test_reply_with_htmx_returns_the_new_message_and_an_empty_form(
    alice_client, alice, acme, plain, make_thread
):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Sent by htmx"}, **HTMX
    )

    html = page_text(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'hx-swap-oob="beforeend:#timeline"' in html
    assert "Sent by htmx" in html
    assert textarea_value(html, "text") == ""
    assert plain.thread(thread_id=thread.id).timeline.items[-1].entry.text == "Sent by htmx"


def test_reply_form_posts_with_and_without_javascript(alice_client, alice, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)
    reply_url = reverse("support:thread_reply", args=[thread.id])

    html = page_text(alice_client.get(reverse("support:thread_detail", args=[thread.id])))

    assert f'action="{reply_url}"' in html
    assert f'hx-post="{reply_url}"' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_an_empty_reply_is_refused_beside_the_field(alice_client, alice, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "   "}, **HTMX
    )

    assert response.status_code == 200
    assert "This field is required." in page_text(response)


# --- resolving and reopening ----------------------------------------------------------------------


def test_resolve_and_reopen_without_javascript(alice_client, alice, acme, plain, make_thread):
    thread = make_thread(user=alice, organization=acme)
    detail = reverse("support:thread_detail", args=[thread.id])

    resolved = alice_client.post(reverse("support:thread_resolve", args=[thread.id]))
    assert resolved.status_code == 302 and resolved["Location"] == detail
    assert plain.thread(thread_id=thread.id).thread.status == "DONE"

    reopened = alice_client.post(reverse("support:thread_reopen", args=[thread.id]))
    assert reopened.status_code == 302 and reopened["Location"] == detail
    assert plain.thread(thread_id=thread.id).thread.status == "TODO"


def test_resolve_with_htmx_returns_the_new_header(alice_client, alice, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)

    response = alice_client.post(reverse("support:thread_resolve", args=[thread.id]), **HTMX)

    html = page_text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<header id="thread-header"')
    assert "Resolved" in html
    assert reverse("support:thread_reopen", args=[thread.id]) in html


def test_status_routes_refuse_get(alice_client, alice, acme, make_thread):
    thread = make_thread(user=alice, organization=acme)

    for name in ("thread_reply", "thread_resolve", "thread_reopen"):
        assert alice_client.get(reverse(f"support:{name}", args=[thread.id])).status_code == 405


# --- Plain failing --------------------------------------------------------------------------------


SAVED = "Saved - we&#x27;ll send it as soon as our support system is reachable."


@pytest.mark.parametrize("status", [503, 429])
def test_reply_while_plain_fails_is_saved_and_says_so(
    alice_client, alice, acme, plain, emulator_control, make_thread, status
):
    # Since replies go through the outbox (tests/portal/support/test_submissions.py), a reply
    # Plain cannot take now is kept and sent later rather than handed back to the user.
    thread = make_thread(user=alice, organization=acme)
    plain_customer_ensure(user=alice)
    emulator_control.fail_next(count=10, status=status, retry_after_seconds=30)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "Please do not lose me"},
        follow=True,
    )

    html = page_text(response)
    assert response.status_code == 200
    assert "/threads/saved/" in response.redirect_chain[0][0]
    assert SAVED in html
    assert "Please do not lose me" in html
    emulator_control.clear_faults()
    assert all(
        getattr(item.entry, "text", None) != "Please do not lose me"
        for item in plain.thread(thread_id=thread.id).timeline.items
    )


def test_reply_with_htmx_while_plain_fails_swaps_the_form_back_with_the_text_saved(
    alice_client, alice, acme, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    plain_customer_ensure(user=alice)
    emulator_control.fail_next(count=10, status=503)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Keep me"}, **HTMX
    )

    html = page_text(response)
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert SAVED in html
    assert "Keep me" in html and "Waiting to be sent" in html


def test_reply_is_sent_when_plain_recovers_within_the_retries(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    emulator_control.fail_next(count=1, status=503)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]), {"text": "Second time lucky"}
    )

    assert response.status_code == 302
    assert plain.thread(thread_id=thread.id).timeline.items[-1].entry.text == "Second time lucky"


def test_create_while_plain_fails_keeps_what_was_typed(alice_client, emulator_control, alice):
    plain_customer_ensure(user=alice)
    emulator_control.fail_next(count=10, status=503)

    response = alice_client.post(
        reverse("support:thread_create"),
        {"title": "Important title", "message": "Important body", "priority": "0"},
        follow=True,
    )

    html = page_text(response)
    assert response.status_code == 200
    assert SAVED in html
    assert "Important title" in html and "Important body" in html


def test_create_refused_by_plain_shows_its_field_errors_and_keeps_the_text(
    client, plain, emulator_control
):
    # Zeta's tenant was never created in Plain, so createThread refuses its tenantIdentifier.
    acme = org_in_plain(plain, name="Acme", slug="acme")
    zeta = OrganizationFactory(name="Zeta", slug="zeta")
    user = UserFactory()
    MembershipFactory(user=user, organization=acme)
    MembershipFactory(user=user, organization=zeta)
    client.force_login(user)

    response = client.post(
        reverse("support:thread_create"),
        {"title": "Keep this", "message": "And this", "organization": zeta.pk},
    )

    html = page_text(response)
    assert response.status_code == 200
    assert "createThread" in plain_calls(emulator_control)
    assert input_value(html, "title") == "Keep this"
    assert textarea_value(html, "message") == "And this"
    # The error sits beside the organisation field, not only at the top of the form.
    field_start = html.index('name="organization"')
    group = html[html.rindex('<div class="field', 0, field_start) : field_start]
    assert 'class="errorlist' in group


def test_list_and_thread_pages_while_plain_fails_say_so_without_a_500(
    alice_client, alice, acme, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    emulator_control.fail_next(count=20, status=503)

    for url in (
        reverse("support:thread_list"),
        reverse("support:thread_detail", args=[thread.id]),
    ):
        response = alice_client.get(url)
        assert response.status_code == 503
        assert "Our support system is not answering right now" in page_text(response)


def test_resolve_while_plain_fails_says_so(
    alice_client, alice, acme, plain, emulator_control, make_thread
):
    thread = make_thread(user=alice, organization=acme)
    emulator_control.fail_next(count=10, status=503)

    plain_post = alice_client.post(reverse("support:thread_resolve", args=[thread.id]))
    htmx_post = alice_client.post(reverse("support:thread_resolve", args=[thread.id]), **HTMX)

    assert plain_post.status_code == 302
    assert htmx_post.status_code == 200
    assert htmx_post["HX-Retarget"] == "#flash"
    assert "Our support system is not answering right now" in page_text(htmx_post)
    emulator_control.clear_faults()
    assert plain.thread(thread_id=thread.id).thread.status == "TODO"


def test_reply_when_plain_times_out_is_kept_to_be_checked_and_sent(
    alice_client, alice, acme, make_thread, monkeypatch
):
    thread = make_thread(user=alice, organization=acme)
    plain_customer_ensure(user=alice)
    answer = httpx.WSGITransport.handle_request

    def slow_replies(transport, request):
        if b"replyToThread" in request.content:
            raise httpx.ReadTimeout("no answer", request=request)
        return answer(transport, request)

    monkeypatch.setattr(httpx.WSGITransport, "handle_request", slow_replies)

    response = alice_client.post(
        reverse("support:thread_reply", args=[thread.id]),
        {"text": "Did this arrive?"},
        follow=True,
    )

    # Kept, and sent again only if it did not arrive (test_submissions.py).
    html = page_text(response)
    assert SAVED in html
    assert "Did this arrive?" in html


def test_page_views_read_the_database_a_fixed_number_of_times(
    alice_client, alice, acme, make_thread, django_assert_num_queries
):
    # The user, the user's organisations (read once for the access check and the header), the
    # read cache's versions of what the page shows (portal/support/cache.py) and the user's
    # unsent submissions shown on the page. (No look for due submissions: a GET never delivers.)
    # Then the news state (portal/support/live.py): on the list, the news token and the unread
    # marks, in one query; on a thread, its activity stamp and unread mark, in one query. On the
    # list, the rows' previews from the search index (portal/support/search.py), in one query; a
    # thread page indexed as it is costs the index none.
    thread = make_thread(user=alice, organization=acme, title="Query budget")
    pages = {
        reverse("support:thread_list"): 4 + 1 + 1,
        reverse("support:thread_detail", args=[thread.id]): 4 + 1,
    }
    for url in pages:
        alice_client.get(url)  # the session is in the cache from here on

    for url, queries in pages.items():
        with django_assert_num_queries(queries):
            assert alice_client.get(url).status_code == 200


# --- a cursor Plain refuses is the user's mistake, not an outage --------------------------------

BAD_CURSOR = "not-a-cursor"


@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_bad_list_cursor_gets_the_first_page_logged_as_the_users_mistake(
    alice_client, alice, acme, make_thread, caplog, direction
):
    make_thread(user=alice, organization=acme, title="Still listed")
    Submission.objects.create(
        kind=Submission.Kind.THREAD,
        user=alice,
        organization=acme,
        payload={"title": "Waiting to go", "text": "Saved earlier"},
    )

    with caplog.at_level(logging.INFO):
        response = alice_client.get(reverse("support:thread_list"), {direction: BAD_CURSOR})

    assert response.status_code == 200
    assert "Still listed" in page_text(response)
    # The first page, with the requests waiting to be sent atop it.
    assert "Waiting to go" in page_text(response)
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert any(
        "cursor" in record.getMessage() and record.levelno == logging.INFO
        for record in caplog.records
    )
