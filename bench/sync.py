"""Sync benchmark: 1,000 organisations, 10,000 members, the calls they cost Plain and the time.

Two parts, each in a throwaway environment (bench.environment: temp SQLite), run in a child
process so nothing leaks into other benchmarks:

1. In process, eager Celery, embedded emulator at zero latency. Every request to Plain is counted
   by operation. Scenarios: the initial sync through the outbox (organisations created, then each
   member added in a transaction of its own), a reconciliation with nothing to do, 1,000 changed
   customers (500 join a second organisation, 500 leave theirs), 100 customers knocked out of
   their tenant plus 50 strangers put into managed tenants by hand (repaired by reconciliation,
   next to 200 hand-made memberships of unmanaged tenants that must survive).
   Targets: one write per changed customer; no write at all when there is nothing to do.
2. Two worker processes (`celery worker -P prefork -c 2`) on Redis, against the standalone
   emulator over HTTP at zero latency, sharing the SQLite file (WAL): wall time of the initial
   sync and of the 1,000 changes, from the first commit to the last outbox row delivered.
   Skipped, with a note, when Redis does not answer (REDIS_BENCH_URL, default
   redis://127.0.0.1:6379/14).

`python -m bench sync` runs it through the bench runner; `python -m bench.sync` directly.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx

from plain_gateway import iter_items

ROOT = Path(__file__).resolve().parent.parent
ORGS = int(os.environ.get("BENCH_SYNC_ORGS", "1000"))
MEMBERS_PER_ORG = int(os.environ.get("BENCH_SYNC_MEMBERS_PER_ORG", "10"))
# The scenario sizes (at the default scale; smaller when BENCH_SYNC_* shrink it for a quick run).
CHANGED = min(1000, ORGS * MEMBERS_PER_ORG // 2)
KNOCKED_OUT = min(100, ORGS * MEMBERS_PER_ORG // 10)
STRANGERS = min(50, ORGS)
UNMANAGED = min(200, ORGS * MEMBERS_PER_ORG // 5)
REDIS_URL = os.environ.get("REDIS_BENCH_URL", "redis://127.0.0.1:6379/14")
WORKER_TIMEOUT_SECONDS = 1800
WRITES = frozenset(
    {
        "upsertCustomer",
        "upsertTenant",
        "addCustomerToTenants",
        "removeCustomerFromTenants",
        "setCustomerTenants",
    }
)


def run() -> bool:
    """Run the benchmark in a child process and print its tables; True when targets are met."""
    return (
        subprocess.run([sys.executable, "-m", "bench.sync"], cwd=ROOT, check=False).returncode == 0
    )


# --- counting requests -------------------------------------------------------------------------


class _Calls:
    """Counts requests to Plain by operation name, at the httpx transport."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._original: Callable | None = None

    def install(self) -> None:
        original = httpx.WSGITransport.handle_request
        self._original = original
        calls = self

        def counted(transport: httpx.WSGITransport, request: httpx.Request) -> httpx.Response:
            try:
                calls.counts[json.loads(request.content).get("operationName") or "?"] += 1
            except ValueError:
                calls.counts["?"] += 1
            return original(transport, request)

        httpx.WSGITransport.handle_request = counted  # type: ignore[method-assign]

    @contextmanager
    def measure(self) -> Iterator[Counter[str]]:
        before = Counter(self.counts)
        delta: Counter[str] = Counter()
        yield delta
        delta.update(self.counts)
        delta.subtract(before)
        for name in [name for name, count in delta.items() if count <= 0]:
            del delta[name]


@dataclass
class Row:
    scenario: str
    changed: int
    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    note: str = ""

    @property
    def writes(self) -> int:
        return sum(count for name, count in self.calls.items() if name in WRITES)

    @property
    def reads(self) -> int:
        return sum(count for name, count in self.calls.items() if name not in WRITES)


# --- the in-process part -----------------------------------------------------------------------


def _seed_users(count: int, prefix: str) -> list:
    from portal.accounts.models import User

    User.objects.bulk_create(
        [
            User(email=f"{prefix}{n}@bench.test", full_name=f"Member {n}", password="!")
            for n in range(count)
        ],
        batch_size=2000,
    )
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


