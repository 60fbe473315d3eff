"""What a sync row brings in line with the database: its subject.

Stored in `SyncEvent.subject` as "<type>:<id>" (the outbox groups rows by that column); code
reads it through `Subject.parse` and writes it through the constructors, never by slicing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Subject"]


class SubjectType(StrEnum):
    ORGANIZATION = "org"  # the organisation's tenant (upsertTenant)
    USER = "user"  # a portal user's customer and its memberships
    CUSTOMER = "customer"  # a Plain customer the portal has no user for (by Plain id)


@dataclass(frozen=True, slots=True)
class Subject:
    type: SubjectType
    id: str

    Type = SubjectType

    @classmethod
    def organization(cls, pk: int) -> Subject:
        return cls(SubjectType.ORGANIZATION, str(pk))

    @classmethod
    def user(cls, pk: int) -> Subject:
        return cls(SubjectType.USER, str(pk))

    @classmethod
    def customer(cls, plain_id: str) -> Subject:
        return cls(SubjectType.CUSTOMER, plain_id)

    @classmethod
    def parse(cls, text: str) -> Subject:
        """The subject stored as `text`; ValueError for anything else."""
        prefix, sep, ident = text.partition(":")
        if not sep or not ident:
            raise ValueError(f"not a sync subject: {text!r}")
        subject = cls(SubjectType(prefix), ident)
        if subject.type is not SubjectType.CUSTOMER and not ident.isdigit():
            raise ValueError(f"not a sync subject: {text!r}")
        return subject

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"

    @property
    def organization_id(self) -> int | None:
        return int(self.id) if self.type is SubjectType.ORGANIZATION else None

    @property
    def user_id(self) -> int | None:
        return int(self.id) if self.type is SubjectType.USER else None
