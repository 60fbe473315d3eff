"""The errors the emulator's state raises: a write Plain would refuse, with the fields at fault.

    StateError(code, message, fields, type)   Plain's error code and MutationError type
      └─ fields: FieldError(field, message, type)   type: VALIDATION | REQUIRED | NOT_FOUND

State knows nothing of GraphQL: the resolvers (graph.mutation) turn a StateError into the
payload's `error`, Plain's MutationError, and may rename its fields into the input's paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldError", "StateError", "invalid", "not_found"]


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    type: str = "VALIDATION"  # VALIDATION | REQUIRED | NOT_FOUND


class StateError(Exception):
    """A write Plain would refuse: `code` is Plain's error code, `fields` its field errors."""

    def __init__(
        self,
        code: str,
        message: str,
        fields: Sequence[FieldError] = (),
        type: str = "VALIDATION",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = tuple(fields)
        self.type = type


def invalid(field_name: str, message: str, kind: str = "VALIDATION") -> StateError:
    """input_validation on one field (`kind` REQUIRED when it was missing)."""
    return StateError("input_validation", message, [FieldError(field_name, message, kind)])


def not_found(field_name: str, what: str, value: Any) -> StateError:
    message = f"{what} {value!r} not found"
    return StateError("not_found", message, [FieldError(field_name, message, "NOT_FOUND")])


def fields_invalid(errors: Sequence[FieldError]) -> StateError:
    """input_validation over several fields at once."""
    return StateError("input_validation", "input validation failed", errors)
