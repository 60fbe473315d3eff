"""The standalone emulator (`python -m plain_gateway.emulator`) sends webhooks itself: its
delivery thread POSTs them over real loopback HTTP to a small http.server run here, retries when
the emulator's clock is moved on, and refuses http targets without --allow-http-targets."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from plain_gateway import webhooks as portal_webhooks
from plain_gateway.emulator import EmulatorControl
from tests.plain_gateway.conftest import PROJECT_ROOT, SERVED_KEY

WAIT_S = 15.0  # an upper bound: each wait ends as soon as the request arrives


class Received:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.arrived = threading.Condition()

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=WAIT_S), (
                f"{len(self.requests)} of {count} webhooks arrived"
            )
            return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with received.arrived:
                status = received.statuses.pop(0) if received.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                received.requests.append({"headers": dict(self.headers), "body": body})
                received.arrived.notify_all()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/plain", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served_http(tmp_path) -> Iterator[str]:
    """The standalone emulator with --allow-http-targets; yields its GraphQL URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plain_gateway.emulator",
            "--port",
            "0",
            "--api-key",
            SERVED_KEY,
            "--data",
            str(tmp_path / "served.sqlite3"),
            "--allow-http-targets",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert "serving" in line, process.stderr.read() if process.stderr else line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _gql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    body = httpx.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {SERVED_KEY}"},
        timeout=10,
    ).json()
    assert "errors" not in body, body
    return dict(body["data"])


CREATE_TARGET = (
    "mutation m($i: CreateWebhookTargetInput!) { createWebhookTarget(input: $i)"
    " { webhookTarget { id } error { code fields { field } } } }"
)


def _target(url: str, target_url: str) -> dict[str, Any]:
    out = _gql(
        url,
        CREATE_TARGET,
        i={
            "url": target_url,
            "eventSubscriptions": [{"eventType": "thread.thread_created"}],
            "isEnabled": True,
            "description": "test",
        },
    )
    return dict(out["createWebhookTarget"])


def _thread(url: str) -> str:
    customer = _gql(
        url,
        "mutation m($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { customer { id } } }",
        i={
            "identifier": {"emailAddress": "ann@acme.test"},
            "onCreate": {
                "fullName": "Ann",
                "email": {"email": "ann@acme.test", "isVerified": True},
            },
            "onUpdate": {},
        },
    )["upsertCustomer"]["customer"]["id"]
    created = _gql(
        url,
        "mutation m($c: ID!) { createThread(input: { customerIdentifier: { customerId: $c },"
        ' title: "Broken", components: [{ componentText: { text: "x" } }] }) { thread { id } } }',
        c=customer,
    )
    return str(created["createThread"]["thread"]["id"])


def test_the_server_delivers_signed_webhooks_over_loopback_http_and_retries_on_its_clock(
    served_http, receiver
):
    target_url, received = receiver
    assert _target(served_http, target_url)["error"] is None
    secret = _gql(served_http, "{ workspaceHmac { hmacSecret } }")["workspaceHmac"]["hmacSecret"]
    received.statuses = [500]

    thread_id = _thread(served_http)
    first = received.wait_for(1)  # sent by the server's own thread: nobody asked it to
    EmulatorControl(url=served_http, api_key=SERVED_KEY).set_clock_offset(seconds=11)
    second = received.wait_for(2)[1]

    bodies = [json.loads(r["body"]) for r in (first[0], second)]
    assert [b["payload"]["thread"]["id"] for b in bodies] == [thread_id, thread_id]
    assert bodies[0]["id"] == bodies[1]["id"]
    assert [b["webhookMetadata"]["webhookDeliveryAttemptNumber"] for b in bodies] == [1, 2]
    event = portal_webhooks.webhook_parse(
        body=second["body"], signature=second["headers"]["Plain-Request-Signature"], secret=secret
    )
    assert event.type == "thread.thread_created"
    assert second["headers"]["Plain-Webhook-Delivery-Attempt-Number"] == "2"


def test_without_the_flag_the_server_refuses_http_targets(served):
    out = _target(served, "http://127.0.0.1:9/hooks")
    assert out["webhookTarget"] is None
    assert out["error"]["code"] == "input_validation"
    assert out["error"]["fields"] == [{"field": "url"}]
