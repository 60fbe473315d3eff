"""The emulated workspace: the shared store plus every entity family found in `families/`.

This module and the families know nothing of GraphQL or HTTP. Every write goes through a
`<thing>_<verb>` method of a family that validates first and mutates after, raising `StateError`
(with Plain's error code and the fields at fault) before anything has changed.

`State` is what the WSGI app, the control API and tests hold. A family is reached by its class,
`state.family(Threads)` (typed); for convenience any public attribute of a family (a method or a
collection) is also an attribute of the state, `state.thread_create(...)`, `state.customers`.
The caller wraps each request in `transaction()` (see store.Store).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

from plain_gateway import limits
from plain_gateway.emulator.errors import FieldError, StateError
from plain_gateway.emulator.families import (
    SYSTEM,
    Actor,
    Family,
    FamilyModule,
    discover,
    ordered,
)
from plain_gateway.emulator.store import Store, new_id

__all__ = [
    "ATTACHMENT_BANNED_EXTENSIONS",
    "PRIORITIES",
    "SYSTEM",
    "Actor",
    "FieldError",
    "State",
    "StateError",
    "new_id",
]

ATTACHMENT_BANNED_EXTENSIONS = limits.ATTACHMENT_BANNED_EXTENSIONS
PRIORITIES = limits.PRIORITIES

F = TypeVar("F", bound=Family)

_BASE_NAMES = frozenset(dir(Family)) | {"state", "store", "requires"}


class State:
    """One emulated Plain workspace, in memory, optionally persisted to a SQLite file."""

    def __init__(
        self,
        *,
        api_key: str,
        data_path: str | None = None,
        clock: Callable[[], float] = time.time,
        families: Sequence[FamilyModule] | None = None,
    ) -> None:
        """`families` defaults to every module of the families package (families.discover())."""
        self.api_key = api_key
        self.store = Store(data_path=data_path, clock=clock)
        self._families: dict[type[Family], Family] = {}
        self._attributes: dict[str, Family] = {}
        for module in discover() if families is None else ordered(families):
            family = module.family(self)
            self._families[module.family] = family
            self.store.on_reindex(family.reindex)
            for name in dir(family):
                if name.startswith("_") or name in _BASE_NAMES:
                    continue
                if name in self._attributes:
                    other = type(self._attributes[name]).__name__
                    raise TypeError(f"{name!r} is on both {other} and {module.family.__name__}")
                self._attributes[name] = family
        self.store.clear()
        with self.transaction():
            self._bootstrap()

    def family(self, cls: type[F]) -> F:
        """The state's instance of family `cls`."""
        # Keyed by class when built, so the instance is of `cls` (no check on this hot path).
        return cast(F, self._families[cls])

    def __getattr__(self, name: str) -> Any:
        # Only called for what State itself lacks: a family's public method or collection.
        try:
            owner = self.__dict__["_attributes"][name]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(owner, name)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[State]:
        with self.store.transaction():
            yield self

    def reset(self) -> None:
        """Forget everything (the file too) and start afresh. Call inside transaction()."""
        self.store.wipe()
        self._bootstrap()

    def _bootstrap(self) -> None:
        for family in self._families.values():
            family.bootstrap()

    # --- the store's clock, for callers that hold the state ---------------------------------------

    def now(self) -> int:
        return self.store.now()

    def clock_read(self) -> int:
        return self.store.clock_read()

    @property
    def clock_offset_ms(self) -> int:
        return self.store.clock_offset_ms

    def clock_shift(self, *, offset_ms: int) -> None:
        self.store.clock_shift(offset_ms=offset_ms)

    @property
    def blobs(self) -> dict[str, bytes]:
        return self.store.blobs
