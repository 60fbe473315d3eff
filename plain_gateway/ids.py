"""The shape of Plain's ids: a short type prefix, an underscore and a ULID.

A ULID is 26 characters of Crockford's base32 (digits and capitals without I, L, O and U), the
first of them 0-7 because it encodes 128 bits. Plain's documented ids (th_, c_, te_, att_, ...)
and the emulator's (emulator/state.py `new_id`) are all of this shape, so a value that is not
can be refused before it is stored or sent.
"""

from __future__ import annotations

import re

__all__ = ["ULID_PATTERN", "id_pattern", "is_plain_id"]

ULID_PATTERN = "[0-7][0-9A-HJKMNP-TV-Z]{25}"


def id_pattern(prefix: str) -> str:
    """The regular expression (unanchored) of an id `prefix`_<ULID>."""
    return f"{re.escape(prefix)}_{ULID_PATTERN}"


def is_plain_id(value: object, *, prefix: str) -> bool:
    """Whether `value` is a string shaped like one of Plain's `prefix` ids."""
    return isinstance(value, str) and re.fullmatch(id_pattern(prefix), value) is not None
