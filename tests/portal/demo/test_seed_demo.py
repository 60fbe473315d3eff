"""`manage.py seed_demo` over a fresh in-memory emulator (tests/portal/conftest.py)."""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.management import call_command

from plain_gateway import ChatEntry, HiddenEntry, PlainClient, Thread
from plain_gateway.emulator import create_app
from portal.accounts.models import User
from portal.demo import data
from portal.demo.services import demo_seed
from portal.plain import reset_plain_client
from portal.tenancy.models import Membership, Organization, SyncEvent

pytestmark = pytest.mark.django_db

ALL_STATUSES = ["TODO", "SNOOZED", "DONE"]
# What a second run may ask Plain: reads only.
READ_OPERATIONS = {"tenants", "customers", "threads", "helpCenters", "helpCenterIndex"}


@pytest.fixture
def seed(django_capture_on_commit_callbacks) -> Callable[[], str]:
    """Run the command as in production, where each change commits and its sync then runs.

    (The test's own transaction would otherwise hold back every on-commit callback.)
    """

    def run() -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo", stdout=out)
        return out.getvalue()

    return run


def tenant_threads(client: PlainClient, tenant_external_id: str) -> list[Thread]:
    page = client.threads(
        tenant_external_ids=[tenant_external_id], statuses=ALL_STATUSES, first=100
    )
    assert not page.page_info.has_next_page
    return list(page.items)


def demo_threads_of(slug: str) -> list[data.DemoThread]:
    return [spec for spec in data.THREADS if spec.organization == slug]


def database_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "organizations": Organization.objects.count(),
        "memberships": Membership.objects.count(),
        "sync_events": SyncEvent.objects.count(),
    }


def test_seed_creates_the_demo_accounts(client, seed):
    seed()

    for email in ("alice@acme.test", "bob@acme.test", "carol@globex.test", "admin@portal.test"):
        # Through the login form: django-axes' backend wants the request to authenticate.
        response = client.post("/accounts/login/", {"username": email, "password": "portal-demo"})
        assert response.status_code == 302, email
        client.logout()
    admin = User.objects.get(email="admin@portal.test")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.filter(is_staff=True).exclude(pk=admin.pk).exists()
    assert User.objects.get(email="alice@acme.test").full_name == "Alice Anders"
    assert User.objects.get(email="carol@globex.test").full_name == "Carol Chen"


def test_seed_maps_the_organisations_and_memberships_to_plain(plain, seed):
    seed()

    members = {
        (m.user.email, m.organization.name)
        for m in Membership.objects.select_related("user", "organization")
    }
    assert members == {
        ("alice@acme.test", "Acme"),
        ("bob@acme.test", "Acme"),
        ("carol@globex.test", "Globex"),
    }
    for organization in Organization.objects.all():
        customers = plain.customers(tenant_external_ids=[organization.tenant_external_id]).items
        assert {c.email for c in customers} == {
            m.user.email for m in organization.memberships.all()
        }
    tenants = {t.external_id: t.name for t in plain.tenants().items}
    assert tenants == {"org-acme": "Acme", "org-globex": "Globex"}


def test_seed_fills_both_tenants_with_varied_threads(plain, seed):
    seed()

    acme = tenant_threads(plain, "org-acme")
    globex = tenant_threads(plain, "org-globex")
    assert sorted(t.title for t in acme) == sorted(s.title for s in demo_threads_of("acme"))
    assert sorted(t.title for t in globex) == sorted(s.title for s in demo_threads_of("globex"))
    everything = acme + globex
    assert len(everything) >= 10
    assert {t.status for t in everything} == {"TODO", "SNOOZED", "DONE"}
    assert len({t.priority for t in everything}) >= 3
    assert {label.label_type.name for t in everything for label in t.labels} >= {
        "SSO",
        "Billing",
        "API",
        "Webhooks",
    }
    # Some open threads wait for the customer (support spoke last), some for support.
    waiting_for_customer = [
        t
        for t in everything
        if t.status == "TODO"
        and t.last_outbound_at
        and (t.last_inbound_at is None or t.last_outbound_at > t.last_inbound_at)
    ]
    waiting_for_support = [
        t
        for t in everything
        if t.status == "TODO"
        and t.last_inbound_at
        and (t.last_outbound_at is None or t.last_inbound_at > t.last_outbound_at)
    ]
    assert waiting_for_customer and waiting_for_support


