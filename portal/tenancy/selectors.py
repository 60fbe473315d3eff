"""Reads of organisations and memberships. Authorization decisions start here."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.models import User
from portal.tenancy.models import Organization


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    """The organisations the user belongs to now (nothing for an inactive or anonymous user)."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")
