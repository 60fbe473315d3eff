"""Writes of the SCIM API: users and organisations brought in line with a draft.

Users go through `identity_provision` (portal/accounts/provisioning.py) with `orgs=None`, which
creates or updates the account and marks it as managed by SCIM; memberships go through the
tenancy services. Both write the sync outbox rows through the tenancy signals in the same
transaction, so Plain's tenants follow on commit as for a change made in the admin. Each
function runs in one transaction: a refusal (ScimError) leaves nothing written.

Deleting a user deactivates the account, ends its memberships and hides it from SCIM (see
ScimProfile), rather than deleting the row: the user's saved submissions still reach Plain, the
account cannot sign in any more, and a later create with the same email or externalId brings
the same account back. Deleting a group deletes the organisation, as staff do in the admin.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.accounts.provisioning import (
    Identity,
    ProvisioningError,
    identity_provision,
    organization_provision,
)
from portal.scim import selectors
from portal.scim.errors import ScimError
from portal.scim.models import PLACEHOLDER_PREFIX, ScimProfile
from portal.scim.resources import GroupDraft, UserDraft
from portal.tenancy import services as tenancy
from portal.tenancy.models import Membership, Organization

__all__ = [
    "group_create",
    "group_delete",
    "group_update",
    "user_create",
    "user_delete",
    "user_update",
]

# Sources whose external id is the product's own: SCIM must not replace it with another.
_LINKED_SOURCES = frozenset({User.AuthSource.JWT, User.AuthSource.OIDC})


def _placeholder() -> str:
    return f"{PLACEHOLDER_PREFIX}{uuid.uuid4()}"


# === users ===================================================================================


def user_create(*, draft: UserDraft) -> User:
    """Create the user (POST /Users). A user SCIM deleted earlier, found by externalId or
    email, comes back instead; one SCIM still sees is a 409 `uniqueness`."""
    with transaction.atomic():
        existing = _user_matching(draft=draft)
        if existing is not None:
            profile = ScimProfile.objects.filter(user=existing).first()
            if profile is None or profile.deleted_at is None:
                raise ScimError.conflict("A user with this userName or externalId exists.")
            return _user_write(user=existing, draft=draft)
        return _user_write(user=None, draft=draft)


def user_update(*, user: User, draft: UserDraft) -> User:
    """Bring the user in line with the draft (PUT and PATCH /Users/<id>)."""
    with transaction.atomic():
        return _user_write(user=user, draft=draft)


def user_delete(*, user: User) -> None:
    """DELETE /Users/<id>: deactivate, end every membership, hide from SCIM (module docstring)."""
    with transaction.atomic():
        for membership in Membership.objects.filter(user=user).select_related("organization"):
            tenancy.membership_remove(user=user, organization=membership.organization)
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])  # the signals write the deactivation row
        ScimProfile.objects.update_or_create(user=user, defaults={"deleted_at": timezone.now()})


def _user_matching(*, draft: UserDraft) -> User | None:
    """A user (staff included) holding the draft's email or externalId."""
    condition = User.objects.filter(email__iexact=draft.user_name.strip())
    if draft.external_id:
        condition = condition | User.objects.filter(external_id=draft.external_id)
    matches = list(condition.select_for_update()[:2])
    if len(matches) > 1:
        raise ScimError.conflict("The userName and externalId belong to two different users.")
    if matches and (matches[0].is_staff or matches[0].is_superuser):
        raise ScimError.conflict("That email address belongs to a staff account.")
    return matches[0] if matches else None


