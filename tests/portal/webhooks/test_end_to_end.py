"""Webhooks end to end: an agent's reply in Plain (the emulator) reaches the portal's inbox and is
applied, with nobody viewing a page.

1. Standalone: the real emulator (`python -m plain_gateway.emulator --allow-http-targets`, its
   own process, delivering from its background thread over loopback HTTP) -> the real portal
   (gunicorn with gunicorn.conf.py) -> a real Celery worker on Redis applying the inbox. The
   signing secret is not configured anywhere: portal and worker read it with workspaceHmac.
2. Embedded: the portal's own emulator delivers to the portal's WSGI app in-process.

The portal's target is made the way staff make it (portal/webhooks/target.py, i.e.
`plain_webhooks --ensure`).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.urls import reverse

from plain_gateway import PlainClient
from plain_gateway.emulator import EmulatorControl
from plain_gateway.types import WebhookDeliveryStatus
from portal.plain import get_plain_client, reset_plain_client
from portal.webhooks import services
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import target_ensure
from tests.factories import OrganizationFactory
from tests.portal.tenancy import test_integration as tenancy_itest
from tests.processes import free_port, serving_env

# The Celery-on-Redis machinery of the membership sync's integration tests, reused as it is.
broker = tenancy_itest.broker
redis_url = tenancy_itest.redis_url
shared_database = tenancy_itest.shared_database
REDIS_URL = tenancy_itest.REDIS_URL
Worker = tenancy_itest.Worker
wait_until = tenancy_itest.wait_until
_read_line = tenancy_itest._read_line

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "gunicorn.conf.py"


def _agent_reply(control: EmulatorControl, url: str, key: str, thread, text: str) -> None:
    """A human agent answers on the thread through Plain's API (their own key)."""
    agent_key = control.add_agent(full_name="Sam Agent", public_name="Sam")
    with PlainClient(api_key=agent_key, url=url) as agent:
        agent.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text=text)


def _mapped_thread(plain: PlainClient, organization):
    plain.upsert_tenant(external_id=organization.tenant_external_id, name=organization.name)
    customer = plain.upsert_customer(
        external_id=f"user-{uuid.uuid4().hex[:8]}", email="alice@acme.test", full_name="Alice"
    ).item
    return plain.create_thread(
        customer_id=customer.id,
        tenant_external_id=organization.tenant_external_id,
        title="Export fails",
        text="The CSV export times out.",
    )


# --- 1. standalone: emulator, gunicorn and a Celery worker, each its own process ---------------


