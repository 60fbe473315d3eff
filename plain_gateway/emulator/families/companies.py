"""Companies: the organisation a customer's email domain names, derived as Plain derives it.

A customer created with alice@acme.test belongs to the company of domain "acme.test", named
"Acme" (the domain's registrable label, capitalised), created the first time the domain is seen.
Personal-mail domains (PERSONAL_DOMAINS) and the emulator's own (`*.plain.test`) give no company.
The company is derived when the customer is created only; a later email change keeps it.
`updateCustomerCompany` sets it (by companyId, or by domain: the company of that domain, created
if new) or clears it (null).

Rules where Plain does not document its own (conservative):
- `companies` without `isDeleted` lists the companies not deleted; `isDeleted: true` only the
  deleted ones.
- deleteCompany marks the company deleted (isDeleted, deletedAt, deletedBy) and unlinks its
  customers; a deleted company is not found by updateCustomerCompany or upsertCompany by id, and
  a domain seen again creates a new company.
- searchCompanies needs a term of at least 2 characters (else a BAD_USER_INPUT query error) and
  matches it case-insensitively within name or domain name.
- upsertCompany by companyDomainName creates the company when no live one has that domain; the
  identifier's domain and domainName must then agree. contractValue must be >= 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.customers import Customer, Customers
from plain_gateway.emulator.families.threads import THREAD_FILTER_HOOK, Thread
from plain_gateway.emulator.families.workspace import Workspace
from plain_gateway.emulator.paging import Connection, Edge
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["PERSONAL_DOMAINS", "Companies", "Company", "CompanyRef", "company_ref"]

PERSONAL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "mail.com",
    }
)
_SECOND_LEVELS = frozenset({"co", "com", "org", "net", "ac", "gov", "edu"})
SEARCH_TERM_MIN = 2


@dataclass(slots=True)
class Company:
    id: str
    name: str
    domain_name: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    contract_value: int | None = None
    account_owner_user_id: str | None = None
    deleted_at: int | None = None
    deleted_by: Actor | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(slots=True)
class CustomerCompany:
    """A customer's company, kept here (keyed by the customer's id), not on Customer."""

    id: str
    customer_id: str
    company_id: str


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """Names one company: exactly one of its id or its domain name."""

    company_id: str | None = None
    domain_name: str | None = None


def _domain_valid(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) >= 2 and all(
        label and all(ch.isalnum() or ch == "-" for ch in label) for label in labels
    )


def company_name(domain: str) -> str:
    """The name Plain gives a domain's company: its registrable label, capitalised."""
    labels = domain.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVELS and len(labels[-1]) == 2:
        return labels[-3].capitalize()
    return labels[-2].capitalize()


def derivable_domain(email: str) -> str | None:
    """The domain of `email` that names a company, or None (personal mail, the emulator's own)."""
    domain = email.strip().rpartition("@")[2].lower()
    if not _domain_valid(domain) or domain in PERSONAL_DOMAINS:
        return None
    if domain == "plain.test" or domain.endswith(".plain.test"):
        return None
    return domain


