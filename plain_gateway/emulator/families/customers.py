"""Customers and their tenant memberships (the tenants themselves are the tenants family's)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.tenants import TenantRef, Tenants, tenant_ref
from plain_gateway.emulator.families.workspace import Workspace
from plain_gateway.emulator.paging import Connection
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["Customer", "CustomerRef", "Customers", "customer_ref", "email_valid"]


@dataclass(slots=True)
class Customer:
    id: str
    full_name: str
    email: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    external_id: str | None = None
    short_name: str | None = None
    email_verified: bool = False
    email_verified_at: int | None = None
    avatar_url: str | None = None
    is_anonymous: bool = False
    # [{"tenant_id", "created_at", "created_by"}], oldest first
    memberships: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """Names one customer: exactly one of its id, its email address or its external id."""

    customer_id: str | None = None
    email: str | None = None
    external_id: str | None = None

    def given(self) -> list[tuple[str, str]]:
        return [
            (name, value)
            for name, value in (
                ("customer_id", self.customer_id),
                ("email", self.email),
                ("external_id", self.external_id),
            )
            if value is not None
        ]


def email_valid(email: str) -> bool:
    local, at, domain = email.strip().rpartition("@")
    return bool(
        at and local and "." in domain and " " not in email.strip() and not domain.startswith(".")
    )


class Customers(Family):
    requires = (Workspace, Tenants)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.customers = self.store.collection("customer", Customer)
        self.customer_by_email: dict[str, str] = {}
        self.customer_by_external_id: dict[str, str] = {}
        self.customers_by_tenant: dict[str, set[str]] = defaultdict(set)
        state.family(Workspace).actor_namer_register(self._actor_name)

    def reindex(self) -> None:
        self.customer_by_email = {c.email.lower(): c.id for c in self.customers.values()}
        self.customer_by_external_id = {
            c.external_id: c.id for c in self.customers.values() if c.external_id
        }
        self.customers_by_tenant = defaultdict(set)
        for customer in self.customers.values():
            for membership in customer.memberships:
                self.customers_by_tenant[membership["tenant_id"]].add(customer.id)

    def _actor_name(self, actor: Actor) -> str | None:
        if actor["kind"] == "customer" and actor["id"] in self.customers:
            return self.customers[actor["id"]].full_name
        return None

    @property
    def _tenants(self) -> Tenants:
        return self.state.family(Tenants)

    # --- reads ----------------------------------------------------------------------------------

    def customer_find(
        self,
        *,
        customer_id: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
    ) -> Customer | None:
        if customer_id is not None:
            return self.customers.get(customer_id)
        if email is not None:
            found = self.customer_by_email.get(email.strip().lower())
            return self.customers.get(found) if found else None
        if external_id is not None:
            found = self.customer_by_external_id.get(external_id)
            return self.customers.get(found) if found else None
        return None

    def customer_get(self, customer_id: str, *, field_name: str = "customer_id") -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise not_found(field_name, "customer", customer_id)
        return customer

    def customer_resolve(self, ref: CustomerRef | None, *, field_name: str) -> Customer:
        """The customer `ref` names; errors name `field_name`."""
        given = ref.given() if ref else []
        if len(given) != 1:
            raise invalid(
                field_name, "exactly one of customerId, emailAddress, externalId is required"
            )
        ((name, value),) = given
        customer = self.customer_find(**{name: value})
        if customer is None:
            raise not_found(field_name, "customer", value)
        return customer

    def customer_list(self, *, tenant_ids: Iterable[str] | None = None) -> list[Customer]:
        if tenant_ids is None:
            return list(self.customers.values())
        ids: set[str] = set()
        for tenant_id in tenant_ids:
            ids |= self.customers_by_tenant.get(tenant_id, set())
        return [self.customers[i] for i in ids]

    # --- writes ---------------------------------------------------------------------------------

    def customer_upsert(
        self,
        *,
        actor: Actor,
        identifier: CustomerRef,
        on_create: dict[str, Any],
        on_update: dict[str, Any],
    ) -> tuple[Customer, str]:
        """Plain's upsertCustomer. on_create: full_name, email, email_verified, short_name,
        external_id. on_update: any of full_name, short_name, external_id, email,
        email_verified; absent keys are left as they are. on_create may also carry `tenants`, a list
        of TenantRef the new customer joins in the same write; like the rest of on_create
        they are looked at only when the customer is created (an existing customer's memberships
        stay as they are), and an unknown one is not_found with nothing created.
        Returns (customer, result)."""
        given = identifier.given()
        if len(given) != 1:
            raise invalid(
                "identifier", "exactly one of customerId, emailAddress, externalId is required"
            )
        ((name, value),) = given
        customer = self.customer_find(**{name: value})
        if customer is None and name == "customer_id":
            raise not_found("identifier.customer_id", "customer", value)
        now = self.store.now()
        if customer is None:
            return self._customer_create(
                actor=actor, on_create=on_create, now=now, by=(name, value)
            ), "CREATED"
        changes: dict[str, Any] = {}
        if "full_name" in on_update:
            if not (on_update["full_name"] or "").strip():
                raise invalid("on_update.full_name", "fullName cannot be empty", "REQUIRED")
            changes["full_name"] = on_update["full_name"].strip()
        if "short_name" in on_update:
            changes["short_name"] = on_update["short_name"]
        if "external_id" in on_update:
            new_external = on_update["external_id"]
            holder = self.customer_find(external_id=new_external) if new_external else None
            if holder is not None and holder is not customer:
                raise StateError(
                    "customer_already_exists_with_external_id",
                    f"a customer with externalId {new_external!r} already exists",
                    [FieldError("on_update.external_id", "already used by another customer")],
                )
            changes["external_id"] = new_external
        if "email" in on_update:
            new_email = (on_update["email"] or "").strip()
            if not email_valid(new_email):
                raise invalid("on_update.email", f"{new_email!r} is not a valid email address")
            holder = self.customer_find(email=new_email)
            if holder is not None and holder is not customer:
                raise StateError(
                    "customer_already_exists_with_email",
                    f"a customer with email {new_email!r} already exists",
                    [FieldError("on_update.email", "already used by another customer")],
                )
            changes["email"] = new_email
            if "email_verified" in on_update:
                changes["email_verified"] = bool(on_update["email_verified"])
        if all(getattr(customer, k) == v for k, v in changes.items()):
            return customer, "NOOP"
        previous = {
            k: getattr(customer, k) for k, v in changes.items() if getattr(customer, k) != v
        }
        self.customer_by_email.pop(customer.email.lower(), None)
        if customer.external_id:
            self.customer_by_external_id.pop(customer.external_id, None)
        for k, v in changes.items():
            setattr(customer, k, v)
        if changes.get("email_verified") and customer.email_verified_at is None:
            customer.email_verified_at = now
        self.customer_by_email[customer.email.lower()] = customer.id
        if customer.external_id:
            self.customer_by_external_id[customer.external_id] = customer.id
        customer.updated_at, customer.updated_by = now, actor
        self.store.touch("customer", customer.id)
        self.store.emit("customer.customer_updated", customer_id=customer.id, previous=previous)
        return customer, "UPDATED"

    def _customer_create(
        self, *, actor: Actor, on_create: dict[str, Any], now: int, by: tuple[str, str]
    ) -> Customer:
        name, value = by
        full_name = (on_create.get("full_name") or "").strip()
        email = (on_create.get("email") or "").strip()
        errors = []
        if not full_name:
            errors.append(FieldError("on_create.full_name", "fullName is required", "REQUIRED"))
        if not email_valid(email):
            errors.append(FieldError("on_create.email", f"{email!r} is not a valid email address"))
        if errors:
            raise fields_invalid(errors)
        if name == "email" and email.lower() != value.strip().lower():
            raise invalid("on_create.email", "must equal the identifier's emailAddress")
        external_id = on_create.get("external_id")
        if name == "external_id":
            external_id = external_id or value
        if self.customer_find(email=email):
            raise StateError(
                "customer_already_exists_with_email",
                f"a customer with email {email!r} already exists",
                [FieldError("on_create.email", "already used by another customer")],
            )
        if external_id and self.customer_find(external_id=external_id):
            raise StateError(
                "customer_already_exists_with_external_id",
                f"a customer with externalId {external_id!r} already exists",
                [FieldError("on_create.external_id", "already used by another customer")],
            )
        tenants = [
            self._tenants.tenant_resolve(t, field_name="on_create.tenants")
            for t in on_create.get("tenants") or ()
        ]
        customer = Customer(
            id=new_id("c", now),
            full_name=full_name,
            short_name=on_create.get("short_name"),
            email=email,
            email_verified=bool(on_create.get("email_verified")),
            email_verified_at=now if on_create.get("email_verified") else None,
            external_id=external_id,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.customers[customer.id] = customer
        self.customer_by_email[email.lower()] = customer.id
        if external_id:
            self.customer_by_external_id[external_id] = customer.id
        self.store.touch("customer", customer.id)
        self.store.emit("customer.customer_created", customer_id=customer.id)
        self._memberships_set(customer, {t.id for t in tenants}, actor=actor)
        return customer

    def customer_tenants_change(
        self,
        *,
        actor: Actor,
        customer: CustomerRef,
        tenants: Sequence[TenantRef],
        mode: str,
    ) -> Customer:
        """Add to (`add`), remove from (`remove`) or set (`set`) a customer's tenants."""
        found = self.customer_resolve(customer, field_name="customer")
        wanted = {self._tenants.tenant_resolve(t, field_name="tenants").id for t in tenants}
        current = {m["tenant_id"] for m in found.memberships}
        target = {"add": current | wanted, "remove": current - wanted, "set": wanted}[mode]
        self._memberships_set(found, target, actor=actor)
        return found

    def _memberships_set(self, customer: Customer, tenant_ids: set[str], *, actor: Actor) -> None:
        current = {m["tenant_id"] for m in customer.memberships}
        if current == tenant_ids:
            return
        now = self.store.now()
        customer.memberships = [m for m in customer.memberships if m["tenant_id"] in tenant_ids]
        for tenant_id in sorted(tenant_ids - current):
            customer.memberships.append(
                {"tenant_id": tenant_id, "created_at": now, "created_by": actor}
            )
        for tenant_id in current - tenant_ids:
            self.customers_by_tenant[tenant_id].discard(customer.id)
        for tenant_id in tenant_ids:
            self.customers_by_tenant[tenant_id].add(customer.id)
        self.store.touch("customer", customer.id)
        for tenant_id in sorted(tenant_ids - current):
            self.store.emit("tenant.customer_added", tenant_id=tenant_id, customer_id=customer.id)
        for tenant_id in sorted(current - tenant_ids):
            self.store.emit("tenant.customer_removed", tenant_id=tenant_id, customer_id=customer.id)


