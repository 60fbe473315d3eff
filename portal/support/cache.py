"""The read cache: thread lists and timelines as Plain last sent them, per tenant and per thread.

A cached read depends on scopes: a thread's timeline on "thread:<id>", a list on
"tenant:<external id>" for each tenant it shows. Each scope has a version, a row of
ReadCacheStamp in our database, and the cache key holds the versions: invalidating a scope is
writing it a new version (`scopes_invalidate`), after which no read finds the old entries. The
versions live in the database, not the cache, because the worker that applies webhooks and the
web processes must agree on them: with Redis they would share the cache anyway, but the embedded
default's cache is per-process memory (LocMemCache), where an entry deleted by the worker would
stay in the web process. With versions in the database the worker's invalidation is seen by
every process on its next read; what each process keeps in its own memory is at most a
SUPPORT_READ_CACHE_TTL_SECONDS-old copy that no key leads to any more.

Webhooks keep the versions current (portal/support/handlers.py), and so do the portal's own
writes (services); the TTL bounds an entry for the events that never arrive.

Beside each fresh entry the last good answer is kept, unversioned, for
SUPPORT_READ_CACHE_STALE_SECONDS: when Plain is down or rate limiting (a retriable PlainError),
that answer is served instead, marked stale, so the page can say "this may be out of date"
rather than fail. For SUPPORT_READ_CACHE_BACKOFF_SECONDS after such a failure a read that has a
last good answer does not ask Plain again, so an outage does not cost every view its full wait.

Entries are stored as pickled bytes, and each process keeps the objects it last decoded beside
the bytes they came from (`_decoded`, a small LRU): a warm view finds the same bytes in the cache
and reuses the decoded page instead of unpickling a tree of a few hundred dataclasses again. The
shared cache stays the one source of truth: the reuse happens only when the cache still returns
byte-for-byte what was decoded, so an entry that expired, was cleared or was replaced is read
afresh. The values are frozen dataclasses and tuples, safe to share between requests.

This module caches; it does not decide access. The callers (selectors) check what comes back
against the user's memberships, read from our database on every view.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from plain_gateway import PlainError

__all__ = [
    "CachedRead",
    "read_through",
    "scope_versions",
    "scopes_invalidate",
    "tenant_scope",
    "thread_scope",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# v2: entries are pickled bytes (v1 held the objects); v3: threads carry their thread fields
# (a v2 pickle of a Thread lacks the slot).
_PREFIX = "support:read:v3"
# Set while Plain is failing: reads that have a last good answer serve it without asking.
_FAILING_KEY = f"{_PREFIX}:plain-failing"
# The version of a scope that was never invalidated.
_INITIAL_VERSION = "0"


def thread_scope(thread_id: str) -> str:
    return f"thread:{thread_id}"


def tenant_scope(tenant_external_id: str) -> str:
    return f"tenant:{tenant_external_id}"


@dataclass(frozen=True, slots=True)
class CachedRead(Generic[T]):
    """A value read through the cache. `stale` when it is the last good answer, served because
    Plain could not be asked; `fetched_at` is when Plain sent it."""

    value: T
    fetched_at: datetime
    stale: bool = False

    @property
    def stale_as_of(self) -> datetime | None:
        return self.fetched_at if self.stale else None


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    fetched_at: datetime


# Cache key -> (the bytes the cache held, the entry decoded from them), most recently used last.
_DECODED_MAX_ENTRIES = 64
_decoded: OrderedDict[str, tuple[bytes, _Entry[object]]] = OrderedDict()
_decoded_lock = threading.Lock()


def _remember(key: str, blob: bytes, entry: _Entry[T]) -> None:
    with _decoded_lock:
        _decoded[key] = (blob, entry)  # type: ignore[assignment]
        _decoded.move_to_end(key)
        while len(_decoded) > _DECODED_MAX_ENTRIES:
            _decoded.popitem(last=False)


def _entry_get(key: str) -> _Entry[T] | None:
    """The entry cached under `key`, decoded at most once per process for the same bytes."""
    blob = cache.get(key)
    if not isinstance(blob, bytes):
        return None
    with _decoded_lock:
        known = _decoded.get(key)
        if known is not None and known[0] == blob:
            _decoded.move_to_end(key)
            return known[1]  # type: ignore[return-value]
    entry: _Entry[T] = pickle.loads(blob)  # noqa: S301 - our own cache, as Django's pickles
    _remember(key, blob, entry)
    return entry


def _entry_set(keys_timeouts: Sequence[tuple[str, int]], entry: _Entry[T]) -> None:
    blob = pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
    for key, timeout in keys_timeouts:
        cache.set(key, blob, timeout)
        _remember(key, blob, entry)


def scope_versions(scopes: Iterable[str]) -> dict[str, str]:
    """The current version of each scope (one query).

    The statement is written out: every list and thread view reads it, and the ORM took ten
    times longer to build the query than the database to answer it. Every value is a parameter.
    """
    from portal.support.models import ReadCacheStamp

    wanted = sorted(set(scopes))
    if not wanted:
        return {}
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote('scope')}, {quote('version')} "  # noqa: S608 - names from _meta
        f"FROM {quote(ReadCacheStamp._meta.db_table)} "
        f"WHERE {quote('scope')} IN ({', '.join(['%s'] * len(wanted))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, wanted)
        found = dict(cursor.fetchall())
    return {scope: found.get(scope, _INITIAL_VERSION) for scope in wanted}


def scopes_invalidate(scopes: Iterable[str]) -> None:
    """Give each scope a new version: every cached read that depends on one is gone for every
    process (the last good answers stay, for outages)."""
    from portal.support.models import ReadCacheStamp

    for scope in sorted(set(scopes)):
        ReadCacheStamp.objects.update_or_create(scope=scope, defaults={"version": uuid.uuid4().hex})


def _digest(parts: Sequence[object]) -> str:
    return hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:32]


def read_through(
    *,
    kind: str,
    scopes: Sequence[str],
    params: Sequence[object],
    fetch: Callable[[], T],
    keep: Callable[[T], bool] = lambda value: True,
) -> CachedRead[T]:
    """The value for (`kind`, `params`) from the cache, else from `fetch()` (then cached, when
    `keep(value)`).

    The versions of `scopes` are read before `fetch` runs, so an invalidation that lands while
    Plain answers leaves the answer under a version no later read asks for. A retriable
    PlainError from `fetch` is answered with the last good value, marked stale, when there is
    one; otherwise, and for every other error, it propagates.
    """
    versions = scope_versions(scopes)
    base = f"{_PREFIX}:{kind}:{_digest(params)}"
    fresh_key = f"{base}:{_digest(sorted(versions.items()))}"
    last_key = f"{base}:last"
    entry: _Entry[T] | None = _entry_get(fresh_key)
    if entry is not None:
        return CachedRead(value=entry.value, fetched_at=entry.fetched_at)
    if cache.get(_FAILING_KEY) is not None:
        last: _Entry[T] | None = _entry_get(last_key)
        if last is not None:
            return CachedRead(value=last.value, fetched_at=last.fetched_at, stale=True)
    try:
        value = fetch()
    except PlainError as exc:
        if not exc.retriable:
            raise
        last = _entry_get(last_key)
        if last is None:
            raise
        logger.warning(
            "Plain failed (%s, request id %s); serving the last known %s from %s",
            type(exc).__name__,
            exc.request_id,
            kind,
            last.fetched_at.isoformat(),
        )
        cache.set(_FAILING_KEY, True, settings.SUPPORT_READ_CACHE_BACKOFF_SECONDS)
        return CachedRead(value=last.value, fetched_at=last.fetched_at, stale=True)
    cache.delete(_FAILING_KEY)
    fetched = _Entry(value=value, fetched_at=timezone.now())
    if keep(value):
        _entry_set(
            [
                (fresh_key, settings.SUPPORT_READ_CACHE_TTL_SECONDS),
                (last_key, settings.SUPPORT_READ_CACHE_STALE_SECONDS),
            ],
            fetched,
        )
    return CachedRead(value=value, fetched_at=fetched.fetched_at)