def test_threads_belong_to_their_customers_and_tenants(plain, seed):
    seed()

    by_title = {t.title: t for t in tenant_threads(plain, "org-acme")}
    by_title |= {t.title: t for t in tenant_threads(plain, "org-globex")}
    for spec in data.THREADS:
        thread = by_title[spec.title]
        assert thread.tenant.external_id == f"org-{spec.organization}"
        assert thread.customer.email == spec.customer
        if spec.channel == "chat":
            assert thread.external_id == spec.external_id


def test_one_thread_is_long_enough_to_need_show_earlier(plain, seed):
    seed()
    (long_thread,) = [
        t for t in tenant_threads(plain, "org-acme") if t.external_id == "demo-acme-webhook-replay"
    ]

    newest = plain.thread(thread_id=long_thread.id)
    assert newest.timeline.page_info.has_previous_page
    entries = list(newest.timeline.items)
    before = newest.timeline.page_info.start_cursor
    while before:
        page = plain.thread(thread_id=long_thread.id, last=50, before=before).timeline
        entries = list(page.items) + entries
        before = page.page_info.start_cursor if page.page_info.has_previous_page else None

    visible = [e for e in entries if e.is_visible]
    assert len(visible) > 60
    # Colleagues chime in on each other's threads, and a named human agent answers.
    authors = Counter(e.actor.name for e in visible if isinstance(e.entry, ChatEntry))
    assert authors["Alice Anders"] > 20
    assert authors["Bob Baker"] >= 1
    assert authors["Sam"] > 20
    assert {e.actor.kind for e in visible if e.actor.name == "Sam"} == {"user"}
    # The internal notes exist in Plain, and reach the portal only as hidden entries.
    assert any(isinstance(e.entry, HiddenEntry) for e in entries)


def test_the_demo_has_a_past_of_several_days_that_ends_recently(plain, emulator_control, seed):
    seed()

    now = datetime.now(tz=UTC)
    threads = tenant_threads(plain, "org-acme") + tenant_threads(plain, "org-globex")
    created = sorted(t.created_at for t in threads)
    assert created[-1] - created[0] > timedelta(days=3)
    assert now - max(t.updated_at for t in threads) < timedelta(days=1)
    assert all(t.updated_at <= now for t in threads)
    # A snooze set in the past has not run out, and the clock is real time again.
    assert {t.status for t in threads} >= {"SNOOZED"}
    assert emulator_control.clock()["offset_seconds"] == 0
    # Within a thread, messages are as far apart as people answer, not milliseconds.
    (sso,) = [t for t in threads if t.external_id == "demo-acme-sso-okta"]
    stamps = [e.timestamp for e in plain.thread(thread_id=sso.id).timeline.items if e.is_visible]
    assert stamps == sorted(stamps)
    assert stamps[-1] - stamps[0] > timedelta(hours=12)


def test_a_seed_that_fails_halfway_puts_the_clock_back(
    plain, emulator_control, django_capture_on_commit_callbacks
):
    def broken_agent(api_key: str) -> PlainClient:
        raise RuntimeError("agent client unavailable")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        demo_seed(client=plain, control=emulator_control, agent_client=broken_agent)

    assert emulator_control.clock()["offset_seconds"] == 0
    opened = tenant_threads(plain, "org-acme") + tenant_threads(plain, "org-globex")
    assert opened and all(t.created_at < datetime.now(tz=UTC) - timedelta(days=1) for t in opened)


def test_email_threads_arrive_as_email(plain, seed):
    seed()

    (thread,) = [
        t
        for t in tenant_threads(plain, "org-globex")
        if t.title == "Invoice INV-2044 was charged twice"
    ]
    timeline = plain.thread(thread_id=thread.id).timeline.items
    kinds = [type(e.entry).__name__ for e in timeline if e.is_visible]
    assert kinds[0] == "EmailEntry"
    assert thread.status == "DONE"


def test_second_run_changes_nothing_anywhere(plain, emulator_control, seed):
    seed()
    counts = database_counts()
    threads_before = {
        slug: {t.id: (t.status, t.priority, t.updated_at) for t in tenant_threads(plain, slug)}
        for slug in ("org-acme", "org-globex")
    }
    emulator_control.clear_requests()

    output = seed()

    operations = {r["operationName"] for r in emulator_control.requests()}
    assert operations <= READ_OPERATIONS, operations
    assert database_counts() == counts
    for slug, before in threads_before.items():
        after = {t.id: (t.status, t.priority, t.updated_at) for t in tenant_threads(plain, slug)}
        assert after == before
    assert "nothing changed" in output


