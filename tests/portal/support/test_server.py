"""Under a real gunicorn, a slow Plain costs the customer at most the request budget, never their
text: the request and the reply are saved, answered well before the worker timeout, and
delivered exactly once when Plain recovers.

Plain is the standalone emulator (its own process, with latency injected), the portal a real
gunicorn on a free loopback port sharing this test's database. Timings are small (budget 2 s,
per-attempt timeout 1 s, worker timeout 6 s, Plain 3 s per call), so without the budget the
client's retries (4 attempts of 1 s plus backoff) outlive the worker and it is killed.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from portal.plain import get_plain_client
from portal.support.models import Submission
from portal.support.services import submissions_sweep
from portal.tenancy.services import plain_customer_ensure
from tests.factories import MembershipFactory, UserFactory
from tests.portal.support.conftest import org_in_plain
from tests.portal.tenancy import test_integration
from tests.portal.tenancy.test_integration import wait_until
from tests.processes import ROOT, free_port, serving_env

# The standalone emulator, the portal's client on it, and a database other processes see.
emulator_server = test_integration.emulator_server
remote_plain = test_integration.remote_plain
shared_database = test_integration.shared_database

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKER_TIMEOUT_SECONDS = 6
BUDGET_SECONDS = 2.0
ATTEMPT_TIMEOUT_SECONDS = 1.0
PLAIN_LATENCY_MS = 3000
REDIS_URL = "redis://127.0.0.1:6379/11"
CSRF_SECRET = uuid.uuid4().hex


@pytest.fixture
def portal_server(
    remote_plain, shared_database, emulator_server, settings, tmp_path
) -> Iterator[str]:
    """gunicorn serving portal.wsgi as in production (DEBUG off), pointed at the emulator."""
    import redis

    url, key = emulator_server
    # A production-grade key, shared with this process so the sessions it makes are valid there.
    settings.SECRET_KEY = f"itest-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    # Redis database 11 is this suite's: no request options cached by an earlier run.
    redis.Redis.from_url(REDIS_URL).flushdb()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = serving_env(
        DJANGO_SETTINGS_MODULE="tests.portal.support.server_settings",
        DATABASE_URL=shared_database,
        DJANGO_CONN_MAX_AGE="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        REDIS_URL=REDIS_URL,
        PLAIN_API_URL=url,
        PLAIN_API_KEY=key,
        PLAIN_TIMEOUT_SECONDS=str(ATTEMPT_TIMEOUT_SECONDS),
        PLAIN_REQUEST_BUDGET_SECONDS=str(BUDGET_SECONDS),
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(GUNICORN), "portal.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "2",
                "--timeout", str(WORKER_TIMEOUT_SECONDS), "--graceful-timeout", "2",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code < 500
        except httpx.TransportError:
            return False

    wait_until(up, what="gunicorn to answer", timeout=30)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        killed = "WORKER TIMEOUT" in log.read_text()
        assert not killed, f"gunicorn killed a worker:\n{log.read_text()[-3000:]}"


def _logged_in(base: str, user) -> httpx.Client:
    """A browser with the user's session and a CSRF cookie (its secret doubles as the token)."""
    django_client = Client()
    django_client.force_login(user)
    session = django_client.cookies["sessionid"].value
    return httpx.Client(
        base_url=base,
        cookies={"sessionid": session, "csrftoken": CSRF_SECRET},
        headers={"X-CSRFToken": CSRF_SECRET},
        timeout=30,
    )


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_slow_plain_costs_the_budget_not_the_request_nor_the_worker(remote_plain, portal_server):
    plain, control = remote_plain
    portal_plain = get_plain_client()
    acme = org_in_plain(portal_plain, name="Acme", slug="acme")
    alice = UserFactory(email="alice@acme.test", full_name="Alice Archer")
    MembershipFactory(user=alice, organization=acme)
    thread = portal_plain.create_thread(
        customer_id=plain_customer_ensure(user=alice),
        tenant_external_id=acme.tenant_external_id,
        title="Existing",
        text="Hello",
    )
    # Nothing has read the request options yet: the POST meets a cold cache.
    browser = _logged_in(portal_server, alice)

    control.set_latency(ms=PLAIN_LATENCY_MS)
    created, created_in = _timed(
        lambda: browser.post(
            "/threads/new/",
            data={"title": "Slow day", "message": "Typed while Plain crawls."},
        )
    )
    replied, replied_in = _timed(
        lambda: browser.post(
            f"/threads/{thread.id}/reply/",
            data={"text": "A reply while Plain crawls."},
        )
    )
    # Both rows are due: the page views below still deliver nothing (no GET writes to Plain).
    Submission.objects.update(next_attempt_at=timezone.now())
    listed, listed_in = _timed(lambda: browser.get("/threads/"))
    detail, detail_in = _timed(lambda: browser.get(f"/threads/{thread.id}/"))

    assert created.status_code == 302, created.text[:2000]
    assert replied.status_code == 302, replied.text[:2000]
    request = Submission.objects.get(kind=Submission.Kind.THREAD)
    reply = Submission.objects.get(kind=Submission.Kind.REPLY)
    assert created.headers["location"] == f"/threads/saved/{request.key}/"
    assert replied.status_code == 302, replied.text[:2000]
    assert replied.headers["location"] == f"/threads/saved/{reply.key}/"
    assert request.is_pending and reply.is_pending
    assert (
        request.text == "Typed while Plain crawls." and reply.text == "A reply while Plain crawls."
    )
    # The list and the thread page say Plain is unavailable instead of dying.
    assert listed.status_code == detail.status_code == 503
    # Each answer comes within the budget plus one database-and-render margin.
    timings = {"create": created_in, "reply": replied_in, "list": listed_in, "detail": detail_in}
    assert max(timings.values()) < BUDGET_SECONDS + 1.5, timings

    # Plain recovers; the workers' sweep (here, in this process) delivers each exactly once,
    # and the saved pages then lead to the thread.
    control.set_latency(ms=0)
    Submission.objects.update(next_attempt_at=timezone.now())
    assert submissions_sweep() == 2
    assert browser.get(f"/threads/saved/{request.key}/").status_code == 302
    assert browser.get(f"/threads/saved/{reply.key}/").status_code == 302
    for _ in range(2):
        assert browser.get("/threads/").status_code == 200
    page = plain.threads(tenant_external_ids=[acme.tenant_external_id], first=50)
    assert [t.title for t in page.items].count("Slow day") == 1
    timeline = plain.thread(thread_id=thread.id).timeline.items
    texts = [getattr(entry.entry, "text", None) for entry in timeline]
    assert texts.count("A reply while Plain crawls.") == 1
