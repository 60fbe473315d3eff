"""Reads of organisations, memberships, sync state, and of Plain's tenants and memberships.

Authorization decisions start here (`organization_list_for_user`, and its per-request memo
`organizations_of_user`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from plain_gateway import iter_pages
from plain_gateway.ids import is_plain_id
from plain_gateway.types import Tenant
from portal.accounts.models import PLAIN_CUSTOMER_PREFIX, User
from portal.plain import get_plain_client
from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent
from portal.tenancy.subjects import Subject


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    """The organisations the user belongs to now (nothing for an inactive or anonymous user)."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")


# user pk -> organisations, for the duration of one web request (memberships_memoised).
_memberships: ContextVar[dict[int, tuple[Organization, ...]] | None] = ContextVar(
    "portal_memberships", default=None
)


@contextmanager
def memberships_memoised() -> Iterator[None]:
    """Within the block, organizations_of_user reads each user's memberships once.

    portal.middleware.MembershipMemoMiddleware wraps every web request in it, so the access
    check, the page and its header agree on one reading; outside (tasks, shells) every call
    reads afresh.
    """
    token = _memberships.set({})
    try:
        yield
    finally:
        _memberships.reset(token)


def organizations_of_user(*, user: User) -> tuple[Organization, ...]:
    """organization_list_for_user, read once per request (see memberships_memoised)."""
    memo = _memberships.get()
    if memo is None or user.pk is None:
        return tuple(organization_list_for_user(user=user))
    if user.pk not in memo:
        memo[user.pk] = _organizations_read(user=user)
    return memo[user.pk]


def _organizations_read(*, user: User) -> tuple[Organization, ...]:
    """What organization_list_for_user returns, the same rows in the same order, from a
    statement written out: every page view asks this (the access check), and building the
    ORM's join costs several times what the database takes to answer it."""
    if not user.is_authenticated or not user.is_active:
        return ()
    quote = connection.ops.quote_name
    organization, membership = Organization._meta.db_table, Membership._meta.db_table
    sql = (
        f"SELECT o.* FROM {quote(organization)} o "  # noqa: S608 - names from _meta
        f"INNER JOIN {quote(membership)} m ON m.{quote('organization_id')} = o.{quote('id')} "
        f"WHERE m.{quote('user_id')} = %s ORDER BY o.{quote('name')} ASC"
    )
    # raw() applies the fields' converters (aware datetimes on SQLite too), as a queryset does.
    return tuple(Organization.objects.raw(sql, [user.pk]))


# === the sync state staff see ================================================================


@dataclass(frozen=True, slots=True)
class OrganizationSyncState:
    state: str  # "in_sync", "pending" or "failed"
    pending: int
    failed: int
    last_error: str
    last_synced_at: datetime | None

    @property
    def label(self) -> str:
        if self.state == "failed":
            return f"failed ({self.failed})"
        if self.state == "pending":
            return f"pending ({self.pending})" + (", retrying" if self.last_error else "")
        return "in sync"


def organization_sync_state(*, organization: Organization) -> OrganizationSyncState:
    rows = SyncEvent.objects.filter(organization=organization)
    pending = rows.filter(status=SyncEvent.Status.PENDING).count()
    failed = rows.filter(status=SyncEvent.Status.FAILED).count()
    last_error = (
        rows.exclude(last_error="")
        .exclude(status=SyncEvent.Status.DONE)
        .order_by("-updated_at")
        .values_list("last_error", flat=True)
        .first()
        or ""
    )
    state = "failed" if failed else "pending" if pending else "in_sync"
    return OrganizationSyncState(
        state=state,
        pending=pending,
        failed=failed,
        last_error=last_error,
        last_synced_at=organization.last_synced_at,
    )


def tenant_search(*, term: str, first: int = 25) -> list[Tenant]:
    """Plain's tenants whose name contains, or whose externalId is, `term` (2+ characters)."""
    term = term.strip()
    if len(term) < 2:
        return []
    return list(get_plain_client().search_tenants(term=term, first=first).items)


def tenant_find(*, tenant_id: str, external_id: str) -> Tenant | None:
    """The Plain tenant with this id and externalId, or None (checks a choice posted by staff).

    An id not shaped like Plain's tenant ids is None at once, without asking Plain.
    """
    if len(external_id.strip()) < 2 or not is_plain_id(tenant_id, prefix="te"):
        return None
    page = get_plain_client().search_tenants(term=external_id, first=25)
    return next((t for t in page.items if t.id == tenant_id and t.external_id == external_id), None)


# === what one outbox task needs ==============================================================