def _user_write(*, user: User | None, draft: UserDraft) -> User:
    email = draft.user_name.strip().lower()
    if user is not None:
        clash = User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
        if clash:
            raise ScimError.conflict("Another user has this userName.")
    external_id = _external_id_for(user=user, draft=draft)
    if user is not None and user.external_id != external_id:
        # identity_provision finds the user by external id: give it the new one first.
        User.objects.filter(pk=user.pk).update(external_id=external_id)
    try:
        provisioned = identity_provision(
            identity=Identity(
                source=User.AuthSource.SCIM,
                external_id=external_id,
                email=email,
                name=draft.full_name,
                orgs=None,
            )
        )
    except ProvisioningError as error:
        raise ScimError.bad("invalidValue", str(error)) from None
    if provisioned.is_active != draft.active:
        provisioned.is_active = draft.active
        # Through save(): the signals write the (de)activation row, so Plain's tenants follow.
        provisioned.save(update_fields=["is_active"])
    profile, _ = ScimProfile.objects.update_or_create(
        user=provisioned,
        defaults={
            "given_name": draft.given_name,
            "family_name": draft.family_name,
            "formatted": draft.formatted,
            "display_name": draft.display_name,
            "deleted_at": None,
        },
    )
    # The reverse one-to-one cache, so callers read the profile without a query. setattr: the
    # django-stubs plugin sees the reverse accessor in some runs and not in others (its cache),
    # so neither a plain assignment nor a type: ignore passes every run.
    setattr(provisioned, "scim_profile", profile)  # noqa: B010
    return provisioned


def _external_id_for(*, user: User | None, draft: UserDraft) -> str:
    if draft.external_id:
        if (
            user is not None
            and user.external_id
            and user.external_id != draft.external_id
            and user.auth_source in _LINKED_SOURCES
        ):
            raise ScimError.conflict(
                "This user signs in with another id from the product; SCIM's externalId "
                "must be the same."
            )
        taken = User.objects.filter(external_id=draft.external_id)
        if user is not None:
            taken = taken.exclude(pk=user.pk)
        if taken.exists():
            raise ScimError.conflict("Another user has this externalId.")
        return draft.external_id
    if user is not None and user.external_id:
        return user.external_id  # none named: keep what links the user (or the placeholder)
    return _placeholder()


# === groups ==================================================================================


def group_create(*, draft: GroupDraft) -> Organization:
    """Create the organisation (POST /Groups), its Plain tenant named by the admin's rule, and
    its members. An externalId already used is a 409 `uniqueness`."""
    with transaction.atomic():
        if (
            draft.external_id
            and Organization.objects.filter(external_id=draft.external_id).exists()
        ):
            raise ScimError.conflict("A group with this externalId exists.")
        try:
            organization = organization_provision(
                external_id=draft.external_id or _placeholder(), name=draft.display_name
            )
        except ProvisioningError as error:
            raise ScimError.bad("invalidValue", str(error)) from None
        _members_set(organization=organization, wanted=draft.members or frozenset())
        return organization


def group_update(*, organization: Organization, draft: GroupDraft) -> Organization:
    """Bring the organisation in line with the draft (PUT and PATCH /Groups/<id>). Members are
    added as `member` (an existing membership keeps its role); with `draft.members` None they
    stay as they are."""
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if len(draft.display_name) > 200:
            raise ScimError.bad("invalidValue", "displayName is over 200 characters.")
        # None named (or removed): the organisation keeps the id that links it, if any.
        external_id = draft.external_id or organization.external_id
        if external_id != organization.external_id:
            if (
                Organization.objects.filter(external_id=external_id)
                .exclude(pk=organization.pk)
                .exists()
            ):
                raise ScimError.conflict("Another group has this externalId.")
            organization.external_id = external_id
            organization.save(update_fields=["external_id", "updated_at"])
        if organization.name != draft.display_name:
            tenancy.organization_rename(organization=organization, name=draft.display_name)
        if draft.members is not None:
            _members_set(organization=organization, wanted=draft.members)
        return organization


def group_delete(*, organization: Organization) -> None:
    """DELETE /Groups/<id>: the organisation goes, as in the admin; its members leave its
    tenant and the tenant is retired (portal/tenancy/signals.py)."""
    with transaction.atomic():
        organization.delete()


def _members_set(*, organization: Organization, wanted: frozenset[str]) -> None:
    """Make the members SCIM sees exactly `wanted` (portal ids). An unknown id is a 400."""
    current = {portal_id for portal_id, _ in selectors.group_members(organization=organization)}
    adds = set(wanted) - current
    removes = current - set(wanted)
    users = selectors.users_by_scim_id(scim_ids=adds | removes)
    unknown = sorted(adds - users.keys())
    if unknown:
        raise ScimError.bad("invalidValue", f"No such user: {unknown[0][:100]}.")
    for scim_id in sorted(removes):
        tenancy.membership_remove(user=users[scim_id], organization=organization)
    for scim_id in sorted(adds):
        tenancy.membership_add(user=users[scim_id], organization=organization)
