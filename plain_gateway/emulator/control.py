"""EmulatorControl: a small client for the emulator's control API (what Plain's API cannot do).

Works against the embedded emulator (pass its httpx.WSGITransport) or a standalone one.

Webhooks (the emulator sends them to its webhook targets, see families/webhooks.py):
- `deliver_webhooks()`: POST /_emulator/webhooks/deliver sends every delivery due now on the
  emulator's clock, synchronously, and answers what it did: {"attempts": [{"attempt_id",
  "event_id", "event_type", "webhook_target_id", "number", "duration_ms", "status",
  "http_status_code" | "error_code", "error_message"}]}. With no delivery thread (an app made
  with deliver_in_background=False) nothing is sent until this is called.
- Retries fall due on the emulator's clock: `set_clock_offset(seconds=...)` makes them due at once
  (and wakes the delivery thread).
- Faults, POST /_emulator/webhooks/faults (each key optional; GET shows them, DELETE clears them
  and releases an event held for a swap):
    {"drop": n}        the next n events are not delivered at all (to any target);
    {"duplicate": n}   the next n events are delivered twice (the same event id, two deliveries);
    {"reorder": n}     the next n pairs of events are swapped: the first of a pair is held until
                       the second is queued, then sent after it;
    {"delay": {"count": n, "seconds": s}}  the next n events fall due s emulator seconds late.
- POST /_emulator/webhooks/burst {"count": n, "event_type"?, "thread_id"?}: n synthetic events
  (thread.thread_created by default; thread.thread_status_transitioned or
  thread.thread_priority_changed) built from a thread (the newest unless given), each with its
  own event id, queued for every subscribed target (for benchmarks). Answers {"event_ids"}.

Customer cards (the emulator loads them from each config's API, see families/customer_cards.py):
- `fetch_customer_cards()`: POST /_emulator/cards/fetch makes every card request due now on the
  emulator's clock, synchronously, and answers one summary per request: {"request_id", "url",
  "card_keys", "customer_id", "thread_id", "attempt" (1, or 2 for the retry), "status_code",
  "error_code", "duration_ms", "outcome" ("loaded" | "retry_scheduled" | "failed"), "cards"
  ({key: "loaded" | "error" | "retry" | "discarded"})}. With no card thread (an app made without
  fetch_cards_in_background) a card stays Loading until this is called.
- The retry after a 5xx, a 429 or a timeout falls due 1 s later on the emulator's clock:
  `set_clock_offset(seconds=...)` makes it due at once (and wakes the card thread).
- `customer_card_requests()`: GET /_emulator/cards/requests, every request made, oldest first
  (the same summaries); `clear_customer_card_requests()` forgets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import httpx

__all__ = ["EmulatorControl", "EmulatorControlError"]

GRAPHQL_SUFFIX = "/graphql/v1"

Participant = str | dict[str, Any]


class EmulatorControlError(RuntimeError):
    """The control API refused a request. `code` is the emulator's (Plain's) error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class EmulatorControl:
    """Drives an emulator whose GraphQL endpoint is `url` (…/graphql/v1)."""

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        base = url.rstrip("/")
        base = base.removesuffix(GRAPHQL_SUFFIX)
        self._client = httpx.Client(
            base_url=f"{base}/_emulator",
            headers={"Authorization": f"Bearer {api_key}"},
            transport=transport,
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._client.request(method, path, json=body)
        if response.is_success:
            return response.json()
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        error = payload.get("error") or (payload.get("errors") or [{}])[0]
        code = error.get("code") or (error.get("extensions") or {}).get("code") or "error"
        raise EmulatorControlError(
            response.status_code, code, error.get("message") or response.text
        )

    def reset(self) -> None:
        """Forget all data, faults and logged requests, and put the clock back to real time."""
        self._call("POST", "/reset")

    def inbound_email(
        self,
        *,
        from_email: str,
        subject: str,
        text: str,
        from_name: str | None = None,
        markdown: str | None = None,
        thread_id: str | None = None,
        tenant_external_id: str | None = None,
        to: Participant | None = None,
        cc: Sequence[Participant] = (),
        bcc: Sequence[Participant] = (),
        attachment_ids: Sequence[str] = (),
        category: str = "MESSAGING",
    ) -> dict[str, str]:
        """A customer's email reaches support: into `thread_id`, or a new EMAIL thread (in the
        tenant, if given). The customer is created from the sender when unknown. `category` is
        Plain's EmailCategory: MESSAGING (the customer conversation), THREAD_DISCUSSION (an
        internal discussion's email), CUSTOMER_SURVEY, UNREAD_CHAT_MESSAGES or USER_HIDDEN.

        Returns {"thread_id", "customer_id", "timeline_entry_id", "email_id"}.
        """
        delivered: dict[str, str] = self._call(
            "POST",
            "/inbound-email",
            {
                "from_email": from_email,
                "from_name": from_name,
                "subject": subject,
                "text": text,
                "markdown": markdown,
                "thread_id": thread_id,
                "tenant_external_id": tenant_external_id,
                "to": to,
                "cc": list(cc),
                "bcc": list(bcc),
                "attachment_ids": list(attachment_ids),
                "category": category,
            },
        )
        return delivered

    def add_agent(
        self,
        *,
        full_name: str,
        public_name: str,
        email: str | None = None,
        role: Literal["OWNER", "ADMIN", "SUPPORT"] = "SUPPORT",
    ) -> str:
        """Create a human agent with a role (Plain's RoleKey); returns an API key whose
        requests act as that agent."""
        body = {"full_name": full_name, "public_name": public_name, "email": email, "role": role}
        return str(self._call("POST", "/agents", body)["api_key"])

    def set_latency(self, *, ms: int) -> None:
        """Add `ms` milliseconds to every GraphQL request."""
        self._call("POST", "/faults", {"latency_ms": ms})

    def fail_next(self, *, count: int, status: int, retry_after_seconds: int | None = None) -> None:
        """Answer the next `count` GraphQL requests with `status` (429 or 5xx)."""
        self._call(
            "POST",
            "/faults",
            {
                "fail_next": count,
                "status": status,
                "retry_after_seconds": retry_after_seconds,
            },
        )

    def fail_after_apply(
        self, *, operation: str, count: int = 1, status: int | Literal["drop"] = 504
    ) -> None:
        """Run the next `count` requests whose root field is `operation` (e.g. "createThread"),
        commit their writes, then lose each answer: `status` (502, 503 or 504) instead of it, or
        "drop" to cut the connection with no answer (the standalone server only). Count 0 clears.
        """
        body = {"operation": operation, "count": count, "status": status}
        self._call("POST", "/faults", {"fail_after_apply": body})

    def faults(self) -> dict[str, Any]:
        """The faults now set: latency_ms, fail_next, status, retry_after_seconds and
        fail_after_apply ({operation: {"count", "status"}})."""
        faults: dict[str, Any] = self._call("GET", "/faults")
        return faults

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_clock_offset(self, *, seconds: float) -> None:
        """Run the emulator's clock `seconds` away from real time (negative: in the past; 0: real
        time again). Moved back, it never goes before the newest thread activity, so a history
        must be written oldest first. The offset is the serving process's, not the data file's.
        """
        self._call("POST", "/clock", {"offset_seconds": seconds})

    def clock(self) -> dict[str, Any]:
        """{"offset_seconds": float, "now": ISO 8601}: the offset and the emulator's time."""
        clock: dict[str, Any] = self._call("GET", "/clock")
        return clock

    def set_search_matches_notes(self, match: bool) -> None:
        """Whether searchThreads matches note text (true by default, the worst case for a
        portal: Plain does not document it). A reset makes it true again."""
        self._call("POST", "/search", {"match_notes": match})

    def search_matches_notes(self) -> bool:
        return bool(self._call("GET", "/search")["match_notes"])

    def requests(self) -> list[dict[str, Any]]:
        """The GraphQL requests seen, oldest first: operationName, variables, timestamp, status."""
        requests: list[dict[str, Any]] = self._call("GET", "/requests")["requests"]
        return requests

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    # --- webhooks -------------------------------------------------------------------------------

    def deliver_webhooks(self) -> list[dict[str, Any]]:
        """Send every webhook delivery due now; returns one summary per attempt made."""
        attempts: list[dict[str, Any]] = self._call("POST", "/webhooks/deliver")["attempts"]
        return attempts

    def set_webhook_faults(
        self,
        *,
        drop: int | None = None,
        duplicate: int | None = None,
        reorder: int | None = None,
        delay_count: int | None = None,
        delay_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Set webhook faults (see the module docstring); None leaves one as it is."""
        body: dict[str, Any] = {
            k: v
            for k, v in {"drop": drop, "duplicate": duplicate, "reorder": reorder}.items()
            if v is not None
        }
        if delay_seconds is not None:
            body["delay"] = {"count": 1 if delay_count is None else delay_count}
            body["delay"]["seconds"] = delay_seconds
        faults: dict[str, Any] = self._call("POST", "/webhooks/faults", body)
        return faults

    def webhook_faults(self) -> dict[str, Any]:
        """{"drop", "duplicate", "reorder", "delay": {"count", "seconds"}, "held"}."""
        faults: dict[str, Any] = self._call("GET", "/webhooks/faults")
        return faults

    def clear_webhook_faults(self) -> None:
        self._call("DELETE", "/webhooks/faults")

    def webhook_burst(
        self,
        *,
        count: int,
        event_type: str = "thread.thread_created",
        thread_id: str | None = None,
    ) -> list[str]:
        """Queue `count` synthetic events for every subscribed target; returns their ids."""
        body: dict[str, Any] = {"count": count, "event_type": event_type}
        if thread_id is not None:
            body["thread_id"] = thread_id
        ids: list[str] = self._call("POST", "/webhooks/burst", body)["event_ids"]
        return ids

    # --- customer cards -------------------------------------------------------------------------

    def fetch_customer_cards(self) -> list[dict[str, Any]]:
        """Make every customer card request due now; returns one summary per request made."""
        requests: list[dict[str, Any]] = self._call("POST", "/cards/fetch")["requests"]
        return requests

    def customer_card_requests(self) -> list[dict[str, Any]]:
        """Every customer card request the emulator made, oldest first (see the docstring)."""
        requests: list[dict[str, Any]] = self._call("GET", "/cards/requests")["requests"]
        return requests

    def clear_customer_card_requests(self) -> None:
        self._call("DELETE", "/cards/requests")
