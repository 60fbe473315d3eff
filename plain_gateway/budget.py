"""A total time budget for the Plain calls made inside one unit of work (a web request).

    with plain_budget(8.0):
        ...  # every PlainClient call in here, on this thread or task, shares the 8 seconds

The client honours the innermost budget: each attempt's timeout is the smaller of the client's
per-attempt timeout and the time left; it does not wait for a retry that would end past the
deadline (it raises that attempt's error instead, as when it runs out of attempts); and with no
time left it raises PlainBudgetExceededError without sending anything. A budget nested in
another never extends it. Outside any budget (Celery tasks, scripts) the client is bounded only
by its per-attempt timeout and its attempts.

The budget lives in a contextvar, so threads and asyncio tasks each see their own. `clock` is
injectable (monotonic seconds) so tests can advance time without sleeping.

Residual: httpx's timeouts bound each phase (connect, each read, each write), not an attempt as a
whole, so a server that trickles its answer a few bytes at a time could hold one attempt past the
deadline (an attachment download checks the budget between chunks; a GraphQL answer is small).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["budget_remaining", "plain_budget"]


@dataclass(frozen=True, slots=True)
class _Deadline:
    at: float
    clock: Callable[[], float]

    def remaining(self) -> float:
        return self.at - self.clock()


_current: ContextVar[_Deadline | None] = ContextVar("plain_gateway_budget", default=None)


@contextmanager
def plain_budget(
    seconds: float | None, *, clock: Callable[[], float] = time.monotonic
) -> Iterator[None]:
    """Give the Plain calls made inside the block `seconds` in all (None or <= 0: no budget)."""
    if seconds is None or seconds <= 0:
        yield
        return
    deadline = _Deadline(at=clock() + seconds, clock=clock)
    outer = _current.get()
    if outer is not None and outer.remaining() < seconds:
        deadline = outer
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def budget_remaining() -> float | None:
    """Seconds left in the current budget (may be <= 0), or None outside any budget."""
    deadline = _current.get()
    return None if deadline is None else deadline.remaining()
