"""Writes that keep the portal's users and organisations known to Plain.

How membership sync works
-------------------------
1. A change (service call, admin edit, shell) writes SyncEvent outbox rows in its own transaction
   (portal/tenancy/signals.py calls the `outbox_*` functions below) and enqueues one Celery task
   per row on commit. SyncEvent is the "tenancy.sync" kind of the outbox (portal/outbox/), which
   owns claiming, retries, the sweep and pruning; this module owns what a delivery does.
2. `sync_event_process` handles a row together with every other pending row of the same subject
   (the outbox claims them as one group).
   It reads the database as it is *now*: for a customer, which of the tenants the rows name the
   user should be in (`desired`); it adds the customer to those (one addCustomerToTenants, or,
   for a customer Plain does not have yet, the upsertCustomer that creates it) and
   removes it from the rest, if the portal manages them (one removeCustomerFromTenants). A tenant
   is managed while an organisation maps to it, or once did (RetiredTenant); the portal never
   removes anyone from a tenant it does not manage.
3. After writing it reads the database again; if what it acted on changed meanwhile, it goes
   round again. So a duplicated, late or reordered task can leave Plain stale for a moment but
   never last: whichever task writes last has read the final state.
4. Retriable failures (transport, timeout, 429, 5xx) leave the rows pending for the outbox's
   retry; permanent ones mark them failed with the error. Reconciliation (`tenants_reconcile`)
   repairs whatever drifted outside the portal.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from plain_gateway import PlainMutationError, PlainNotFoundError, UpsertResult
from portal.accounts.models import User
from portal.outbox import services as outbox
from portal.outbox.registry import Attempt, Kind
from portal.plain import get_plain_client
from portal.tenancy import selectors
from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent
from portal.tenancy.selectors import MembershipDrift
from portal.tenancy.subjects import Subject

logger = logging.getLogger(__name__)

# How many times one task goes round when the database keeps changing under it.
MAX_ROUNDS = 4
# Pages of Plain's customers read by reconciliation, and tenants named per customers() filter.
RECONCILE_PAGE_SIZE = 100
RECONCILE_TENANTS_PER_QUERY = 100


# === customers ===============================================================================


def plain_customer_ensure(*, user: User) -> str:
    """The user's Plain customer id, upserting the customer the first time it is needed.

    The customer is keyed by the user's stable portal id (externalId), so a changed email updates
    the same customer instead of creating another.
    """
    if user.plain_customer_id:
        return user.plain_customer_id
    customer_id, _ = _customer_upsert(user=user)
    return customer_id


# Answers to upsertCustomer that a concurrent upsert of the same new customer can cause (two
# deliveries of one row, or a killed worker's request landing late): asking again finds it.
_UPSERT_RACE_CODES = frozenset(
    {"customer_already_exists_with_external_id", "customer_already_exists_with_email"}
)


def _customer_upsert(*, user: User, tenants: Sequence[str] = ()) -> tuple[str, str]:
    """Upsert the user's customer; returns (customer id, UpsertResult) and stores the id.

    A customer this creates (CREATED) joins `tenants` in the same write and no others; one that
    already existed (UPDATED, NOOP) keeps the memberships it had, whatever `tenants` says.
    """
    client = get_plain_client()
    arguments: dict[str, Any] = {
        "external_id": user.plain_external_id,
        "email": user.email,
        "full_name": user.get_full_name(),
        "tenant_external_ids": tenants,
    }
    try:
        customer, result = client.upsert_customer(**arguments)
    except PlainMutationError as error:
        if error.code not in _UPSERT_RACE_CODES:
            raise
        # Once more; if the email truly belongs to another customer this fails the same way.
        # (Another upsert created it meanwhile: this one answers UPDATED or NOOP, not CREATED.)
        customer, result = client.upsert_customer(**arguments)
    # update(), not save(): no signal, no outbox row for our own bookkeeping.
    User.objects.filter(pk=user.pk).update(plain_customer_id=customer.id)
    user.plain_customer_id = customer.id
    return customer.id, result


# === organisations and memberships (the contract seed_demo and the admin use) ================


def organization_create(
    *, name: str, slug: str = "", tenant_external_id: str = "", external_id: str = ""
) -> Organization:
    """Create an organisation; its Plain tenant is upserted on commit (outbox).

    `external_id` is the product's id of it (set by provisioning, portal/accounts/provisioning.py).
    """
    with transaction.atomic():
        return Organization.objects.create(
            name=name, slug=slug, tenant_external_id=tenant_external_id, external_id=external_id
        )


def organization_rename(*, organization: Organization, name: str) -> Organization:
    """Rename the organisation; its Plain tenant follows on commit."""
    organization.name = name
    organization.save()
    return organization


def organization_map_to_tenant(
    *, organization: Organization, tenant_id: str, tenant_external_id: str
) -> Organization:
    """Map the organisation onto an existing Plain tenant (chosen by staff from a search).

    The members move out of the previous tenant and into this one on commit. Raises ValueError
    when another organisation already maps to the tenant.
    """
    clash = (
        Organization.objects.filter(tenant_external_id=tenant_external_id)
        .exclude(pk=organization.pk)
        .first()
    )
    if clash is not None:
        raise ValueError(f"{clash.name} already maps to the tenant {tenant_external_id}.")
    organization.tenant_external_id = tenant_external_id
    organization.plain_tenant_id = tenant_id
    organization.save()
    return organization


def membership_add(
    *, user: User, organization: Organization, role: str = Membership.Role.MEMBER
) -> Membership:
    """Make the user a member of the organisation; Plain's tenant follows on commit."""
    with transaction.atomic():
        membership, _ = Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
    return membership