# --- resolvers ---------------------------------------------------------------------------------


def customer_ref(identifier: dict[str, Any]) -> CustomerRef:
    """A CustomerIdentifierInput (or upsert identifier) as a CustomerRef."""
    return CustomerRef(
        customer_id=identifier.get("customerId"),
        email=identifier.get("emailAddress"),
        external_id=identifier.get("externalId"),
    )


def _customers(info: GraphQLResolveInfo) -> Customers:
    return graph.ctx(info).state.family(Customers)


def q_customers(
    _root: Any,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    sortBy: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[Customer]:
    state = graph.ctx(info).state
    filters = filters or {}
    identifiers = filters.get("tenantIdentifiers")
    tenant_ids = (
        state.family(Tenants).tenant_ids(tenant_ref(i) for i in identifiers)
        if identifiers is not None
        else None
    )
    customers = state.family(Customers).customer_list(tenant_ids=tenant_ids)
    if sortBy:
        return graph.page(
            customers,
            lambda c: (c.full_name.lower(), c.id),
            paging,
            descending=sortBy["direction"] == "DESC",
        )
    return graph.page(customers, lambda c: (c.created_at, c.id), paging)


def customer_memberships(
    customer: Customer, info: GraphQLResolveInfo, **paging: Any
) -> Connection[Any]:
    tenants = graph.ctx(info).state.family(Tenants).tenants
    views = [
        {
            "tenant": tenants[m["tenant_id"]],
            "created_at": m["created_at"],
            "created_by": m["created_by"],
            "updated_at": m["created_at"],
            "updated_by": m["created_by"],
        }
        for m in customer.memberships
    ]
    return graph.page(views, lambda v: (v["created_at"], v["tenant"].id), paging)


_UPSERT_PATHS = {
    "identifier.customer_id": "identifier.customerId",
    "on_create.email": "onCreate.email.email",
    "on_create.tenants": "onCreate.tenantIdentifiers",
    "on_update.full_name": "onUpdate.fullName.value",
    "on_update.external_id": "onUpdate.externalId.value",
    "on_update.email": "onUpdate.email.email",
}


@graph.mutation(paths=_UPSERT_PATHS)
def m_upsert_customer(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    on_create = data["onCreate"]
    on_update = data["onUpdate"]
    update: dict[str, Any] = {}
    for gql, name in (
        ("fullName", "full_name"),
        ("shortName", "short_name"),
        ("externalId", "external_id"),
    ):
        value = graph.optional(on_update, gql)
        if value is not ...:
            update[name] = value
    if on_update.get("email") is not None:
        update["email"] = on_update["email"]["email"]
        update["email_verified"] = on_update["email"]["isVerified"]
    customer, result = context.state.family(Customers).customer_upsert(
        actor=context.actor,
        identifier=customer_ref(data["identifier"]),
        on_create={
            "full_name": on_create["fullName"],
            "short_name": on_create.get("shortName"),
            "external_id": on_create.get("externalId"),
            "email": on_create["email"]["email"],
            "email_verified": on_create["email"]["isVerified"],
            "tenants": [tenant_ref(t) for t in on_create.get("tenantIdentifiers") or ()],
        },
        on_update=update,
    )
    return {"customer": customer, "result": result}


_TENANTS_PATHS = {"customer": "customerIdentifier", "tenants": "tenantIdentifiers"}


def _tenant_mutation(mode: str) -> Callable[..., dict[str, Any]]:
    @graph.mutation(paths=_TENANTS_PATHS)
    def resolve(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
        customer = context.state.family(Customers).customer_tenants_change(
            actor=context.actor,
            customer=customer_ref(data["customerIdentifier"]),
            tenants=[tenant_ref(t) for t in data["tenantIdentifiers"]],
            mode=mode,
        )
        return {"customer": customer}

    return resolve


_ACTOR_TYPES = {
    "user": "UserActor",
    "machine_user": "MachineUserActor",
    "customer": "CustomerActor",
    "deleted_customer": "DeletedCustomerActor",
    "system": "SystemActor",
}


def _actor_type(actor: Actor, info: GraphQLResolveInfo, *_: Any) -> str:
    if actor["kind"] == "customer" and actor["id"] not in _customers(info).customers:
        return "DeletedCustomerActor"
    return _ACTOR_TYPES[actor["kind"]]


def _actor_id(actor: Actor, _info: GraphQLResolveInfo) -> str:
    return actor["id"]


RESOLVERS: graph.Resolvers = {
    "Query": {
        "customer": lambda _r, i, customerId: _customers(i).customers.get(customerId),
        "customers": q_customers,
        "customerByEmail": lambda _r, i, email: _customers(i).customer_find(email=email),
        "customerByExternalId": lambda _r, i, externalId: _customers(i).customer_find(
            external_id=externalId
        ),
    },
    "Mutation": {
        "upsertCustomer": m_upsert_customer,
        "addCustomerToTenants": _tenant_mutation("add"),
        "removeCustomerFromTenants": _tenant_mutation("remove"),
        "setCustomerTenants": _tenant_mutation("set"),
    },
    "CustomerActor": {
        "customerId": _actor_id,
        "customer": lambda a, i: _customers(i).customers[a["id"]],
    },
    "DeletedCustomerActor": {"customerId": _actor_id},
    "Customer": {
        "email": lambda c, _i: {
            "email": c.email,
            "is_verified": c.email_verified,
            "verified_at": c.email_verified_at,
        },
        "tenantMemberships": customer_memberships,
        "assignedToUser": graph.none,
        "assignedAt": graph.none,
        "markedAsSpamAt": graph.none,
        "markedAsSpamBy": graph.none,
        "statusChangedAt": graph.none,
        "lastIdleAt": graph.none,
    },
}

# Which actor an Actor is: customers know whether a customer actor still exists.
TYPE_RESOLVERS = {"Actor": _actor_type, "InternalActor": _actor_type}


# Declared fields this family holds no data for: answered as Plain answers when there is none.
ABSENT: dict[str, tuple[str, ...]] = {
    "Customer": (
        "customerGroupMemberships",
        "company",
        "identities",
        "status",
    ),
}
