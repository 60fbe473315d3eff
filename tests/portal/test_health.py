"""The health endpoint and the container's health probe."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.db import connection

from portal import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert b"refused" not in response.content


def test_healthz_needs_no_login_and_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def probe_target() -> Iterator[tuple[int, list[dict], list[int]]]:
    """A loopback server standing in for gunicorn: records each request's headers."""
    seen: list[dict] = []
    status: list[int] = [200]

    def app(environ, start_response):
        seen.append(dict(environ))
        start_response(f"{status[0]} X", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, seen, status
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("allowed_hosts", "expected_host"),
    [
        ("support.example.com,localhost", "support.example.com"),
        (".example.com", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_probe_asks_healthz_as_an_allowed_host_over_forwarded_https(
    probe_target, monkeypatch, allowed_hosts, expected_host
):
    port, seen, _ = probe_target
    monkeypatch.setenv("PORT", str(port))
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", allowed_hosts)

    assert health.main() == 0

    assert seen[-1]["PATH_INFO"] == "/healthz"
    assert seen[-1]["HTTP_HOST"] == expected_host
    assert seen[-1]["HTTP_X_FORWARDED_PROTO"] == "https"


def test_probe_fails_when_the_server_is_unhealthy(probe_target, monkeypatch):
    port, _, status = probe_target
    status[0] = 503
    monkeypatch.setenv("PORT", str(port))

    assert health.main() == 1


def test_probe_fails_when_nothing_listens(monkeypatch):
    with make_server("127.0.0.1", 0, lambda e, s: []) as server:
        port = server.server_port  # bound then closed: nothing listens there any more
    monkeypatch.setenv("PORT", str(port))

    assert health.main() == 1