class Companies(Family):
    requires = (Workspace, Customers)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.companies = self.store.collection("company", Company)
        self.customer_companies = self.store.collection("customer_company", CustomerCompany)
        self.company_by_domain: dict[str, str] = {}
        state.family(Customers).customer_create_hook_register(self._on_customer_create)
        self.store.provide(THREAD_FILTER_HOOK, self._thread_filter)

    def _thread_filter(self, name: str, value: Any) -> Callable[[Thread], bool] | None:
        """ThreadsFilter.companyIdentifiers: threads whose customer is in one of the companies."""
        if name != "companyIdentifiers":
            return None
        customer_ids = self.customer_ids_of_companies(company_ref(i) for i in value)
        return lambda thread: thread.customer_id in customer_ids

    def reindex(self) -> None:
        self.company_by_domain = {
            c.domain_name: c.id for c in self.companies.values() if not c.is_deleted
        }

    def _on_customer_create(self, *, actor: Actor, on_create: dict[str, Any]) -> Any:
        domain = derivable_domain(on_create.get("email") or "")
        if domain is None:
            return None

        def apply(customer: Customer) -> None:
            company = self._company_for_domain(domain, actor=actor)
            self._link(customer.id, company.id)

        return apply

    # --- reads ----------------------------------------------------------------------------------

    def company_find(self, ref: CompanyRef) -> Company | None:
        """The live company `ref` names, or None."""
        if ref.company_id is not None:
            found = self.companies.get(ref.company_id)
            return found if found is not None and not found.is_deleted else None
        if ref.domain_name is not None:
            company_id = self.company_by_domain.get(ref.domain_name.strip().lower())
            return self.companies.get(company_id) if company_id else None
        return None

    def company_resolve(self, ref: CompanyRef | None, *, field_name: str) -> Company:
        given = [v for v in (ref.company_id, ref.domain_name) if v is not None] if ref else []
        if len(given) != 1:
            raise invalid(field_name, "exactly one of companyId, companyDomainName is required")
        assert ref is not None
        company = self.company_find(ref)
        if company is None:
            sub = "company_id" if ref.company_id is not None else "company_domain_name"
            raise not_found(f"{field_name}.{sub}", "company", given[0])
        return company

    def company_of_customer(self, customer_id: str) -> Company | None:
        link = self.customer_companies.get(customer_id)
        return self.companies.get(link.company_id) if link else None

    def customer_ids_of_companies(self, refs: Iterable[CompanyRef]) -> set[str]:
        """The customers of the companies named; an unknown one matches nothing (a filter)."""
        wanted = {c.id for ref in refs if (c := self.company_find(ref)) is not None}
        return {link.id for link in self.customer_companies.values() if link.company_id in wanted}

    def company_list(
        self,
        *,
        company_ids: Iterable[str] | None = None,
        is_deleted: bool | None = None,
        updated_after: int | None = None,
        updated_before: int | None = None,
    ) -> list[Company]:
        found = [c for c in self.companies.values() if c.is_deleted == bool(is_deleted)]
        if company_ids is not None:
            wanted = set(company_ids)
            found = [c for c in found if c.id in wanted]
        if updated_after is not None:
            found = [c for c in found if c.updated_at > updated_after]
        if updated_before is not None:
            found = [c for c in found if c.updated_at < updated_before]
        return found

    def company_search(self, *, term: str, companies: Iterable[Company]) -> list[Company]:
        needle = term.strip().lower()
        if len(needle) < SEARCH_TERM_MIN:
            raise invalid(
                "search_query.term", f"a search term needs at least {SEARCH_TERM_MIN} characters"
            )
        return [c for c in companies if needle in c.name.lower() or needle in c.domain_name]

    # --- writes ---------------------------------------------------------------------------------

    def _company_for_domain(self, domain: str, *, actor: Actor) -> Company:
        existing = self.company_find(CompanyRef(domain_name=domain))
        if existing is not None:
            return existing
        return self._company_create(
            name=company_name(domain), domain_name=domain, actor=actor, contract_value=None
        )

    def _company_create(
        self,
        *,
        name: str,
        domain_name: str,
        actor: Actor,
        contract_value: int | None,
        account_owner_user_id: str | None = None,
    ) -> Company:
        now = self.store.now()
        company = Company(
            id=new_id("co", now),
            name=name,
            domain_name=domain_name,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
            contract_value=contract_value,
            account_owner_user_id=account_owner_user_id,
        )
        self.companies[company.id] = company
        self.company_by_domain[domain_name] = company.id
        self.store.touch("company", company.id)
        self.store.emit("company.company_created", company_id=company.id)
        return company

    def _link(self, customer_id: str, company_id: str | None) -> None:
        if company_id is None:
            self.customer_companies.pop(customer_id, None)
        else:
            self.customer_companies[customer_id] = CustomerCompany(
                id=customer_id, customer_id=customer_id, company_id=company_id
            )
        self.store.touch("customer_company", customer_id)

    def customer_company_set(
        self, *, actor: Actor, customer_id: str, company: CompanyRef | None
    ) -> Customer:
        """Set (by id, or by domain: created if new) or clear (None) a customer's company."""
        customer = self.state.family(Customers).customer_get(customer_id)
        target: Company | None = None
        if company is not None:
            given = [v for v in (company.company_id, company.domain_name) if v is not None]
            if len(given) != 1:
                raise invalid(
                    "company_identifier", "exactly one of companyId, companyDomainName is required"
                )
            if company.company_id is not None:
                target = self.company_resolve(company, field_name="company_identifier")
            else:
                domain = (company.domain_name or "").strip().lower()
                if not _domain_valid(domain):
                    raise invalid(
                        "company_identifier.company_domain_name",
                        f"{company.domain_name!r} is not a domain name",
                    )
                target = self._company_for_domain(domain, actor=actor)
        previous = self.company_of_customer(customer.id)
        new_id_ = target.id if target else None
        if (previous.id if previous else None) == new_id_:
            return customer
        self._link(customer.id, new_id_)
        customer.updated_at, customer.updated_by = self.store.now(), actor
        self.store.touch("customer", customer.id)
        self.store.emit(
            "customer.customer_updated",
            customer_id=customer.id,
            previous={"company_id": previous.id if previous else None},
        )
        return customer

    def company_upsert(
        self,
        *,
        actor: Actor,
        identifier: CompanyRef,
        name: str,
        domain_name: str,
        contract_value: int | None = None,
        account_owner_user_id: str | None = None,
    ) -> tuple[Company, str]:
        """Plain's upsertCompany. Returns (company, result)."""
        name = (name or "").strip()
        domain = (domain_name or "").strip().lower()
        errors = []
        if not name:
            errors.append(FieldError("name", "name is required", "REQUIRED"))
        if not _domain_valid(domain):
            errors.append(FieldError("domain_name", f"{domain_name!r} is not a domain name"))
        if contract_value is not None and contract_value < 0:
            errors.append(FieldError("contract_value", "contractValue cannot be negative"))
        if errors:
            raise fields_invalid(errors)
        if (identifier.company_id is None) == (identifier.domain_name is None):
            raise invalid("identifier", "exactly one of companyId, companyDomainName is required")
        workspace = self.state.family(Workspace)
        if (
            account_owner_user_id is not None
            and workspace.user_find(user_id=account_owner_user_id) is None
        ):
            raise not_found("account_owner_user_id", "user", account_owner_user_id)
        company = self.company_find(identifier)
        if company is None and identifier.company_id is not None:
            raise not_found("identifier.company_id", "company", identifier.company_id)
        holder = self.company_find(CompanyRef(domain_name=domain))
        if holder is not None and holder is not company:
            raise StateError(
                "input_validation",
                f"domainName {domain!r} is another company's",
                [FieldError("domain_name", "already used by another company")],
            )
        if company is None:
            if (identifier.domain_name or "").strip().lower() != domain:
                raise invalid("domain_name", "must equal the identifier's companyDomainName")
            company = self._company_create(
                name=name,
                domain_name=domain,
                actor=actor,
                contract_value=contract_value,
                account_owner_user_id=account_owner_user_id,
            )
            return company, "CREATED"
        changes = {
            "name": name,
            "domain_name": domain,
            "contract_value": contract_value,
            "account_owner_user_id": account_owner_user_id,
        }
        if all(getattr(company, k) == v for k, v in changes.items()):
            return company, "NOOP"
        previous = {k: getattr(company, k) for k, v in changes.items() if getattr(company, k) != v}
        self.company_by_domain.pop(company.domain_name, None)
        for k, v in changes.items():
            setattr(company, k, v)
        self.company_by_domain[company.domain_name] = company.id
        company.updated_at, company.updated_by = self.store.now(), actor
        self.store.touch("company", company.id)
        self.store.emit("company.company_updated", company_id=company.id, previous=previous)
        return company, "UPDATED"

    def company_delete(self, *, actor: Actor, identifier: CompanyRef) -> Company:
        company = self.company_resolve(identifier, field_name="company_identifier")
        now = self.store.now()
        company.deleted_at, company.deleted_by = now, actor
        company.updated_at, company.updated_by = now, actor
        self.company_by_domain.pop(company.domain_name, None)
        self.store.touch("company", company.id)
        for link in [c for c in self.customer_companies.values() if c.company_id == company.id]:
            self._link(link.id, None)
        self.store.emit("company.company_deleted", company_id=company.id)
        return company


