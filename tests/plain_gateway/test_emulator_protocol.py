"""The emulator's protocol: the key is checked before anything else, in-process and over HTTP."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from plain_gateway.emulator import EmulatorControl, create_app
from tests.plain_gateway.conftest import SERVED_KEY

KEY = SERVED_KEY  # one key for both the in-process and the served emulator

# (method, path, body): requests that are wrong in every way but the key, and what the right key
# gets for them, so each case shows the key is what decides.
REQUESTS = [
    ("POST", "/graphql/v1", b"{not json", 400),
    ("POST", "/graphql/v1", b"[1, 2]", 400),
    ("POST", "/graphql/v1", b'{"query": "{ myUser { id } }", "variables": [1]}', 400),
    ("POST", "/graphql/v1", b'{"query": "{ {"}', 200),  # a parse error, as GraphQL answers it
    ("POST", "/graphql/v1", b'{"query": "{ noSuchField }"}', 200),  # a validation error
    ("POST", "/graphql/v1", b'{"query": "{ myMachineUser { id } }"}', 200),
    ("GET", "/graphql/v1", b"", 405),
    ("PUT", "/graphql/v1", b"{}", 405),
    ("POST", "/_emulator/faults", b"{not json", 400),
    ("POST", "/_emulator/faults", b'{"latency_ms": -1}', 400),
    ("GET", "/_emulator/requests", b"", 200),
    ("GET", "/_emulator/no-such-route", b"", 404),
]
WRONG_KEYS = [None, "", "wrong-key", KEY + "x", KEY[:-1], "Basic " + KEY]


@pytest.fixture(params=["in-process", "loopback HTTP"])
def http(request) -> Iterator[httpx.Client]:
    """A bare client of a fresh emulator: through WSGITransport, or a served one over HTTP."""
    if request.param == "in-process":
        transport = httpx.WSGITransport(app=create_app(api_key=KEY))
        with httpx.Client(transport=transport, base_url="http://emulator.test") as client:
            yield client
    else:
        url = request.getfixturevalue("served")
        with httpx.Client(base_url=url.removesuffix("/graphql/v1"), timeout=10) as client:
            yield client


def _send(http: httpx.Client, method: str, path: str, body: bytes, authorization: str | None):
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return http.request(method, path, content=body, headers=headers)


def _authorization(key: str | None) -> str | None:
    if key is None:
        return None
    if not key:
        return "Bearer"  # a scheme with no key (a trailing space is not a legal header value)
    return key if key.startswith("Basic ") else f"Bearer {key}"


@pytest.mark.parametrize(("method", "path", "body", "_status"), REQUESTS)
def test_a_wrong_key_is_401_whatever_the_request(http, method, path, body, _status):
    for key in WRONG_KEYS:
        response = _send(http, method, path, body, _authorization(key))

        assert response.status_code == 401, (key, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert KEY not in response.text


@pytest.mark.parametrize(("method", "path", "body", "status"), REQUESTS)
def test_with_the_right_key_the_same_requests_get_their_own_answers(
    http, method, path, body, status
):
    response = _send(http, method, path, body, f"Bearer {KEY}")

    assert response.status_code == status, response.text


def test_an_agents_key_is_checked_first_too_and_is_refused_by_the_control_api():
    transport = httpx.WSGITransport(app=create_app(api_key=KEY))
    control = EmulatorControl(
        url="http://emulator.test/graphql/v1", api_key=KEY, transport=transport
    )
    agent_key = control.add_agent(full_name="Sam Agent", public_name="Sam")
    with httpx.Client(transport=transport, base_url="http://emulator.test") as http:
        bad_json = _send(http, "POST", "/graphql/v1", b"{not json", f"Bearer {agent_key}")
        me = _send(
            http,
            "POST",
            "/graphql/v1",
            b'{"query": "{ myUser { fullName } }"}',
            f"Bearer {agent_key}",
        )
        control_api = _send(http, "GET", "/_emulator/requests", b"", f"Bearer {agent_key}")

    assert bad_json.status_code == 400
    assert me.json() == {"data": {"myUser": {"fullName": "Sam Agent"}}}
    assert control_api.status_code == 401


def test_a_refused_request_is_logged_without_its_document(http):
    _send(http, "POST", "/graphql/v1", b'{"query": "query secret { myUser { id } }"}', "Bearer no")

    log = _send(http, "GET", "/_emulator/requests", b"", f"Bearer {KEY}").json()["requests"]

    assert [(r["status"], r["operationName"], r["variables"]) for r in log] == [(401, None, None)]


# --- concurrency ---------------------------------------------------------------------------------

CLIENTS = 32
CALLS_PER_CLIENT = 6  # what one portal page may fan out


def _listen_drops() -> int | None:
    """The kernel's count of connections dropped because a listen queue was full (TcpExt
    ListenOverflows + ListenDrops), or None where /proc/net/netstat does not say.

    A dropped connection is what stalls a client: the kernel retries its SYN after a second. The
    count tells that without timing anything (timed assertions flake on a loaded machine).
    """
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            counters = dict(zip(names.split()[1:], map(int, values.split()[1:]), strict=True))
            return counters.get("ListenOverflows", 0) + counters.get("ListenDrops", 0)
    return None


def _timed_calls(url: str, count: int, start: threading.Barrier | None = None) -> list[float]:
    """`count` GraphQL calls, one after another; their durations.

    The server speaks HTTP/1.0, so each call is a new connection through the listen queue.
    """
    body = {"query": "{ myMachineUser { publicName } }"}
    headers = {"Authorization": f"Bearer {KEY}"}
    durations = []
    with httpx.Client(timeout=10) as client:  # built first: a client's TLS setup takes a while
        if start is not None:
            start.wait()
        for _ in range(count):
            began = time.perf_counter()
            response = client.post(url, json=body, headers=headers)
            durations.append(time.perf_counter() - began)
            assert response.json() == {"data": {"myMachineUser": {"publicName": "Support"}}}
    return durations


def test_the_standalone_server_answers_32_clients_at_once_without_stalling(served):
    alone = _timed_calls(served, CALLS_PER_CLIENT * 2)
    drops_before = _listen_drops()
    start = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [
            pool.submit(_timed_calls, served, CALLS_PER_CLIENT, start) for _ in range(CLIENTS)
        ]
        # Any connection reset or refusal raises here.
        together = [duration for future in futures for duration in future.result()]

    print(
        f"\n{CLIENTS} clients x {CALLS_PER_CLIENT} calls: median "
        f"{statistics.median(together) * 1000:.1f} ms, p95 "
        f"{sorted(together)[int(0.95 * len(together))] * 1000:.1f} ms, max "
        f"{max(together) * 1000:.1f} ms; one client alone: median "
        f"{statistics.median(alone) * 1000:.1f} ms, max {max(alone) * 1000:.1f} ms"
    )
    assert len(together) == CLIENTS * CALLS_PER_CLIENT
    if drops_before is not None:
        assert _listen_drops() == drops_before, "the listen queue dropped connections"
