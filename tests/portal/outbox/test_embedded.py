"""The embedded default delivers with nobody viewing a page (DESIGN, invariant 7).

`manage.py run_embedded` (what `make run` starts) runs as a real process: runserver, plus a
Celery worker and beat on kombu's filesystem transport (no broker server). Plain is the
standalone emulator. A customer saves a request while Plain is down; after Plain recovers, no
page is requested, and the worker must have delivered it within a minute.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from portal.support.models import Submission
from portal.tenancy import services
from tests.factories import UserFactory
from tests.portal.support.test_server import CSRF_SECRET
from tests.portal.tenancy.test_integration import ROOT, wait_until
from tests.processes import free_port, serving_env

# runserver's access log: "POST /threads/new/ HTTP/1.1" 302 0
ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/1\.[01]" \d{3}')

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RECOVERY_DEADLINE_SECONDS = 60.0


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def embedded(shared_database, remote_plain, emulator_server, tmp_path, settings):
    """`manage.py run_embedded` on a free port, over the shared database and the emulator."""
    url, key = emulator_server
    # A production-grade key, shared with this process so the sessions it makes are valid there.
    settings.SECRET_KEY = f"itest-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    port = free_port()
    log = tmp_path / "run_embedded.log"
    env = serving_env(
        DATABASE_URL=shared_database,
        DJANGO_CONN_MAX_AGE="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        PLAIN_API_URL=url,
        PLAIN_API_KEY=key,
        # The embedded default as `make run` serves it: debug on, and the filesystem transport
        # (production refuses it), here in a folder per test.
        DJANGO_DEBUG="true",
        CELERY_BROKER_URL="",
        CELERY_FILESYSTEM_FOLDER=str(tmp_path / "celery"),
        # Beat's sweep on a short schedule (60 s by default), so the test need not wait long.
        OUTBOX_SWEEP_SECONDS="2",
        PYTHONUNBUFFERED="1",
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_embedded", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def text() -> str:
        return log.read_text(errors="replace")

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"run_embedded exited:\n{text()[-3000:]}")
        return _listening(port) and " ready." in text()

    wait_until(up, what="runserver and the worker to be up", timeout=90)
    worker_pid = int(re.search(r"\(pid (\d+)\)", text()).group(1))
    try:
        yield f"http://127.0.0.1:{port}", text, process, worker_pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_request_saved_during_an_outage_reaches_plain_after_recovery_with_no_page_view(
    embedded, remote_plain
):
    base, log_text, process, worker_pid = embedded
    plain, control = remote_plain
    acme = services.organization_create(name="Acme", slug="acme")  # in Plain (eager, here)
    alice = UserFactory(email="alice@acme.test")
    services.membership_add(user=alice, organization=acme)

    django_client = Client()
    django_client.force_login(alice)
    with httpx.Client(
        base_url=base,
        cookies={"sessionid": django_client.cookies["sessionid"].value, "csrftoken": CSRF_SECRET},
        headers={"X-CSRFToken": CSRF_SECRET},
        timeout=30,
    ) as browser:
        control.fail_next(count=100_000, status=503)  # Plain goes down
        saved = browser.post(
            "/threads/new/", data={"title": "Saved in an outage", "message": "Please deliver me"}
        )
    assert saved.status_code == 302, (saved.status_code, saved.text[:500], log_text()[-2000:])
    submission = Submission.objects.get()
    assert saved.headers["location"] == f"/threads/saved/{submission.key}/"
    assert submission.status == "pending" and "PlainServerError" in submission.last_error

    control.clear_faults()  # Plain recovers; from here on nobody requests a page
    recovered = time.monotonic()
    wait_until(
        lambda: Submission.objects.filter(pk=submission.pk, status="done").exists(),
        what="the worker to deliver the saved request",
        timeout=RECOVERY_DEADLINE_SECONDS,
        explain=lambda: Submission.objects.values("status", "attempts", "last_error").get(),
    )
    took = time.monotonic() - recovered

    threads = [
        t for t in plain.threads(tenant_external_ids=["org-acme"], first=50).items
        if t.title == "Saved in an outage"
    ]  # fmt: skip
    assert [t.external_id for t in threads] == [submission.key]
    # No page view at all: the only request runserver logged is the POST.
    wait_until(lambda: ACCESS_LINE.findall(log_text()), what="runserver to log the POST")
    assert {method for method, _ in ACCESS_LINE.findall(log_text())} == {"POST"}
    print(f"delivered {took:.1f}s after Plain recovered")
    assert took < RECOVERY_DEADLINE_SECONDS

    # A row whose task never reached the broker (the web process died after saving it): beat's
    # sweep finds it and the worker delivers it, again with no page view.
    lost = Submission.objects.create(
        kind=Submission.Kind.THREAD,
        user=alice,
        organization=acme,
        payload={"title": "Task lost", "text": "Sweep me", "files": []},
        attempts=1,
        next_attempt_at=timezone.now(),
    )
    wait_until(
        lambda: Submission.objects.filter(pk=lost.pk, status="done").exists(),
        what="beat's sweep and the worker to deliver the row",
        timeout=RECOVERY_DEADLINE_SECONDS,
    )
    assert "outbox.sweep" in log_text()

    # Both processes stop when runserver stops.
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    wait_until(lambda: not _alive(worker_pid), what="the worker to stop", timeout=30)
    assert not _listening(int(base.rsplit(":", 1)[1]))
