"""Membership sync with real Celery workers on Redis, against the standalone emulator over HTTP.

Each test commits through the portal's services (transactional_db), workers started as
subprocesses deliver the outbox through Redis (REDIS_TEST_URL, default redis://127.0.0.1:6379/15,
with a key prefix unique to the test), and Plain is the emulator running as its own process.

The workers must see the rows the test commits: on PostgreSQL they use pytest-django's test
database; on SQLite the test's in-memory database is copied into a file (WAL mode) that the test
and the workers share for the length of the test.
"""

from __future__ import annotations

import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections
from django.utils import timezone

from plain_gateway import PlainClient
from plain_gateway.emulator import EmulatorControl
from portal.celery import app as celery_app
from portal.outbox import services as outbox
from portal.outbox import tasks as outbox_tasks
from portal.plain import reset_plain_client
from portal.tenancy import services, tasks
from portal.tenancy.models import Membership, Organization, SyncEvent
from tests.factories import UserFactory
from tests.portal.tenancy.conftest import plain_memberships
from tests.processes import serving_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
CELERY = Path(sys.executable).with_name("celery")
DEADLINE_SECONDS = 120.0


def wait_until(
    condition: Callable[[], object],
    *,
    what: str,
    timeout: float = DEADLINE_SECONDS,
    explain: Callable[[], object] | None = None,
):
    """Poll `condition` until it is truthy; fail after `timeout` seconds (saying `explain()`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f": {explain()}" if explain else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(0.05)


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if not selector.select(timeout):
        raise RuntimeError("the emulator did not start in time")
    return process.stdout.readline()


# --- services: Redis, the emulator, the shared database, the workers ---------------------------


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:  # any failure means: no broker for these tests
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({error}); start redis-server")
    return REDIS_URL


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[tuple[str, str]]:
    """The standalone emulator, on a free loopback port, for the whole module."""
    key = f"itest-{uuid.uuid4().hex}"
    process = subprocess.Popen(
        [sys.executable, "-m", "plain_gateway.emulator", "--port", "0", "--api-key", key],
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
def remote_plain(emulator_server, settings, embedded_plain):
    """The portal (this process) pointed at the standalone emulator, reset for the test.

    Returns (a client for assertions, the emulator's control API).
    """
    url, key = emulator_server
    settings.PLAIN_API_URL = url
    settings.PLAIN_API_KEY = key
    reset_plain_client()
    control = EmulatorControl(url=url, api_key=key)
    control.reset()
    control.clear_faults()
    control.set_latency(ms=0)
    client = PlainClient(api_key=key, url=url)
    yield client, control
    control.clear_faults()
    control.set_latency(ms=0)
    client.close()
    control.close()
    reset_plain_client()


@pytest.fixture
def shared_database(transactional_db, tmp_path) -> Iterator[str]:
    """A DATABASE_URL under which a worker process sees what this test commits."""
    connection = connections["default"]
    if connection.vendor == "postgresql":
        params = connection.settings_dict
        credentials = quote(params["USER"] or "", safe="")
        if params.get("PASSWORD"):
            credentials += ":" + quote(params["PASSWORD"], safe="")
        host = params.get("HOST") or "127.0.0.1"
        port = params.get("PORT") or 5432
        yield f"postgres://{credentials}@{host}:{port}/{params['NAME']}"
        return
    if connection.vendor != "sqlite":
        pytest.skip(f"no shared test database recipe for {connection.vendor}")
    connection.ensure_connection()
    memory = connection.connection
    path = tmp_path / "shared.sqlite3"
    target = sqlite3.connect(path)
    memory.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    saved_name = connection.settings_dict["NAME"]
    saved_options = connection.settings_dict["OPTIONS"]
    # Two processes write: transactions take the write lock up front (IMMEDIATE) and wait for
    # it, rather than failing with "database is locked" when a reader turns writer.
    options = {"transaction_mode": "IMMEDIATE", "timeout": 30}
    # Detach (not close: closing would destroy the in-memory database) and reopen on the file.
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    connection.settings_dict["OPTIONS"] = {**saved_options, **options}
    try:
        yield f"sqlite:///{path}?transaction_mode=IMMEDIATE&timeout=30"
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved_name
        connection.settings_dict["OPTIONS"] = saved_options
        connection.connection = memory


def _forget_broker_connections() -> None:
    celery_app.close()
    # Celery's close() leaves the producer pool (and the connections it holds) in place.
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_url) -> Iterator[str]:
    """This process publishes tasks to Redis (not eagerly), under a key prefix of its own."""
    import redis

    prefix = f"tenancy-itest-{uuid.uuid4().hex[:10]}:"
    saved = {
        name: celery_app.conf[name]
        for name in ("broker_url", "task_always_eager", "broker_transport_options")
    }
    _forget_broker_connections()
    celery_app.conf.update(
        broker_url=redis_url,
        task_always_eager=False,
        broker_transport_options={
            **saved["broker_transport_options"],
            "global_keyprefix": prefix,
        },
    )
    try:
        yield prefix
    finally:
        _forget_broker_connections()
        celery_app.conf.update(saved)
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


class Worker:
    """A `celery -A portal worker` subprocess in its own process group."""

    def __init__(self, *, env: dict[str, str], log: Path, pool: str, concurrency: int) -> None:
        self.env, self.log, self.pool, self.concurrency = env, log, pool, concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(CELERY), "-A", "portal", "worker",
                    "-P", self.pool, "-c", str(self.concurrency),
                    "-n", f"itest-{uuid.uuid4().hex[:8]}@%h",
                    "--without-mingle", "--without-gossip", "--without-heartbeat",
                    "--loglevel", "INFO",
                ],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited:\n{self.log.read_text()[-3000:]}")
            return b" ready." in self.log.read_bytes()[offset:]

        wait_until(ready, what="the Celery worker to be ready", timeout=60)
        return self

    def children(self) -> list[int]:
        """The pool's child processes (prefork)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool): nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def start_worker(remote_plain, shared_database, broker, emulator_server, tmp_path):
    url, key = emulator_server
    env = serving_env(
        DJANGO_SETTINGS_MODULE="tests.portal.tenancy.worker_settings",
        DATABASE_URL=shared_database,
        DJANGO_CONN_MAX_AGE="0",
        PLAIN_API_URL=url,
        PLAIN_API_KEY=key,
        CELERY_BROKER_URL=REDIS_URL,
        TENANCY_ITEST_KEYPREFIX=broker,
        OUTBOX_RETRY_BASE_SECONDS="0.2",
    )
    workers: list[Worker] = []

    def start(*, pool: str = "prefork", concurrency: int = 2) -> Worker:
        worker = Worker(
            env=env, log=tmp_path / "worker.log", pool=pool, concurrency=concurrency
        ).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


# --- helpers ---------------------------------------------------------------------------------


def wait_for_killed_request(control: EmulatorControl, operation: str) -> None:
    """The killed task's request is still sleeping in the emulator; once it lands (it is logged
    when answered, next to the redelivered one) it can no longer spill into the next test."""
    wait_until(
        lambda: sum(r["operationName"] == operation for r in control.requests()) >= 2,
        what=f"the killed task's {operation} to be answered",
    )


def drained() -> bool:
    return not SyncEvent.objects.filter(status=SyncEvent.Status.PENDING).exists()


def expected_memberships() -> dict[str, set[str]]:
    """What the database says Plain should hold, for every user known to Plain."""
    from portal.accounts.models import User

    expected = {}
    for user in User.objects.exclude(plain_customer_id=""):
        tenants = set()
        if user.is_active:
            tenants = set(
                Organization.objects.filter(memberships__user=user).values_list(
                    "tenant_external_id", flat=True
                )
            )
        expected[user.email] = tenants
    return expected


def settle(plain: PlainClient, *, unmanaged: dict[str, set[str]] | None = None) -> None:
    """Wait for the outbox to drain and Plain to match the database (plus `unmanaged`)."""
    wait_until(
        drained,
        what="the outbox to drain",
        explain=lambda: list(
            SyncEvent.objects.filter(status="pending").values("kind", "attempts", "last_error")
        ),
    )
    failed = list(SyncEvent.objects.filter(status="failed").values("kind", "last_error"))
    assert not failed, failed
    unmanaged = unmanaged or {}

    def matches() -> bool:
        actual = plain_memberships(plain)
        wanted = expected_memberships()
        return all(
            actual.get(email, set()) == tenants | unmanaged.get(email, set())
            for email, tenants in wanted.items()
        )

    wait_until(matches, what="Plain to match the database", timeout=10)


# --- tests -----------------------------------------------------------------------------------


def test_every_kind_of_change_reaches_plain(start_worker, remote_plain):
    plain, _ = remote_plain
    start_worker()
    acme = services.organization_create(name="Acme", slug="acme")
    alice = UserFactory(email="alice@acme.test")
    bob = UserFactory(email="bob@acme.test")
    services.membership_add(user=alice, organization=acme)
    services.membership_add(user=bob, organization=acme)
    settle(plain)
    assert plain_memberships(plain) == {
        "alice@acme.test": {"org-acme"},
        "bob@acme.test": {"org-acme"},
    }

    services.membership_remove(user=bob, organization=acme)
    settle(plain)
    assert plain_memberships(plain)["bob@acme.test"] == set()

    alice.refresh_from_db()
    alice.email = "alice@acme.example"
    alice.save()
    settle(plain)
    assert "alice@acme.example" in plain_memberships(plain)

    services.organization_rename(organization=acme, name="Acme Corporation")
    settle(plain)
    assert {t.external_id: t.name for t in plain.tenants(first=100).items}[
        "org-acme"
    ] == "Acme Corporation"

    acme.tenant_external_id = "acme-eu"
    acme.save()
    settle(plain)
    assert plain_memberships(plain)["alice@acme.example"] == {"acme-eu"}

    acme.delete()
    settle(plain)
    assert plain_memberships(plain)["alice@acme.example"] == set()

    alice.delete()
    settle(plain)


def test_duplicated_and_reordered_tasks_converge(start_worker, remote_plain):
    plain, _ = remote_plain
    start_worker(concurrency=2)
    acme = services.organization_create(name="Acme", slug="acme")
    users = [UserFactory(email=f"u{n}@acme.test") for n in range(4)]
    for user in users:
        services.membership_add(user=user, organization=acme)
    for user in users[:2]:
        services.membership_remove(user=user, organization=acme)
    services.membership_add(user=users[0], organization=acme)
    settle(plain)

    # Deliver everything again, newest first and several times over, on two processes at once.
    rows = list(SyncEvent.objects.order_by("-pk").values_list("pk", flat=True))
    SyncEvent.objects.update(status=SyncEvent.Status.PENDING)
    for _ in range(3):
        for pk in rows:
            outbox_tasks.deliver.delay("tenancy.sync", pk)
    settle(plain)
    assert {email for email, t in plain_memberships(plain).items() if t} == {
        "u0@acme.test",
        "u2@acme.test",
        "u3@acme.test",
    }


def test_a_pool_process_killed_mid_task_is_redelivered(start_worker, remote_plain):
    plain, control = remote_plain
    worker = start_worker(pool="prefork", concurrency=1)
    acme = services.organization_create(name="Acme", slug="acme")
    settle(plain)
    control.set_latency(ms=2000)
    alice = UserFactory(email="alice@acme.test")
    services.membership_add(user=alice, organization=acme)
    row = SyncEvent.objects.get(user=alice)

    # The task has claimed the row and is waiting on Plain: kill the process running it.
    wait_until(
        lambda: SyncEvent.objects.filter(pk=row.pk, attempts__gte=1).exists(),
        what="the task to start",
    )
    for pid in worker.children():
        os.kill(pid, signal.SIGKILL)
    control.set_latency(ms=0)

    settle(plain)
    row.refresh_from_db()
    assert row.status == "done" and row.attempts >= 2
    assert plain_memberships(plain)["alice@acme.test"] == {"org-acme"}
    wait_for_killed_request(control, "upsertCustomer")


def test_a_worker_killed_mid_task_and_restarted_loses_nothing(start_worker, remote_plain):
    plain, control = remote_plain
    worker = start_worker(pool="solo", concurrency=1)
    acme = services.organization_create(name="Acme", slug="acme")
    settle(plain)
    control.set_latency(ms=2000)
    alice = UserFactory(email="carol@acme.test")
    services.membership_add(user=alice, organization=acme)
    row = SyncEvent.objects.get(user=alice)
    wait_until(
        lambda: SyncEvent.objects.filter(pk=row.pk, attempts__gte=1).exists(),
        what="the task to start",
    )

    worker.kill()
    control.set_latency(ms=0)
    start_worker(pool="solo", concurrency=1)
    # The message sits unacknowledged in Redis until the visibility timeout; the outbox row is
    # what guarantees delivery: once its lease has run out, the periodic sweep enqueues it again.
    row.refresh_from_db()
    assert row.status == "pending"
    lease_over = row.next_attempt_at + timedelta(seconds=outbox.HANDOFF_SECONDS + 1)
    assert services.sync_events_sweep(now=lease_over) == 1

    settle(plain)
    row.refresh_from_db()
    assert row.status == "done" and row.attempts >= 2
    assert plain_memberships(plain)["carol@acme.test"] == {"org-acme"}
    wait_for_killed_request(control, "upsertCustomer")


def test_plain_failing_for_a_while_then_recovering_ends_with_every_change(
    start_worker, remote_plain
):
    plain, control = remote_plain
    start_worker()
    acme = services.organization_create(name="Acme", slug="acme")
    settle(plain)
    control.fail_next(count=14, status=503)
    users = [UserFactory(email=f"u{n}@acme.test") for n in range(3)]
    for user in users:
        services.membership_add(user=user, organization=acme)
    services.organization_rename(organization=acme, name="Acme Corporation")

    settle(plain)
    assert all(plain_memberships(plain)[u.email] == {"org-acme"} for u in users)
    assert {t.external_id: t.name for t in plain.tenants(first=100).items}[
        "org-acme"
    ] == "Acme Corporation"
    assert SyncEvent.objects.filter(attempts__gte=2).exists()  # some had to be retried
    assert not SyncEvent.objects.exclude(last_error="").exists()


def test_unmanaged_memberships_survive_every_sync(start_worker, remote_plain):
    plain, _ = remote_plain
    start_worker()
    acme = services.organization_create(name="Acme", slug="acme")
    alice = UserFactory(email="alice@acme.test")
    services.membership_add(user=alice, organization=acme)
    settle(plain)
    alice.refresh_from_db()
    plain.upsert_tenant(external_id="crm-1", name="Made in the CRM")
    plain.add_customer_to_tenants(
        customer_id=alice.plain_customer_id, tenant_external_ids=["crm-1"]
    )
    unmanaged = {"alice@acme.test": {"crm-1"}}

    services.membership_remove(user=alice, organization=acme)
    settle(plain, unmanaged=unmanaged)
    services.membership_add(user=alice, organization=acme)
    settle(plain, unmanaged=unmanaged)
    alice.is_active = False
    alice.save()
    settle(plain, unmanaged=unmanaged)
    alice.is_active = True
    alice.save()
    settle(plain, unmanaged=unmanaged)
    acme.tenant_external_id = "acme-eu"
    acme.save()
    settle(plain, unmanaged=unmanaged)
    tasks.tenants_reconcile.delay()
    wait_until(
        lambda: Organization.objects.filter(
            pk=acme.pk, last_synced_at__gt=timezone.now() - timedelta(seconds=30)
        ).exists(),
        what="the reconciliation",
    )
    settle(plain, unmanaged=unmanaged)
    assert plain_memberships(plain)["alice@acme.test"] == {"acme-eu", "crm-1"}
    assert Membership.objects.filter(user=alice).count() == 1
