"""Customers and their tenant memberships (the tenants themselves are the tenants family's).

Hooks for other families:
- `customer_create_hook_register(hook)`: `hook(actor=..., on_create=...)` runs while a customer is
  being created, after this family's own checks and before anything changed; it may raise
  StateError (nothing is created) and returns None or a function the new Customer is passed to
  once it exists (the companies family derives the company, customer groups add memberships).

Rules where Plain does not document its own (conservative):
- deleteCustomer deletes the customer and, as Plain's docs say, everything associated with them:
  every entity of any family that carries their `customer_id` (threads, timeline entries,
  attachments, group memberships, their company link). Actors naming them elsewhere answer
  DeletedCustomerActor.
- searchCustomers needs at least one condition with a term of 2 or more characters, matched
  case-insensitively as a substring; conditions are or-ed. timelineEntryText is not emulated.
- Customer.status: ACTIVE with a TODO thread, else SNOOZED with a snoozed one, else IDLE.
- Customers are never marked as spam: `isMarkedAsSpam: true` matches none.
"""

from __future__ import annotations

import dataclasses
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

__all__ = [
    "CreateHook",
    "Customer",
    "CustomerRef",
    "Customers",
    "customer_ref",
    "email_valid",
    "refuse_unemulated",
]

# hook(actor=..., on_create=...) -> None | apply(customer); see the module docstring.
CreateHook = Callable[..., "Callable[[Customer], None] | None"]
SEARCH_TERM_MIN = 2


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
        self._create_hooks: list[CreateHook] = []
        state.family(Workspace).actor_namer_register(self._actor_name)

    def customer_create_hook_register(self, hook: CreateHook) -> None:
        """Take part in creating a customer (see the module docstring)."""
        self._create_hooks.append(hook)

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

    def customer_list(
        self,
        *,
        tenant_ids: Iterable[str] | None = None,
        customer_ids: Iterable[str] | None = None,
        updated_after: int | None = None,
        updated_before: int | None = None,
        is_marked_as_spam: bool | None = None,
    ) -> list[Customer]:
        """Customers matching every filter given (tenant_ids: a member of any of them;
        customer_ids: one of them, as other families narrow by their own data)."""
        if tenant_ids is None:
            found = list(self.customers.values())
        else:
            ids: set[str] = set()
            for tenant_id in tenant_ids:
                ids |= self.customers_by_tenant.get(tenant_id, set())
            found = [self.customers[i] for i in ids]
        if customer_ids is not None:
            wanted = set(customer_ids)
            found = [c for c in found if c.id in wanted]
        if updated_after is not None:
            found = [c for c in found if c.updated_at > updated_after]
        if updated_before is not None:
            found = [c for c in found if c.updated_at < updated_before]
        if is_marked_as_spam:
            found = []  # the emulator never marks a customer as spam
        return found

    def customer_search(self, *, conditions: Sequence[dict[str, str]]) -> list[Customer]:
        """Customers matching any condition; a condition maps full_name, short_name, email or
        external_id to a term, matched case-insensitively as a substring (all of its terms)."""
        terms = [(name, term) for c in conditions for name, term in c.items()]
        if not terms:
            raise invalid("search_query.or", "at least one search condition is required")
        for index, condition in enumerate(conditions):
            for name, term in condition.items():
                if len(term.strip()) < SEARCH_TERM_MIN:
                    raise invalid(
                        f"search_query.or[{index}].{name}",
                        f"a search term needs at least {SEARCH_TERM_MIN} characters",
                    )

        def matches(customer: Customer, condition: dict[str, str]) -> bool:
            return bool(condition) and all(
                term.strip().lower() in (getattr(customer, name) or "").lower()
                for name, term in condition.items()
            )

        return [c for c in self.customers.values() if any(matches(c, k) for k in conditions)]

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
        applies = [hook(actor=actor, on_create=on_create) for hook in self._create_hooks]
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
        for apply in applies:
            if apply is not None:
                apply(customer)
        return customer

    def customer_delete(self, *, actor: Actor, customer_id: str) -> dict[str, list[str]]:
        """Delete the customer and everything carrying their id (see the module docstring).
        Returns the ids removed, by kind."""
        customer = self.customer_get(customer_id)
        self.customers.pop(customer.id)
        self.store.touch("customer", customer.id)
        removed = self.store.remove_where("customer_id", customer.id)
        self.reindex()
        self.store.emit(
            "customer.customer_deleted",
            customer_id=customer.id,
            previous=dataclasses.asdict(customer),
            thread_ids=removed.get("thread", []),
        )
        return removed

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


