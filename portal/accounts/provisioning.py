"""Accounts that the company's product or identity provider manages: the one provisioning service.

Single sign-on (portal/accounts/sso.py, the JWT handoff), OpenID Connect and SCIM all describe a
person the same way, as an `Identity`, and hand it to `identity_provision`, which brings the
user, their organisations and their memberships in line with it in one transaction. The tenancy
signals write the sync outbox rows of every change in that same transaction, so Plain's tenants
follow as they do for a change made in the admin.

Matching rules:
- a user is found by `external_id` (the product's id of the person); failing that, by email, but
  only a local account (no external id yet) is linked that way: an address already linked to
  another external id is refused, so one subject can never sign in as another's account;
- staff accounts are never provisioned: a token naming a staff member's address must not sign
  anyone in with staff rights;
- organisations are found by `Organization.external_id` only, never by name (a product
  organisation called "Acme" does not take over a local "Acme"); new ones get a unique slug and
  their tenant by the rule of organisations created in the admin (`org-<slug>`).

`ProvisioningError` carries a message safe to show the person signing in; when it is raised,
nothing was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from portal.accounts.models import User
from portal.tenancy.models import Membership, Organization
from portal.tenancy.services import organization_create

__all__ = [
    "Identity",
    "OrgClaim",
    "ProvisioningError",
    "identity_provision",
    "organization_provision",
]

SOURCES = frozenset({"jwt", "oidc", "scim"})
ROLES = frozenset(Membership.Role.values)
# Field lengths of the models, checked before writing so that an overlong claim is a clear
# refusal on every database (SQLite would store it, PostgreSQL would raise).
MAX_EXTERNAL_ID = 255
MAX_NAME = 200
MAX_EMAIL = 254
# Suffixes tried for the slug of a new organisation whose name's slug is taken.
MAX_SLUG_ATTEMPTS = 100


class ProvisioningError(Exception):
    """A user-safe reason why an identity was refused; nothing was written."""


@dataclass(frozen=True)
class OrgClaim:
    external_id: str  # the product's organisation id (JWT `orgs[].id`)
    name: str
    role: str  # "member" or "admin" (Membership.Role values)


@dataclass(frozen=True)
class Identity:
    source: str  # "jwt", "oidc" or "scim"
    external_id: str  # the product's / IdP's user id (JWT `sub`)
    email: str
    name: str
    orgs: tuple[OrgClaim, ...] | None  # None: leave the user's memberships as they are


def identity_provision(*, identity: Identity) -> User:
    """Create or update the identity's user, organisations and memberships, in one transaction.

    The user is found by external id, else (a local account being linked) by email; the account
    is then marked as managed by `identity.source` and gets no usable password. With `orgs` not
    None the user's memberships become exactly those organisations with those roles (found or
    created by external id, renamed to the claimed name). The tenancy signals write the sync
    outbox rows in the same transaction. Raises ProvisioningError (nothing written) for an
    invalid identity, a staff account, or an email that belongs to another external id.
    """
    email = _identity_check(identity)
    with transaction.atomic():
        user = _user_provision(identity=identity, email=email)
        if identity.orgs is not None:
            _memberships_set(user=user, orgs=identity.orgs)
    return user


def organization_provision(*, external_id: str, name: str) -> Organization:
    """The organisation with this external id, created (with its Plain tenant, on commit) or
    renamed to `name` as needed. Raises ProvisioningError for an empty or overlong id or name."""
    _org_check(external_id=external_id, name=name)
    with transaction.atomic():
        return _organization_provision(external_id=external_id.strip(), name=name.strip())


# === checks (before anything is written) =====================================================


def _identity_check(identity: Identity) -> str:
    """The identity's normalised email, or ProvisioningError."""
    if identity.source not in SOURCES:
        raise ProvisioningError("Unknown account source.")
    if not identity.external_id.strip() or len(identity.external_id) > MAX_EXTERNAL_ID:
        raise ProvisioningError("The account has no valid id.")
    email = identity.email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ProvisioningError("The account has no valid email address.") from None
    if len(email) > MAX_EMAIL:
        raise ProvisioningError("The account has no valid email address.")
    if len(identity.name) > MAX_NAME:
        raise ProvisioningError("The account's name is too long.")
    if identity.orgs is not None:
        seen: set[str] = set()
        for claim in identity.orgs:
            _org_check(external_id=claim.external_id, name=claim.name)
            if claim.role not in ROLES:
                raise ProvisioningError("An organisation role must be member or admin.")
            key = claim.external_id.strip()
            if key in seen:
                raise ProvisioningError("An organisation is named twice.")
            seen.add(key)
    return email


