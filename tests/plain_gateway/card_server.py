"""A small customer card API for the emulator's card tests, and an emulator wired to it.

`CardServer` is a WSGI app: it records every request (path, headers, raw body, JSON) and answers
from `script`, one entry per request (a callable taking the request, or an httpx exception to
raise, which httpx.WSGITransport passes on to the emulator's client as a network failure would);
with nothing scripted it answers every requested key with a Text component.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from plain_gateway import PlainClient
from plain_gateway.emulator import EmulatorControl, create_app

KEY = "test-key"
URL = "http://emulator.test/graphql/v1"
CARDS_URL = "https://cards.test/plain/cards"

Answer = tuple[int, Any]  # status, JSON body (bytes: sent as they are)


def cards_for(keys: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "cards": [
            {"key": key, "components": [{"componentText": {"text": f"card {key}"}}], **extra}
            for key in keys
        ]
    }


def ok(request: dict[str, Any]) -> Answer:
    return 200, cards_for(request["json"]["cardKeys"])


class CardServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Callable[[dict[str, Any]], Answer] | Exception] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        request = {
            "method": environ["REQUEST_METHOD"],
            "url": f"https://{environ['HTTP_HOST']}{environ['PATH_INFO']}",
            "headers": headers,
            "body": body,
            "json": json.loads(body),
        }
        self.requests.append(request)
        step = self.script.pop(0) if self.script else ok
        if isinstance(step, Exception):
            raise step
        status, answer = step(request)
        raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [raw]


def answer(status: int, body: Any) -> Callable[[dict[str, Any]], Answer]:
    return lambda _request: (status, body)


def timeout() -> Exception:
    return httpx.ReadTimeout("the card API did not answer")


class CardsEmu:
    """An in-memory emulator whose card requests reach `server`, with the real client."""

    def __init__(self, server: CardServer | None = None, **options: Any) -> None:
        self.server = server if server is not None else CardServer()
        self.app = create_app(
            api_key=KEY, card_transport=httpx.WSGITransport(app=self.server), **options
        )
        transport = httpx.WSGITransport(app=self.app)
        self.plain = PlainClient(api_key=KEY, url=URL, transport=transport, sleep=lambda _s: None)
        self.control = EmulatorControl(url=URL, api_key=KEY, transport=transport)

    def close(self) -> None:
        self.plain.close()
        self.control.close()
        self.app.close()

    def customer(self, email: str = "ada@acme.test", external_id: str = "user-1") -> str:
        customer, _ = self.plain.upsert_customer(
            external_id=external_id, email=email, full_name="Ada"
        )
        return customer.id

    def config(self, key: str, *, url: str = CARDS_URL, **options: Any) -> str:
        arguments: dict[str, Any] = {
            "title": f"Card {key}",
            "key": key,
            "default_time_to_live_seconds": 120,
            "api_url": url,
        } | options
        return self.plain.create_customer_card_config(**arguments).id

    def shift(self, seconds: float) -> None:
        """Move the emulator's clock `seconds` further on from where it is."""
        now = self.control.clock()["offset_seconds"]
        self.control.set_clock_offset(seconds=now + seconds)
