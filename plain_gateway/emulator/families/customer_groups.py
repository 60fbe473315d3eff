"""Customer groups and the customers in them (a customer may be in many groups).

Rules where Plain does not document its own (conservative):
- A group's key and its externalId (when given) are unique in the workspace; a taken one is
  input_validation on that field. name, key and color are required (non-blank); color is a
  `#rrggbb` hex colour.
- A CustomerGroupIdentifier names a group by exactly one of customerGroupId, customerGroupKey,
  externalId; several or none is input_validation, an unknown one not_found on that entry.
- Adding a customer to a group they are already in keeps that membership (no error, no event);
  removing them from a group they are not in is not an error.
- Deleting a group drops its memberships.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.customers import Customer, Customers
from plain_gateway.emulator.families.threads import THREAD_FILTER_HOOK, Thread
from plain_gateway.emulator.paging import Connection
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["CustomerGroup", "CustomerGroupRef", "CustomerGroups", "group_ref"]

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(slots=True)
class CustomerGroup:
    id: str
    name: str
    key: str
    color: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    external_id: str | None = None


@dataclass(slots=True)
class CustomerGroupMembership:
    id: str
    customer_id: str
    customer_group_id: str
    created_at: int
    created_by: Actor


@dataclass(frozen=True, slots=True)
class CustomerGroupRef:
    """Names one group: exactly one of its id, its key or its external id."""

    group_id: str | None = None
    key: str | None = None
    external_id: str | None = None


class CustomerGroups(Family):
    requires = (Customers,)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.customer_groups = self.store.collection("customer_group", CustomerGroup)
        self.customer_group_memberships = self.store.collection(
            "customer_group_membership", CustomerGroupMembership
        )
        state.family(Customers).customer_create_hook_register(self._on_customer_create)
        self.store.provide(THREAD_FILTER_HOOK, self._thread_filter)

    def _thread_filter(self, name: str, value: Any) -> Callable[[Thread], bool] | None:
        """ThreadsFilter.customerGroupIdentifiers: threads whose customer is in one of the groups
        (an unknown group matches nothing, as in a filter)."""
        if name != "customerGroupIdentifiers":
            return None
        groups = [self.customer_group_find(group_ref(i)) for i in value]
        customer_ids = self.customer_ids_in_groups(group_ids=[g.id for g in groups if g])
        return lambda thread: thread.customer_id in customer_ids

    def _on_customer_create(self, *, actor: Actor, on_create: dict[str, Any]) -> Any:
        refs = on_create.get("customer_groups") or ()
        if not refs:
            return None
        groups = self._resolve_all(refs, field_name="on_create.customer_group_identifiers")
        return lambda customer: self._memberships_add(customer, groups, actor=actor)

    # --- reads ----------------------------------------------------------------------------------

    def customer_group_find(self, ref: CustomerGroupRef) -> CustomerGroup | None:
        for group in self.customer_groups.values():
            if ref.group_id is not None and group.id == ref.group_id:
                return group
            if ref.key is not None and group.key == ref.key:
                return group
            if ref.external_id is not None and group.external_id == ref.external_id:
                return group
        return None

    def customer_group_resolve(self, ref: CustomerGroupRef, *, field_name: str) -> CustomerGroup:
        given = [v for v in (ref.group_id, ref.key, ref.external_id) if v is not None]
        if len(given) != 1:
            raise invalid(
                field_name, "exactly one of customerGroupId, customerGroupKey, externalId"
            )
        group = self.customer_group_find(ref)
        if group is None:
            raise not_found(field_name, "customer group", given[0])
        return group

    def _resolve_all(
        self, refs: Sequence[CustomerGroupRef], *, field_name: str
    ) -> list[CustomerGroup]:
        if not refs:
            raise invalid(field_name, "at least one customer group is required", "REQUIRED")
        return [
            self.customer_group_resolve(ref, field_name=f"{field_name}[{index}]")
            for index, ref in enumerate(refs)
        ]

    def customer_group_memberships_of(self, customer_id: str) -> list[CustomerGroupMembership]:
        return [m for m in self.customer_group_memberships.values() if m.customer_id == customer_id]

    def customer_ids_in_groups(
        self, *, group_ids: Iterable[str] | None = None, group_keys: Iterable[str] | None = None
    ) -> set[str]:
        """Customers in any of the groups named (by id or key); unknown ones match nothing."""
        wanted = set(group_ids or ())
        keys = set(group_keys or ())
        wanted |= {g.id for g in self.customer_groups.values() if g.key in keys}
        return {
            m.customer_id
            for m in self.customer_group_memberships.values()
            if m.customer_group_id in wanted
        }

    # --- writes ---------------------------------------------------------------------------------

    def _check(
        self,
        *,
        name: str,
        key: str,
        color: str,
        external_id: str | None,
        group: CustomerGroup | None,
    ) -> None:
        errors = []
        for field_name, value in (("name", name), ("key", key), ("color", color)):
            if not (value or "").strip():
                errors.append(FieldError(field_name, f"{field_name} is required", "REQUIRED"))
        if (color or "").strip() and not _COLOR.match(color.strip()):
            errors.append(FieldError("color", f"{color!r} is not a #rrggbb colour"))
        if errors:
            raise fields_invalid(errors)
        for other in self.customer_groups.values():
            if other is group:
                continue
            if other.key == key.strip():
                raise invalid("key", f"key {key!r} is another customer group's")
            if external_id and other.external_id == external_id:
                raise invalid("external_id", f"externalId {external_id!r} is another group's")

    def customer_group_create(
        self, *, actor: Actor, name: str, key: str, color: str, external_id: str | None = None
    ) -> CustomerGroup:
        self._check(name=name, key=key, color=color, external_id=external_id, group=None)
        now = self.store.now()
        group = CustomerGroup(
            id=new_id("cuGroup", now),
            name=name.strip(),
            key=key.strip(),
            color=color.strip(),
            external_id=external_id,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.customer_groups[group.id] = group
        self.store.touch("customer_group", group.id)
        self.store.emit(
            "customer.customer_group_changed", customer_group_id=group.id, change_type="created"
        )
        return group

    def customer_group_update(
        self,
        *,
        actor: Actor,
        group_id: str,
        name: Any = ...,
        key: Any = ...,
        color: Any = ...,
        external_id: Any = ...,
    ) -> CustomerGroup:
        """Change a group; `...` leaves a field as it is."""
        group = self.customer_groups.get(group_id)
        if group is None:
            raise not_found("customer_group_id", "customer group", group_id)
        changes = {
            k: v
            for k, v in (
                ("name", name),
                ("key", key),
                ("color", color),
                ("external_id", external_id),
            )
            if v is not ...
        }
        merged = {
            "name": group.name,
            "key": group.key,
            "color": group.color,
            "external_id": group.external_id,
            **changes,
        }
        self._check(group=group, **merged)
        changes = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
        previous = {k: getattr(group, k) for k, v in changes.items() if getattr(group, k) != v}
        if not previous:
            return group
        for k, v in changes.items():
            setattr(group, k, v)
        group.updated_at, group.updated_by = self.store.now(), actor
        self.store.touch("customer_group", group.id)
        self.store.emit(
            "customer.customer_group_changed",
            customer_group_id=group.id,
            change_type="updated",
            previous=previous,
        )
        return group

    def customer_group_upsert(
        self,
        *,
        actor: Actor,
        identifier: CustomerGroupRef,
        name: str,
        key: str,
        color: str,
        external_id: str | None = None,
    ) -> tuple[CustomerGroup, str]:
        given = [v for v in (identifier.group_id, identifier.key, identifier.external_id) if v]
        if len(given) != 1:
            raise invalid(
                "identifier", "exactly one of customerGroupId, customerGroupKey, externalId"
            )
        group = self.customer_group_find(identifier)
        if group is None and identifier.group_id is not None:
            raise not_found("identifier.customer_group_id", "customer group", identifier.group_id)
        if group is None:
            return self.customer_group_create(
                actor=actor, name=name, key=key, color=color, external_id=external_id
            ), "CREATED"
        before = (group.name, group.key, group.color, group.external_id)
        self.customer_group_update(
            actor=actor,
            group_id=group.id,
            name=name,
            key=key,
            color=color,
            external_id=external_id,
        )
        after = (group.name, group.key, group.color, group.external_id)
        return group, "NOOP" if before == after else "UPDATED"

    def customer_group_delete(self, *, actor: Actor, group_id: str) -> None:
        group = self.customer_groups.pop(group_id, None)
        if group is None:
            raise not_found("customer_group_id", "customer group", group_id)
        self.store.touch("customer_group", group_id)
        for membership in list(self.customer_group_memberships.values()):
            if membership.customer_group_id == group_id:
                del self.customer_group_memberships[membership.id]
                self.store.touch("customer_group_membership", membership.id)
        self.store.emit(
            "customer.customer_group_changed", customer_group_id=group_id, change_type="deleted"
        )

    def _memberships_add(
        self, customer: Customer, groups: Sequence[CustomerGroup], *, actor: Actor
    ) -> list[CustomerGroupMembership]:
        current = {m.customer_group_id: m for m in self.customer_group_memberships_of(customer.id)}
        result, added = [], []
        for group in groups:
            membership = current.get(group.id)
            if membership is None:
                now = self.store.now()
                membership = CustomerGroupMembership(
                    id=new_id("cuGroupMember", now),
                    customer_id=customer.id,
                    customer_group_id=group.id,
                    created_at=now,
                    created_by=actor,
                )
                self.customer_group_memberships[membership.id] = membership
                self.store.touch("customer_group_membership", membership.id)
                current[group.id] = membership
                added.append(group.id)
            result.append(membership)
        if added:
            self.store.emit(
                "customer.customer_group_memberships_changed",
                customer_id=customer.id,
                added_customer_group_ids=added,
                removed_customer_group_ids=[],
            )
        return result

    def customer_groups_add(
        self, *, actor: Actor, customer_id: str, groups: Sequence[CustomerGroupRef]
    ) -> list[CustomerGroupMembership]:
        """Add the customer to the groups; returns their memberships of those groups."""
        customer = self.state.family(Customers).customer_get(customer_id)
        found = self._resolve_all(groups, field_name="customer_group_identifiers")
        return self._memberships_add(customer, found, actor=actor)

    def customer_groups_remove(
        self, *, actor: Actor, customer_id: str, groups: Sequence[CustomerGroupRef]
    ) -> None:
        customer = self.state.family(Customers).customer_get(customer_id)
        found = {g.id for g in self._resolve_all(groups, field_name="customer_group_identifiers")}
        removed = []
        for membership in self.customer_group_memberships_of(customer.id):
            if membership.customer_group_id in found:
                del self.customer_group_memberships[membership.id]
                self.store.touch("customer_group_membership", membership.id)
                removed.append(membership.customer_group_id)
        if removed:
            self.store.emit(
                "customer.customer_group_memberships_changed",
                customer_id=customer.id,
                added_customer_group_ids=[],
                removed_customer_group_ids=sorted(removed),
            )


# --- resolvers ---------------------------------------------------------------------------------


def group_ref(identifier: dict[str, Any]) -> CustomerGroupRef:
    """A CustomerGroupIdentifier as a CustomerGroupRef."""
    return CustomerGroupRef(
        group_id=identifier.get("customerGroupId"),
        key=identifier.get("customerGroupKey"),
        external_id=identifier.get("externalId"),
    )


def _groups(info: GraphQLResolveInfo) -> CustomerGroups:
    return graph.ctx(info).state.family(CustomerGroups)


def q_customer_groups(
    _root: Any, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **paging: Any
) -> Connection[CustomerGroup]:
    groups = list(_groups(info).customer_groups.values())
    external_ids = (filters or {}).get("externalIds")
    if external_ids is not None:
        groups = [g for g in groups if g.external_id in set(external_ids)]
    return graph.page(groups, lambda g: (g.created_at, g.id), paging)


def _membership_view(membership: CustomerGroupMembership, groups: CustomerGroups) -> Any:
    return {
        "customer_id": membership.customer_id,
        "customer_group": groups.customer_groups[membership.customer_group_id],
        "created_at": membership.created_at,
        "created_by": membership.created_by,
        "updated_at": membership.created_at,
        "updated_by": membership.created_by,
    }


def customer_group_memberships(
    customer: Customer,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[Any]:
    groups = _groups(info)
    memberships = groups.customer_group_memberships_of(customer.id)
    external_ids = (filters or {}).get("customerGroupExternalIds")
    if external_ids is not None:
        wanted = set(external_ids)
        memberships = [
            m
            for m in memberships
            if groups.customer_groups[m.customer_group_id].external_id in wanted
        ]
    views = [_membership_view(m, groups) for m in memberships]
    return graph.page(views, lambda v: (v["created_at"], v["customer_group"].id), paging)


_PATHS = {"customer_group_identifiers": "customerGroupIdentifiers"}


@graph.mutation
def m_create_customer_group(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    group = context.state.family(CustomerGroups).customer_group_create(
        actor=context.actor,
        name=data["name"],
        key=data["key"],
        color=data["color"],
        external_id=data.get("externalId"),
    )
    return {"customerGroup": group}


@graph.mutation(paths={"identifier.customer_group_id": "identifier.customerGroupId"})
def m_upsert_customer_group(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    group, result = context.state.family(CustomerGroups).customer_group_upsert(
        actor=context.actor,
        identifier=group_ref(data["identifier"]),
        name=data["name"],
        key=data["key"],
        color=data["color"],
        external_id=data.get("externalId"),
    )
    return {"customerGroup": group, "result": result}


@graph.mutation(
    paths={
        "name": "name.value",
        "key": "key.value",
        "color": "color.value",
        "external_id": "externalId.value",
    }
)
def m_update_customer_group(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    group = context.state.family(CustomerGroups).customer_group_update(
        actor=context.actor,
        group_id=data["customerGroupId"],
        name=graph.optional(data, "name"),
        key=graph.optional(data, "key"),
        color=graph.optional(data, "color"),
        external_id=graph.optional(data, "externalId"),
    )
    return {"customerGroup": group}


@graph.mutation
def m_delete_customer_group(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    context.state.family(CustomerGroups).customer_group_delete(
        actor=context.actor, group_id=data["customerGroupId"]
    )
    return {}


@graph.mutation(paths=_PATHS)
def m_add_customer_to_groups(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    groups = context.state.family(CustomerGroups)
    memberships = groups.customer_groups_add(
        actor=context.actor,
        customer_id=data["customerId"],
        groups=[group_ref(g) for g in data["customerGroupIdentifiers"]],
    )
    return {"customerGroupMemberships": [_membership_view(m, groups) for m in memberships]}


@graph.mutation(paths=_PATHS)
def m_remove_customer_from_groups(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    context.state.family(CustomerGroups).customer_groups_remove(
        actor=context.actor,
        customer_id=data["customerId"],
        groups=[group_ref(g) for g in data["customerGroupIdentifiers"]],
    )
    return {}


RESOLVERS: graph.Resolvers = {
    "Query": {
        "customerGroups": q_customer_groups,
        "customerGroup": lambda _r, i, customerGroupId: _groups(i).customer_groups.get(
            customerGroupId
        ),
    },
    "Mutation": {
        "createCustomerGroup": m_create_customer_group,
        "upsertCustomerGroup": m_upsert_customer_group,
        "updateCustomerGroup": m_update_customer_group,
        "deleteCustomerGroup": m_delete_customer_group,
        "addCustomerToCustomerGroups": m_add_customer_to_groups,
        "removeCustomerFromCustomerGroups": m_remove_customer_from_groups,
    },
    "Customer": {"customerGroupMemberships": customer_group_memberships},
}
