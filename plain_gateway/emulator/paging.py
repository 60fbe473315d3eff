"""Relay cursor pagination over an in-memory, totally ordered list, the way Plain pages.

Plain's rules: forward (`first`/`after`) or backward (`last`/`before`), never mixed; 25 items by
default; at most 100. Cursors are opaque strings that encode the item's sort key, so a page stays
stable when items are added elsewhere in the list.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from plain_gateway import limits

T = TypeVar("T")

DEFAULT_PAGE_SIZE = limits.DEFAULT_PAGE_SIZE
MAX_PAGE_SIZE = limits.MAX_PAGE_SIZE


class PagingError(ValueError):
    """The paging arguments break Plain's rules (the request is the caller's fault)."""


@dataclass(frozen=True, slots=True)
class PageInfo:
    has_previous_page: bool
    has_next_page: bool
    start_cursor: str | None
    end_cursor: str | None


@dataclass(frozen=True, slots=True)
class Edge(Generic[T]):
    cursor: str
    node: T


@dataclass(frozen=True, slots=True)
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def cursor_encode(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise PagingError(f"invalid cursor: {cursor!r}") from exc
    if not isinstance(key, list):
        raise PagingError(f"invalid cursor: {cursor!r}")
    return tuple(key)


def paginate(
    items: Sequence[T],
    *,
    key: Callable[[T], tuple[Any, ...]],
    descending: bool = False,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    presorted: bool = False,
) -> Connection[T]:
    """One page of `items` ordered by `key` (ascending unless `descending`).

    `presorted` says `items` is already in ascending key order (timelines keep themselves sorted).
    Raises PagingError for mixed directions, negative counts, counts above 100 or bad cursors.
    """
    if (first is not None and before is not None) or (last is not None and after is not None):
        raise PagingError("first/after and last/before cannot be mixed")
    if first is not None and last is not None:
        raise PagingError("first and last cannot be used together")
    for name, count in (("first", first), ("last", last)):
        if count is not None and not 0 <= count <= MAX_PAGE_SIZE:
            raise PagingError(f"{name} must be between 0 and {MAX_PAGE_SIZE}, got {count}")
    ordered = list(items) if presorted else sorted(items, key=key)
    keys = [key(item) for item in ordered]
    lo, hi = 0, len(ordered)  # the window in ascending order
    for cursor, is_after in ((after, True), (before, False)):
        if cursor is None:
            continue
        point = _comparable(cursor_decode(cursor), keys)
        # "after" in a descending list means smaller keys, and the other way round.
        if is_after != descending:
            lo = max(lo, bisect.bisect_right(keys, point))
        else:
            hi = min(hi, bisect.bisect_left(keys, point))
    hi = max(lo, hi)
    # Work in positions of the final order: p = i (ascending) or n - 1 - i (descending).
    n = len(ordered)
    start, stop = (lo, hi) if not descending else (n - hi, n - lo)
    if last is not None:
        start = max(start, stop - last)
    else:
        stop = min(stop, start + (first if first is not None else DEFAULT_PAGE_SIZE))
    positions = range(start, stop)
    picked = [ordered[p] if not descending else ordered[n - 1 - p] for p in positions]
    edges = [Edge(cursor=cursor_encode(key(item)), node=item) for item in picked]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_previous_page=start > 0,
            has_next_page=stop < n,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=n,
    )


def _comparable(point: tuple[Any, ...], keys: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Reject a cursor whose shape cannot be compared with this list's keys (another list's)."""
    if keys:
        sample = keys[0]
        if len(point) != len(sample) or any(
            type(a) is not type(b) for a, b in zip(point, sample, strict=True)
        ):
            raise PagingError("cursor does not belong to this list")
    return point
