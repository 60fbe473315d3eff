"""URL converters for the ids a support URL carries, so a malformed one is a 404 at routing.

Plain's ids are a short type prefix, an underscore and a ULID (plain_gateway.ids). A
submission's key is ours, "sub_" and a ULID too (portal/support/models.py). Anything else (a NUL,
an id longer than the database column, a lower-case or made-up id) matches no route: no view runs,
nothing is saved and Plain is not asked, and the 404 is the one an unknown id gets.
"""

from __future__ import annotations

from plain_gateway.ids import id_pattern

__all__ = ["AttachmentIdConverter", "SubmissionKeyConverter", "ThreadIdConverter"]


class _PrefixedUlidConverter:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ThreadIdConverter(_PrefixedUlidConverter):
    regex = id_pattern("th")


class AttachmentIdConverter(_PrefixedUlidConverter):
    regex = id_pattern("att")


class SubmissionKeyConverter(_PrefixedUlidConverter):
    regex = id_pattern("sub")
