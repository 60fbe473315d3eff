"""The read cache of thread lists and timelines (portal/support/cache.py): warm views ask Plain
nothing, webhooks and our own writes invalidate exactly what they touched, the access check runs
on every view, pages survive Plain being down, and HTML is compressed where that is safe."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils.cache import get_max_age

import portal.plain
from plain_gateway import PlainClient
from plain_gateway.webhooks import WebhookEvent
from portal.support import cache as read_cache
from portal.support.handlers import event_scopes
from portal.support.selectors import REQUEST_OPTIONS_CACHE_KEY
from portal.tenancy.models import Membership
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import target_ensure
from tests.plain_gateway import webhook_bodies as bodies
from tests.plain_gateway.webhook_bodies import encode, signed_headers
from tests.portal.support.pages import page_text, select_options
from tests.portal.support.test_structured import workspace  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


class _ByClass(HTMLParser):
    """The text of every element carrying a class (nested text included), by class."""

    VOID = frozenset({"br", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, list[str], list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self._open.append((tag, (dict(attrs).get("class") or "").split(), []))

    def handle_endtag(self, tag):
        while self._open:
            opened, classes, text = self._open.pop()
            for name in classes:
                self.texts.setdefault(name, []).append(" ".join("".join(text).split()))
            if self._open:
                self._open[-1][2].extend(text)
            if opened == tag:
                break

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)


def _texts(html: str, css_class: str) -> list[str]:
    parser = _ByClass()
    parser.feed(html)
    return parser.texts.get(css_class, [])


def _titles(response) -> list[str]:
    return [t for t in _texts(page_text(response), "thread-row__title") if t]


def _stale_notices(response) -> list[str]:
    return [t for t in _texts(page_text(response), "notice--stale") if t]


def _calls(emulator_control, view):
    """(response, the GraphQL operations Plain was asked for while `view()` ran)."""
    emulator_control.clear_requests()
    response = view()
    return response, [r["operationName"] for r in emulator_control.requests()]


@pytest.fixture
def urls(alice, acme, make_thread):
    thread = make_thread(user=alice, organization=acme, title="Printer on fire")
    return {
        "thread": thread,
        "list": reverse("support:thread_list"),
        "detail": reverse("support:thread_detail", args=[thread.id]),
    }


@pytest.fixture
def agent(emulator_control, settings, plain):
    """agent(thread, text): a human agent answers through Plain's API, and Plain's webhooks
    reach the portal and are applied (as on `make run`, in-process)."""
    settings.PLAIN_HMAC_SECRET = ""  # read with workspaceHmac, as the embedded default does
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    target_ensure()
    key = emulator_control.add_agent(full_name="Sam Agent", public_name="Sam")

    def reply(thread, text: str, *, deliver) -> None:
        transport = portal.plain._embedded_transport()
        with PlainClient(api_key=key, url=plain.url, transport=transport) as client:
            client.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text=text)
        deliver()

    return reply


@pytest.fixture
def deliver(emulator_control, django_capture_on_commit_callbacks):
    """Deliver Plain's due webhooks and apply them (the inbox task runs on commit)."""

    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            attempts = emulator_control.deliver_webhooks()
        assert attempts and all(a["http_status_code"] == 200 for a in attempts), attempts

    return run


# --- warm views ask Plain nothing -----------------------------------------------------------


@pytest.mark.parametrize("page", ["list", "detail"])
def test_a_cold_view_asks_plain_once_and_a_warm_one_not_at_all(
    alice_client, emulator_control, urls, page
):
    cold, cold_calls = _calls(emulator_control, lambda: alice_client.get(urls[page]))
    warm, warm_calls = _calls(emulator_control, lambda: alice_client.get(urls[page]))

    assert (cold.status_code, warm.status_code) == (200, 200)
    assert len(cold_calls) == 1, cold_calls
    assert warm_calls == []
    assert _stale_notices(warm) == []
    if page == "list":
        assert _titles(cold) == _titles(warm) == ["Printer on fire"]


def test_the_htmx_partial_of_a_warm_list_asks_plain_nothing(alice_client, emulator_control, urls):
    alice_client.get(urls["list"])
    partial, calls = _calls(emulator_control, lambda: alice_client.get(urls["list"], **HTMX))
    assert calls == []
    assert _titles(partial) == ["Printer on fire"]


