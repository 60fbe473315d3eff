"""The emulator asks for customer cards as Plain does: just in time, batched, signed, retried
once, cached.

Everything runs the real emulator and the real client over httpx.WSGITransport; card requests
reach a small WSGI card API (card_server.py) through create_app(card_transport=...), and are
made step by step with the control route POST /_emulator/cards/fetch; the standalone server's own
card thread is tested at the end, against a loopback HTTP card API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from plain_gateway import PlainClient
from plain_gateway.components import Text
from plain_gateway.emulator import EmulatorControl
from plain_gateway.emulator.families.customer_cards import CARD_USER_AGENT
from plain_gateway.emulator.store import Event
from tests.plain_gateway.card_server import (
    CARDS_URL,
    CardsEmu,
    answer,
    cards_for,
    timeout,
)
from tests.plain_gateway.conftest import PROJECT_ROOT, SERVED_KEY

FIVE_MINUTES = 300


@pytest.fixture
def emu() -> Iterator[CardsEmu]:
    emulator = CardsEmu()
    yield emulator
    emulator.close()


def _states(emu: CardsEmu, customer_id: str, thread_id: str | None = None) -> list[str]:
    cards = emu.plain.customer_card_instances(customer_id=customer_id, thread_id=thread_id)
    return [card.state for card in cards]


# --- just in time ---------------------------------------------------------------------------------


def test_a_card_is_loading_until_fetched_then_loaded_with_its_components(emu):
    customer_id = emu.customer()
    emu.config("usage")

    (loading,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert (loading.state, loading.config.key, loading.components) == ("loading", "usage", None)
    assert emu.server.requests == []  # nothing is fetched inside the GraphQL request

    (fetched,) = emu.control.fetch_customer_cards()
    assert (fetched["card_keys"], fetched["status_code"], fetched["outcome"]) == (
        ["usage"],
        200,
        "loaded",
    )
    (loaded,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert loaded.id == loading.id
    assert (loaded.state, loaded.components) == ("loaded", (Text(text="card usage"),))
    assert loaded.expires_at - loaded.loaded_at == timedelta(seconds=120)
    assert emu.control.fetch_customer_cards() == []  # cached: nothing more to fetch
    assert len(emu.server.requests) == 1


def test_the_request_is_plains_post_signed_with_the_workspace_secret(emu):
    customer_id = emu.customer(email="ada@acme.test", external_id="user-7")
    emu.config("usage", api_headers={"Authorization": "Bearer card-token"})
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.control.fetch_customer_cards()

    (request,) = emu.server.requests
    assert (request["method"], request["url"]) == ("POST", CARDS_URL)
    assert request["json"] == {
        "cardKeys": ["usage"],
        "customer": {"id": customer_id, "email": "ada@acme.test", "externalId": "user-7"},
    }
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == CARD_USER_AGENT == "Plain/1.0 (plain.com; help@plain.com)"
    assert headers["authorization"] == "Bearer card-token"
    workspace_id = emu.app.state.signing_workspace_id()
    assert headers["plain-workspace-id"] == workspace_id
    secret = emu.plain.workspace_hmac_secret()
    expected = hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["plain-request-signature"], expected)


def test_in_a_thread_the_body_names_the_thread_and_the_card_is_that_threads(emu):
    customer_id = emu.customer()
    thread = emu.plain.create_thread(
        customer_id=customer_id,
        tenant_external_id=None,
        title="Help",
        text="Hello",
        external_id="ticket-9",
    )
    emu.config("usage")
    emu.plain.customer_card_instances(customer_id=customer_id, thread_id=thread.id)
    emu.control.fetch_customer_cards()
    (request,) = emu.server.requests
    assert request["json"]["thread"] == {"id": thread.id, "externalId": "ticket-9"}

    # Without the thread it is another instance, loaded with its own request.
    assert _states(emu, customer_id) == ["loading"]
    assert _states(emu, customer_id, thread.id) == ["loaded"]
    emu.control.fetch_customer_cards()
    assert "thread" not in emu.server.requests[-1]["json"]


def test_a_thread_of_another_customer_or_an_unknown_customer_is_refused(emu):
    from plain_gateway import PlainBadUserInputError

    ada, bob = emu.customer(), emu.customer(email="bob@acme.test", external_id="user-2")
    thread = emu.plain.create_thread(
        customer_id=bob, tenant_external_id=None, title="Help", text="Hi"
    )
    emu.config("usage")
    with pytest.raises(PlainBadUserInputError):
        emu.plain.customer_card_instances(customer_id=ada, thread_id=thread.id)
    with pytest.raises(PlainBadUserInputError):
        emu.plain.customer_card_instances(customer_id="c_unknown")


# --- batching -------------------------------------------------------------------------------------


def test_configs_with_the_same_api_details_share_one_request_and_others_get_their_own(emu):
    customer_id = emu.customer()
    emu.config("a", api_headers={"Authorization": "Bearer t", "X-Team": "cards"})
    # URL trimmed; header names trimmed and case-insensitive, in any order: the same API.
    emu.config(
        "b",
        url=f"  {CARDS_URL} ",
        api_headers={" x-team ": "cards", "AUTHORIZATION": "Bearer t"},
    )
    emu.config("c", api_headers={"Authorization": "bearer t", "X-Team": "cards"})  # value differs
    emu.config(
        "d", url=CARDS_URL + "/", api_headers={"Authorization": "Bearer t", "X-Team": "cards"}
    )
    emu.config(
        "e",
        url=CARDS_URL.replace("cards", "Cards"),
        api_headers={"Authorization": "Bearer t", "X-Team": "cards"},
    )

    emu.plain.customer_card_instances(customer_id=customer_id)
    fetched = emu.control.fetch_customer_cards()
    assert sorted(f["card_keys"] for f in fetched) == [["a", "b"], ["c"], ["d"], ["e"]]
    assert sorted(r["json"]["cardKeys"] for r in emu.server.requests) == [
        ["a", "b"],
        ["c"],
        ["d"],
        ["e"],
    ]
    assert _states(emu, customer_id) == ["loaded"] * 5


def test_each_customer_gets_their_own_request(emu):
    ada, bob = emu.customer(), emu.customer(email="bob@acme.test", external_id="user-2")
    emu.config("a")
    emu.config("b")
    emu.plain.customer_card_instances(customer_id=ada)
    emu.plain.customer_card_instances(customer_id=bob)
    emu.control.fetch_customer_cards()
    assert sorted(
        (r["json"]["customer"]["id"], tuple(r["json"]["cardKeys"])) for r in emu.server.requests
    ) == sorted([(ada, ("a", "b")), (bob, ("a", "b"))])


def test_a_reload_fetches_that_one_card_alone_and_leaves_the_others_cached(emu):
    customer_id = emu.customer()
    first_a = emu.config("a")
    emu.config("b")
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.control.fetch_customer_cards()
    before = {c.config.key: c for c in emu.plain.customer_card_instances(customer_id=customer_id)}

    reloaded = emu.plain.reload_customer_card_instance(
        customer_id=customer_id, customer_card_config_id=first_a
    )
    assert reloaded.state == "loading" and reloaded.id != before["a"].id
    (fetched,) = emu.control.fetch_customer_cards()
    assert fetched["card_keys"] == ["a"]
    assert emu.server.requests[-1]["json"]["cardKeys"] == ["a"]
    after = {c.config.key: c for c in emu.plain.customer_card_instances(customer_id=customer_id)}
    assert (after["a"].id, after["a"].state) == (reloaded.id, "loaded")
    assert after["b"] == before["b"]


# --- retries --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "status_code", "error_code"),
    [(answer(500, {}), 500, None), (answer(429, {}), 429, None), (timeout(), None, "timeout")],
    ids=["500", "429", "timeout"],
)
def test_a_retriable_failure_is_retried_once_a_second_later_on_the_emulators_clock(
    emu, failure, status_code, error_code
):
    customer_id = emu.customer()
    emu.config("usage")
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.server.script = [failure]

    (first,) = emu.control.fetch_customer_cards()
    assert (first["attempt"], first["status_code"], first["error_code"], first["outcome"]) == (
        1,
        status_code,
        error_code,
        "retry_scheduled",
    )
    assert _states(emu, customer_id) == ["loading"]
    assert emu.control.fetch_customer_cards() == []  # not due before a second has passed

    emu.shift(1)
    (second,) = emu.control.fetch_customer_cards()
    assert (second["attempt"], second["status_code"], second["outcome"]) == (2, 200, "loaded")
    assert _states(emu, customer_id) == ["loaded"]
    log = emu.control.customer_card_requests()
    assert [(r["attempt"], r["outcome"]) for r in log] == [
        (1, "retry_scheduled"),
        (2, "loaded"),
    ]


@pytest.mark.parametrize(
    ("failure", "kind", "detail_part"),
    [
        (answer(503, {}), "StatusCode", "HTTP 503"),
        (answer(429, {}), "StatusCode", "HTTP 429"),
        (timeout(), "Timeout", "timeout 15 s"),
        (httpx.ConnectError("refused"), "Request", "error code connection_error"),
    ],
    ids=["503", "429", "timeout", "connection"],
)
def test_a_retriable_failure_twice_is_an_error_that_is_not_cached(emu, failure, kind, detail_part):
    customer_id = emu.customer()
    emu.config("usage")
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.server.script = [failure, failure]
    emu.control.fetch_customer_cards()
    emu.shift(1)
    (second,) = emu.control.fetch_customer_cards()
    assert (second["attempt"], second["outcome"], second["cards"]) == (
        2,
        "failed",
        {"usage": "error"},
    )

    # The next read tells of the error; the one after it loads the card again (not cached).
    (failed,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert (failed.state, failed.error_kind) == ("error", kind)
    assert detail_part in failed.error_detail
    (again,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert again.state == "loading" and again.id != failed.id
    (third,) = emu.control.fetch_customer_cards()
    assert (third["attempt"], third["outcome"]) == (1, "loaded")


# --- integration errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "detail_part"),
    [
        (answer(404, {}), "StatusCode", "HTTP 404"),
        (answer(201, cards_for(["usage"])), "StatusCode", "HTTP 201"),
        (answer(302, {}), "StatusCode", "HTTP 302"),
        (answer(200, b"<html>not json"), "ResponseBody", "not JSON"),
        (answer(200, {"cards": {"usage": []}}), "ResponseBody", '"cards" list'),
        (answer(200, {"cards": [{"key": "usage"}]}), "ResponseBody", "no components"),
        (
            answer(200, {"cards": [{"key": "usage", "components": [{"componentNope": {}}]}]}),
            "ResponseBody",
            "usage",
        ),
        (
            answer(200, {"cards": [{"key": "usage", "components": [], "timeToLiveSeconds": "1h"}]}),
            "ResponseBody",
            "timeToLiveSeconds",
        ),
        (answer(200, cards_for(["other"])), "MissingCard", "card key usage"),
    ],
    ids=[
        "404",
        "201",
        "redirect",
        "not-json",
        "cards-not-a-list",
        "no-components",
        "bad-component",
        "bad-ttl",
        "missing-key",
    ],
)
def test_an_integration_error_is_not_retried_and_is_cached_five_minutes(
    emu, reply, kind, detail_part
):
    customer_id = emu.customer()
    emu.config("usage")
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.server.script = [reply]
    (fetched,) = emu.control.fetch_customer_cards()
    assert (fetched["attempt"], fetched["cards"]) == (1, {"usage": "error"})

    emu.shift(1)
    assert emu.control.fetch_customer_cards() == []  # not retried
    (failed,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert (failed.state, failed.error_kind) == ("error", kind)
    assert detail_part in failed.error_detail
    emu.shift(FIVE_MINUTES - 5)
    assert emu.plain.customer_card_instances(customer_id=customer_id) == (failed,)
    assert emu.control.fetch_customer_cards() == []

    emu.shift(5)
    assert _states(emu, customer_id) == ["loading"]
    emu.control.fetch_customer_cards()
    assert _states(emu, customer_id) == ["loaded"]
    assert len(emu.server.requests) == 2


def test_a_missing_key_fails_only_that_card_and_extra_cards_are_ignored(emu):
    customer_id = emu.customer()
    emu.config("a")
    emu.config("b")
    emu.server.script = [answer(200, cards_for(["a", "zzz"]))]
    emu.plain.customer_card_instances(customer_id=customer_id)
    (fetched,) = emu.control.fetch_customer_cards()
    assert fetched["cards"] == {"a": "loaded", "b": "error"}
    a, b = emu.plain.customer_card_instances(customer_id=customer_id)
    assert (a.state, b.state, b.error_kind) == ("loaded", "error", "MissingCard")


def test_null_components_load_a_card_with_no_data(emu):
    customer_id = emu.customer()
    emu.config("usage")
    emu.server.script = [answer(200, {"cards": [{"key": "usage", "components": None}]})]
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.control.fetch_customer_cards()
    (card,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert (card.state, card.components) == ("loaded", None)


# --- caching --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ttl", "cached_for"), [(None, 120), (60, 60), (3, 15), (10**9, 31_536_000)]
)
def test_a_card_is_cached_for_its_answers_ttl_or_else_the_configs_default(emu, ttl, cached_for):
    customer_id = emu.customer()
    emu.config("usage", default_time_to_live_seconds=120)
    body = cards_for(["usage"]) if ttl is None else cards_for(["usage"], timeToLiveSeconds=ttl)
    emu.server.script = [answer(200, body)]
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.control.fetch_customer_cards()
    (card,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert card.expires_at - card.loaded_at == timedelta(seconds=cached_for)

    emu.shift(cached_for - 1)
    assert emu.plain.customer_card_instances(customer_id=customer_id) == (card,)
    emu.shift(2)
    (expired,) = emu.plain.customer_card_instances(customer_id=customer_id)
    assert expired.state == "loading" and expired.id != card.id


def test_changing_a_configs_api_drops_its_cached_cards_and_disabling_hides_it(emu):
    customer_id = emu.customer()
    config_id = emu.config("usage")
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.control.fetch_customer_cards()
    emu.plain.update_customer_card_config(customer_card_config_id=config_id, title="Usage!")
    assert _states(emu, customer_id) == ["loaded"]
    emu.plain.update_customer_card_config(
        customer_card_config_id=config_id, api_headers={"Authorization": "Bearer new"}
    )
    assert _states(emu, customer_id) == ["loading"]
    emu.plain.update_customer_card_config(customer_card_config_id=config_id, is_enabled=False)
    assert _states(emu, customer_id) == []
    assert emu.control.fetch_customer_cards() == []


def test_cards_come_in_the_configs_order(emu):
    customer_id = emu.customer()
    a, b, c = emu.config("a"), emu.config("b"), emu.config("c")
    emu.plain.reorder_customer_card_configs(orders={c: 0, a: 1})
    keys = [card.config.key for card in emu.plain.customer_card_instances(customer_id=customer_id)]
    assert keys == ["c", "a", "b"]
    (fetched,) = emu.control.fetch_customer_cards()
    assert fetched["card_keys"] == ["c", "a", "b"]
    assert b


# --- control API and events -----------------------------------------------------------------------


def test_the_request_log_is_kept_until_cleared_or_reset(emu):
    customer_id = emu.customer()
    emu.config("usage")
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.control.fetch_customer_cards()
    (logged,) = emu.control.customer_card_requests()
    assert (logged["url"], logged["card_keys"], logged["customer_id"]) == (
        CARDS_URL,
        ["usage"],
        customer_id,
    )
    assert isinstance(logged["duration_ms"], int)
    emu.control.clear_customer_card_requests()
    assert emu.control.customer_card_requests() == []
    emu.plain.reload_customer_card_instance(
        customer_id=customer_id, customer_card_config_id=emu.plain.customer_card_configs()[0].id
    )
    emu.control.fetch_customer_cards()
    emu.control.reset()
    assert emu.control.customer_card_requests() == []


def test_config_writes_emit_their_events_and_a_refused_one_none(emu):
    seen: list[Event] = []
    emu.app.state.store.subscribe("*", seen.append)
    config_id = emu.config("usage")
    assert [e.name for e in seen] == ["customer_card_config.customer_card_config_created"]
    assert seen[0].payload == {"customer_card_config_id": config_id}
    seen.clear()
    from plain_gateway import PlainMutationError

    with pytest.raises(PlainMutationError):
        emu.config("usage")  # the key is taken
    assert seen == []
    emu.plain.delete_customer_card_config(customer_card_config_id=config_id)
    assert [e.name for e in seen] == ["customer_card_config.customer_card_config_deleted"]


def test_deleting_a_config_while_its_card_loads_discards_the_answer(emu):
    customer_id = emu.customer()
    config_id = emu.config("usage")
    emu.plain.customer_card_instances(customer_id=customer_id)
    emu.plain.delete_customer_card_config(customer_card_config_id=config_id)
    assert emu.control.fetch_customer_cards() == []
    assert emu.plain.customer_card_instances(customer_id=customer_id) == ()


# --- the standalone server ------------------------------------------------------------------------


class _Received:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.arrived = threading.Condition()


@pytest.fixture
def loopback_cards() -> Iterator[tuple[str, _Received]]:
    received = _Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            keys = json.loads(body)["cardKeys"]
            raw = json.dumps(cards_for(keys)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            with received.arrived:
                received.requests.append({"headers": dict(self.headers), "body": body})
                received.arrived.notify_all()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/plain/cards", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served_http(tmp_path) -> Iterator[str]:
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
        line = process.stdout.readline()
        assert "serving" in line, process.stderr.read() if process.poll() is not None else line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_standalone_server_loads_cards_from_a_loopback_api_on_its_own(
    served_http, loopback_cards
):
    url, received = loopback_cards
    with (
        PlainClient(api_key=SERVED_KEY, url=served_http) as plain,
        EmulatorControl(url=served_http, api_key=SERVED_KEY) as control,
    ):
        customer, _ = plain.upsert_customer(
            external_id="user-1", email="ada@acme.test", full_name="Ada"
        )
        plain.create_customer_card_config(
            title="Usage", key="usage", default_time_to_live_seconds=60, api_url=url
        )
        (loading,) = plain.customer_card_instances(customer_id=customer.id)
        assert loading.state == "loading"
        with received.arrived:
            assert received.arrived.wait_for(lambda: received.requests, timeout=15)
        # The card thread holds the fetch pass until it has recorded the answer: a fetch now
        # waits for it, then finds nothing due.
        assert control.fetch_customer_cards() == []
        (loaded,) = plain.customer_card_instances(customer_id=customer.id)
        assert (loaded.id, loaded.state, loaded.components) == (
            loading.id,
            "loaded",
            (Text(text="card usage"),),
        )
        (request,) = received.requests
        secret = plain.workspace_hmac_secret()
        expected = hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["Plain-Request-Signature"] == expected
        assert [r["outcome"] for r in control.customer_card_requests()] == ["loaded"]
