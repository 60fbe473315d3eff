"""URL converters for the ids a support URL carries, so a malformed one is a 404 at routing.

Plain's ids are a short type prefix, an underscore and a ULID: 26 characters of Crockford's
base32 (digits and capitals without I, L, O and U), the first of them 0-7 because a ULID is 128
bits. The emulator makes them the same way (plain_gateway/emulator/state.py `new_id`). A
submission's key is ours, "sub_" and a ULID too (portal/support/models.py). Anything else (a NUL,
an id longer than the database column, a lower-case or made-up id) matches no route: no view runs,
nothing is saved and Plain is not asked, and the 404 is the one an unknown id gets.
"""

from __future__ import annotations

__all__ = [
    "ULID_PATTERN",
    "AttachmentIdConverter",
    "SubmissionKeyConverter",
    "ThreadIdConverter",
    "plain_id_pattern",
]

ULID_PATTERN = "[0-7][0-9A-HJKMNP-TV-Z]{25}"


def plain_id_pattern(prefix: str) -> str:
    """The regular expression (unanchored, as converters take it) of an id `prefix`_<ULID>."""
    return f"{prefix}_{ULID_PATTERN}"


class _PrefixedUlidConverter:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ThreadIdConverter(_PrefixedUlidConverter):
    regex = plain_id_pattern("th")


class AttachmentIdConverter(_PrefixedUlidConverter):
    regex = plain_id_pattern("att")


class SubmissionKeyConverter(_PrefixedUlidConverter):
    regex = plain_id_pattern("sub")