def test_seed_restores_plain_when_the_emulator_lost_its_data(plain, emulator_control, seed):
    seed()
    counts = database_counts()
    emulator_control.reset()

    seed()

    assert database_counts()["users"] == counts["users"]
    assert database_counts()["memberships"] == counts["memberships"]
    assert len(tenant_threads(plain, "org-acme")) == len(demo_threads_of("acme"))
    assert len(tenant_threads(plain, "org-globex")) == len(demo_threads_of("globex"))
    carol = User.objects.get(email="carol@globex.test")
    members = plain.customers(tenant_external_ids=["org-globex"]).items
    assert [c.id for c in members] == [carol.plain_customer_id]
    # And it is stable again afterwards.
    emulator_control.clear_requests()
    assert "nothing changed" in seed()


def test_against_real_plain_email_threads_are_skipped_and_agents_are_the_machine_user(
    plain, django_capture_on_commit_callbacks
):
    def no_agents(api_key: str) -> PlainClient:
        raise AssertionError("real Plain has no control API to make agents with")

    with django_capture_on_commit_callbacks(execute=True):
        summary = demo_seed(client=plain, control=None, agent_client=no_agents)

    emails = {spec.title for spec in data.THREADS if spec.channel == "email"}
    assert set(summary.threads_skipped) == emails
    assert set(summary.threads_created) == {s.title for s in data.THREADS} - emails
    (thread,) = [
        t for t in tenant_threads(plain, "org-globex") if t.external_id == "demo-globex-api-keys"
    ]
    actors = {e.actor.kind for e in plain.thread(thread_id=thread.id).timeline.items}
    assert "machine_user" in actors
    assert "user" not in actors
    # Real Plain's clock cannot be moved: everything happened just now.
    threads = tenant_threads(plain, "org-acme") + tenant_threads(plain, "org-globex")
    assert all(datetime.now(tz=UTC) - t.created_at < timedelta(minutes=5) for t in threads)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def standalone_emulator(settings) -> Iterator[str]:
    """An emulator served over loopback HTTP, as `python -m plain_gateway.emulator` serves it;
    the portal is pointed at it through PLAIN_API_URL and PLAIN_API_KEY."""
    app = create_app(api_key="standalone-key", data_path=None)
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/graphql/v1"
    settings.PLAIN_API_URL = url
    settings.PLAIN_API_KEY = "standalone-key"
    reset_plain_client()
    try:
        yield url
    finally:
        reset_plain_client()
        server.shutdown()
        server.server_close()


def test_seed_runs_against_a_standalone_emulator(standalone_emulator, seed):
    seed()

    with PlainClient(api_key="standalone-key", url=standalone_emulator) as client:
        acme = tenant_threads(client, "org-acme")
        globex = tenant_threads(client, "org-globex")
    assert len(acme) == len(demo_threads_of("acme"))
    assert len(globex) == len(demo_threads_of("globex"))
    assert "nothing changed" in seed()


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_membership_sync_reaches_plain_before_the_threads(plain):
    # Autocommit, as in production: each change's outbox row is delivered as it commits, so the
    # seed finds everything in Plain already and repairs nothing.
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert "Restored" not in out.getvalue()
    assert SyncEvent.objects.exclude(status=SyncEvent.Status.DONE).count() == 0
    assert SyncEvent.objects.exists()
    assert len(tenant_threads(plain, "org-acme")) == len(demo_threads_of("acme"))


def test_the_demo_help_center_has_six_published_articles_and_a_draft(plain):
    from portal.demo.help_center import DEMO_HELP_CENTER_NAME, demo_help_center_ensure

    created = demo_help_center_ensure(client=plain)
    again = demo_help_center_ensure(client=plain)

    (center,) = [h for h in plain.help_centers().items if h.public_name == DEMO_HELP_CENTER_NAME]
    index = plain.help_center_index(help_center_id=center.id)
    statuses = [i.status for i in index.items if not i.is_group]
    assert (len(created), again) == (7, [])
    assert (statuses.count("PUBLISHED"), statuses.count("DRAFT")) == (6, 1)