@pytest.fixture(scope="module")
def webhook_emulator() -> Iterator[tuple[str, str]]:
    key = f"wtest-{uuid.uuid4().hex}"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "plain_gateway.emulator"),
            *("--port", "0", "--api-key", key, "--allow-http-targets"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(process, timeout=30)
        assert "serving http://127.0.0.1:" in line, line
        yield line.split()[-1], key
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def served_portal(webhook_emulator, shared_database, broker, settings, embedded_plain, tmp_path):
    """The portal under gunicorn and one Celery worker, both on the shared database, the
    standalone emulator and Redis; this test process talks to the same emulator. Yields
    (portal URL, emulator URL, key, control)."""
    url, key = webhook_emulator
    port = free_port()
    portal_url = f"http://127.0.0.1:{port}"
    control = EmulatorControl(url=url, api_key=key)
    control.reset()
    settings.PLAIN_API_URL, settings.PLAIN_API_KEY = url, key
    settings.PLAIN_HMAC_SECRET = ""
    settings.PORTAL_PUBLIC_URL = portal_url
    reset_plain_client()
    env = serving_env(
        DJANGO_SETTINGS_MODULE="tests.portal.tenancy.worker_settings",
        DATABASE_URL=shared_database,
        DJANGO_CONN_MAX_AGE="0",
        PLAIN_API_URL=url,
        PLAIN_API_KEY=key,
        PORTAL_PUBLIC_URL=portal_url,
        CELERY_BROKER_URL=REDIS_URL,
        TENANCY_ITEST_KEYPREFIX=broker,
        # As in production: every plain-http request is redirected to https, except the
        # webhook endpoint's (a redirect is a failed delivery).
        DJANGO_SECURE_SSL_REDIRECT="true",
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--config", str(CONFIG)),
            *("--bind", f"127.0.0.1:{port}", "portal.wsgi:application"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = Worker(env=env, log=tmp_path / "worker.log", pool="solo", concurrency=1)
    try:

        def up() -> bool:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                response = httpx.get(
                    f"{portal_url}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=1
                )
                return response.status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, what="gunicorn to serve", timeout=60)
        worker.start()
        yield portal_url, url, key, control
    finally:
        worker.stop()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        control.close()
        reset_plain_client()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_agent_reply_reaches_the_served_portal_and_a_worker_applies_it(served_portal):
    portal_url, url, key, control = served_portal
    plain = get_plain_client()
    acme = OrganizationFactory(name="Acme", slug="acme")
    thread = _mapped_thread(plain, acme)
    report = target_ensure()
    assert report.target is not None and report.target.url == f"{portal_url}/plain/webhooks/"

    _agent_reply(control, url, key, thread, "We have found the cause.")

    def applied() -> InboxEvent | None:
        return InboxEvent.objects.filter(
            event_type="thread.chat_sent", thread_id=thread.id, status="done"
        ).first()

    row = wait_until(
        applied,
        what="the agent's chat to be applied",
        explain=lambda: list(InboxEvent.objects.values("event_type", "status", "last_error")),
    )
    assert (row.outcome, row.organization_id, row.actor_type) == ("applied", acme.pk, "user")
    assert row.payload["chat"]["text"] == "We have found the cause."
    # Plain's side agrees: that delivery was answered 2xx by the portal.
    attempts = plain.webhook_delivery_attempts(
        webhook_target_id=report.target.id, event_types=["thread.chat_sent"]
    ).items
    assert [(a.event_id, a.status) for a in attempts] == [
        (row.event_id, WebhookDeliveryStatus.SUCCESSFUL_RESPONSE)
    ]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_target_url_that_redirects_is_a_failed_delivery_and_nothing_is_stored(served_portal):
    portal_url, url, key, control = served_portal
    plain = get_plain_client()
    thread = _mapped_thread(plain, OrganizationFactory(name="Acme", slug="acme"))
    # A URL other than the endpoint's, given by mistake: over http it is redirected to https.
    target = plain.create_webhook_target(
        url=f"{portal_url}/threads/", event_types=["thread.chat_sent"], description="mistake"
    )
    _agent_reply(control, url, key, thread, "Hello?")

    def attempted():
        return plain.webhook_delivery_attempts(webhook_target_id=target.id).items

    [attempt] = wait_until(attempted, what="the emulator to try the target")
    assert (attempt.status, attempt.http_status_code) == (
        WebhookDeliveryStatus.FAILED_RESPONSE,
        301,
    )
    assert not attempt.is_success
    assert not InboxEvent.objects.filter(event_type="thread.chat_sent").exists()


# --- 2. embedded: the portal's own emulator delivers in-process ----------------------------------


@pytest.mark.django_db
def test_embedded_an_agent_reply_reaches_the_inbox_in_process(
    settings, emulator_control, django_capture_on_commit_callbacks
):
    settings.PLAIN_HMAC_SECRET = ""  # read from the emulator's workspaceHmac
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    plain = get_plain_client()
    target_ensure()
    acme = OrganizationFactory(name="Acme", slug="acme")
    thread = _mapped_thread(plain, acme)
    agent_key = emulator_control.add_agent(full_name="Sam Agent", public_name="Sam")
    with PlainClient(api_key=agent_key, url=plain.url, transport=_embedded_transport()) as agent:
        agent.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text="On it")
    with django_capture_on_commit_callbacks(execute=True):
        delivered = emulator_control.deliver_webhooks()
    assert delivered
    assert {(a["status"], a["http_status_code"]) for a in delivered} == {
        ("SUCCESSFUL_RESPONSE", 200)
    }
    row = InboxEvent.objects.get(event_type="thread.chat_sent")
    assert (row.status, row.outcome, row.organization_id) == ("done", "applied", acme.pk)
    # The portal's own writes (the thread it opened) come back as echoes.
    created = InboxEvent.objects.get(event_type="thread.thread_created")
    assert (created.outcome, created.actor_id) == ("echo", services.machine_user_id())


def _embedded_transport():
    import portal.plain

    return portal.plain._embedded_transport()


@pytest.mark.django_db
def test_the_admin_page_shows_the_target_its_attempts_and_the_inbox(
    staff_client, settings, emulator_control, django_capture_on_commit_callbacks
):
    settings.PLAIN_HMAC_SECRET = ""
    plain = get_plain_client()
    report = target_ensure()
    thread = _mapped_thread(plain, OrganizationFactory(name="Acme", slug="acme"))
    plain.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text="hi")
    with django_capture_on_commit_callbacks(execute=True):
        emulator_control.deliver_webhooks()
    response = staff_client.get(reverse("admin:webhooks_inboxevent_target"))
    assert response.status_code == 200
    page = response.content.decode()
    assert report.target is not None and report.target.id in page
    assert "In sync with the settings." in page
    assert response.context["overview"].secret_configured
    secret = plain.workspace_hmac_secret()
    assert secret and secret not in page
    attempts = response.context["overview"].attempts
    assert {a.event_type for a in attempts} >= {"thread.thread_created", "thread.chat_sent"}
    assert all(a.is_success for a in attempts)
    counts = response.context["overview"].counts
    assert (counts.received, counts.failed) == (0, 0)
    assert counts.applied + counts.echo == InboxEvent.objects.count()