def organization_tenant_state(*, organization_id: int) -> tuple[str, str, str] | None:
    """(name, tenant external id, plain tenant id) of the organisation, or None if deleted."""
    row = (
        Organization.objects.filter(pk=organization_id)
        .values_list("name", "tenant_external_id", "plain_tenant_id")
        .first()
    )
    return tuple(row) if row else None  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class CustomerTenantState:
    """A customer's standing, for the tenants one outbox task looks at."""

    user: User | None
    desired: frozenset[str]  # of those tenants, the ones the user should be in now
    managed: frozenset[str]  # of those tenants, the ones the portal manages
    # (organisation id, external id, name) of the desired tenants, and of those of them whose
    # Plain id is unknown (maybe never created)
    tenant_names: tuple[tuple[int, str, str], ...] = ()
    tenants_without_id: tuple[tuple[int, str, str], ...] = ()
    fingerprint: tuple[object, ...] = field(default=(), compare=False)


def customer_tenant_state(*, subject: Subject, tenants: Sequence[str]) -> CustomerTenantState:
    """Read, from the database as it is now, where the subject's customer belongs.

    When one of `tenants` is no longer an organisation's (re-mapped or deleted since the row was
    written), the user's current organisations' tenants are looked at too: a membership added
    while its organisation was being re-mapped names the old tenant only, and must still end up
    in the new one.
    """
    user = None
    if subject.user_id is not None:
        user = User.objects.filter(pk=subject.user_id).first()
    columns = ("pk", "tenant_external_id", "name", "plain_tenant_id")
    organizations = list(
        Organization.objects.filter(tenant_external_id__in=tenants).values_list(*columns)
    )
    if user is not None and set(tenants) - {row[1] for row in organizations}:
        known = {row[0] for row in organizations}
        organizations += [
            row
            for row in Organization.objects.filter(memberships__user=user).values_list(*columns)
            if row[0] not in known
        ]
    retired = set(
        RetiredTenant.objects.filter(external_id__in=tenants).values_list("external_id", flat=True)
    )
    managed = frozenset({external_id for _, external_id, _, _ in organizations} | retired)
    member_of: set[int] = set()
    if user is not None and user.is_active:
        member_of = set(
            Membership.objects.filter(
                user=user, organization_id__in=[pk for pk, *_ in organizations]
            ).values_list("organization_id", flat=True)
        )
    desired_orgs = [row for row in organizations if row[0] in member_of]
    desired = frozenset(external_id for _, external_id, _, _ in desired_orgs)
    fingerprint = (
        # Not plain_customer_id: the task itself sets it, and an upsert by externalId returns
        # the same customer to whoever asks.
        (user.pk, user.is_active, user.email) if user else None,
        tuple(sorted(desired)),
        tuple(sorted(managed)),
    )
    return CustomerTenantState(
        user=user,
        desired=desired,
        managed=managed,
        tenant_names=tuple((pk, ext, name) for pk, ext, name, _ in desired_orgs),
        tenants_without_id=tuple((pk, ext, name) for pk, ext, name, tid in desired_orgs if not tid),
        fingerprint=fingerprint,
    )


# === reconciliation ==========================================================================


@dataclass(slots=True)
class ReconcileScope:
    """The tenants one reconciliation covers and the database's view of them."""

    organizations: list[Organization]
    retired: list[str]
    # user id -> (email, plain customer id, portal external id, desired external ids)
    users: dict[int, tuple[str, str, str, frozenset[str]]]

    @property
    def active(self) -> set[str]:
        return {org.tenant_external_id for org in self.organizations}

    @property
    def tenants(self) -> list[str]:
        return sorted(self.active | set(self.retired))

    def organization_of(self, external_ids: Iterable[str]) -> Organization | None:
        """The one organisation mapping to these tenants, if exactly one does."""
        wanted = set(external_ids)
        matches = [org for org in self.organizations if org.tenant_external_id in wanted]
        return matches[0] if len(matches) == 1 else None


def reconcile_scope(*, organization: Organization | None = None) -> ReconcileScope:
    organizations = list(
        Organization.objects.filter(pk=organization.pk)
        if organization is not None
        else Organization.objects.all()
    )
    retired_rows = RetiredTenant.objects.all()
    if organization is not None:
        retired_rows = retired_rows.filter(organization_id=organization.pk)
    retired = list(retired_rows.values_list("external_id", flat=True))
    by_pk = {org.pk: org.tenant_external_id for org in organizations}
    users: dict[int, tuple[str, str, str, frozenset[str]]] = {}
    desired: dict[int, set[str]] = {}
    memberships = Membership.objects.filter(organization_id__in=list(by_pk)).values_list(
        "user_id", "organization_id", "user__is_active"
    )
    for user_id, organization_id, is_active in memberships.iterator(chunk_size=2000):
        wanted = desired.setdefault(user_id, set())
        if is_active:
            wanted.add(by_pk[organization_id])
    user_rows = User.objects.filter(pk__in=list(desired)).values_list(
        "pk", "email", "plain_customer_id", "portal_id"
    )
    for pk, email, customer_id, portal_id in user_rows.iterator(chunk_size=2000):
        users[pk] = (
            email,
            customer_id,
            f"{PLAIN_CUSTOMER_PREFIX}{portal_id}",
            frozenset(desired[pk]),
        )
    return ReconcileScope(organizations=organizations, retired=retired, users=users)


