from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.models import User
from portal.notifications.models import Preference, Scope
from portal.tenancy.models import Membership

__all__ = ["OrganizationDefaultRow", "organization_defaults_for", "preference_of"]


def preference_of(*, user: User) -> str | None:
    """The user's own scope, or None when they follow their organisation's default."""
    return Preference.objects.filter(user=user).values_list("scope", flat=True).first()


@dataclass(frozen=True, slots=True)
class OrganizationDefaultRow:
    organization_id: int
    name: str
    scope: str
    scope_label: str
    can_change: bool


def organization_defaults_for(*, user: User) -> list[OrganizationDefaultRow]:
    """Each of the user's organisations with its default, and whether the user may change it."""
    from portal.notifications.services import scope_effective_default

    rows = []
    memberships = Membership.objects.filter(user=user).select_related("organization")
    for membership in memberships.order_by("organization__name"):
        organization = membership.organization
        scope = scope_effective_default(organization=organization)
        rows.append(
            OrganizationDefaultRow(
                organization_id=organization.pk,
                name=organization.name,
                scope=scope,
                scope_label=Scope(scope).label,
                can_change=membership.role == Membership.Role.ADMIN,
            )
        )
    return rows
