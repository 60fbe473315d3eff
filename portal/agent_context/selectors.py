"""Reads for customer cards: who a Plain customer is in our database, and what we know of them.

Everything here reads our own database and nothing else (no call to Plain), in a fixed number of
queries whatever the size of the organisations: one or two to find the user, one for their
organisations with their member counts, one for the members shown (at most `limit` per
organisation, chosen in the database with a window function), two for their submissions.

Only the user's own organisations are read, and only the members of those: a member of A and B
is shown with A's and B's members, a member of A alone never with anything of B.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, Subquery, Value, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Lower, RowNumber

from portal.accounts.models import PLAIN_CUSTOMER_PREFIX, User
from portal.support.models import Submission
from portal.tenancy.models import Membership

__all__ = [
    "CustomerActivity",
    "CustomerOrganizations",
    "MemberSummary",
    "OrganizationSummary",
    "RecentSubmission",
    "customer_activity_get",
    "customer_organizations_get",
    "customer_user_find",
    "organization_members_get",
]


def _portal_id(external_id: str) -> uuid.UUID | None:
    """The portal_id inside an externalId the portal gave a Plain customer, else None."""
    if not external_id.startswith(PLAIN_CUSTOMER_PREFIX):
        return None
    try:
        return uuid.UUID(external_id.removeprefix(PLAIN_CUSTOMER_PREFIX))
    except ValueError:
        return None


def customer_user_find(*, external_id: str | None, email: str | None) -> User | None:
    """The portal user a Plain customer is: by the externalId the portal gave the customer
    (`User.plain_external_id`), else, only when no user has that externalId, by email address
    (case-insensitive). None when neither matches. Inactive users are found too."""
    portal_id = _portal_id(external_id or "")
    if portal_id is not None:
        user = User.objects.filter(portal_id=portal_id).first()
        if user is not None:
            return user
    address = (email or "").strip()
    if not address:
        return None
    return User.objects.filter(email__iexact=address).order_by("pk").first()


@dataclass(frozen=True, slots=True)
class OrganizationSummary:
    id: int
    name: str
    tenant_external_id: str
    member_count: int
    role: str  # the customer's role in it: Membership.Role's value


@dataclass(frozen=True, slots=True)
class CustomerOrganizations:
    """The first organisations of a user (by name) and how many they belong to in all."""

    shown: tuple[OrganizationSummary, ...]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)


def customer_organizations_get(*, user: User, limit: int) -> CustomerOrganizations:
    """The user's organisations, at most `limit` (at least 1) of them by name, each with its
    member count and the user's role there; one query."""
    limit = max(limit, 1)
    members = (
        Membership.objects.filter(organization_id=OuterRef("organization_id"))
        .order_by()
        .values("organization_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    rows = (
        Membership.objects.filter(user=user)
        .order_by("organization__name", "organization_id")
        .annotate(
            member_count=Coalesce(Subquery(members), Value(0)),
            total=Window(Count("pk")),
        )
        .values(
            "organization_id",
            "organization__name",
            "organization__tenant_external_id",
            "role",
            "member_count",
            "total",
        )[:limit]
    )
    found = list(rows)
    shown = tuple(
        OrganizationSummary(
            id=row["organization_id"],
            name=row["organization__name"],
            tenant_external_id=row["organization__tenant_external_id"],
            member_count=row["member_count"],
            role=row["role"],
        )
        for row in found
    )
    return CustomerOrganizations(shown=shown, total=found[0]["total"] if found else 0)


@dataclass(frozen=True, slots=True)
class MemberSummary:
    name: str
    email: str
    role: str
    last_login: datetime | None
    is_active: bool


def organization_members_get(
    *, organization_ids: Sequence[int], limit: int
) -> dict[int, tuple[MemberSummary, ...]]:
    """Up to `limit` members of each organisation (admins first, then by name and address),
    keyed by organisation id; one query, however many members the organisations have."""
    if not organization_ids or limit <= 0:
        return {}
    ranked = (
        Membership.objects.filter(organization_id__in=list(organization_ids))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("organization_id")],
                order_by=[
                    F("role").asc(),
                    Lower("user__full_name").asc(),
                    F("user__email").asc(),
                ],
            )
        )
        .filter(rank__lte=limit)
        .order_by("organization_id", "rank")
        .values(
            "organization_id",
            "role",
            "user__full_name",
            "user__email",
            "user__last_login",
            "user__is_active",
        )
    )
    members: dict[int, list[MemberSummary]] = defaultdict(list)
    for row in ranked:
        members[row["organization_id"]].append(
            MemberSummary(
                name=row["user__full_name"],
                email=row["user__email"],
                role=row["role"],
                last_login=row["user__last_login"],
                is_active=row["user__is_active"],
            )
        )
    return {organization_id: tuple(found) for organization_id, found in members.items()}


@dataclass(frozen=True, slots=True)
class RecentSubmission:
    kind: str  # Submission.Kind's value
    status: str  # OutboxRow.Status's value
    title: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerActivity:
    last_login: datetime | None
    is_active: bool
    date_joined: datetime
    total: int
    pending: int
    failed: int
    recent: tuple[RecentSubmission, ...]


def customer_activity_get(*, user: User, limit: int) -> CustomerActivity:
    """What the user did in the portal: their latest `limit` submissions (new requests and
    replies, newest first), how many they made, and how many wait for Plain or failed; two
    queries. The submissions' text is not read."""
    submissions = Submission.objects.filter(user=user)
    counts = submissions.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=Submission.Status.PENDING)),
        failed=Count("pk", filter=Q(status=Submission.Status.FAILED)),
    )
    recent: tuple[RecentSubmission, ...] = ()
    if counts["total"] and limit > 0:
        rows = (
            submissions.order_by("-created_at", "-pk")
            .annotate(title_text=KeyTextTransform("title", "payload"))
            .values("kind", "status", "title_text", "created_at")[:limit]
        )
        recent = tuple(
            RecentSubmission(
                kind=row["kind"],
                status=row["status"],
                title=str(row["title_text"] or ""),
                created_at=row["created_at"],
            )
            for row in rows
        )
    return CustomerActivity(
        last_login=user.last_login,
        is_active=user.is_active,
        date_joined=user.date_joined,
        total=counts["total"],
        pending=counts["pending"],
        failed=counts["failed"],
        recent=recent,
    )
