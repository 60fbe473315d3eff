"""The registry of what the portal does with each kind of Plain event.

A handler is a function of one HandlerContext, registered for one or more event types (Plain's
`type`, e.g. "thread.chat_sent"; RECONCILED for the reconciliation's synthetic entries; ANY for
every type), from the registering app's `AppConfig.ready()`:

    from portal.webhooks.handlers import handles

    @handles("thread.chat_sent", "thread.email_sent", handlers.RECONCILED)
    def unread_mark(context: HandlerContext) -> None:
        if context.supersedes("unread"):
            ...

Handlers run on a worker, never in the web request, once per event: each in its own
transaction, and a handler that completed is not run again when the event is retried because a
later handler failed. They do not run for an event whose thread's tenant no organisation maps to
(the inbox marks it ignored), nor for the portal's own actions coming back (marked echo) unless
registered with `echoes=True`. Events can arrive out of order and more than once: read the
current thread (`context.thread`, fetched from Plain when the event was applied) rather than the
payload where order matters, guard state with `context.supersedes(key)`, and never trust a
`previousThread`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plain_gateway import Thread
from plain_gateway.webhooks import WebhookEvent

if TYPE_CHECKING:
    from portal.tenancy.models import Organization
    from portal.webhooks.models import InboxEvent

__all__ = [
    "ANY",
    "RECONCILED",
    "Handler",
    "HandlerContext",
    "handler_register",
    "handler_unregister",
    "handlers_for",
    "handles",
]

ANY = "*"
# The type of the reconciliation's entries: "this thread changed; no webhook told us how".
RECONCILED = "portal.thread_reconciled"


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """What a handler is given: the event, its inbox row, and, for an event about a thread,
    the thread as Plain has it now and the organisation its tenant maps to (an echo is not
    routed: its context has neither)."""

    event: WebhookEvent
    row: InboxEvent
    organization: Organization | None = None
    thread: Thread | None = None

    def supersedes(self, key: str = "default") -> bool:
        """Whether this event is not older than the last one applied to its thread's `key`
        state; when it is not, it becomes that last one. Always True for an event about no
        thread. Runs in the handler's transaction, so a handler that fails moves nothing."""
        if not self.event.thread_id:
            return True
        from portal.webhooks.services import thread_watermark_advance

        return thread_watermark_advance(
            thread_id=self.event.thread_id,
            key=key,
            timestamp=self.event.timestamp,
            event_id=self.event.id,
        )


@dataclass(frozen=True, slots=True)
class Handler:
    name: str
    event_types: frozenset[str]
    func: Callable[[HandlerContext], Any]
    echoes: bool = False


_HANDLERS: dict[str, Handler] = {}


def handler_register(
    *,
    event_types: Iterable[str],
    func: Callable[[HandlerContext], Any],
    name: str | None = None,
    echoes: bool = False,
) -> Handler:
    """Register `func` for `event_types` under `name` (default: its module and name).

    Registering the same handler again is harmless; another function under a taken name is a
    programming error. `name` is what the inbox records as done, so keep it stable.
    """
    handler = Handler(
        name=name or f"{func.__module__}.{func.__qualname__}",
        event_types=frozenset(event_types),
        func=func,
        echoes=echoes,
    )
    if not handler.event_types:
        raise ValueError("a handler needs at least one event type")
    existing = _HANDLERS.get(handler.name)
    if existing is not None and existing != handler:
        raise ValueError(f"another webhook handler is registered as {handler.name!r}")
    _HANDLERS[handler.name] = handler
    return handler


def handles(
    *event_types: str, name: str | None = None, echoes: bool = False
) -> Callable[[Callable[[HandlerContext], Any]], Callable[[HandlerContext], Any]]:
    """Decorator form of handler_register."""

    def decorate(func: Callable[[HandlerContext], Any]) -> Callable[[HandlerContext], Any]:
        handler_register(event_types=event_types, func=func, name=name, echoes=echoes)
        return func

    return decorate


def handler_unregister(name: str) -> None:
    """Forget a handler (tests that register a throwaway one)."""
    _HANDLERS.pop(name, None)


def handlers_for(event_type: str, *, echo: bool = False) -> list[Handler]:
    """The handlers for `event_type`, in registration order (for an echo, those that take
    echoes)."""
    return [
        handler
        for handler in _HANDLERS.values()
        if (event_type in handler.event_types or ANY in handler.event_types)
        and (handler.echoes or not echo)
    ]