def refuse_unemulated(data: dict[str, Any], *names: str, where: str = "input") -> None:
    """A GraphQL error for an input field Plain accepts that the emulator does not model, when
    the client sent a value for it (rather than silently ignoring it)."""
    for name in names:
        if data.get(name) not in (None, [], False):
            raise graph.QueryError(
                f"{where}.{name}: the emulator does not emulate this field", "BAD_USER_INPUT"
            )


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
    # Imported here: those families require this one, so this module cannot import them first.
    from plain_gateway.emulator.families.companies import Companies, company_ref
    from plain_gateway.emulator.families.customer_groups import CustomerGroups

    state = graph.ctx(info).state
    filters = filters or {}
    identifiers = filters.get("tenantIdentifiers")
    tenant_ids = (
        state.family(Tenants).tenant_ids(tenant_ref(i) for i in identifiers)
        if identifiers is not None
        else None
    )
    customer_ids: set[str] | None = None
    if filters.get("companyIdentifiers") is not None:
        refs = [company_ref(i) for i in filters["companyIdentifiers"]]
        customer_ids = state.family(Companies).customer_ids_of_companies(refs)
    group_ids, group_keys = filters.get("customerGroupIds"), filters.get("customerGroupKeys")
    if group_ids is not None or group_keys is not None:
        members = state.family(CustomerGroups).customer_ids_in_groups(
            group_ids=group_ids, group_keys=group_keys
        )
        customer_ids = members if customer_ids is None else customer_ids & members
    updated = filters.get("updatedAt") or {}
    customers = state.family(Customers).customer_list(
        tenant_ids=tenant_ids,
        customer_ids=customer_ids,
        updated_after=_moment(updated, "after"),
        updated_before=_moment(updated, "before"),
        is_marked_as_spam=filters.get("isMarkedAsSpam"),
    )
    if sortBy:
        return graph.page(
            customers,
            lambda c: (c.full_name.lower(), c.id),
            paging,
            descending=sortBy["direction"] == "DESC",
        )
    return graph.page(customers, lambda c: (c.created_at, c.id), paging)


def _moment(datetime_filter: dict[str, Any], name: str) -> int | None:
    value = datetime_filter.get(name)
    if value is None:
        return None
    try:
        return graph.ms(value)
    except ValueError:
        raise graph.QueryError(f"updatedAt.{name} is not ISO 8601", "BAD_USER_INPUT") from None


_SEARCH_FIELDS = {
    "fullName": "full_name",
    "shortName": "short_name",
    "email": "email",
    "externalId": "external_id",
}


def q_search_customers(
    _root: Any, info: GraphQLResolveInfo, searchQuery: dict[str, Any], **paging: Any
) -> Connection[Customer]:
    conditions = []
    for index, condition in enumerate(searchQuery.get("or") or ()):
        refuse_unemulated(condition, "timelineEntryText", where=f"searchQuery.or[{index}]")
        conditions.append(
            {
                name: expression["caseInsensitiveContains"]
                for gql, name in _SEARCH_FIELDS.items()
                if (expression := condition.get(gql))
                and expression.get("caseInsensitiveContains") is not None
            }
        )
    try:
        found = _customers(info).customer_search(conditions=conditions)
    except StateError as error:
        raise graph.QueryError(error.message, "BAD_USER_INPUT") from None
    return graph.page(found, lambda c: (c.full_name.lower(), c.id), paging)


def customer_status(customer: Customer, info: GraphQLResolveInfo) -> str:
    from plain_gateway.emulator.families.threads import Threads  # it requires this family

    statuses = {
        t.status for t in graph.ctx(info).state.family(Threads).threads_of_customer(customer.id)
    }
    return "ACTIVE" if "TODO" in statuses else "SNOOZED" if "SNOOZED" in statuses else "IDLE"


@graph.mutation
def m_delete_customer(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    context.state.family(Customers).customer_delete(
        actor=context.actor, customer_id=data["customerId"]
    )
    return {}


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
    from plain_gateway.emulator.families.customer_groups import group_ref  # it requires us

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
            "customer_groups": [
                group_ref(g) for g in on_create.get("customerGroupIdentifiers") or ()
            ],
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
        "searchCustomers": q_search_customers,
    },
    "Mutation": {
        "upsertCustomer": m_upsert_customer,
        "addCustomerToTenants": _tenant_mutation("add"),
        "removeCustomerFromTenants": _tenant_mutation("remove"),
        "setCustomerTenants": _tenant_mutation("set"),
        "deleteCustomer": m_delete_customer,
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
        "status": customer_status,
        "identities": lambda c, _i: [graph.Payload("EmailCustomerIdentity", {"email": c.email})],
        "assignedToUser": graph.none,
        "assignedAt": graph.none,
        "markedAsSpamAt": graph.none,
        "markedAsSpamBy": graph.none,
        "statusChangedAt": graph.none,
        "lastIdleAt": graph.none,
    },
}

# Which actor an Actor is: customers know whether a customer actor still exists.
TYPE_RESOLVERS = {
    "Actor": _actor_type,
    "InternalActor": _actor_type,
    "CustomerIdentity": graph.typename,
}