def membership_remove(*, user: User, organization: Organization) -> None:
    """End the membership; the customer leaves Plain's tenant on commit."""
    with transaction.atomic():
        for membership in Membership.objects.filter(user=user, organization=organization):
            membership.delete()


def organization_sync_now(*, organization: Organization) -> ReconcileReport:
    """Staff's "sync now": retry the organisation's failed rows and repair its drift."""
    with transaction.atomic():
        rows = SyncEvent.objects.filter(organization=organization)
        outbox.reopen(kind=SYNC, rows=rows)
        rows.filter(status=SyncEvent.Status.PENDING).update(next_attempt_at=timezone.now())
        outbox.requeue_on_commit(kind=SYNC, rows=rows)
    return tenants_reconcile(organization=organization, apply=True)


def sync_event_retry(*, event_ids: Sequence[int]) -> int:
    """Staff's retry (the outbox's): reopen the failed rows among `event_ids`, requeue those."""
    return outbox.retry(kind=SYNC, row_ids=event_ids)


# === writing the outbox (called from signals, inside the change's transaction) ==============


def outbox_enqueue_on_commit(*, event_ids: Iterable[int]) -> None:
    """Enqueue one processing task per row once the current transaction commits."""
    outbox.enqueue_on_commit(kind=SYNC, row_ids=event_ids)


def _record(
    *,
    kind: str,
    subject: Subject,
    organization_id: int | None = None,
    organization_name: str = "",
    user_id: int | None = None,
    user_email: str = "",
    tenants: Sequence[str] = (),
    customer_id: str = "",
    upsert_customer: bool = False,
    enqueue: bool = True,
) -> SyncEvent:
    payload: dict[str, object] = {"tenants": sorted(set(tenants))}
    if customer_id:
        payload["customer_id"] = customer_id
    if upsert_customer:
        payload["upsert_customer"] = True
    return outbox.row_create(
        of=SYNC,
        enqueue=enqueue,
        kind=kind,
        subject=str(subject),
        organization_id=organization_id,
        organization_name=organization_name,
        user_id=user_id,
        user_email=user_email,
        payload=payload,
    )


