"""Writes that keep the portal's users and organisations known to Plain."""

from __future__ import annotations

from portal.accounts.models import User
from portal.plain import get_plain_client


def plain_customer_ensure(*, user: User) -> str:
    """The user's Plain customer id, upserting the customer the first time it is needed.

    The customer is keyed by the user's stable portal id (externalId), so a changed email updates
    the same customer instead of creating another.
    """
    if user.plain_customer_id:
        return user.plain_customer_id
    customer, _ = get_plain_client().upsert_customer(
        external_id=user.plain_external_id,
        email=user.email,
        full_name=user.get_full_name(),
    )
    User.objects.filter(pk=user.pk).update(plain_customer_id=customer.id)
    user.plain_customer_id = customer.id
    return customer.id