# --- resolvers ---------------------------------------------------------------------------------


def company_ref(identifier: dict[str, Any]) -> CompanyRef:
    """A CompanyIdentifierInput as a CompanyRef."""
    return CompanyRef(
        company_id=identifier.get("companyId"), domain_name=identifier.get("companyDomainName")
    )


def _companies(info: GraphQLResolveInfo) -> Companies:
    return graph.ctx(info).state.family(Companies)


def _filtered(info: GraphQLResolveInfo, filters: dict[str, Any] | None) -> list[Company]:
    filters = filters or {}
    updated = filters.get("updatedAt") or {}
    moments = {}
    for name in ("after", "before"):
        value = updated.get(name)
        try:
            moments[name] = graph.ms(value) if value is not None else None
        except ValueError:
            raise graph.QueryError(f"updatedAt.{name} is not ISO 8601", "BAD_USER_INPUT") from None
    return _companies(info).company_list(
        company_ids=filters.get("companyIds"),
        is_deleted=filters.get("isDeleted"),
        updated_after=moments["after"],
        updated_before=moments["before"],
    )


def q_companies(
    _root: Any, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **paging: Any
) -> Connection[Company]:
    return graph.page(_filtered(info, filters), lambda c: (c.created_at, c.id), paging)


def q_search_companies(
    _root: Any,
    info: GraphQLResolveInfo,
    searchQuery: dict[str, Any],
    filters: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[dict[str, Any]]:
    try:
        found = _companies(info).company_search(
            term=searchQuery["term"], companies=_filtered(info, filters)
        )
    except StateError as error:
        raise graph.QueryError(error.message, "BAD_USER_INPUT") from None
    page = graph.page(found, lambda c: (c.name.lower(), c.id), paging)
    return Connection(
        edges=[Edge(cursor=e.cursor, node={"company": e.node}) for e in page.edges],
        page_info=page.page_info,
        total_count=page.total_count,
    )


def _company(_root: Any, info: GraphQLResolveInfo, companyId: str) -> Company | None:
    return _companies(info).company_find(CompanyRef(company_id=companyId)) or (
        # A deleted company is still readable by id (isDeleted says so).
        _companies(info).companies.get(companyId)
    )


@graph.mutation(paths={"company_identifier": "companyIdentifier"})
def m_update_customer_company(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    identifier = data.get("companyIdentifier")
    customer = context.state.family(Companies).customer_company_set(
        actor=context.actor,
        customer_id=data["customerId"],
        company=company_ref(identifier) if identifier is not None else None,
    )
    return {"customer": customer}


@graph.mutation
def m_upsert_company(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    company, result = context.state.family(Companies).company_upsert(
        actor=context.actor,
        identifier=company_ref(data["identifier"]),
        name=data["name"],
        domain_name=data["domainName"],
        contract_value=data.get("contractValue"),
        account_owner_user_id=data.get("accountOwnerUserId"),
    )
    return {"company": company, "result": result}


@graph.mutation(paths={"company_identifier": "companyIdentifier"})
def m_delete_company(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    company = context.state.family(Companies).company_delete(
        actor=context.actor, identifier=company_ref(data["companyIdentifier"])
    )
    return {"company": company}


def _account_owner(company: Company, info: GraphQLResolveInfo) -> Any:
    if company.account_owner_user_id is None:
        return None
    return graph.ctx(info).state.family(Workspace).user_find(user_id=company.account_owner_user_id)


RESOLVERS: graph.Resolvers = {
    "Query": {
        "companies": q_companies,
        "company": _company,
        "searchCompanies": q_search_companies,
    },
    "Mutation": {
        "updateCustomerCompany": m_update_customer_company,
        "upsertCompany": m_upsert_company,
        "deleteCompany": m_delete_company,
    },
    "Customer": {"company": lambda c, i: _companies(i).company_of_customer(c.id)},
    "Company": {
        "logoUrl": graph.none,
        "threadChannelAssociations": graph.empty,
        "accountOwner": _account_owner,
    },
}
