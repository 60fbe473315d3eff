"""Tenants: the organisations customers belong to (memberships are the customers family's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.paging import Connection, Edge
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["Tenant", "TenantRef", "Tenants", "tenant_ref"]


@dataclass(slots=True)
class Tenant:
    id: str
    external_id: str
    name: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    url: str | None = None
    source: str = "API"


@dataclass(frozen=True, slots=True)
class TenantRef:
    """Names one tenant: exactly one of its id or its external id."""

    tenant_id: str | None = None
    external_id: str | None = None


class Tenants(Family):
    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.tenants = self.store.collection("tenant", Tenant)
        self.tenant_by_external_id: dict[str, str] = {}

    def reindex(self) -> None:
        self.tenant_by_external_id = {t.external_id: t.id for t in self.tenants.values()}

    def tenant_find(
        self, *, tenant_id: str | None = None, external_id: str | None = None
    ) -> Tenant | None:
        if tenant_id is not None:
            return self.tenants.get(tenant_id)
        if external_id is not None:
            found = self.tenant_by_external_id.get(external_id)
            return self.tenants.get(found) if found else None
        return None

    def tenant_resolve(self, ref: TenantRef | None, *, field_name: str) -> Tenant:
        """The tenant `ref` names; errors name `field_name`."""
        given = [v for v in (ref.tenant_id, ref.external_id) if v is not None] if ref else []
        if len(given) != 1:
            raise invalid(field_name, "exactly one of tenantId, externalId is required")
        assert ref is not None
        tenant = self.tenant_find(tenant_id=ref.tenant_id, external_id=ref.external_id)
        if tenant is None:
            raise not_found(field_name, "tenant", given[0])
        return tenant

    def tenant_ids(self, refs: Iterable[TenantRef]) -> list[str]:
        """The ids of the tenants named; an unknown one matches nothing (a filter, not an error)."""
        ids = []
        for ref in refs:
            tenant = self.tenant_find(tenant_id=ref.tenant_id, external_id=ref.external_id)
            if tenant is not None:
                ids.append(tenant.id)
        return ids

    def tenant_upsert(
        self,
        *,
        actor: Actor,
        identifier: TenantRef,
        name: str,
        external_id: str,
        url: Any = ...,
    ) -> tuple[Tenant, str]:
        """Create or update a tenant. `url` is `...` for "leave as is". Returns (tenant, result)."""
        errors = []
        if not (name or "").strip():
            errors.append(FieldError("name", "name is required", "REQUIRED"))
        if not (external_id or "").strip():
            errors.append(FieldError("external_id", "externalId is required", "REQUIRED"))
        if errors:
            raise fields_invalid(errors)
        if (identifier.tenant_id is None) == (identifier.external_id is None):
            raise invalid("identifier", "exactly one of tenantId, externalId is required")
        tenant = self.tenant_find(
            tenant_id=identifier.tenant_id, external_id=identifier.external_id
        )
        if tenant is None and identifier.tenant_id is not None:
            raise not_found("identifier.tenant_id", "tenant", identifier.tenant_id)
        other = self.tenant_find(external_id=external_id)
        if other is not None and other is not tenant:
            raise invalid("external_id", f"externalId {external_id!r} is used by another tenant")
        now = self.store.now()
        if tenant is None:
            tenant = Tenant(
                id=new_id("te", now),
                external_id=external_id,
                name=name.strip(),
                url=None if url is ... else url,
                created_at=now,
                created_by=actor,
                updated_at=now,
                updated_by=actor,
            )
            self.tenants[tenant.id] = tenant
            self.tenant_by_external_id[external_id] = tenant.id
            self.store.touch("tenant", tenant.id)
            self.store.emit("tenant.tenant_created", tenant_id=tenant.id)
            return tenant, "CREATED"
        changes = {"name": name.strip(), "external_id": external_id}
        if url is not ...:
            changes["url"] = url
        if all(getattr(tenant, k) == v for k, v in changes.items()):
            return tenant, "NOOP"
        previous = {k: getattr(tenant, k) for k, v in changes.items() if getattr(tenant, k) != v}
        self.tenant_by_external_id.pop(tenant.external_id, None)
        for k, v in changes.items():
            setattr(tenant, k, v)
        self.tenant_by_external_id[tenant.external_id] = tenant.id
        tenant.updated_at, tenant.updated_by = now, actor
        self.store.touch("tenant", tenant.id)
        self.store.emit("tenant.tenant_updated", tenant_id=tenant.id, previous=previous)
        return tenant, "UPDATED"


# --- resolvers ---------------------------------------------------------------------------------


def tenant_ref(identifier: dict[str, Any]) -> TenantRef:
    """A TenantIdentifierInput as a TenantRef."""
    return TenantRef(tenant_id=identifier.get("tenantId"), external_id=identifier.get("externalId"))


def _tenants(info: GraphQLResolveInfo) -> Tenants:
    return graph.ctx(info).state.family(Tenants)


def q_tenants(
    _root: Any, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **paging: Any
) -> Connection[Tenant]:
    filters = filters or {}
    tenants = list(_tenants(info).tenants.values())
    if filters.get("tenantIds") is not None:
        wanted = set(filters["tenantIds"])
        tenants = [t for t in tenants if t.id in wanted]
    if filters.get("isDeleted"):
        tenants = []  # the emulator never deletes tenants
    updated = filters.get("updatedAt") or {}
    for name in ("after", "before"):
        if updated.get(name) is None:
            continue
        try:
            at = graph.ms(updated[name])
        except ValueError:
            raise graph.QueryError(f"updatedAt.{name} is not ISO 8601", "BAD_USER_INPUT") from None
        tenants = [
            t for t in tenants if (t.updated_at > at if name == "after" else t.updated_at < at)
        ]
    return graph.page(tenants, lambda t: (t.created_at, t.id), paging)


def q_search_tenants(
    _root: Any,
    info: GraphQLResolveInfo,
    searchQuery: dict[str, Any],
    **paging: Any,
) -> Connection[dict[str, Any]]:
    term = searchQuery["term"].strip().lower()
    if not term:
        raise graph.QueryError("searchQuery.term must not be empty", "BAD_USER_INPUT")
    tenants = [
        t
        for t in _tenants(info).tenants.values()
        if term in t.name.lower() or term in t.external_id.lower()
    ]
    page = graph.page(tenants, lambda t: (t.name.lower(), t.id), paging)
    return Connection(
        edges=[Edge(cursor=e.cursor, node={"tenant": e.node}) for e in page.edges],
        page_info=page.page_info,
        total_count=page.total_count,
    )


@graph.mutation
def m_upsert_tenant(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    tenant, result = context.state.family(Tenants).tenant_upsert(
        actor=context.actor,
        identifier=tenant_ref(data["identifier"]),
        name=data["name"],
        external_id=data["externalId"],
        url=graph.optional(data, "url"),
    )
    return {"tenant": tenant, "result": result}


RESOLVERS: graph.Resolvers = {
    "Query": {
        "tenants": q_tenants,
        "tenant": lambda _r, i, tenantId: _tenants(i).tenants.get(tenantId),
        "searchTenants": q_search_tenants,
    },
    "Mutation": {"upsertTenant": m_upsert_tenant},
}


# Declared fields this family holds no data for: answered as Plain answers when there is none.
ABSENT: dict[str, tuple[str, ...]] = {
    "Tenant": ("tenantFields",),
}