def outbox_organization_created(*, organization: Organization) -> SyncEvent:
    RetiredTenant.objects.filter(external_id=organization.tenant_external_id).delete()
    return _record(
        kind=SyncEvent.Kind.TENANT_UPSERT,
        subject=Subject.organization(organization.pk),
        organization_id=organization.pk,
        organization_name=organization.name,
        tenants=[organization.tenant_external_id],
    )


def outbox_organization_renamed(*, organization: Organization) -> SyncEvent:
    return outbox_organization_created(organization=organization)


def outbox_organization_remapped(
    *, organization: Organization, old_external_id: str, old_plain_tenant_id: str
) -> list[SyncEvent]:
    """The organisation now maps to another tenant: retire the old one, move every member."""
    _retire_tenant(
        external_id=old_external_id,
        plain_tenant_id=old_plain_tenant_id,
        organization=organization,
    )
    # The new tenant may be one the portal retired earlier: it is an organisation's again.
    RetiredTenant.objects.filter(external_id=organization.tenant_external_id).delete()
    rows = [
        _record(
            kind=SyncEvent.Kind.TENANT_REMAP,
            subject=Subject.organization(organization.pk),
            organization_id=organization.pk,
            organization_name=organization.name,
            tenants=[organization.tenant_external_id],
        )
    ]
    members = User.objects.filter(memberships__organization=organization).values(
        "pk", "email", "plain_customer_id"
    )
    for member in members:
        rows.append(
            _record(
                kind=SyncEvent.Kind.TENANT_REMAP,
                subject=Subject.user(member["pk"]),
                organization_id=organization.pk,
                organization_name=organization.name,
                user_id=member["pk"],
                user_email=member["email"],
                tenants=[old_external_id, organization.tenant_external_id],
                customer_id=member["plain_customer_id"],
            )
        )
    return rows


def outbox_organization_deleted(*, organization: Organization) -> SyncEvent:
    _retire_tenant(
        external_id=organization.tenant_external_id,
        plain_tenant_id=organization.plain_tenant_id,
        organization=organization,
    )
    # An audit row; processing it is a no-op (the organisation is gone). The members' own rows
    # (written as their memberships cascaded) take them out of the tenant.
    row = _record(
        kind=SyncEvent.Kind.ORGANIZATION_DELETED,
        subject=Subject.organization(organization.pk),
        organization_id=organization.pk,
        organization_name=organization.name,
        tenants=[organization.tenant_external_id],
    )
    return row


def _retire_tenant(*, external_id: str, plain_tenant_id: str, organization: Organization) -> None:
    RetiredTenant.objects.update_or_create(
        external_id=external_id,
        defaults={
            "plain_tenant_id": plain_tenant_id,
            "organization_id": organization.pk,
            "organization_name": organization.name,
        },
    )


def outbox_membership_changed(*, kind: str, user_id: int, organization_id: int) -> SyncEvent | None:
    organization = (
        Organization.objects.filter(pk=organization_id).values("name", "tenant_external_id").first()
    )
    user = User.objects.filter(pk=user_id).values("email", "plain_customer_id").first()
    if organization is None or user is None:  # pragma: no cover - both exist inside the change
        logger.warning("Membership change for a missing user or organisation: no outbox row")
        return None
    return _record(
        kind=kind,
        subject=Subject.user(user_id),
        organization_id=organization_id,
        organization_name=organization["name"],
        user_id=user_id,
        user_email=user["email"],
        tenants=[organization["tenant_external_id"]],
        customer_id=user["plain_customer_id"],
    )


