"""Writes that keep the portal's users and organisations known to Plain."""

from __future__ import annotations

from portal.accounts.models import User
from portal.plain import get_plain_client
from portal.tenancy.models import Membership, Organization


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


# Provisional, synchronous versions; the membership-sync work replaces their insides with the
# durable outbox. Their signatures are the contract seed_demo and the admin use.


def organization_create(
    *, name: str, slug: str = "", tenant_external_id: str = ""
) -> Organization:
    """Create an organisation and its Plain tenant."""
    organization = Organization.objects.create(
        name=name, slug=slug, tenant_external_id=tenant_external_id
    )
    tenant, _ = get_plain_client().upsert_tenant(
        external_id=organization.tenant_external_id, name=organization.name
    )
    Organization.objects.filter(pk=organization.pk).update(plain_tenant_id=tenant.id)
    organization.plain_tenant_id = tenant.id
    return organization


def membership_add(
    *, user: User, organization: Organization, role: str = Membership.Role.MEMBER
) -> Membership:
    """Make the user a member of the organisation, in the portal and in Plain's tenant."""
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    customer_id = plain_customer_ensure(user=user)
    get_plain_client().add_customer_to_tenants(
        customer_id=customer_id, tenant_external_ids=[organization.tenant_external_id]
    )
    return membership


def membership_remove(*, user: User, organization: Organization) -> None:
    Membership.objects.filter(user=user, organization=organization).delete()
    if user.plain_customer_id:
        get_plain_client().remove_customer_from_tenants(
            customer_id=user.plain_customer_id,
            tenant_external_ids=[organization.tenant_external_id],
        )
