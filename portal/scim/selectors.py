"""Reads of the SCIM API: which users and organisations SCIM sees, filtered and paged.

SCIM sees every organisation, and every user except staff (the portal's own accounts, which no
identity provider may deactivate or take over) and users SCIM deleted (ScimProfile.deleted_at).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Prefetch, Q, QuerySet

from portal.accounts.models import User
from portal.scim.filters import GROUP_FILTERS, USER_FILTERS, Attribute, filter_to_q
from portal.scim.resources import GROUP_SCHEMA, USER_SCHEMA
from portal.tenancy.models import Membership, Organization

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    total: int
    start_index: int
    items: list[T]


def scim_users() -> QuerySet[User]:
    """Every user SCIM may see and change."""
    return (
        User.objects.filter(is_staff=False, is_superuser=False)
        .exclude(scim_profile__deleted_at__isnull=False)
        .select_related("scim_profile")
    )


def user_get(*, scim_id: str) -> User | None:
    try:
        portal_id = uuid.UUID(scim_id)
    except ValueError:
        return None
    memberships = Membership.objects.select_related("organization")
    return (
        scim_users()
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .filter(portal_id=portal_id)
        .first()
    )


def user_page(*, filter_text: str | None, start_index: int, count: int) -> Page[User]:
    memberships = Membership.objects.select_related("organization")
    users = scim_users().prefetch_related(Prefetch("memberships", queryset=memberships))
    return _page(
        users,
        filter_text=filter_text,
        attributes=USER_FILTERS,
        urn=USER_SCHEMA,
        start_index=start_index,
        count=count,
    )


def group_get(*, scim_id: str) -> Organization | None:
    if not scim_id.isdigit() or len(scim_id) > 18:
        return None
    return Organization.objects.filter(pk=int(scim_id)).first()


def group_page(*, filter_text: str | None, start_index: int, count: int) -> Page[Organization]:
    return _page(
        Organization.objects.all(),
        filter_text=filter_text,
        attributes=GROUP_FILTERS,
        urn=GROUP_SCHEMA,
        start_index=start_index,
        count=count,
    )


def group_members(*, organization: Organization) -> list[tuple[str, str]]:
    """(portal id, email) of the organisation's members that SCIM sees, in a stable order."""
    rows = (
        scim_users()
        .filter(memberships__organization=organization)
        .order_by("pk")
        .values_list("portal_id", "email")
    )
    return [(str(portal_id), email) for portal_id, email in rows]


def group_members_of(*, organizations: list[Organization]) -> dict[int, list[tuple[str, str]]]:
    """group_members for a page of organisations, in one query."""
    result: dict[int, list[tuple[str, str]]] = {org.pk: [] for org in organizations}
    rows = (
        Membership.objects.filter(
            organization__in=organizations, user__in=scim_users().values("pk")
        )
        .order_by("user_id")
        .values_list("organization_id", "user__portal_id", "user__email")
    )
    for organization_id, portal_id, email in rows:
        result[organization_id].append((str(portal_id), email))
    return result


def users_by_scim_id(*, scim_ids: set[str]) -> dict[str, User]:
    """The users SCIM sees among these ids (unknown or malformed ids are left out)."""
    portal_ids = set()
    for scim_id in scim_ids:
        try:
            portal_ids.add(uuid.UUID(scim_id))
        except ValueError:
            continue
    return {str(u.portal_id): u for u in scim_users().filter(portal_id__in=portal_ids)}


def _page(
    queryset: QuerySet[Any],
    *,
    filter_text: str | None,
    attributes: Mapping[str, Attribute],
    urn: str,
    start_index: int,
    count: int,
) -> Page[Any]:
    if filter_text:
        condition: Q = filter_to_q(text=filter_text, attributes=attributes, urn=urn)
        # Through a subquery: a filter across memberships would repeat a row per membership.
        matching = queryset.model._default_manager.filter(condition).values("pk")
        queryset = queryset.filter(pk__in=matching)
    queryset = queryset.order_by("pk")
    total = queryset.count()
    offset = start_index - 1
    items = list(queryset[offset : offset + count]) if count else []
    return Page(total=total, start_index=start_index, items=items)