def outbox_user_changed(
    *, user: User, email_changed: bool, activated: bool, deactivated: bool
) -> list[SyncEvent]:
    """Rows for a user's email or active flag changing; written before the save, enqueued after.

    One row per organisation so that each organisation's admin page shows it; processing merges
    them (same subject).
    """
    if not (email_changed or activated or deactivated):
        return []
    if deactivated:
        kind = SyncEvent.Kind.USER_DEACTIVATED
    elif activated:
        kind = SyncEvent.Kind.USER_ACTIVATED
    else:
        kind = SyncEvent.Kind.USER_EMAIL_CHANGED
    organizations = _user_organizations(user)
    if not organizations and not user.plain_customer_id:
        return []  # unknown to Plain and in no tenant: nothing to tell
    common: dict[str, Any] = {
        "kind": kind,
        "subject": Subject.user(user.pk),
        "user_id": user.pk,
        "user_email": user.email,
        "customer_id": user.plain_customer_id,
        "upsert_customer": email_changed,
        "enqueue": False,
    }
    return _user_rows(common, organizations)


def _user_organizations(user: User) -> list[Mapping[str, Any]]:
    return list(
        Organization.objects.filter(memberships__user_id=user.pk).values(
            "pk", "name", "tenant_external_id"
        )
    )


def _user_rows(
    common: dict[str, Any], organizations: Sequence[Mapping[str, Any]]
) -> list[SyncEvent]:
    """One row per organisation of the user (so each organisation's admin page shows it), or
    one with none; processing merges them (same subject)."""
    if not organizations:
        return [_record(**common)]
    return [
        _record(
            organization_id=org["pk"],
            organization_name=org["name"],
            tenants=[org["tenant_external_id"]],
            **common,
        )
        for org in organizations
    ]


def outbox_user_deleted(*, user: User) -> list[SyncEvent]:
    """Rows for a user about to be deleted: the customer leaves every managed tenant it was in.

    The payload keeps the Plain customer id, since the user row will be gone when it runs.
    """
    organizations = _user_organizations(user)
    # The instance being deleted may be stale; a task may have created the customer since.
    customer_id = (
        User.objects.filter(pk=user.pk).values_list("plain_customer_id", flat=True).first() or ""
    )
    if not customer_id:
        return []  # never reached Plain: nothing to remove
    common: dict[str, Any] = {
        "kind": SyncEvent.Kind.USER_DELETED,
        "subject": Subject.user(user.pk),
        "user_id": user.pk,
        "user_email": user.email,
        "customer_id": customer_id,
    }
    return _user_rows(common, organizations)


# === processing the outbox ===================================================================


class _StateKeptChanging(Exception):
    """The database changed under the task MAX_ROUNDS times in a row: try again later."""

    retriable = True


def sync_event_process(*, event_id: int) -> outbox.Outcome:
    """Deliver the row and every pending row of the same subject (the outbox's `deliver`).

    Idempotent; the outcome's `notes["writes"]` counts the Plain writes made.
    """
    return outbox.deliver(kind=SYNC, row_id=event_id)


def _sync_deliver(attempt: Attempt) -> None:
    """The sync kind's handler: bring the subject of the claimed rows in line with the database.

    Reads the database as it is now, so a duplicated, late or reordered row converges.
    """
    writes = _Counter()
    attempt.notes["writes"] = writes
    subject = Subject.parse(attempt.row.subject)
    batch = list(attempt.rows)
    if subject.organization_id is not None:
        _tenant_sync(organization_id=subject.organization_id, batch=batch, writes=writes)
    else:
        _customer_sync(subject=subject, batch=batch, writes=writes)


def _rows_synced(attempt: Attempt) -> None:
    """On delivery, in the same transaction: the organisations Plain has just confirmed."""
    organization_ids = {row.organization_id for row in attempt.rows if row.organization_id}
    if organization_ids:
        Organization.objects.filter(pk__in=organization_ids).update(last_synced_at=timezone.now())


def writes_of(outcome: outbox.Outcome) -> int:
    """The Plain writes a sync delivery made (also when it failed part-way)."""
    writes = outcome.notes.get("writes")
    return writes.count if writes is not None else 0


SYNC = Kind(
    name="tenancy.sync",
    model=SyncEvent,
    handler=_sync_deliver,
    group_field="subject",
    on_done=_rows_synced,
)


class _Counter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


# --- a tenant ---------------------------------------------------------------------------------