@pytest.mark.django_db
def test_a_missed_event_is_fetched_from_plain_from_the_target_page_and_applied(
    staff_client, settings, emulator_control, django_capture_on_commit_callbacks
):
    # A wrong secret configured: the portal refuses the delivery, so the event is missed.
    settings.PLAIN_HMAC_SECRET = "not-the-workspace-secret"
    plain = get_plain_client()
    target = target_ensure().target
    acme = OrganizationFactory(name="Acme", slug="acme")
    thread = _mapped_thread(plain, acme)
    agent_key = emulator_control.add_agent(full_name="Sam Agent", public_name="Sam")
    with PlainClient(api_key=agent_key, url=plain.url, transport=_embedded_transport()) as agent:
        agent.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text="Fixed")
    emulator_control.deliver_webhooks()
    assert not InboxEvent.objects.exists()
    [missed] = plain.webhook_delivery_attempts(
        webhook_target_id=target.id, event_types=["thread.chat_sent"]
    ).items
    assert (missed.status, missed.http_status_code) == ("FAILED_RESPONSE", 401)

    page = staff_client.get(reverse("admin:webhooks_inboxevent_target"))
    failed = {a.event_id for a in page.context["overview"].attempts if not a.is_success}
    assert missed.event_id in failed  # listed with its "Fetch and apply" button
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:webhooks_inboxevent_refetch"), {"event_id": missed.event_id}
        )
    assert response.status_code == 302
    row = InboxEvent.objects.get(event_id=missed.event_id)
    assert (row.event_type, row.status, row.outcome, row.organization_id) == (
        "thread.chat_sent",
        "done",
        "applied",
        acme.pk,
    )
    assert row.payload["chat"]["text"] == "Fixed"
    # Fetching it again changes nothing: it is one event, applied once.
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:webhooks_inboxevent_refetch"), {"event_id": missed.event_id}
        )
    assert InboxEvent.objects.filter(event_id=missed.event_id).count() == 1
    row.refresh_from_db()
    assert (row.received_count, row.attempts) == (2, 1)
