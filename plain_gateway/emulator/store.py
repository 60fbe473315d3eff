"""The store every entity family shares: persistence, ids, the clock and domain events.

It knows no entity. A family registers each of its dataclasses under a kind name
(`collection("thread", Thread)`) and gets back the dict of that kind, id -> object, which the store
loads, saves and clears; the dict object stays the same for the life of the store, so a family
may keep it. A family's indexes are derived data: it registers `on_reindex(callback)` and rebuilds
them when the store (re)loads.

Timestamps are integer milliseconds since the epoch, from a clock that never returns the same value
twice, so every list has a total order. The clock can be shifted away from real time
(`clock_shift`, for a demo with a history); see there what stays guaranteed when it is moved back.

Persistence: with a `data_path` the state lives in a SQLite file, one JSON row per entity
(`entities(kind, id, data)`), blobs in their own table and counters in `meta`. `transaction()`
holds a process-wide lock and a SQLite write lock; it reloads everything when another process has
written since (a version number in the file says so) and writes the entities touched (`touch`)
when it ends, so a multi-threaded server and several processes opening the file one after another
stay consistent.

Domain events: a write calls `emit(name, **payload)` after its change is made in memory. The
events of a transaction are delivered to `subscribe`rs when it commits, in order, still under the
lock (so subscribers see them in commit order and must be quick); a transaction that fails
delivers none, and `discard_events_since(mark)` drops those of a write that was refused part way.

Hooks: `provide(hook, provider)` lets one family hand another a function (a breach time per
thread, a thread filter, ...) without either importing the other; `providers(hook)` lists them in
registration order. The store knows no hook name: the family that calls a hook documents it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ulid import ULID

from plain_gateway.emulator.errors import invalid

__all__ = ["CLOCK_OFFSET_MAX_MS", "Event", "Store", "new_id"]

CLOCK_OFFSET_MAX_MS = 10 * 366 * 24 * 60 * 60 * 1000  # ten years either way

T = TypeVar("T")


def new_id(prefix: str, at_ms: int) -> str:
    return f"{prefix}_{ULID.from_timestamp(at_ms / 1000)}"


@dataclass(frozen=True, slots=True)
class Event:
    """A change that committed: `name` is Plain's webhook event type where one exists."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class Store:
    """Entities by kind, in memory, optionally persisted to a SQLite file."""

    def __init__(self, *, data_path: str | None = None, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._offset_ms = 0
        self._last_ms = 0
        self.lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._version = -1
        self._kinds: dict[str, type] = {}
        self._collections: dict[str, dict[str, Any]] = {}
        self._reindexers: list[Callable[[], None]] = []
        self._activity: list[Callable[[], int]] = []
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._pending: list[Event] = []
        self._providers: dict[str, list[Callable[..., Any]]] = {}
        self.blobs: dict[str, bytes] = {}
        self.counters: dict[str, int] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._dirty_blobs: set[str] = set()
        if data_path:  # None or "" keep the state in memory
            self._db = sqlite3.connect(data_path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS entities"
                " (kind TEXT, id TEXT, data TEXT NOT NULL, PRIMARY KEY (kind, id));"
                "CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);"
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            )

    # --- registry -------------------------------------------------------------------------------

    def collection(self, kind: str, cls: type[T]) -> dict[str, T]:
        """Register dataclass `cls` as `kind` (its objects need an `id`); returns their dict."""
        if kind in self._kinds:
            raise ValueError(f"kind {kind!r} is registered twice")
        self._kinds[kind] = cls
        found: dict[str, T] = {}
        self._collections[kind] = found
        return found

    def counter(self, name: str) -> int:
        """The next value of a persisted counter (1, 2, ...)."""
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    def on_reindex(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the collections were (re)loaded or cleared."""
        self._reindexers.append(callback)

    def on_newest_activity(self, callback: Callable[[], int]) -> None:
        """`callback` gives the newest activity (ms) a family holds: clock_shift stays after it."""
        self._activity.append(callback)

    def touch(self, kind: str, entity_id: str) -> None:
        """Mark an entity changed (or deleted, when gone from its dict): saved at commit."""
        self._dirty.add((kind, entity_id))

    def remove_where(self, attribute: str, value: Any) -> dict[str, list[str]]:
        """Delete every entity, of any kind, whose `attribute` equals `value` (a cascade: e.g.
        everything carrying a deleted customer's `customer_id`), then rebuild every family's
        indexes. Returns the ids removed, by kind. Call inside transaction(), after validating."""
        removed: dict[str, list[str]] = {}
        for kind, found in self._collections.items():
            ids = [i for i, obj in found.items() if getattr(obj, attribute, None) == value]
            for entity_id in ids:
                del found[entity_id]
                self.touch(kind, entity_id)
            if ids:
                removed[kind] = sorted(ids)
        if removed:
            self.reindex()
        return removed

    def blob_put(self, blob_id: str, content: bytes) -> None:
        self.blobs[blob_id] = content
        self._dirty_blobs.add(blob_id)

    def clear(self) -> None:
        for found in self._collections.values():
            found.clear()
        self.blobs.clear()
        self.counters.clear()
        self._dirty.clear()
        self._dirty_blobs.clear()
        self.reindex()

    def reindex(self) -> None:
        for callback in self._reindexers:
            callback()

    # --- hooks ----------------------------------------------------------------------------------

    def provide(self, hook: str, provider: Callable[..., Any]) -> None:
        """Register `provider` under `hook` (a name documented by the family that calls it)."""
        self._providers.setdefault(hook, []).append(provider)

    def providers(self, hook: str) -> tuple[Callable[..., Any], ...]:
        """The providers registered under `hook`, in registration order."""
        return tuple(self._providers.get(hook, ()))

    # --- events ---------------------------------------------------------------------------------

    def subscribe(self, name: str, callback: Subscriber) -> Callable[[], None]:
        """Deliver events called `name` (or every event, for "*") to `callback` after commit.

        Returns a function that unsubscribes."""
        self._subscribers.setdefault(name, []).append(callback)
        return lambda: self._subscribers[name].remove(callback)

    def emit(self, name: str, **payload: Any) -> None:
        """Record a domain event, delivered when the transaction commits."""
        self._pending.append(Event(name, payload))

    def events_mark(self) -> int:
        return len(self._pending)

    def discard_events_since(self, mark: int) -> None:
        del self._pending[mark:]

    def _deliver(self) -> None:
        events, self._pending = self._pending, []
        if not self._subscribers:
            return
        for event in events:
            for callback in (
                *self._subscribers.get(event.name, ()),
                *self._subscribers.get("*", ()),
            ):
                callback(event)

    # --- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store for one request: reload if another process wrote, flush changes after.

        On an unexpected exception the in-memory state is thrown away and reloaded from the file
        (with a file), so a half-applied write never becomes visible; its events are dropped.
        """
        with self.lock:
            self._pending.clear()
            if self._db is None:
                try:
                    yield
                except BaseException:
                    self._pending.clear()
                    raise
                self._dirty.clear()
                self._dirty_blobs.clear()
                self._deliver()
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._sync()
                yield
                self._flush()
            except BaseException:
                self._db.execute("ROLLBACK")
                self._pending.clear()
                self._version = -1
                self.clear()
                raise
            else:
                self._db.execute("COMMIT")
            self._deliver()

    def _sync(self) -> None:
        assert self._db is not None
        row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        version = int(row[0]) if row else 0
        if version == self._version:
            return
        for found in self._collections.values():
            found.clear()
        self.blobs.clear()
        self.counters.clear()
        self._dirty.clear()
        self._dirty_blobs.clear()
        for kind, data in self._db.execute("SELECT kind, data FROM entities"):
            cls = self._kinds.get(kind)
            if cls is None:  # a kind no family registers any more
                continue
            obj = cls(**json.loads(data))
            self._collections[kind][obj.id] = obj
        for blob_id, data in self._db.execute("SELECT id, data FROM blobs"):
            self.blobs[blob_id] = bytes(data)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'counters'").fetchone()
        if row:
            self.counters.update(json.loads(row[0]))
        self.reindex()
        self._version = version
        # Another process may have written newer activity than this one has stamped.
        self._last_ms = max(self._last_ms, self._newest_activity_ms())

    def _flush(self) -> None:
        assert self._db is not None
        if not self._dirty and not self._dirty_blobs:
            return
        for kind, entity_id in sorted(self._dirty):
            obj = self._collections[kind].get(entity_id)
            if obj is None:
                self._db.execute(
                    "DELETE FROM entities WHERE kind = ? AND id = ?", (kind, entity_id)
                )
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO entities (kind, id, data) VALUES (?, ?, ?)",
                    (kind, entity_id, json.dumps(dataclasses.asdict(obj), separators=(",", ":"))),
                )
        for blob_id in self._dirty_blobs:
            if blob_id in self.blobs:
                self._db.execute(
                    "INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)",
                    (blob_id, self.blobs[blob_id]),
                )
            else:
                self._db.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
        self._version += 1
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?), ('counters', ?)",
            (str(self._version), json.dumps(self.counters)),
        )
        self._dirty.clear()
        self._dirty_blobs.clear()

    def wipe(self) -> None:
        """Forget every entity, the file's too, and put the clock back to real time.
        Call inside transaction()."""
        if self._db is not None:
            self._db.execute("DELETE FROM entities")
            self._db.execute("DELETE FROM blobs")
        self.clear()
        # Nothing is left to stay after: the clock is real time again.
        self._offset_ms = 0
        self._last_ms = 0

    # --- clock ----------------------------------------------------------------------------------

    def now(self) -> int:
        """Milliseconds since the epoch on the emulated clock (real time plus the offset),
        strictly increasing across calls while the offset stays put."""
        self._last_ms = self.clock_read()
        return self._last_ms

    def clock_read(self) -> int:
        """The time a write made now would carry, without using it up."""
        return max(int(self._clock() * 1000) + self._offset_ms, self._last_ms + 1)

    @property
    def clock_offset_ms(self) -> int:
        return self._offset_ms

    def clock_shift(self, *, offset_ms: int) -> None:
        """Run the clock `offset_ms` away from real time from now on (negative: in the past).

        Moved back, the clock never goes before the newest activity a family reports (for
        threads: the latest timeline entry or thread change): it resumes just after it instead,
        so a timeline never shows a reply before what it answers. A history is therefore written
        oldest first. Other records (customers, tenants, agents, label types) do not hold it back
        and may end up newer than threads stamped after them. The offset belongs to this process:
        it is not kept in the data file, and `wipe()` clears it.
        """
        if not -CLOCK_OFFSET_MAX_MS <= offset_ms <= CLOCK_OFFSET_MAX_MS:
            raise invalid("offset_seconds", "the offset must be within ten years of real time")
        self._offset_ms = offset_ms
        self._last_ms = self._newest_activity_ms()

    def _newest_activity_ms(self) -> int:
        return max((newest() for newest in self._activity), default=0)