@dataclass(frozen=True, slots=True)
class PlainMember:
    customer_id: str
    external_id: str
    email: str
    tenants: frozenset[str]  # restricted to the tenants read


@dataclass(slots=True)
class PlainMembers:
    customers: dict[str, PlainMember]
    reads: int


def plain_tenant_members(
    *, tenant_external_ids: Sequence[str], page_size: int = 100, tenants_per_query: int = 100
) -> PlainMembers:
    """Every Plain customer in any of the tenants, with its memberships among them.

    Reads customers() filtered by up to `tenants_per_query` tenants at a time, `page_size` per
    page; `reads` counts the requests. (The gateway reads up to 50 memberships per customer: a
    customer in more tenants than that may look absent from some.)
    """
    client = get_plain_client()
    wanted = set(tenant_external_ids)
    customers: dict[str, PlainMember] = {}
    reads = 0
    ids = sorted(wanted)
    for start in range(0, len(ids), tenants_per_query):
        chunk = ids[start : start + tenants_per_query]
        pages = iter_pages(
            lambda after, chunk=chunk: client.customers(  # type: ignore[misc]  # bound per chunk
                tenant_external_ids=chunk, first=page_size, after=after
            )
        )
        for page in pages:
            reads += 1
            for customer in page.items:
                tenants = frozenset(t.external_id for t in customer.tenants) & wanted
                known = customers.get(customer.id)
                customers[customer.id] = PlainMember(
                    customer_id=customer.id,
                    external_id=customer.external_id or "",
                    email=customer.email or "",
                    tenants=tenants | (known.tenants if known else frozenset()),
                )
    return PlainMembers(customers=customers, reads=reads)


@dataclass(frozen=True, slots=True)
class MembershipDrift:
    """One customer whose memberships of managed tenants differ from the database."""

    label: str  # the user's email, else the customer's email or id
    customer_id: str  # "" when the user has no Plain customer yet
    user_id: int | None
    add: tuple[str, ...]
    remove: tuple[str, ...]


def membership_drift(*, scope: ReconcileScope, plain: PlainMembers) -> list[MembershipDrift]:
    """Per customer, the fewest changes that make Plain's managed memberships match the database.

    - a user's customer: add the tenants it should be in, remove the managed ones it should not;
    - a customer of no user in the scope but with a portal externalId (a deleted or out-of-scope
      user's customer): leave active tenants it should not be in, and retired ones;
    - any other customer: removed from active tenants (the database is the truth for a tenant an
      organisation maps to) but left alone in retired tenants, which the portal only cleans of
      its own customers. Tenants outside the scope are never looked at.
    """
    active = scope.active
    retired = set(scope.retired)
    by_customer_id: dict[str, int] = {}
    by_external_id: dict[str, int] = {}
    for known_id, (_, customer_id, external_id, _) in scope.users.items():
        if customer_id:
            by_customer_id[customer_id] = known_id
        by_external_id[external_id] = known_id
    drift = []
    seen_users: set[int] = set()
    for member in sorted(plain.customers.values(), key=lambda m: m.customer_id):
        user_id = by_customer_id.get(member.customer_id) or by_external_id.get(member.external_id)
        if user_id is not None:
            seen_users.add(user_id)
            email, _, _, desired = scope.users[user_id]
            add = desired - member.tenants
            remove = (member.tenants & (active | retired)) - desired
            label = email
        else:
            portal_customer = member.external_id.startswith(PLAIN_CUSTOMER_PREFIX)
            add = frozenset()
            remove = member.tenants & (active | retired if portal_customer else active)
            label = member.email or member.customer_id
        if add or remove:
            drift.append(
                MembershipDrift(
                    label=label,
                    customer_id=member.customer_id,
                    user_id=user_id,
                    add=tuple(sorted(add)),
                    remove=tuple(sorted(remove)),
                )
            )
    for user_id, (email, customer_id, _, desired) in sorted(scope.users.items()):
        if user_id in seen_users or not desired:
            continue
        drift.append(
            MembershipDrift(
                label=email,
                customer_id=customer_id,
                user_id=user_id,
                add=tuple(sorted(desired)),
                remove=(),
            )
        )
    return drift