def test_lists_are_cached_per_tab(alice_client, emulator_control, urls):
    alice_client.get(urls["list"])
    _, calls = _calls(emulator_control, lambda: alice_client.get(urls["list"], {"status": "done"}))
    assert len(calls) == 1


def test_an_id_plain_does_not_know_is_one_call_and_a_404_never_cached(
    alice_client, emulator_control, urls
):
    unknown = reverse("support:thread_detail", args=["th_01JZZZZZZZZZZZZZZZZZZZZZZZ"])
    for _ in range(2):
        response, calls = _calls(emulator_control, lambda: alice_client.get(unknown))
        assert response.status_code == 404
        assert len(calls) == 1


# --- the access check runs on every view --------------------------------------------------


def test_a_thread_is_404_for_someone_of_another_organisation(client, carol, urls):
    client.force_login(carol)
    response = client.get(urls["detail"])
    assert response.status_code == 404


def test_a_warm_thread_of_another_organisation_is_404_from_the_cache_too(
    alice_client, client, carol, emulator_control, urls
):
    alice_client.get(urls["detail"])  # warm
    client.force_login(carol)
    response, calls = _calls(emulator_control, lambda: client.get(urls["detail"]))
    assert response.status_code == 404
    assert calls == []  # decided on the cached thread's tenant, against our database


def test_leaving_the_organisation_takes_the_warm_pages_away_at_once(
    alice_client, alice, acme, emulator_control, urls
):
    alice_client.get(urls["list"])
    alice_client.get(urls["detail"])
    Membership.objects.filter(user=alice, organization=acme).delete()

    detail, detail_calls = _calls(emulator_control, lambda: alice_client.get(urls["detail"]))
    listing = alice_client.get(urls["list"])

    assert detail.status_code == 404
    assert detail_calls == []
    assert listing.status_code == 200
    assert _titles(listing) == []


def test_joining_a_second_organisation_lists_its_threads_at_once(
    alice_client, alice, globex, carol, make_thread, urls
):
    from tests.factories import MembershipFactory

    alice_client.get(urls["list"])
    make_thread(user=carol, organization=globex, title="Globex outage")
    MembershipFactory(user=alice, organization=globex)

    assert sorted(_titles(alice_client.get(urls["list"]))) == ["Globex outage", "Printer on fire"]


# --- webhooks keep the cache current, touching exactly what their event touched --------------


def test_an_agents_reply_refreshes_the_thread_and_its_tenants_list(
    alice_client, alice, acme, emulator_control, agent, deliver, make_thread, urls
):
    other = make_thread(user=alice, organization=acme, title="Other thread")
    other_url = reverse("support:thread_detail", args=[other.id])
    deliver()  # the events of making the threads, out of the way
    for url in (urls["list"], urls["detail"], other_url):
        alice_client.get(url)

    agent(urls["thread"], "We have sent a technician.", deliver=deliver)
    assert InboxEvent.objects.filter(event_type="thread.chat_sent", outcome="applied").exists()

    detail, detail_calls = _calls(emulator_control, lambda: alice_client.get(urls["detail"]))
    _, list_calls = _calls(emulator_control, lambda: alice_client.get(urls["list"]))
    _, other_calls = _calls(emulator_control, lambda: alice_client.get(other_url))

    assert len(detail_calls) == 1
    assert "We have sent a technician." in page_text(detail)
    assert len(list_calls) == 1  # the tenant's lists were invalidated
    assert other_calls == []  # another thread of the same tenant kept its timeline


def test_an_event_of_one_tenant_leaves_another_tenants_lists_warm(
    client, carol, globex, alice_client, emulator_control, agent, deliver, make_thread, urls
):
    make_thread(user=carol, organization=globex, title="Globex outage")
    client.force_login(carol)
    client.get(urls["list"])

    agent(urls["thread"], "Acme only.", deliver=deliver)

    _, calls = _calls(emulator_control, lambda: client.get(urls["list"]))
    assert calls == []


def test_a_webhook_applied_by_a_worker_with_its_own_memory_still_invalidates(
    alice_client, emulator_control, agent, deliver, urls
):
    # The embedded default's cache is per process: the worker applying the event holds a
    # different LocMemCache from the web process. The versions in our database bridge them.
    alice_client.get(urls["detail"])
    worker_cache = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                "LOCATION": "the-worker"}}  # fmt: skip
    with override_settings(CACHES=worker_cache):
        agent(urls["thread"], "Fixed on our side.", deliver=deliver)

    detail, calls = _calls(emulator_control, lambda: alice_client.get(urls["detail"]))
    assert len(calls) == 1
    assert "Fixed on our side." in page_text(detail)


