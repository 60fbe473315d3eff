"""Cheaper pickling for the gateway's frozen dataclasses.

The portal's read cache pickles whole pages of threads and timelines, a few hundred of these
objects at a time. A frozen dataclass with slots pickles through the __getstate__ and
__setstate__ that dataclasses generate, which call dataclasses.fields() for every object and set
every field through object.__setattr__. Pickled instead as a call of its class with its field
values in order, the same object costs about half as much to pickle and to unpickle, and comes
back equal: the constructor is the one that made it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

__all__ = ["compact_pickling"]


def _reduce(self: Any) -> tuple[Any, ...]:
    cls = type(self)
    return cls, tuple([getattr(self, name) for name in cls.__match_args__])


def compact_pickling(classes: Iterable[object]) -> None:
    """Make each frozen dataclass among `classes` pickle as its constructor call.

    Only classes whose constructor takes every field positionally, in field order, qualify;
    anything else (a non-dataclass, a field outside __init__ or keyword-only) is left as it is.
    """
    for cls in classes:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            continue
        fields = dataclasses.fields(cls)
        names = tuple(field.name for field in fields)
        if all(field.init and not field.kw_only for field in fields) and (
            getattr(cls, "__match_args__", None) == names
        ):
            cls.__reduce__ = _reduce  # type: ignore[method-assign]