def _eager_part(calls: _Calls) -> tuple[list[Row], list[str]]:
    from django.db import transaction

    from portal.plain import get_plain_client
    from portal.tenancy import services
    from portal.tenancy.models import Membership, Organization, SyncEvent

    rows: list[Row] = []
    problems: list[str] = []
    plain = get_plain_client()

    # 1. Initial sync through the outbox.
    row = Row("initial sync: organisations created", ORGS)
    with calls.measure() as row.calls:
        started = time.perf_counter()
        with transaction.atomic():
            organizations = [
                services.organization_create(name=f"Org {n}", slug=f"org-{n}") for n in range(ORGS)
            ]
        row.seconds = time.perf_counter() - started
    rows.append(row)
    users = _seed_users(ORGS * MEMBERS_PER_ORG, "member")
    row = Row("initial sync: members added (new customers)", len(users))
    with calls.measure() as row.calls:
        started = time.perf_counter()
        for index, user in enumerate(users):
            services.membership_add(user=user, organization=organizations[index % ORGS])
        row.seconds = time.perf_counter() - started
    row.note = "new customers: upsertCustomer joining the tenant (onCreate.tenantIdentifiers)"
    rows.append(row)
    if row.writes != len(users):
        problems.append(f"{len(users)} new customers took {row.writes} writes")

    # 2. Nothing to do.
    row = Row("reconciliation, nothing to do", 0)
    with calls.measure() as row.calls:
        started = time.perf_counter()
        report = services.tenants_reconcile(apply=True)
        row.seconds = time.perf_counter() - started
    row.note = f"pages of 100; {report.tenants} tenants"
    rows.append(row)
    if row.writes:
        problems.append(f"a reconciliation with nothing to do wrote {row.writes} times")

    # 3. 1,000 changed customers.
    joiners = users[: CHANGED // 2]
    leavers = users[CHANGED // 2 : CHANGED]
    row = Row(f"changes: {CHANGED // 2} join a 2nd org, {CHANGED // 2} leave theirs", CHANGED)
    with calls.measure() as row.calls:
        started = time.perf_counter()
        for index, user in enumerate(joiners):
            services.membership_add(user=user, organization=organizations[(index + 1) % ORGS])
        for index, user in enumerate(leavers):
            services.membership_remove(
                user=user, organization=organizations[(index + CHANGED // 2) % ORGS]
            )
        row.seconds = time.perf_counter() - started
    rows.append(row)
    if row.writes != CHANGED:
        problems.append(f"{CHANGED} changed customers took {row.writes} writes")

    # 4. Drift made by hand in Plain, repaired by reconciliation.
    plain.upsert_tenant(external_id="bench-unmanaged", name="Made by hand")
    customer_ids = dict(
        type(users[0])
        .objects.filter(pk__in=[u.pk for u in users])
        .values_list("pk", "plain_customer_id")
    )
    knocked = users[CHANGED : CHANGED + KNOCKED_OUT]
    for index, user in enumerate(knocked):
        plain.remove_customer_from_tenants(
            customer_id=customer_ids[user.pk],
            tenant_external_ids=[organizations[(index + CHANGED) % ORGS].tenant_external_id],
        )
    for n in range(STRANGERS):
        stranger, _ = plain.upsert_customer(
            external_id=f"crm-{n}", email=f"stranger{n}@crm.test", full_name=f"Stranger {n}"
        )
        plain.add_customer_to_tenants(
            customer_id=stranger.id, tenant_external_ids=[organizations[n].tenant_external_id]
        )
    for user in users[-UNMANAGED:]:
        plain.add_customer_to_tenants(
            customer_id=customer_ids[user.pk], tenant_external_ids=["bench-unmanaged"]
        )
    row = Row(f"drift repair: {KNOCKED_OUT} knocked out, {STRANGERS} strangers", 0)
    with calls.measure() as row.calls:
        started = time.perf_counter()
        report = services.tenants_reconcile(apply=True)
        row.seconds = time.perf_counter() - started
    row.changed = len(report.drift)
    rows.append(row)
    if row.writes != KNOCKED_OUT + STRANGERS:
        problems.append(f"{KNOCKED_OUT + STRANGERS} drifted customers took {row.writes} writes")
    survivors = _count_members(plain, "bench-unmanaged")
    row.note = f"{survivors}/{UNMANAGED} unmanaged memberships kept"
    if survivors != UNMANAGED:
        problems.append(f"only {survivors} of {UNMANAGED} unmanaged memberships survived")

    row = Row("reconciliation after the repair", 0)
    with calls.measure() as row.calls:
        started = time.perf_counter()
        report = services.tenants_reconcile(apply=True)
        row.seconds = time.perf_counter() - started
    rows.append(row)
    if row.writes or not report.in_sync:
        problems.append("the reconciliation after the repair was not a no-op")
    if SyncEvent.objects.exclude(status="done").exists():
        problems.append("outbox rows left undelivered")
    assert Membership.objects.count() == len(users) + len(joiners) - len(leavers)
    assert Organization.objects.count() == ORGS
    return rows, problems


def _count_members(plain, tenant_external_id: str) -> int:
    fetch = partial(plain.customers, tenant_external_ids=[tenant_external_id], first=100)
    return sum(1 for _ in iter_items(lambda after: fetch(after=after)))


# --- the two-worker part -----------------------------------------------------------------------


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if not selector.select(timeout):
        raise RuntimeError("no output in time")
    return process.stdout.readline()


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _worker_part(directory: Path) -> tuple[list[Row], str]:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:
        return [], f"two-worker part skipped: Redis does not answer at {REDIS_URL} ({error})"

    from django.conf import settings
    from django.db import connections, transaction

    from portal.accounts.models import User
    from portal.celery import app
    from portal.plain import reset_plain_client
    from portal.tenancy import services
    from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent

    # A clean slate in the same database file, shared with the workers (WAL, immediate locks).
    for model in (SyncEvent, RetiredTenant, Membership, Organization, User):
        model.objects.all()._raw_delete("default")
    connection = connections["default"]
    connection.close()
    connection.settings_dict["OPTIONS"] = {
        **connection.settings_dict["OPTIONS"],
        "transaction_mode": "IMMEDIATE",
        "timeout": 60,
    }
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
    database = connection.settings_dict["NAME"]

    key = f"bench-{uuid.uuid4().hex}"
    emulator = subprocess.Popen(
        [sys.executable, "-m", "plain_gateway.emulator", "--port", "0", "--api-key", key],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = _read_line(emulator, 30).split()[-1]
    prefix = f"bench-sync-{uuid.uuid4().hex[:8]}:"
    settings.PLAIN_API_URL, settings.PLAIN_API_KEY = url, key
    reset_plain_client()
    app.close()
    app.amqp._producer_pool = None
    app.conf.update(
        broker_url=REDIS_URL,
        task_always_eager=False,
        broker_transport_options={
            **app.conf.broker_transport_options,
            "global_keyprefix": prefix,
        },
    )
    log = directory / "workers.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"sqlite:///{database}?transaction_mode=IMMEDIATE&timeout=60",
        "DJANGO_CONN_MAX_AGE": "600",
        "PLAIN_API_URL": url,
        "PLAIN_API_KEY": key,
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    # The workers need the key prefix too: their settings come from the environment, so pass it
    # through a tiny settings module written next to the database.
    (directory / "bench_worker_settings.py").write_text(
        "from portal.settings import *  # noqa\n"
        f"CELERY_BROKER_TRANSPORT_OPTIONS = {{**CELERY_BROKER_TRANSPORT_OPTIONS, "
        f"'global_keyprefix': {prefix!r}}}\n"
    )
    env["DJANGO_SETTINGS_MODULE"] = "bench_worker_settings"
    env["PYTHONPATH"] = f"{directory}{os.pathsep}{ROOT}"
    with log.open("wb") as out:
        workers = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("celery")), "-A", "portal", "worker",
                "-P", "prefork", "-c", "2", "--without-mingle", "--without-gossip",
                "--without-heartbeat", "--loglevel", "WARNING", "-n", f"bench-{prefix}@%h",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    rows: list[Row] = []
    try:
        # Wait for the pool: a task that answers proves the workers consume.
        _wait(lambda: bool(app.control.ping(timeout=0.5)), 120, "the workers")

        def drained() -> bool:
            return not SyncEvent.objects.filter(status=SyncEvent.Status.PENDING).exists()

        row = Row("2 workers: initial sync (orgs, then members)", ORGS * MEMBERS_PER_ORG)
        started = time.perf_counter()
        with transaction.atomic():
            organizations = [
                services.organization_create(name=f"Org {n}", slug=f"org-{n}") for n in range(ORGS)
            ]
        users = _seed_users(ORGS * MEMBERS_PER_ORG, "worker")
        for index, user in enumerate(users):
            services.membership_add(user=user, organization=organizations[index % ORGS])
        enqueued = time.perf_counter() - started
        _wait(drained, WORKER_TIMEOUT_SECONDS, "the initial sync")
        row.seconds = time.perf_counter() - started
        row.note = f"{enqueued:.1f}s of it committing and enqueuing"
        rows.append(row)

        row = Row(f"2 workers: {CHANGED // 2} join, {CHANGED // 2} leave", CHANGED)
        started = time.perf_counter()
        for index, user in enumerate(users[: CHANGED // 2]):
            services.membership_add(user=user, organization=organizations[(index + 1) % ORGS])
        for index, user in enumerate(users[CHANGED // 2 : CHANGED]):
            services.membership_remove(
                user=user, organization=organizations[(index + CHANGED // 2) % ORGS]
            )
        enqueued = time.perf_counter() - started
        _wait(drained, WORKER_TIMEOUT_SECONDS, "the changes")
        row.seconds = time.perf_counter() - started
        row.note = f"{enqueued:.1f}s of it committing and enqueuing"
        rows.append(row)

        row = Row("reconciliation over HTTP, nothing to do", 0)
        started = time.perf_counter()
        report = services.tenants_reconcile(apply=True)
        row.seconds = time.perf_counter() - started
        row.note = f"{report.reads} pages read, {len(report.drift)} drifted"
        rows.append(row)
        failed = SyncEvent.objects.filter(status="failed").count()
        note = f"{failed} outbox rows failed" if failed else ""
    finally:
        os.killpg(workers.pid, signal.SIGTERM)
        try:
            workers.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(workers.pid, signal.SIGKILL)
        emulator.terminate()
        emulator.wait(timeout=10)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for stale in client.scan_iter(match=f"{prefix}*"):
            client.delete(stale)
    return rows, note


# --- output --------------------------------------------------------------------------------------


def _table(rows: list[Row], *, counted: bool) -> str:
    if counted:
        header = ("scenario", "changed", "reads", "writes", "writes/changed", "wall s", "")
    else:
        header = ("scenario", "changed", "wall s", "per s", "")
    lines = []
    for row in rows:
        per_changed = f"{row.writes / row.changed:.2f}" if row.changed else "-"
        if counted:
            lines.append(
                (
                    row.scenario,
                    str(row.changed),
                    str(row.reads),
                    str(row.writes),
                    per_changed,
                    f"{row.seconds:.1f}",
                    row.note,
                )
            )
        else:
            rate = f"{row.changed / row.seconds:.0f}" if row.changed and row.seconds else "-"
            lines.append((row.scenario, str(row.changed), f"{row.seconds:.1f}", rate, row.note))
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    render = [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in [header, *lines]
    ]
    render.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(render)


def main() -> int:
    from bench.environment import django_configure

    directory = django_configure()
    calls = _Calls()
    calls.install()
    members = ORGS * MEMBERS_PER_ORG
    print(f"\nTenant sync: {ORGS} organisations, {members} members\n")
    rows, problems = _eager_part(calls)
    print("In process, eager Celery, embedded emulator at zero latency (calls counted):\n")
    print(_table(rows, counted=True))
    for row in rows:
        detail = ", ".join(f"{name} {count}" for name, count in sorted(row.calls.items()))
        print(f"  {row.scenario}: {detail or 'no calls'}")
    worker_rows, note = _worker_part(directory)
    if worker_rows:
        print("\nTwo worker processes (prefork -c 2) on Redis, standalone emulator over HTTP:\n")
        print(_table(worker_rows, counted=False))
    if note:
        print(f"\n{note}")
    print()
    for problem in problems:
        print(f"TARGET MISSED: {problem}")
    if not problems:
        print("Targets met: one write per changed customer; no writes when nothing changed.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