def _org_check(*, external_id: str, name: str) -> None:
    if not external_id.strip() or len(external_id) > MAX_EXTERNAL_ID:
        raise ProvisioningError("An organisation has no valid id.")
    if not name.strip() or len(name) > MAX_NAME:
        raise ProvisioningError("An organisation has no valid name.")


# === users ===================================================================================


def _user_provision(*, identity: Identity, email: str) -> User:
    external_id = identity.external_id.strip()
    user = User.objects.select_for_update().filter(external_id=external_id).first()
    if user is None:
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None and user.external_id:
            raise ProvisioningError(
                "This email address already belongs to another account. Please contact support."
            )
    else:
        clash = User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
        if clash:
            raise ProvisioningError(
                "This email address already belongs to another account. Please contact support."
            )
    if user is not None and (user.is_staff or user.is_superuser):
        raise ProvisioningError("Staff accounts sign in with their password.")

    if user is None:
        return _user_create(identity=identity, email=email, external_id=external_id)

    changed = []
    for field, value in (
        ("email", email),
        ("full_name", identity.name.strip()),
        ("external_id", external_id),
        ("auth_source", identity.source),
    ):
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if user.has_usable_password():
        # A linked account keeps no password: it is no longer a way in.
        user.set_unusable_password()
        changed.append("password")
    if changed:
        # Through save(): the tenancy signals write the outbox row of a changed email.
        user.save(update_fields=changed)
    return user


def _user_create(*, identity: Identity, email: str, external_id: str) -> User:
    try:
        with transaction.atomic():  # a savepoint: a concurrent first sign-in may win the insert
            return User.objects.create_user(
                email=email,
                password=None,  # unusable: the account signs in through its source only
                full_name=identity.name.strip(),
                external_id=external_id,
                auth_source=identity.source,
            )
    except IntegrityError:
        user = User.objects.select_for_update().filter(external_id=external_id).first()
        if user is None:
            raise ProvisioningError(
                "This email address already belongs to another account. Please contact support."
            ) from None
        return user


# === organisations and memberships ===========================================================


def _organization_provision(*, external_id: str, name: str) -> Organization:
    organization = Organization.objects.select_for_update().filter(external_id=external_id).first()
    if organization is None:
        try:
            with transaction.atomic():  # a savepoint, as for users
                return organization_create(
                    name=name,
                    slug=_free_slug(name=name, external_id=external_id),
                    external_id=external_id,
                )
        except IntegrityError:
            organization = (
                Organization.objects.select_for_update().filter(external_id=external_id).first()
            )
            if organization is None:
                raise
    if organization.name != name:
        # save(): the signals write the row that renames Plain's tenant.
        organization.name = name
        organization.save()
    return organization


def _free_slug(*, name: str, external_id: str) -> str:
    """A slug no organisation uses, whose `org-<slug>` tenant id is free too."""
    base = (slugify(name) or slugify(external_id) or "organisation")[:90].strip("-")
    for attempt in range(MAX_SLUG_ATTEMPTS):
        slug = base if attempt == 0 else f"{base}-{attempt + 1}"
        taken = (
            Organization.objects.filter(slug=slug).exists()
            or Organization.objects.filter(tenant_external_id=f"org-{slug}").exists()
        )
        if not taken:
            return slug
    raise ProvisioningError("Could not name the new organisation. Please contact support.")


def _memberships_set(*, user: User, orgs: Sequence[OrgClaim]) -> None:
    wanted: dict[int, str] = {}
    for claim in orgs:
        organization = _organization_provision(
            external_id=claim.external_id.strip(), name=claim.name.strip()
        )
        wanted[organization.pk] = claim.role
    current = {
        m.organization_id: m for m in Membership.objects.select_for_update().filter(user=user)
    }
    # Each through the model, not in bulk: the signals write one outbox row per change.
    for organization_id, membership in current.items():
        if organization_id not in wanted:
            membership.delete()
        elif membership.role != wanted[organization_id]:
            membership.role = wanted[organization_id]
            membership.save(update_fields=["role"])
    for organization_id, role in wanted.items():
        if organization_id not in current:
            Membership.objects.create(user=user, organization_id=organization_id, role=role)