def _tenant_sync(*, organization_id: int, batch: Sequence[SyncEvent], writes: _Counter) -> None:
    """Upsert the organisation's tenant when a row asks for it, with the name it has now.

    A re-map onto a tenant staff picked from Plain (its id already known) needs no write.
    """
    always = any(row.kind == SyncEvent.Kind.TENANT_UPSERT for row in batch)
    for _ in range(MAX_ROUNDS):
        before = selectors.organization_tenant_state(organization_id=organization_id)
        if before is None:
            return  # deleted since: its members' rows handle the tenant
        name, external_id, plain_tenant_id = before
        if always or not plain_tenant_id:
            _tenant_upsert(
                organization_id=organization_id, external_id=external_id, name=name, writes=writes
            )
        after = selectors.organization_tenant_state(organization_id=organization_id)
        if after is None or after[:2] == (name, external_id):
            return
        always = True  # renamed or re-mapped meanwhile: what was written may be stale
    raise _StateKeptChanging("the organisation kept changing while its tenant was upserted")


def _tenant_upsert(*, organization_id: int, external_id: str, name: str, writes: _Counter) -> str:
    tenant, _ = get_plain_client().upsert_tenant(external_id=external_id, name=name)
    writes.count += 1
    # Only if the organisation still maps to this tenant (a re-map may have raced us).
    Organization.objects.filter(pk=organization_id, tenant_external_id=external_id).update(
        plain_tenant_id=tenant.id
    )
    return tenant.id


# --- a customer -------------------------------------------------------------------------------


def _customer_sync(*, subject: Subject, batch: Sequence[SyncEvent], writes: _Counter) -> None:
    """Bring the customer's memberships of the tenants the rows name in line with the database.

    Writes: an upsertCustomer when the user has no customer yet (and should be in a tenant) or
    changed email; one addCustomerToTenants for the tenants it should be in; one
    removeCustomerFromTenants for the managed ones it should not. An upsert that creates the
    customer puts it straight into the tenants it should be in, and nothing else is needed: a
    new member costs one write. One that finds the customer already there (made by hand, or by
    an earlier attempt whose answer was lost) changes no membership, so the add and remove
    follow as usual. Adding a member again, or removing a non-member, changes nothing in
    Plain, which is what makes replays harmless.
    """
    tenants = sorted({tenant for row in batch for tenant in row.tenants})
    wants_upsert = any(row.payload.get("upsert_customer") for row in batch)
    # The newest snapshot wins: a deleted user's row is the only place its customer id is left.
    customer_id = next(
        (row.payload["customer_id"] for row in reversed(batch) if row.payload.get("customer_id")),
        "",
    )
    upsert = wants_upsert
    for _ in range(MAX_ROUNDS):
        state = selectors.customer_tenant_state(subject=subject, tenants=tenants)
        user = state.user
        adds = sorted(state.desired)
        removes = sorted((set(tenants) - state.desired) & state.managed)
        create = False
        if user is not None:
            customer_id = user.plain_customer_id or customer_id
            create = bool((upsert and customer_id) or (not customer_id and adds))
        upsert = False
        if adds and (create or customer_id):
            # A customer can only join a tenant Plain has: create the ones never created first.
            _tenants_upsert(rows=state.tenants_without_id, writes=writes)
        if create and user is not None:
            customer_id, created = _customer_upsert_joining(
                user=user, adds=adds, state=state, writes=writes
            )
            if created:
                # In exactly `adds` now, in no other tenant: nothing to add or remove.
                adds = removes = []
        elif not customer_id and user is not None and removes:
            # No customer id on record, yet one may exist and be in these tenants: an upsert that
            # put it there whose worker died before the id was stored. Reading costs no write.
            customer_id = _customer_find(user=user, tenants=removes)
        if customer_id:
            if adds:
                customer_id = _customer_add(
                    user=user, customer_id=customer_id, adds=adds, state=state, writes=writes
                )
            if removes:
                _customer_remove(customer_id=customer_id, removes=removes, writes=writes)
        after = selectors.customer_tenant_state(subject=subject, tenants=tenants)
        if after.fingerprint == state.fingerprint:
            return
        # What was written may be stale: go round again (re-sending the email if it was asked).
        upsert = wants_upsert
    raise _StateKeptChanging("the user's memberships kept changing while they were synced")


