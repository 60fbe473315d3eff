"""Loading the customer cards the CustomerCards family asks for: over HTTP, as Plain calls them.

`CardFetcher.fetch_due()` claims the card fetches due now on the emulator's clock (in a
transaction: the family batches and signs them), POSTs each with no lock held (httpx,
REQUEST_TIMEOUT_S, redirects not followed) and hands each result back to the family (in another
transaction), which applies Plain's protocol (families/customer_cards.py): caching, errors, and
the one retry RETRY_DELAY_MS later on the emulator's clock, so shifting the clock makes it due
without waiting. Every request made is recorded (`requests()`, the newest REQUEST_LOG_SIZE).

`CardWorker` is the background thread: it fetches what is due, then sleeps until the next fetch
falls due, until `wake()` (a load started, the clock moved) or POLL_S at most. It never runs
inside a GraphQL request: the embedded emulator is called in-process by the portal, which is
also the card API it would call.

The transport is injectable: the standalone server uses the network; an embedding process may give
`httpx.WSGITransport(app=...)` so the requests reach its own WSGI app in-process.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import deque
from typing import TYPE_CHECKING, Any

import httpx

from plain_gateway.emulator.families.customer_cards import (
    REQUEST_TIMEOUT_S,
    CardFetch,
    CustomerCards,
    FetchResult,
)

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["POLL_S", "REQUEST_LOG_SIZE", "CardFetcher", "CardWorker"]

POLL_S = 1.0
REQUEST_LOG_SIZE = 1000
MAX_RESPONSE_BYTES = 1024 * 1024  # more is not a card answer: read no further


class CardFetcher:
    """Fetches the state's due customer cards through `transport` (None: the network)."""

    def __init__(
        self,
        *,
        state: State,
        transport: httpx.BaseTransport | None = None,
        timeout: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self._state = state
        self._client = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )
        self._lock = threading.Lock()  # one fetch pass at a time in this process
        self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def requests(self) -> list[dict[str, Any]]:
        """Every card request made (oldest first): see `fetch_due` for the keys."""
        with self._log_lock:
            return list(self._log)

    def requests_clear(self) -> None:
        with self._log_lock:
            self._log.clear()

    def fetch_due(self) -> list[dict[str, Any]]:
        """Make every card request due now; returns one summary per request, in order:
        {"request_id", "url", "card_keys", "customer_id", "thread_id", "attempt",
        "status_code" (None without an answer), "error_code" ("timeout" | "connection_error" |
        None), "duration_ms", "outcome" ("loaded" | "retry_scheduled" | "failed"), "cards"
        ({key: "loaded" | "error" | "retry" | "discarded"})}."""
        with self._lock:
            with self._state.transaction() as state:
                fetches = state.family(CustomerCards).customer_card_fetches_claim()
            done = []
            for fetch in fetches:
                started = time.perf_counter()
                result = self._send(fetch)
                duration_ms = round((time.perf_counter() - started) * 1000)
                with self._state.transaction() as state:
                    applied = state.family(CustomerCards).customer_card_fetch_record(
                        fetch=fetch, result=result
                    )
                summary = {
                    "request_id": fetch.id,
                    "url": fetch.url,
                    "card_keys": list(fetch.card_keys),
                    "customer_id": fetch.customer_id,
                    "thread_id": fetch.thread_id,
                    "attempt": fetch.attempt,
                    "status_code": result.status_code,
                    "error_code": result.error,
                    "duration_ms": duration_ms,
                    **applied,
                }
                with self._log_lock:
                    self._log.append(summary)
                done.append(summary)
            return done

    def _send(self, fetch: CardFetch) -> FetchResult:
        try:
            with self._client.stream(
                "POST", fetch.url, content=fetch.body, headers=list(fetch.headers)
            ) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        break
                return FetchResult(status_code=response.status_code, body=body)
        except httpx.TimeoutException as exc:
            return FetchResult(error="timeout", message=_reason(exc))
        except httpx.HTTPError as exc:
            return FetchResult(error="connection_error", message=_reason(exc))

    def seconds_until_due(self) -> float | None:
        """Real seconds until the next card fetch is due on the emulator's clock."""
        with self._state.transaction() as state:
            due = state.family(CustomerCards).customer_card_due_at()
            if due is None:
                return None
            return max(0.0, (due - state.clock_read()) / 1000)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__


class CardWorker:
    """A daemon thread running `fetcher.fetch_due()` whenever a card fetch is due."""

    def __init__(self, fetcher: CardFetcher, *, poll_s: float = POLL_S) -> None:
        self._fetcher = fetcher
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plain-emulator-cards", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self, *_: object) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._fetcher.fetch_due()
                wait = self._fetcher.seconds_until_due()
            except Exception:  # keep fetching: a bad pass must not end the thread
                traceback.print_exc(file=sys.stderr)
                wait = None
            self._wake.wait(self._poll_s if wait is None else min(wait, self._poll_s))
