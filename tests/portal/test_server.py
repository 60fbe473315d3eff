"""The image's server, for real: gunicorn with gunicorn.conf.py, serving portal.wsgi.

Clients that send a POST's headers and then stall the body must not keep /healthz (or anyone
else) waiting: with gunicorn's default single sync worker, /healthz waits for the stalled client
to time out. Needs no service but loopback; marked integration because it starts processes.
"""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.processes import ROOT, free_port, serving_env

pytestmark = pytest.mark.integration

CONFIG = ROOT / "gunicorn.conf.py"
STALLED_CLIENTS = 30
CSRF_COOKIE = "a" * 32  # a well-formed token, so the CSRF check goes on to read the body


@pytest.fixture
def server(tmp_path) -> Iterator[str]:
    port = free_port()
    env = serving_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PLAIN_EMULATOR_DATA=str(tmp_path / "plain.sqlite3"),
    )
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
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
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            # Waiting on the process doubles as the poll interval and notices an early exit.
            with pytest.raises(subprocess.TimeoutExpired):
                process.wait(timeout=0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def stall_a_post(port: int) -> socket.socket:
    """A client that sends a login POST's headers and the first bytes of its body, then waits."""
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(
        b"POST /accounts/login/ HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 4096\r\n"
        b"Cookie: csrftoken=" + CSRF_COOKIE.encode() + b"\r\n"
        b"\r\n"
        b"username=al"
    )
    return client


@pytest.mark.xfail(
    strict=False,
    reason=(
        "Known gap, found under CPU load: a connection that brings a gthread worker to its "
        "worker_connections cap is accepted but not read until one of its requests ends (gunicorn "
        "stops polling at the cap), so a health check landing there waits behind stalled bodies. "
        "Passes on an idle machine; the README's buffering proxy is the production remedy."
    ),
)
def test_healthz_answers_at_once_while_clients_stall_their_post_bodies(server):
    port = int(server.rsplit(":", 1)[1])
    stalled = [stall_a_post(port) for _ in range(STALLED_CLIENTS)]
    try:
        # Let every stalled request reach a thread that is now blocked reading its body, and let
        # each worker serve a first request (a worker's first loads the URLconf and connects to
        # the database, which on a loaded 2-core CI machine can take a second or more).
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda _: httpx.get(f"{server}/healthz", timeout=20), range(12)))

        started = time.monotonic()
        # A blocked server answers only after gunicorn's worker timeout (60 s): 5 s is "at once".
        responses = [httpx.get(f"{server}/healthz", timeout=5) for _ in range(10)]
        elapsed = time.monotonic() - started
    finally:
        for client in stalled:
            client.close()

    assert [r.status_code for r in responses] == [200] * 10
    assert [r.text for r in responses] == ["ok"] * 10
    print(f"10 /healthz with {STALLED_CLIENTS} stalled clients: {elapsed:.3f}s")


def test_the_config_serves_on_threads_sized_from_the_cpu_count(monkeypatch):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)

    config = runpy.run_path(str(CONFIG))

    assert config["worker_class"] == "gthread"
    assert config["workers"] == 5
    assert config["workers"] * config["threads"] > STALLED_CLIENTS
    assert config["graceful_timeout"] <= config["timeout"]