def _tenants_upsert(*, rows: Iterable[tuple[int, str, str]], writes: _Counter) -> None:
    """Upsert the tenants of (organisation id, external id, name) rows."""
    for organization_id, external_id, name in rows:
        _tenant_upsert(
            organization_id=organization_id, external_id=external_id, name=name, writes=writes
        )


def _customer_upsert_joining(
    *, user: User, adds: Sequence[str], state: selectors.CustomerTenantState, writes: _Counter
) -> tuple[str, bool]:
    """Upsert the user's customer, a new one joining `adds` in the same write.

    Returns (customer id, created); when created is False the customer existed already and its
    memberships are as they were. The tenants must exist in Plain (see _tenants_upsert).
    """
    try:
        writes.count += 1
        customer_id, result = _customer_upsert(user=user, tenants=adds)
    except PlainNotFoundError:
        if not adds:
            raise
        # A tenant the database knows went missing in Plain (deleted by hand?): upsert the
        # tenants, once more.
        _tenants_upsert(rows=state.tenant_names, writes=writes)
        writes.count += 1
        customer_id, result = _customer_upsert(user=user, tenants=adds)
    return customer_id, result == UpsertResult.CREATED


def _customer_find(*, user: User, tenants: Sequence[str]) -> str:
    """The id of the user's customer if Plain has it in one of `tenants` (stored), else ""."""
    members = selectors.plain_tenant_members(
        tenant_external_ids=tenants,
        page_size=RECONCILE_PAGE_SIZE,
        tenants_per_query=RECONCILE_TENANTS_PER_QUERY,
    )
    external_id = user.plain_external_id
    customer_id = next(
        (m.customer_id for m in members.customers.values() if m.external_id == external_id), ""
    )
    if customer_id:
        User.objects.filter(pk=user.pk).update(plain_customer_id=customer_id)
        user.plain_customer_id = customer_id
    return customer_id


def _customer_add(
    *,
    user: User | None,
    customer_id: str,
    adds: Sequence[str],
    state: selectors.CustomerTenantState,
    writes: _Counter,
) -> str:
    client = get_plain_client()
    try:
        writes.count += 1
        client.add_customer_to_tenants(customer_id=customer_id, tenant_external_ids=adds)
        return customer_id
    except PlainNotFoundError:
        if user is None:
            raise
    # The customer or a tenant went missing in Plain (deleted by hand?): upsert the tenants,
    # then the customer, which joins them if it has to be created again.
    _tenants_upsert(rows=state.tenant_names, writes=writes)
    writes.count += 1
    customer_id, result = _customer_upsert(user=user, tenants=adds)
    if result != UpsertResult.CREATED:
        writes.count += 1
        client.add_customer_to_tenants(customer_id=customer_id, tenant_external_ids=adds)
    return customer_id


def _customer_remove(*, customer_id: str, removes: Sequence[str], writes: _Counter) -> None:
    client = get_plain_client()
    writes.count += 1
    try:
        client.remove_customer_from_tenants(customer_id=customer_id, tenant_external_ids=removes)
        return
    except PlainNotFoundError:
        if len(removes) == 1:
            return  # no such customer or tenant in Plain: not a member either, as wanted
    # One of several tenants (or the customer) does not exist: the others must still go.
    for external_id in removes:
        writes.count += 1
        with contextlib.suppress(PlainNotFoundError):
            client.remove_customer_from_tenants(
                customer_id=customer_id, tenant_external_ids=[external_id]
            )


# === the sweep (the outbox's, for this kind) ==================================================