def test_an_ignored_event_still_forgets_its_thread(
    client, plain, settings, django_capture_on_commit_callbacks
):
    # A thread in a tenant no organisation maps to (e.g. moved away from ours): the inbox
    # ignores the event and runs no handlers, yet no cached copy of the thread outlives it.
    from tests.portal.webhooks.conftest import _thread

    settings.PLAIN_HMAC_SECRET = bodies.SECRET
    stray = _thread(plain, tenant="not-ours", email="eve@elsewhere.test")
    scope = read_cache.thread_scope(stray.id)
    before = read_cache.scope_versions([scope])
    raw = encode(bodies.chat_sent(thread_id=stray.id))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/plain/webhooks/",
            data=raw,
            content_type="application/json",
            headers=signed_headers(raw),
        )

    assert response.status_code == 200
    assert InboxEvent.objects.get().outcome == "ignored"
    assert read_cache.scope_versions([scope]) != before


def test_a_thread_moved_between_tenants_touches_both_tenants_lists():
    payload = {
        "eventType": "thread.thread_tenant_updated",
        "thread": {"id": "th_01JZZZZZZZZZZZZZZZZZZZZZZA"},
        "tenant": {"id": "te_01JZZZZZZZZZZZZZZZZZZZZZZB", "externalId": "new-tenant"},
        "previousTenant": {"id": "te_01JZZZZZZZZZZZZZZZZZZZZZZC", "externalId": "old-tenant"},
    }
    event = WebhookEvent(
        id="pEv_1",
        type="thread.thread_tenant_updated",
        timestamp=bodies.now(),
        workspace_id="w_1",
        payload=payload,
        metadata=None,
        thread_id="th_01JZZZZZZZZZZZZZZZZZZZZZZA",
    )
    assert event_scopes(event=event, organization=None) == {
        "thread:th_01JZZZZZZZZZZZZZZZZZZZZZZA",
        "tenant:new-tenant",
        "tenant:old-tenant",
    }
    customer_only = WebhookEvent(
        id="pEv_2",
        type="customer.customer_updated",
        timestamp=bodies.now(),
        workspace_id="w_1",
        payload={},
        metadata=None,
    )
    assert event_scopes(event=customer_only, organization=None) == set()


# --- our own writes are seen at once ------------------------------------------------------------


def test_the_users_reply_shows_on_the_next_view(alice_client, urls):
    alice_client.get(urls["detail"])
    response = alice_client.post(
        reverse("support:thread_reply", args=[urls["thread"].id]), {"text": "Still burning."}
    )
    assert response.status_code == 302
    assert "Still burning." in page_text(alice_client.get(urls["detail"]))


def test_resolving_moves_the_thread_out_of_the_warm_open_list(alice_client, urls):
    assert _titles(alice_client.get(urls["list"])) == ["Printer on fire"]
    alice_client.get(urls["list"], {"status": "done"})
    alice_client.post(reverse("support:thread_resolve", args=[urls["thread"].id]))

    assert _titles(alice_client.get(urls["list"])) == []
    assert _titles(alice_client.get(urls["list"], {"status": "done"})) == ["Printer on fire"]


def test_a_new_request_is_listed_at_once(alice_client, urls):
    alice_client.get(urls["list"])
    response = alice_client.post(
        reverse("support:thread_create"), {"title": "Paper jam", "message": "Again."}
    )
    assert response.status_code == 302
    assert sorted(_titles(alice_client.get(urls["list"]))) == ["Paper jam", "Printer on fire"]


# --- the TTL bounds an entry; the last good answer outlives it, for outages ---------------------


def test_with_a_zero_ttl_every_view_asks_plain(alice_client, emulator_control, settings, urls):
    settings.SUPPORT_READ_CACHE_TTL_SECONDS = 0  # expired as soon as stored
    alice_client.get(urls["detail"])
    _, calls = _calls(emulator_control, lambda: alice_client.get(urls["detail"]))
    assert len(calls) == 1


