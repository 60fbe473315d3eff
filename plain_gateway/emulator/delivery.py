"""Sending the webhooks the Webhooks family queues: over HTTP, signed, retried on Plain's schedule.

`WebhookDeliverer.deliver_due()` claims the deliveries due now on the emulator's clock (in a
transaction), POSTs each with no lock held (httpx, DELIVERY_TIMEOUT_S, redirects not followed),
and records every attempt (in another transaction): a 2xx is SUCCESSFUL_RESPONSE, any other
status (a redirect too) FAILED_RESPONSE with the status, a timeout or a connection failure ERROR
with a code (`timeout`, `connection_error`) and a message. A failed delivery falls due again after
Plain's next delay (families.webhooks.RETRY_DELAYS_S), so shifting the emulator's clock makes it
due without waiting. A URL's `user:password@` is sent as Basic auth, as Plain does.

`DeliveryWorker` is the background thread: it delivers what is due, then sleeps until the next
delivery falls due, until `wake()` (deliveries queued, the clock moved) or POLL_S at most (another
process sharing the data file may have queued some). It never runs inside a request.

The transport is injectable: the standalone server uses the network; an embedding process may give
`httpx.WSGITransport(app=...)` so deliveries reach its own WSGI app in-process.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from plain_gateway.emulator.families.webhooks import DeliveryRequest, Webhooks

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["DELIVERY_TIMEOUT_S", "POLL_S", "DeliveryWorker", "WebhookDeliverer"]

DELIVERY_TIMEOUT_S = 5.0
POLL_S = 1.0


def _split_credentials(url: str) -> tuple[str, tuple[str | bytes, str | bytes] | None]:
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (unquote(parts.username), unquote(parts.password or ""))


class WebhookDeliverer:
    """Delivers the state's due webhook deliveries through `transport` (None: the network)."""

    def __init__(
        self,
        *,
        state: State,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DELIVERY_TIMEOUT_S,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._state = state
        self._wall_clock = wall_clock
        self._client = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )
        self._lock = threading.Lock()  # one delivery pass at a time in this process

    def close(self) -> None:
        self._client.close()

    def deliver_due(self) -> list[dict[str, Any]]:
        """Send every delivery due now; returns one summary per attempt made, in order."""
        with self._lock:
            with self._state.transaction() as state:
                webhooks = state.family(Webhooks)
                webhooks.webhook_prune()
                requests = webhooks.deliveries_claim(wall_ms=round(self._wall_clock() * 1000))
            done = []
            for request in requests:
                started = time.perf_counter()
                result = self._send(request)
                duration_ms = round((time.perf_counter() - started) * 1000)
                with self._state.transaction() as state:
                    attempt = state.family(Webhooks).attempt_record(
                        request=request, duration_ms=duration_ms, result=result
                    )
                    done.append(
                        {
                            "attempt_id": attempt.id,
                            "event_id": attempt.event_id,
                            "event_type": attempt.event_type,
                            "webhook_target_id": attempt.target_id,
                            "number": attempt.number,
                            "duration_ms": duration_ms,
                            **result,
                        }
                    )
            return done

    def _send(self, request: DeliveryRequest) -> dict[str, Any]:
        url, auth = _split_credentials(request.url)
        try:
            response = self._client.post(
                url,
                content=request.body,
                headers=list(request.headers),
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:
            return {"status": "ERROR", "error_code": "timeout", "error_message": _reason(exc)}
        except httpx.HTTPError as exc:
            return {
                "status": "ERROR",
                "error_code": "connection_error",
                "error_message": _reason(exc),
            }
        status = response.status_code
        kind = "SUCCESSFUL_RESPONSE" if 200 <= status < 300 else "FAILED_RESPONSE"
        return {"status": kind, "http_status_code": status}

    def seconds_until_due(self) -> float | None:
        """Real seconds until the next pending delivery is due on the emulator's clock."""
        with self._state.transaction() as state:
            due = state.family(Webhooks).deliveries_due_at()
            if due is None:
                return None
            return max(0.0, (due - state.clock_read()) / 1000)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__


class DeliveryWorker:
    """A daemon thread running `deliverer.deliver_due()` whenever something is due."""

    def __init__(self, deliverer: WebhookDeliverer, *, poll_s: float = POLL_S) -> None:
        self._deliverer = deliverer
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._drain = False
        self._thread = threading.Thread(
            target=self._run, name="plain-emulator-webhooks", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0, *, drain: bool = False) -> None:
        """Stop after the pass in progress; with `drain`, after one more pass that sends what is
        due now (a process about to exit hands nothing it queued to the claim lease)."""
        self._drain = drain
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._deliverer.deliver_due()
                wait = self._deliverer.seconds_until_due()
            except Exception:  # keep delivering: a bad pass must not end the thread
                traceback.print_exc(file=sys.stderr)
                wait = None
            self._wake.wait(self._poll_s if wait is None else min(wait, self._poll_s))
        if self._drain:
            try:
                self._deliverer.deliver_due()
            except Exception:
                traceback.print_exc(file=sys.stderr)
