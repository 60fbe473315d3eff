"""Typed inputs for Plain's writes: what createThread takes besides its components.

Components are in plain_gateway.components. Each input type here is a frozen dataclass with
`to_graphql()` (Plain's input object, camelCase, None fields left out). The portal stores what
it will send in its own database, so each also has a neutral snake_case `to_json()` and a
`from_json()` that reads that shape and, for rows saved before it, Plain's camelCase one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["ThreadFieldInput", "ThreadFieldType"]


class ThreadFieldType(StrEnum):
    """Plain's ThreadFieldSchemaType."""

    STRING = "STRING"
    BOOL = "BOOL"
    ENUM = "ENUM"
    NUMBER = "NUMBER"
    CURRENCY = "CURRENCY"
    DATE = "DATE"


@dataclass(frozen=True, slots=True)
class ThreadFieldInput:
    """One answer for createThread's threadFields (CreateThreadFieldOnThreadInput).

    STRING and ENUM take `string_value`, BOOL `boolean_value`, NUMBER and CURRENCY
    `number_value`, DATE `date_value` (an ISO 8601 date).
    """

    key: str
    type: ThreadFieldType
    string_value: str | None = None
    boolean_value: bool | None = None
    number_value: float | None = None
    date_value: str | None = None

    def to_graphql(self) -> dict[str, Any]:
        values = {
            "stringValue": self.string_value,
            "booleanValue": self.boolean_value,
            "numberValue": self.number_value,
            "dateValue": self.date_value,
        }
        return {
            "key": self.key,
            "type": str(self.type),
            **{name: value for name, value in values.items() if value is not None},
        }

    def to_json(self) -> dict[str, Any]:
        values = {
            "string_value": self.string_value,
            "boolean_value": self.boolean_value,
            "number_value": self.number_value,
            "date_value": self.date_value,
        }
        return {
            "key": self.key,
            "type": str(self.type),
            **{name: value for name, value in values.items() if value is not None},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ThreadFieldInput:
        """From to_json()'s shape, or Plain's camelCase one (rows saved before this type).

        Raises ValueError for a key or type that is missing or unknown.
        """

        def value(snake: str, camel: str) -> Any:
            return data[snake] if snake in data else data.get(camel)

        key = data.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError("a thread field needs its key")
        return cls(
            key=key,
            type=ThreadFieldType(str(data.get("type"))),
            string_value=value("string_value", "stringValue"),
            boolean_value=value("boolean_value", "booleanValue"),
            number_value=value("number_value", "numberValue"),
            date_value=value("date_value", "dateValue"),
        )
