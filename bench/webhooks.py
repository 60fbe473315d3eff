"""Webhook benchmark: how fast the endpoint ingests events, how soon an agent's reply is applied.

Everything runs as it does in production, each its own process, on loopback: the standalone
emulator (`--allow-http-targets`, delivering from its background thread), the portal under
gunicorn (gunicorn.conf.py), one Celery worker (`-P solo`) on Redis applying the inbox, and a
throwaway SQLite file (WAL) they share with this process (bench.environment). The signing secret is
the emulator's, read by the portal with workspaceHmac.

1. Ingest: INGEST_EVENTS signed bodies (the shape Plain sends) POSTed to /plain/webhooks/ by
   INGEST_CLIENTS concurrent clients; events per second from the first request to the last 200.
   The worker applies them meanwhile (their threads are unknown, so they are ignored).
2. Reply to applied: REPLIES chats sent one after another by a human agent through the emulator's
   GraphQL API, each timed from the moment before the request to the moment the worker marked its
   inbox row done (`done_at`); p50 and p99.

Skipped, with a note, when Redis does not answer (REDIS_BENCH_URL, default redis://127.0.0.1:6379/8).
`python -m bench webhooks` runs it through the bench runner; `python -m bench.webhooks` directly.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_BENCH_URL", "redis://127.0.0.1:6379/8")
INGEST_EVENTS = int(os.environ.get("BENCH_WEBHOOK_EVENTS", "2000"))
INGEST_CLIENTS = int(os.environ.get("BENCH_WEBHOOK_CLIENTS", "8"))
REPLIES = int(os.environ.get("BENCH_WEBHOOK_REPLIES", "200"))
WAIT_SECONDS = 300.0
# What a serving portal needs with DEBUG off (portal/production.py refuses less).
SERVING = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-serving-key-Q8w3Lz9Xv2Nc7Rb5Tm1Ky6Hp4Js0Df3Ga8Eu2Wo9Ii5",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    "EMAIL_URL": "dummymail://",
    "DJANGO_LOG_LEVEL": "WARNING",
}


def run() -> bool:
    """Run the benchmark in a child process and print its table."""
    return (
        subprocess.run([sys.executable, "-m", "bench.webhooks"], cwd=ROOT, check=False).returncode
        == 0
    )


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    selector = selectors.DefaultSelector()
    assert process.stdout is not None
    selector.register(process.stdout, selectors.EVENT_READ)
    if not selector.select(timeout):
        raise RuntimeError("no output in time")
    return process.stdout.readline()


def _wait(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(poll)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _body(n: int, target_id: str, workspace_id: str) -> bytes:
    """A thread.chat_sent body with the fields the endpoint reads (fresh ids and timestamps)."""
    now = _stamp(datetime.now(UTC))
    thread_id = f"th_bench{n:08d}"
    return json.dumps(
        {
            "id": f"pEv_bench{uuid.uuid4().hex}",
            "type": "thread.chat_sent",
            "timestamp": now,
            "workspaceId": workspace_id,
            "payload": {
                "eventType": "thread.chat_sent",
                "thread": {"id": thread_id},
                "chat": {
                    "id": f"c_bench{n:08d}",
                    "text": "benchmark",
                    "createdBy": {"actorType": "user", "userId": "u_bench"},
                },
            },
            "webhookMetadata": {
                "webhookTargetId": target_id,
                "webhookTargetVersion": _version(),
                "webhookDeliveryAttemptId": f"wDA_bench{n:08d}",
                "webhookDeliveryAttemptNumber": 1,
                "webhookDeliveryAttemptTimestamp": now,
            },
        }
    ).encode()


def _version() -> str:
    from plain_gateway.webhooks import SUPPORTED_VERSIONS

    return max(SUPPORTED_VERSIONS)


def _ingest(portal_url: str, secret: str, target_id: str) -> tuple[float, int]:
    """(events per second, requests not answered 200)."""
    from plain_gateway.webhooks import SIGNATURE_HEADER, sign

    bodies = [_body(n, target_id, "w_bench") for n in range(INGEST_EVENTS)]
    failures = 0

    def post_all(share: list[bytes]) -> int:
        bad = 0
        with httpx.Client(base_url=portal_url, timeout=30) as http:
            for raw in share:
                response = http.post(
                    "/plain/webhooks/",
                    content=raw,
                    headers={
                        "Content-Type": "application/json",
                        SIGNATURE_HEADER: sign(raw, secret),
                    },
                )
                bad += response.status_code != 200
        return bad

    shares = [bodies[i::INGEST_CLIENTS] for i in range(INGEST_CLIENTS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(INGEST_CLIENTS) as pool:
        failures = sum(pool.map(post_all, shares))
    elapsed = time.perf_counter() - started
    return INGEST_EVENTS / elapsed, failures


def _configure() -> tuple[Path, str]:
    """Django set up on BENCH_DATABASE_URL (e.g. a PostgreSQL database of your own, emptied of
    inbox rows first) or, by default, a throwaway SQLite file in WAL mode; (directory, URL)."""
    import atexit
    import shutil
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="portal-bench-webhooks-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    url = os.environ.get("BENCH_DATABASE_URL") or (
        f"sqlite:///{directory / 'db.sqlite3'}?transaction_mode=IMMEDIATE&timeout=60"
    )
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": url,
            "PLAIN_API_URL": "",
            "PLAIN_API_KEY": "bench-key",
            "PLAIN_EMULATOR_DATA": "",
            "CELERY_BROKER_URL": REDIS_URL,
            "REDIS_URL": "",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
    )
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
    call_command("migrate", verbosity=0, interactive=False)
    return directory, url


def main() -> int:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:
        print(f"Webhooks: skipped, Redis does not answer at {REDIS_URL} ({error})")
        return 0

    directory, database_url = _configure()
    from django.conf import settings

    from plain_gateway import PlainClient
    from plain_gateway.emulator import EmulatorControl
    from portal.plain import get_plain_client, reset_plain_client
    from portal.tenancy.models import Organization
    from portal.webhooks.models import InboxEvent
    from portal.webhooks.target import target_ensure

    InboxEvent.objects.all().delete()
    Organization.objects.filter(slug="acme").delete()

    key = f"bench-{uuid.uuid4().hex}"
    emulator = subprocess.Popen(
        [
            *(sys.executable, "-m", "plain_gateway.emulator"),
            *("--port", "0", "--api-key", key, "--allow-http-targets"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = _read_line(emulator, 30).split()[-1]
    port = _free_port()
    portal_url = f"http://127.0.0.1:{port}"
    prefix = f"bench-webhooks-{uuid.uuid4().hex[:8]}:"
    settings.PLAIN_API_URL, settings.PLAIN_API_KEY = url, key
    settings.PORTAL_PUBLIC_URL = portal_url
    reset_plain_client()
    (directory / "bench_webhook_settings.py").write_text(
        "from portal.settings import *  # noqa\n"
        "CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "
        f"'global_keyprefix': {prefix!r}}}\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLAIN_"))},
        **SERVING,
        "DJANGO_SETTINGS_MODULE": "bench_webhook_settings",
        "PYTHONPATH": f"{directory}{os.pathsep}{ROOT}",
        "DATABASE_URL": database_url,
        "DJANGO_CONN_MAX_AGE": "600",
        "PLAIN_API_URL": url,
        "PLAIN_API_KEY": key,
        "PLAIN_HMAC_SECRET": "",
        "PORTAL_PUBLIC_URL": portal_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "REDIS_URL": REDIS_URL,
    }
    log = (directory / "processes.log").open("wb")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")),
            *("--bind", f"127.0.0.1:{port}", "portal.wsgi:application"),
        ],
        cwd=directory,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")), "-A", "portal", "worker",
            "-P", "solo", "--without-mingle", "--without-gossip", "--without-heartbeat",
            "--loglevel", "WARNING", "-n", f"bench-{prefix}@%h",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:

        def serving() -> bool:
            try:
                return httpx.get(f"{portal_url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wait(serving, 60, "gunicorn")
        plain = get_plain_client()
        secret = plain.workspace_hmac_secret() or ""
        report = target_ensure()
        assert report.target is not None

        rate, refused = _ingest(portal_url, secret, report.target.id)
        _wait(
            lambda: not InboxEvent.objects.filter(status="pending").exists(),
            WAIT_SECONDS,
            "the worker to apply the ingested events",
        )

        organization = Organization.objects.create(
            name="Acme", slug="acme", tenant_external_id="acme"
        )
        plain.upsert_tenant(external_id="acme", name="Acme")
        customer = plain.upsert_customer(
            external_id="bench-alice", email="alice@acme.test", full_name="Alice"
        ).item
        thread = plain.create_thread(
            customer_id=customer.id, tenant_external_id="acme", title="Bench", text="Hi"
        )
        with EmulatorControl(url=url, api_key=key) as control:
            agent_key = control.add_agent(full_name="Sam Agent", public_name="Sam")
        latencies: list[float] = []
        with PlainClient(api_key=agent_key, url=url) as agent:
            seen: set[int] = set()
            replies = InboxEvent.objects.filter(event_type="thread.chat_sent", thread_id=thread.id)
            for n in range(REPLIES):
                started = datetime.now(UTC)
                agent.send_chat(customer_id=customer.id, thread_id=thread.id, text=f"reply {n}")
                _wait(
                    lambda: replies.filter(status="done").exclude(pk__in=seen).exists(),
                    WAIT_SECONDS,
                    f"reply {n} to be applied",
                    poll=0.002,
                )
                row = replies.filter(status="done").exclude(pk__in=seen).get()
                seen.add(row.pk)
                assert row.done_at is not None
                latencies.append((row.done_at - started).total_seconds() * 1000)
        outcomes = sorted(
            set(InboxEvent.objects.filter(thread_id=thread.id).values_list("outcome", flat=True))
        )
        quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
        print()
        from django.db import connection

        print(
            "Webhooks (standalone emulator -> gunicorn -> 1 Celery worker on Redis, loopback; "
            f"{connection.vendor})"
        )
        print(
            f"  ingest: {rate:.0f} events/s ({INGEST_EVENTS} signed POSTs from {INGEST_CLIENTS} "
            f"clients, {refused} not answered 200)"
        )
        print(
            f"  agent reply -> applied: p50 {statistics.median(latencies):6.1f} ms, "
            f"p99 {quantiles[98]:6.1f} ms, max {max(latencies):6.1f} ms ({REPLIES} replies; "
            f"outcomes {', '.join(outcomes)}; organisation {organization.slug})"
        )
        return 0 if refused == 0 else 1
    finally:
        for process in (worker, server):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        emulator.terminate()
        emulator.wait(timeout=10)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for stale in client.scan_iter(match=f"{prefix}*"):
            client.delete(stale)


if __name__ == "__main__":
    sys.exit(main())