def sync_events_sweep(*, now: datetime | None = None) -> int:
    """Enqueue the sync rows that are due (see portal/outbox/services.py `sweep`)."""
    return outbox.sweep(now=now, only=[SYNC])


def sync_events_prune() -> int:
    """Delete delivered sync rows past the outbox's keep time."""
    return outbox.prune(only=[SYNC])


# === reconciliation ==========================================================================


@dataclass(slots=True)
class ReconcileReport:
    """What a reconciliation found and did. `writes` counts the Plain writes it performed."""

    organizations: int = 0
    tenants: int = 0
    reads: int = 0
    writes: int = 0
    missing_tenants: list[str] = field(default_factory=list)
    drift: list[MembershipDrift] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not self.drift and not self.missing_tenants

    def planned_writes(self) -> int:
        """The fewest writes that repair the drift: one add and/or one remove per customer (a
        customer still to be created joins its tenants in the upsert that creates it)."""
        count = len(self.missing_tenants)
        for item in self.drift:
            count += bool(item.add) + bool(item.remove)
        return count


def tenants_reconcile(
    *, organization: Organization | None = None, apply: bool = False, inline: bool = True
) -> ReconcileReport:
    """Compare Plain's memberships of the managed tenants with the database; repair with `apply`.

    Plain is read in pages of RECONCILE_PAGE_SIZE customers. Without `apply` nothing is written
    anywhere (--check, --dry-run). With it, every drifted customer gets a DRIFT_REPAIR outbox row
    (tenants missing in Plain a TENANT_UPSERT row), processed at once when `inline`, else by the
    workers; processing re-reads the database, so a change racing the reconciliation wins.
    A reconciliation that finds nothing writes nothing.
    """
    scope = selectors.reconcile_scope(organization=organization)
    plain = selectors.plain_tenant_members(
        tenant_external_ids=scope.tenants,
        page_size=RECONCILE_PAGE_SIZE,
        tenants_per_query=RECONCILE_TENANTS_PER_QUERY,
    )
    report = ReconcileReport(
        organizations=len(scope.organizations), tenants=len(scope.tenants), reads=plain.reads
    )
    report.missing_tenants = [
        org.tenant_external_id for org in scope.organizations if not org.plain_tenant_id
    ]
    report.drift = selectors.membership_drift(scope=scope, plain=plain)
    if not apply or report.in_sync:
        if apply:
            _mark_synced(scope.organizations)
        return report

    with transaction.atomic():
        rows = [
            _record(
                kind=SyncEvent.Kind.TENANT_UPSERT,
                subject=Subject.organization(org.pk),
                organization_id=org.pk,
                organization_name=org.name,
                tenants=[org.tenant_external_id],
                enqueue=not inline,
            )
            for org in scope.organizations
            if not org.plain_tenant_id
        ]
        for item in report.drift:
            organization_for_row = scope.organization_of(item.add + item.remove)
            rows.append(
                _record(
                    kind=SyncEvent.Kind.DRIFT_REPAIR,
                    subject=Subject.user(item.user_id)
                    if item.user_id
                    else Subject.customer(item.customer_id),
                    organization_id=organization_for_row.pk if organization_for_row else None,
                    organization_name=organization_for_row.name if organization_for_row else "",
                    user_id=item.user_id,
                    user_email=item.label if item.user_id else "",
                    tenants=[*item.add, *item.remove],
                    customer_id=item.customer_id,
                    enqueue=not inline,
                )
            )
    if inline:
        for row in rows:
            outcome = sync_event_process(event_id=row.pk)
            report.writes += writes_of(outcome)
            if outcome.status in {"failed", "pending"}:
                report.failed.append(f"{row.subject}: {outcome.error}")
    if not report.failed:
        _mark_synced(scope.organizations)
    return report


def _mark_synced(organizations: Sequence[Organization]) -> None:
    Organization.objects.filter(pk__in=[org.pk for org in organizations]).update(
        last_synced_at=timezone.now()
    )