@pytest.mark.parametrize("status", [503, 429])
@pytest.mark.parametrize("page", ["list", "detail"])
def test_while_plain_fails_the_page_shows_the_last_known_content_marked_stale(
    alice_client, emulator_control, settings, urls, page, status
):
    settings.SUPPORT_READ_CACHE_TTL_SECONDS = 0  # the fresh entry is gone; the last good stays
    alice_client.get(urls[page])
    emulator_control.fail_next(count=100, status=status, retry_after_seconds=1)

    response = alice_client.get(urls[page])

    assert response.status_code == 200
    [notice] = _stale_notices(response)
    assert "may be out of date" in notice
    if page == "list":
        assert _titles(response) == ["Printer on fire"]
    else:
        assert "It is on fire." in page_text(response)
    # While it fails, the next view does not wait on Plain again.
    again, calls = _calls(emulator_control, lambda: alice_client.get(urls[page]))
    assert calls == []
    assert _stale_notices(again)


def test_when_plain_recovers_the_notice_goes(alice_client, emulator_control, settings, urls):
    settings.SUPPORT_READ_CACHE_TTL_SECONDS = 0
    settings.SUPPORT_READ_CACHE_BACKOFF_SECONDS = 0
    alice_client.get(urls["list"])
    emulator_control.fail_next(count=4, status=503)  # one view's attempts
    assert _stale_notices(alice_client.get(urls["list"]))
    emulator_control.clear_faults()
    assert _stale_notices(alice_client.get(urls["list"])) == []


def test_with_nothing_known_an_outage_is_the_unavailable_page(alice_client, emulator_control, urls):
    emulator_control.fail_next(count=100, status=503)
    assert alice_client.get(urls["list"]).status_code == 503
    assert alice_client.get(urls["detail"]).status_code == 503


def test_a_stale_thread_is_still_checked_against_our_database(
    alice_client, alice, acme, emulator_control, settings, urls
):
    settings.SUPPORT_READ_CACHE_TTL_SECONDS = 0
    alice_client.get(urls["detail"])
    emulator_control.fail_next(count=100, status=503)
    Membership.objects.filter(user=alice, organization=acme).delete()
    assert alice_client.get(urls["detail"]).status_code == 404


def test_stale_pages_are_never_stored_by_a_browser_or_proxy(
    alice_client, emulator_control, settings, urls
):
    settings.SUPPORT_READ_CACHE_TTL_SECONDS = 0
    alice_client.get(urls["list"])
    emulator_control.fail_next(count=100, status=503)
    response = alice_client.get(urls["list"])
    assert _stale_notices(response)
    assert "no-store" in response["Cache-Control"] and get_max_age(response) in (None, 0)


def test_the_new_request_form_keeps_its_questions_past_their_ttl_during_an_outage(
    alice_client,
    emulator_control,
    workspace,  # noqa: F811
):
    create = reverse("support:thread_create")
    alice_client.get(create)  # the questions, read once
    cache.delete(REQUEST_OPTIONS_CACHE_KEY)  # their five minutes are up
    emulator_control.fail_next(count=100, status=503)

    html = page_text(alice_client.get(create))

    assert [text for _, text, _ in select_options(html, "category")][-2:] == [
        "Bug report",
        "Question",
    ]
    assert select_options(html, "field__product_area")


# --- compression -----------------------------------------------------------------------------


def test_html_pages_are_gzipped_with_vary_accept_encoding(alice_client, urls):
    response = alice_client.get(urls["list"], headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    vary = {part.strip().lower() for part in response["Vary"].split(",")}
    assert "accept-encoding" in vary
    html = gzip.decompress(response.content).decode()
    assert _titles_html(html) == ["Printer on fire"]


def _titles_html(html: str) -> list[str]:
    return [t for t in _texts(html, "thread-row__title") if t]


def test_the_csrf_token_on_a_compressed_page_differs_on_every_response(alice_client, urls):
    from tests.portal.support.pages import input_value

    tokens = {
        input_value(
            gzip.decompress(
                alice_client.get(urls["detail"], headers={"Accept-Encoding": "gzip"}).content
            ).decode(),
            "csrfmiddlewaretoken",
        )
        for _ in range(3)
    }
    assert len(tokens) == 3 and None not in tokens


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_sign_in_and_admin_pages_are_not_compressed(client, path):
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"<form" in response.content
