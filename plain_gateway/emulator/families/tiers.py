"""Tiers, their members (tenants and companies) and their service-level agreements (SLAs).

A tenant or a company is in at most one tier: adding it to another tier (addMembersToTier,
updateTenantTier, updateCompanyTier) moves it there. A thread's tier is its tenant's tier, else
its customer's company's tier, else the tier marked default (at most one is). The tier sets the
priority of a new thread created without one (its `defaultThreadPriority`, through the threads
family's defaults hook) and the SLAs of `Thread.serviceLevelAgreementStatusSummary`, both read
when asked: a thread follows its tenant's or company's tier as it changes.

SLAs (createServiceLevelAgreement, deleteServiceLevelAgreement) are first-response-time or
next-response-time minutes on a tier, on the emulator's clock:
- first response: PENDING (breachingAt = created + minutes) until the first outbound message (a
  chat or email from anyone but the customer), then ACHIEVED at it, or BREACHED if it came after
  the breach time; BREACHING while unanswered past it.
- next response: from the first inbound message (chat or email by the customer) after the first
  outbound one, PENDING (breachingAt = it + minutes) until the next outbound, then ACHIEVED or
  BREACHED as above; null before any such inbound message.
An SLA applies to a thread whose priority is in its threadPriorityFilter (an empty filter: every
priority). With several SLAs of one type on the tier, the first created that applies is used.

Rules where Plain does not document its own (conservative):
- createTier: name and color (#rrggbb) required, externalId required and unique,
  defaultThreadPriority 0-3 (default 2); an unknown member is not_found with nothing created.
- A tier's SLA minutes are a positive number of exactly one type per SLA.
- Not emulated (refused loudly when given): business hours (`useBusinessHoursOnly: true`),
  label-type filters, breach actions; IMMINENT_BREACH and CANCELLED never appear.
- deleteTier removes its memberships and SLAs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway import limits
from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.companies import Companies, CompanyRef, company_ref
from plain_gateway.emulator.families.customers import refuse_unemulated
from plain_gateway.emulator.families.tenants import TenantRef, Tenants, tenant_ref
from plain_gateway.emulator.families.threads import (
    THREAD_FILTER_HOOK,
    Thread,
    ThreadDefaults,
    Threads,
)
from plain_gateway.emulator.paging import Connection
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["SLA", "MemberRef", "Tier", "TierMembership", "Tiers"]

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_THREAD_PRIORITY = 2
SLA_TYPES = ("FIRST_RESPONSE_TIME", "NEXT_RESPONSE_TIME")
_MESSAGE_KINDS = ("chat", "email")


@dataclass(slots=True)
class Tier:
    id: str
    name: str
    external_id: str | None
    color: str
    is_default: bool
    default_thread_priority: int
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor


@dataclass(slots=True)
class TierMembership:
    id: str
    tier_id: str
    member_kind: str  # tenant | company
    member_id: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor


@dataclass(slots=True)
class SLA:
    id: str
    tier_id: str
    type: str  # one of SLA_TYPES
    minutes: int
    created_at: int
    created_by: Actor
    thread_priority_filter: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MemberRef:
    """Names one tier member: exactly one of a company id or a tenant id."""

    company_id: str | None = None
    tenant_id: str | None = None


class Tiers(Family):
    requires = (Tenants, Companies, Threads)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.tiers = self.store.collection("tier", Tier)
        self.tier_memberships = self.store.collection("tier_membership", TierMembership)
        self.slas = self.store.collection("sla", SLA)
        self.membership_of: dict[tuple[str, str], str] = {}
        state.family(Threads).defaults_provider_register(self._thread_defaults)
        self.store.provide(THREAD_FILTER_HOOK, self._thread_filter)

    def _thread_filter(self, name: str, value: Any) -> Callable[[Thread], bool] | None:
        """ThreadsFilter.tierIdentifiers: threads whose tier (as Thread.tier answers) is one of
        the tiers named (an unknown tier matches nothing, as in a filter)."""
        if name != "tierIdentifiers":
            return None
        found = (
            self.tier_find(tier_id=i.get("tierId"), external_id=i.get("externalId")) for i in value
        )
        tier_ids = {t.id for t in found if t is not None}

        def matches(thread: Thread) -> bool:
            tier = self.tier_for(tenant_id=thread.tenant_id, customer_id=thread.customer_id)
            return tier is not None and tier.id in tier_ids

        return matches

    def reindex(self) -> None:
        self.membership_of = {
            (m.member_kind, m.member_id): m.id for m in self.tier_memberships.values()
        }

    def _thread_defaults(
        self, *, customer_id: str, tenant_id: str | None, channel: str
    ) -> ThreadDefaults | None:
        tier = self.tier_for(tenant_id=tenant_id, customer_id=customer_id)
        return ThreadDefaults(priority=tier.default_thread_priority) if tier else None

    # --- reads ----------------------------------------------------------------------------------

    def tier_find(
        self, *, tier_id: str | None = None, external_id: str | None = None
    ) -> Tier | None:
        if tier_id is not None:
            return self.tiers.get(tier_id)
        if external_id is not None:
            return next((t for t in self.tiers.values() if t.external_id == external_id), None)
        return None

    def tier_resolve(
        self, *, tier_id: str | None, external_id: str | None, field_name: str
    ) -> Tier:
        given = [v for v in (tier_id, external_id) if v is not None]
        if len(given) != 1:
            raise invalid(field_name, "exactly one of tierId, externalId is required")
        tier = self.tier_find(tier_id=tier_id, external_id=external_id)
        if tier is None:
            sub = "tier_id" if tier_id is not None else "external_id"
            raise not_found(f"{field_name}.{sub}", "tier", given[0])
        return tier

    def tier_of_member(self, kind: str, member_id: str) -> Tier | None:
        membership_id = self.membership_of.get((kind, member_id))
        if membership_id is None:
            return None
        return self.tiers.get(self.tier_memberships[membership_id].tier_id)

    def tier_for(self, *, tenant_id: str | None, customer_id: str) -> Tier | None:
        """The tier of a thread of `customer_id` in `tenant_id` (see the module docstring)."""
        if tenant_id is not None and (tier := self.tier_of_member("tenant", tenant_id)):
            return tier
        company = self.state.family(Companies).company_of_customer(customer_id)
        if company is not None and (tier := self.tier_of_member("company", company.id)):
            return tier
        return next((t for t in self.tiers.values() if t.is_default), None)

    def tier_slas(self, tier_id: str) -> list[SLA]:
        return sorted(
            (s for s in self.slas.values() if s.tier_id == tier_id),
            key=lambda s: (s.created_at, s.id),
        )

    def sla_summary(self, thread: Thread) -> dict[str, Any]:
        """{first_response_time, next_response_time}: each None or (status, moments)."""
        summary: dict[str, Any] = {"first_response_time": None, "next_response_time": None}
        tier = self.tier_for(tenant_id=thread.tenant_id, customer_id=thread.customer_id)
        if tier is None:
            return summary
        applying = [
            s
            for s in self.tier_slas(tier.id)
            if not s.thread_priority_filter or thread.priority in s.thread_priority_filter
        ]
        messages = [
            (e.timestamp, e.actor["kind"] == "customer")
            for e in self.state.family(Threads).timeline(thread.id, kinds=_MESSAGE_KINDS)
        ]
        first_out = next((at for at, inbound in messages if not inbound), None)
        now = self.store.clock_read()
        for sla in applying:
            if sla.type == "FIRST_RESPONSE_TIME" and summary["first_response_time"] is None:
                summary["first_response_time"] = _detail(
                    thread.created_at + sla.minutes * 60_000, first_out, now
                )
            if sla.type == "NEXT_RESPONSE_TIME" and summary["next_response_time"] is None:
                if first_out is None:
                    continue
                waiting: int | None = None
                answered: tuple[int, int] | None = None
                for at, inbound in messages:
                    if at <= first_out:
                        continue
                    if inbound and waiting is None:
                        waiting = at
                    elif not inbound and waiting is not None:
                        answered, waiting = (waiting, at), None
                if waiting is not None:
                    summary["next_response_time"] = _detail(
                        waiting + sla.minutes * 60_000, None, now
                    )
                elif answered is not None:
                    summary["next_response_time"] = _detail(
                        answered[0] + sla.minutes * 60_000, answered[1], now
                    )
        return summary

    # --- writes ---------------------------------------------------------------------------------

    def _members_resolve(
        self, members: Sequence[MemberRef], *, field_name: str
    ) -> list[tuple[str, str]]:
        found = []
        for index, ref in enumerate(members):
            where = f"{field_name}[{index}]"
            if (ref.company_id is None) == (ref.tenant_id is None):
                raise invalid(where, "exactly one of companyId, tenantId is required")
            if ref.tenant_id is not None:
                tenant = self.state.family(Tenants).tenant_find(tenant_id=ref.tenant_id)
                if tenant is None:
                    raise not_found(f"{where}.tenant_id", "tenant", ref.tenant_id)
                found.append(("tenant", tenant.id))
            else:
                company = self.state.family(Companies).company_find(
                    CompanyRef(company_id=ref.company_id)
                )
                if company is None:
                    raise not_found(f"{where}.company_id", "company", ref.company_id)
                found.append(("company", company.id))
        return found

    def _member_set(
        self, kind: str, member_id: str, tier: Tier | None, *, actor: Actor
    ) -> TierMembership | None:
        """Put the member in `tier` (None: in none); returns its membership."""
        current_id = self.membership_of.get((kind, member_id))
        current = self.tier_memberships.get(current_id) if current_id else None
        if current is not None and tier is not None and current.tier_id == tier.id:
            return current
        if current is not None:
            del self.tier_memberships[current.id]
            del self.membership_of[kind, member_id]
            self.store.touch("tier_membership", current.id)
            self.store.emit(
                "tier.tier_membership_deleted",
                tier_id=current.tier_id,
                membership_id=current.id,
                **{f"{kind}_id": member_id},
            )
        if tier is None:
            return None
        now = self.store.now()
        membership = TierMembership(
            id=new_id("tierMember", now),
            tier_id=tier.id,
            member_kind=kind,
            member_id=member_id,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.tier_memberships[membership.id] = membership
        self.membership_of[kind, member_id] = membership.id
        self.store.touch("tier_membership", membership.id)
        self.store.emit(
            "tier.tier_membership_created",
            tier_id=tier.id,
            membership_id=membership.id,
            previous_tier_id=current.tier_id if current else None,
            **{f"{kind}_id": member_id},
        )
        return membership

    def _check(
        self,
        *,
        name: str,
        external_id: str | None,
        color: str,
        default_thread_priority: int,
        tier: Tier | None,
        external_id_required: bool,
    ) -> None:
        errors = []
        if not (name or "").strip():
            errors.append(FieldError("name", "name is required", "REQUIRED"))
        if external_id_required and not (external_id or "").strip():
            errors.append(FieldError("external_id", "externalId is required", "REQUIRED"))
        if not _COLOR.match((color or "").strip()):
            errors.append(FieldError("color", f"{color!r} is not a #rrggbb colour"))
        if default_thread_priority not in limits.PRIORITIES:
            errors.append(FieldError("default_thread_priority", "priority must be 0, 1, 2 or 3"))
        if errors:
            raise fields_invalid(errors)
        holder = self.tier_find(external_id=external_id) if external_id else None
        if holder is not None and holder is not tier:
            raise invalid("external_id", f"externalId {external_id!r} is another tier's")

    def _default_take(self, tier: Tier, *, actor: Actor) -> None:
        for other in self.tiers.values():
            if other is not tier and other.is_default:
                other.is_default = False
                other.updated_at, other.updated_by = self.store.now(), actor
                self.store.touch("tier", other.id)
                self.store.emit(
                    "tier.tier_updated", tier_id=other.id, previous={"is_default": True}
                )

    def tier_create(
        self,
        *,
        actor: Actor,
        name: str,
        external_id: str,
        color: str,
        default_thread_priority: int | None = None,
        members: Sequence[MemberRef] = (),
        is_default: bool = False,
    ) -> Tier:
        priority = (
            DEFAULT_THREAD_PRIORITY if default_thread_priority is None else default_thread_priority
        )
        self._check(
            name=name,
            external_id=external_id,
            color=color,
            default_thread_priority=priority,
            tier=None,
            external_id_required=True,
        )
        found = self._members_resolve(members, field_name="member_identifiers")
        now = self.store.now()
        tier = Tier(
            id=new_id("tier", now),
            name=name.strip(),
            external_id=external_id.strip(),
            color=color.strip(),
            is_default=bool(is_default),
            default_thread_priority=priority,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.tiers[tier.id] = tier
        self.store.touch("tier", tier.id)
        self.store.emit("tier.tier_created", tier_id=tier.id)
        if tier.is_default:
            self._default_take(tier, actor=actor)
        for kind, member_id in found:
            self._member_set(kind, member_id, tier, actor=actor)
        return tier

    def tier_update(
        self,
        *,
        actor: Actor,
        tier_id: str,
        name: Any = ...,
        external_id: Any = ...,
        color: Any = ...,
        default_thread_priority: Any = ...,
        is_default: Any = ...,
    ) -> Tier:
        """Change a tier; `...` leaves a field as it is."""
        tier = self.tiers.get(tier_id)
        if tier is None:
            raise not_found("tier_id", "tier", tier_id)
        changes = {
            k: v
            for k, v in (
                ("name", name),
                ("external_id", external_id),
                ("color", color),
                ("default_thread_priority", default_thread_priority),
                ("is_default", is_default),
            )
            if v is not ...
        }
        merged = {
            "name": tier.name,
            "external_id": tier.external_id,
            "color": tier.color,
            "default_thread_priority": tier.default_thread_priority,
            **{k: v for k, v in changes.items() if k != "is_default"},
        }
        self._check(tier=tier, external_id_required=False, **merged)
        changes = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
        previous = {k: getattr(tier, k) for k, v in changes.items() if getattr(tier, k) != v}
        if not previous:
            return tier
        for k, v in changes.items():
            setattr(tier, k, v)
        tier.updated_at, tier.updated_by = self.store.now(), actor
        self.store.touch("tier", tier.id)
        self.store.emit("tier.tier_updated", tier_id=tier.id, previous=previous)
        if tier.is_default:
            self._default_take(tier, actor=actor)
        return tier

    def tier_delete(self, *, actor: Actor, tier_id: str) -> Tier:
        tier = self.tiers.get(tier_id)
        if tier is None:
            raise not_found("tier_id", "tier", tier_id)
        for membership in [m for m in self.tier_memberships.values() if m.tier_id == tier.id]:
            self._member_set(membership.member_kind, membership.member_id, None, actor=actor)
        for sla in self.tier_slas(tier.id):
            del self.slas[sla.id]
            self.store.touch("sla", sla.id)
        del self.tiers[tier.id]
        self.store.touch("tier", tier.id)
        self.store.emit("tier.tier_deleted", tier_id=tier.id)
        return tier

    def tier_members_add(
        self,
        *,
        actor: Actor,
        tier_id: str | None,
        tier_external_id: str | None,
        members: Sequence[MemberRef],
    ) -> list[TierMembership]:
        tier = self.tier_resolve(
            tier_id=tier_id, external_id=tier_external_id, field_name="tier_identifier"
        )
        found = self._members_resolve(members, field_name="member_identifiers")
        result = []
        for kind, member_id in found:
            membership = self._member_set(kind, member_id, tier, actor=actor)
            assert membership is not None
            result.append(membership)
        return result

    def tier_members_remove(
        self, *, actor: Actor, members: Sequence[MemberRef]
    ) -> list[TierMembership]:
        """Take the members out of their tiers; returns the memberships ended (a member in no
        tier is skipped)."""
        found = self._members_resolve(members, field_name="member_identifiers")
        ended = []
        for kind, member_id in found:
            membership_id = self.membership_of.get((kind, member_id))
            if membership_id is not None:
                ended.append(self.tier_memberships[membership_id])
                self._member_set(kind, member_id, None, actor=actor)
        return ended

    def tier_of_tenant_set(
        self,
        *,
        actor: Actor,
        tenant: TenantRef,
        tier_id: str | None = None,
        tier_external_id: str | None = None,
        clear: bool = False,
    ) -> TierMembership | None:
        found = self.state.family(Tenants).tenant_resolve(tenant, field_name="tenant_identifier")
        tier = (
            None
            if clear
            else self.tier_resolve(
                tier_id=tier_id, external_id=tier_external_id, field_name="tier_identifier"
            )
        )
        return self._member_set("tenant", found.id, tier, actor=actor)

    def tier_of_company_set(
        self,
        *,
        actor: Actor,
        company: CompanyRef,
        tier_id: str | None = None,
        tier_external_id: str | None = None,
        clear: bool = False,
    ) -> TierMembership | None:
        found = self.state.family(Companies).company_resolve(
            company, field_name="company_identifier"
        )
        tier = (
            None
            if clear
            else self.tier_resolve(
                tier_id=tier_id, external_id=tier_external_id, field_name="tier_identifier"
            )
        )
        return self._member_set("company", found.id, tier, actor=actor)

    def sla_create(
        self,
        *,
        actor: Actor,
        tier_id: str,
        first_response_time_minutes: int | None = None,
        next_response_time_minutes: int | None = None,
        thread_priority_filter: Sequence[int] = (),
    ) -> SLA:
        tier = self.tiers.get(tier_id)
        if tier is None:
            raise not_found("tier_id", "tier", tier_id)
        given = [
            (kind, minutes)
            for kind, minutes in (
                ("FIRST_RESPONSE_TIME", first_response_time_minutes),
                ("NEXT_RESPONSE_TIME", next_response_time_minutes),
            )
            if minutes is not None
        ]
        if len(given) != 1:
            raise invalid(
                "service_level_agreement",
                "exactly one of firstResponseTimeMinutes, nextResponseTimeMinutes is required",
            )
        ((kind, minutes),) = given
        if minutes <= 0:
            name = "first" if kind == "FIRST_RESPONSE_TIME" else "next"
            raise invalid(
                f"service_level_agreement.{name}_response_time_minutes",
                "minutes must be positive",
            )
        wrong = [p for p in thread_priority_filter if p not in limits.PRIORITIES]
        if wrong:
            raise invalid(
                "service_level_agreement.thread_priority_filter", "priorities are 0, 1, 2 or 3"
            )
        now = self.store.now()
        sla = SLA(
            id=new_id("sla", now),
            tier_id=tier.id,
            type=kind,
            minutes=minutes,
            thread_priority_filter=sorted(set(thread_priority_filter)),
            created_at=now,
            created_by=actor,
        )
        self.slas[sla.id] = sla
        self.store.touch("sla", sla.id)
        self.store.emit("tier.service_level_agreement_created", tier_id=tier.id, sla_id=sla.id)
        return sla

    def sla_delete(self, *, actor: Actor, sla_id: str) -> SLA:
        sla = self.slas.pop(sla_id, None)
        if sla is None:
            raise not_found("service_level_agreement_id", "service level agreement", sla_id)
        self.store.touch("sla", sla_id)
        self.store.emit("tier.service_level_agreement_deleted", tier_id=sla.tier_id, sla_id=sla_id)
        return sla


def _detail(breach_at: int, done_at: int | None, now: int) -> graph.Payload:
    if done_at is not None:
        if done_at <= breach_at:
            return graph.Payload(
                "ServiceLevelAgreementStatusDetailAchieved", {"achievedAt": done_at}
            )
        return graph.Payload(
            "ServiceLevelAgreementStatusDetailBreached",
            {"breachedAt": breach_at, "completedAt": done_at},
        )
    if now > breach_at:
        return graph.Payload(
            "ServiceLevelAgreementStatusDetailBreaching", {"breachedAt": breach_at}
        )
    return graph.Payload("ServiceLevelAgreementStatusDetailPending", {"breachingAt": breach_at})


# --- resolvers ---------------------------------------------------------------------------------


def _tiers(info: GraphQLResolveInfo) -> Tiers:
    return graph.ctx(info).state.family(Tiers)


def membership_view(membership: TierMembership) -> graph.Payload:
    kind = membership.member_kind
    return graph.Payload(
        "TenantTierMembership" if kind == "tenant" else "CompanyTierMembership",
        {
            "id": membership.id,
            "tierId": membership.tier_id,
            f"{kind}Id": membership.member_id,
            "createdAt": membership.created_at,
            "createdBy": membership.created_by,
            "updatedAt": membership.updated_at,
            "updatedBy": membership.updated_by,
        },
    )


def sla_view(sla: SLA) -> graph.Payload:
    first = sla.type == "FIRST_RESPONSE_TIME"
    return graph.Payload(
        "FirstResponseTimeServiceLevelAgreement"
        if first
        else "NextResponseTimeServiceLevelAgreement",
        {
            "id": sla.id,
            ("firstResponseTimeMinutes" if first else "nextResponseTimeMinutes"): sla.minutes,
            "useBusinessHoursOnly": False,
            "threadPriorityFilter": sla.thread_priority_filter,
            "threadLabelTypeIdFilter": None,
            "breachActions": [],
            "createdAt": sla.created_at,
            "createdBy": sla.created_by,
            "updatedAt": sla.created_at,
            "updatedBy": sla.created_by,
        },
    )


def _member_refs(identifiers: Sequence[dict[str, Any]]) -> list[MemberRef]:
    return [
        MemberRef(company_id=i.get("companyId"), tenant_id=i.get("tenantId")) for i in identifiers
    ]


def _tier_ref(identifier: dict[str, Any] | None) -> dict[str, Any]:
    identifier = identifier or {}
    return {"tier_id": identifier.get("tierId"), "tier_external_id": identifier.get("externalId")}


def tier_memberships(tier: Tier, info: GraphQLResolveInfo, **paging: Any) -> Connection[Any]:
    found = [m for m in _tiers(info).tier_memberships.values() if m.tier_id == tier.id]
    page = graph.page(found, lambda m: (m.created_at, m.id), paging)
    return Connection(
        edges=[type(e)(cursor=e.cursor, node=membership_view(e.node)) for e in page.edges],
        page_info=page.page_info,
        total_count=page.total_count,
    )


_PATHS = {"tier_identifier": "tierIdentifier", "member_identifiers": "memberIdentifiers"}


@graph.mutation(paths=_PATHS)
def m_create_tier(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    tier = context.state.family(Tiers).tier_create(
        actor=context.actor,
        name=data["name"],
        external_id=data["externalId"],
        color=data["color"],
        default_thread_priority=data.get("defaultThreadPriority"),
        members=_member_refs(data["memberIdentifiers"]),
        is_default=bool(data.get("isDefault")),
    )
    return {"tier": tier}


@graph.mutation(
    paths={
        "name": "name.value",
        "external_id": "externalId.value",
        "color": "color.value",
        "default_thread_priority": "defaultThreadPriority.value",
    }
)
def m_update_tier(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    tier = context.state.family(Tiers).tier_update(
        actor=context.actor,
        tier_id=data["tierId"],
        name=graph.optional(data, "name"),
        external_id=graph.optional(data, "externalId"),
        color=graph.optional(data, "color"),
        default_thread_priority=graph.optional(data, "defaultThreadPriority"),
        is_default=graph.optional(data, "isDefault"),
    )
    return {"tier": tier}


@graph.mutation
def m_delete_tier(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "tier": context.state.family(Tiers).tier_delete(actor=context.actor, tier_id=data["tierId"])
    }


@graph.mutation(paths=_PATHS)
def m_add_members(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    memberships = context.state.family(Tiers).tier_members_add(
        actor=context.actor,
        members=_member_refs(data["memberIdentifiers"]),
        **_tier_ref(data["tierIdentifier"]),
    )
    return {"memberships": [membership_view(m) for m in memberships]}


@graph.mutation(paths=_PATHS)
def m_remove_members(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    memberships = context.state.family(Tiers).tier_members_remove(
        actor=context.actor, members=_member_refs(data["memberIdentifiers"])
    )
    return {"memberships": [membership_view(m) for m in memberships]}


@graph.mutation(paths={**_PATHS, "tenant_identifier": "tenantIdentifier"})
def m_update_tenant_tier(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    membership = context.state.family(Tiers).tier_of_tenant_set(
        actor=context.actor,
        tenant=tenant_ref(data["tenantIdentifier"]),
        clear=data.get("tierIdentifier") is None,
        **_tier_ref(data.get("tierIdentifier")),
    )
    return {"tenantTierMembership": membership_view(membership) if membership else None}


@graph.mutation(paths={**_PATHS, "company_identifier": "companyIdentifier"})
def m_update_company_tier(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    membership = context.state.family(Tiers).tier_of_company_set(
        actor=context.actor,
        company=company_ref(data["companyIdentifier"]),
        clear=data.get("tierIdentifier") is None,
        **_tier_ref(data.get("tierIdentifier")),
    )
    return {"companyTierMembership": membership_view(membership) if membership else None}


@graph.mutation(paths={"service_level_agreement": "serviceLevelAgreement"})
def m_create_sla(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    sla_input = data["serviceLevelAgreement"]
    where = "input.serviceLevelAgreement"
    refuse_unemulated(sla_input, "useBusinessHoursOnly", "threadLabelTypeIdFilter", where=where)
    refuse_unemulated(sla_input, "breachActions", where=where)
    sla = context.state.family(Tiers).sla_create(
        actor=context.actor,
        tier_id=data["tierId"],
        first_response_time_minutes=sla_input.get("firstResponseTimeMinutes"),
        next_response_time_minutes=sla_input.get("nextResponseTimeMinutes"),
        thread_priority_filter=sla_input.get("threadPriorityFilter") or (),
    )
    return {"serviceLevelAgreement": sla_view(sla)}


@graph.mutation
def m_delete_sla(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    sla = context.state.family(Tiers).sla_delete(
        actor=context.actor, sla_id=data["serviceLevelAgreementId"]
    )
    return {"serviceLevelAgreement": sla_view(sla)}


def _sla_summary(thread: Thread, info: GraphQLResolveInfo) -> dict[str, Any]:
    summary = _tiers(info).sla_summary(thread)
    return {
        "firstResponseTime": summary["first_response_time"],
        "nextResponseTime": summary["next_response_time"],
    }


RESOLVERS: graph.Resolvers = {
    "Query": {
        "tiers": lambda _r, i, **paging: graph.page(
            list(_tiers(i).tiers.values()), lambda t: (t.created_at, t.id), paging
        ),
        "tier": lambda _r, i, tierId: _tiers(i).tiers.get(tierId),
    },
    "Mutation": {
        "createTier": m_create_tier,
        "updateTier": m_update_tier,
        "deleteTier": m_delete_tier,
        "addMembersToTier": m_add_members,
        "removeMembersFromTier": m_remove_members,
        "updateTenantTier": m_update_tenant_tier,
        "updateCompanyTier": m_update_company_tier,
        "createServiceLevelAgreement": m_create_sla,
        "deleteServiceLevelAgreement": m_delete_sla,
    },
    "Tier": {
        "defaultPriority": lambda t, _i: t.default_thread_priority,
        "isMachineTier": graph.const(False),
        "memberships": tier_memberships,
        "serviceLevelAgreements": lambda t, i: [sla_view(s) for s in _tiers(i).tier_slas(t.id)],
    },
    # Required lists: a refused mutation answers [] (graph.mutation nulls the other fields).
    "AddMembersToTierOutput": {"memberships": lambda o, _i: o["memberships"] or []},
    "RemoveMembersFromTierOutput": {"memberships": lambda o, _i: o["memberships"] or []},
    "Tenant": {"tier": lambda t, i: _tiers(i).tier_of_member("tenant", t.id)},
    "Company": {"tier": lambda c, i: _tiers(i).tier_of_member("company", c.id)},
    "Thread": {
        "tier": lambda t, i: _tiers(i).tier_for(tenant_id=t.tenant_id, customer_id=t.customer_id),
        "serviceLevelAgreementStatusSummary": _sla_summary,
    },
}

TYPE_RESOLVERS = {
    "TierMembership": graph.typename,
    "ServiceLevelAgreement": graph.typename,
    "ServiceLevelAgreementStatusDetail": graph.typename,
}
