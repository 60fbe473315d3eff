"""Threads and their timelines: creation, messages (chat, email, note), status, priority, title,
labels and thread field values on a thread.

Hooks for other families:
- `defaults_provider_register(provider)`: `provider(customer_id=..., tenant_id=..., channel=...)`
  returns a `ThreadDefaults` (or None) for a thread about to be created; providers apply in
  registration order, a later one's non-None values beating an earlier one's, and an explicit
  argument of `thread_create` beating them all. A tiers family uses it for the priority of a
  tier's new threads, without an edit here.
- `entry_append(...)` writes a timeline entry of any kind (the events family's entries).
- `creation_option_register(name, option)`: lets another family take a createThread input
  (`assigned_to` for `assignedTo`) without an edit here; see `CreationOption`.
- Through the store (`store.provide(hook, provider)`):
  `SLA_BREACH_HOOK` ("threads.sla_breach_at"): `provider(thread_id)` returns the time (ms) the
  thread's next SLA breaches, or None; `threads` sorted by CLOSEST_TO_BREACH_SLA takes the earliest
  any provider gives, threads without one last in both directions. The tiers family's open SLAs
  (pending or breaching, from its `sla_summary`) count too, when that family is there.
  `THREAD_FILTER_HOOK` ("threads.filter"): `provider(name, value)` is asked for each ThreadsFilter
  input this family does not answer (`_HOOKED_FILTERS`: isAssigned, assignedToUser,
  tierIdentifiers, companyIdentifiers, customerGroupIdentifiers, serviceLevelAgreements, ...),
  with Plain's input name and value as given; it returns a predicate `thread -> bool`, or None
  when it does not answer that name. A filter no provider answers is refused (a GraphQL error
  naming it), never ignored. isAssigned and assignedToUser are answered by the assignment
  family's `assigned_thread_ids` when that family is there; tierIdentifiers, companyIdentifiers
  and customerGroupIdentifiers by the tiers, companies and customer groups families.

Status details (Thread.statusDetail, and previous/next on the transition entries), where Plain
does not document the rule (the conservative choice, tested):
- createThread and a thread started by an inbound email or sendNewEmail: Created.
- snoozeThread: Snoozed (snoozedUntil) without a statusDetail; WAITING_FOR_DURATION: WaitingFor-
  Duration (waitingUntil, durationSeconds required); WAITING_FOR_CUSTOMER: WaitingForCustomer,
  durationSeconds optional (without it the thread sleeps until the customer writes). A snooze that
  runs out: TODO, Unsnoozed (snoozedAt: when it was snoozed).
- markThreadAsDone: DoneManuallySet unless statusDetail says IGNORED or DONE_AUTOMATICALLY_SET
  (TIMER_EXPIRED is its deprecated name; afterSeconds is null: no input carries it).
  markThreadAsTodo: InProgress unless statusDetail says otherwise (Created, NewReply,
  ThreadLinkUpdated with a null linearIssueId, ThreadDiscussionResolved with a null id). On a
  thread already in that status, no statusDetail leaves the detail as it is.
- a customer message (chat, email, impersonated reply) on a DONE or SNOOZED thread, or one
  waiting for the customer: TODO, NewReply. On a thread already to do it changes nothing.
- an agent's message to the customer (replyToThread, sendChat, replyToEmail, sendNewEmail):
  WaitingForCustomer, the status itself unchanged (the emulator's threads keep today's status
  rules); a DONE thread keeps its detail. Notes change nothing.
- A detail change with no status change writes no transition entry and emits no event.
- The statusDetails filter matches a thread by its detail: TIMER_EXPIRED as
  DONE_AUTOMATICALLY_SET, WAITING_FOR_DURATION also the plain Snoozed; Unsnoozed matches no value.

Threads filters: each list matches any of its values; messageSource matches the thread's channel;
threadFields: the matches on one key are alternatives, different keys must all hold; createdAt,
updatedAt, statusChangedAt and threadFields' date are after <= t < before; participantIds are
the ids in Thread.participants; isMarkedAsSpam and the other families' filters go through
THREAD_FILTER_HOOK.

Sorts: each in both directions, ties broken by id; THREAD_FIELD needs threadFieldKey naming a
thread field schema (else a BAD_USER_INPUT error) and puts threads without that field last in
both directions, as CLOSEST_TO_BREACH_SLA does threads without a breach time.

Participants: the thread's customer first, then everyone else who wrote a message or a note on
it (users, machine users, other customers), in order of first appearance; system actors never.

searchThreads: a term of at least 2 characters after trimming (else a BAD_USER_INPUT error
naming searchQuery.term), case-insensitive substring, over the title, chat text, email subject
and text, custom entries' title and component text, the customer's name and email and, unless the
control API's `POST /_emulator/search {"match_notes": false}` says not to, note text (Plain does
not document it: matching is the worst case for a portal). Newest thread first.

updateThreadTenant: the thread's customer must be a member of the tenant (input_validation on
tenantIdentifier otherwise: a thread never lands in a tenant its customer is not in); null clears
it; no change is a success that emits nothing. Plain's timeline has no tenant entry, so none is
written; `thread.thread_tenant_updated` carries the previous and the new tenant id.

replyToEmail: answers an inbound email (an outbound one is input_validation on inReplyToEmailId),
to its sender; `customerId`, if given, must be the email's customer. sendNewEmail: to the
customer, on `threadId` (which must be that customer's thread) or a new EMAIL thread titled with
the subject. Both: hiddenRecipients (BCC) are kept apart and an address that is also the To or a
CC is refused (input_validation on hiddenRecipients); fromAlternateSupportEmail must be the
workspace's support address; isHiddenFromUser files the email as USER_HIDDEN, else MESSAGING.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from graphql import GraphQLResolveInfo

from plain_gateway import components as pc
from plain_gateway import limits
from plain_gateway.components import ComponentInputError, component_input, components_from_input
from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, fields_invalid, invalid, not_found
from plain_gateway.emulator.families import SYSTEM, Actor, Family
from plain_gateway.emulator.families.attachments import Attachments, attachments_of
from plain_gateway.emulator.families.customers import (
    CustomerRef,
    Customers,
    customer_ref,
    email_valid,
)
from plain_gateway.emulator.families.labels import Labels, label_view
from plain_gateway.emulator.families.tenants import TenantRef, Tenants, tenant_ref
from plain_gateway.emulator.families.workspace import Workspace
from plain_gateway.emulator.paging import Connection
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = [
    "EMAIL_CATEGORIES",
    "CreationOption",
    "Thread",
    "ThreadDefaults",
    "Threads",
    "TimelineEntry",
    "components_check",
    "components_view",
]

SUPPORT_EMAIL = "support@emulator.plain.test"
PRIORITIES = limits.PRIORITIES
DEFAULT_PRIORITY = 2
CREATABLE_CHANNELS = ("API", "EMAIL", "CHAT", "INTERNAL")
# Plain's EmailCategory: MESSAGING is the conversation with the customer, THREAD_DISCUSSION an
# internal discussion's email; a portal shows only the customer's categories.
EMAIL_CATEGORIES = (
    "MESSAGING",
    "CUSTOMER_SURVEY",
    "UNREAD_CHAT_MESSAGES",
    "THREAD_DISCUSSION",
    "USER_HIDDEN",
)

# The status details markThreadAsDone, markThreadAsTodo and snoozeThread accept, by status.
STATUS_DETAILS = {
    "DONE": ("IGNORED", "DONE_MANUALLY_SET", "DONE_AUTOMATICALLY_SET", "TIMER_EXPIRED"),
    "TODO": (
        "CREATED",
        "IN_PROGRESS",
        "NEW_REPLY",
        "THREAD_LINK_UPDATED",
        "THREAD_DISCUSSION_RESOLVED",
    ),
    "SNOOZED": ("WAITING_FOR_CUSTOMER", "WAITING_FOR_DURATION"),
}
_DETAIL_ALIASES = {"TIMER_EXPIRED": "DONE_AUTOMATICALLY_SET"}  # deprecated in Plain's enum
_DEFAULT_DETAILS = {"DONE": "DONE_MANUALLY_SET", "TODO": "IN_PROGRESS"}
# StatusDetailType (the statusDetails filter) -> the detail types it matches.
STATUS_DETAIL_MATCHES = {
    **{t: (t,) for details in STATUS_DETAILS.values() for t in details},
    "TIMER_EXPIRED": ("DONE_AUTOMATICALLY_SET",),
    "WAITING_FOR_DURATION": ("WAITING_FOR_DURATION", "SNOOZED"),
}

# Hooks other families provide through the store (store.provide(hook, provider)).
SLA_BREACH_HOOK = "threads.sla_breach_at"
THREAD_FILTER_HOOK = "threads.filter"


@dataclass(slots=True)
class Thread:
    id: str
    ref: str
    customer_id: str
    title: str
    priority: int
    status: str
    status_changed_at: int
    status_changed_by: Actor
    channel: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    tenant_id: str | None = None
    description: str | None = None
    preview_text: str | None = None
    external_id: str | None = None
    snoozed_until: int | None = None
    # [{"id", "label_type_id", "created_at", "created_by"}]
    labels: list[dict[str, Any]] = field(default_factory=list)
    # [{"id", "key", "type", "string_value", "boolean_value", "number_value", "date_value",
    #   "created_at", "created_by", "updated_at", "updated_by"}]
    thread_fields: list[dict[str, Any]] = field(default_factory=list)
    # {"type", "at", and the type's own keys: created_at, snoozed_until, snoozed_at,
    #  waiting_until} or None (threads written before status details were kept)
    status_detail: dict[str, Any] | None = None
    # {"timestamp", "message_source"} or None
    first_inbound: dict[str, Any] | None = None
    first_outbound: dict[str, Any] | None = None
    last_inbound: dict[str, Any] | None = None
    last_outbound: dict[str, Any] | None = None


@dataclass(slots=True)
class TimelineEntry:
    """One entry of a thread's timeline. `kind` says which; `data` holds that kind's fields.

    kinds and their data keys:
      chat: chat_id, text, attachment_ids
      email: email_id, from, to, additional_recipients, hidden_recipients ({"email", "name"}),
             subject, text, markdown, attachment_ids, is_start_of_thread, inbound, category
      note: note_id, text, markdown, attachment_ids
      custom: external_id, title, type, components, attachment_ids
      status: previous_status, next_status, previous_status_detail, next_status_detail
      priority: previous_priority, next_priority
      labels: previous_labels, next_labels (label dicts as on Thread.labels)
      thread_event / customer_event: event_id, title, components, external_id
    """

    id: str
    thread_id: str
    customer_id: str
    timestamp: int
    actor: Actor
    kind: str
    data: dict[str, Any]

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.timestamp, self.id)


@dataclass(frozen=True, slots=True)
class Window:
    """A time window in ms: `after` <= t < `before` (Plain's DatetimeFilter), either open."""

    after: int | None = None
    before: int | None = None

    def holds(self, at: int | None) -> bool:
        if at is None:
            return False
        return (self.after is None or at >= self.after) and (
            self.before is None or at < self.before
        )


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """A thread field value condition: the thread has the field `key` and every condition given
    holds (none given: it has the field at all)."""

    key: str
    string_value: str | None = None
    boolean_value: bool | None = None
    number_value: float | None = None
    number_gte: float | None = None
    number_lte: float | None = None
    date: Window | None = None

    def holds(self, value: dict[str, Any]) -> bool:
        number = value.get("number_value")
        return (
            (self.string_value is None or value.get("string_value") == self.string_value)
            and (self.boolean_value is None or value.get("boolean_value") == self.boolean_value)
            and (self.number_value is None or number == self.number_value)
            and (self.number_gte is None or (number is not None and number >= self.number_gte))
            and (self.number_lte is None or (number is not None and number <= self.number_lte))
            and (self.date is None or self.date.holds(value.get("date_value")))
        )


@dataclass(frozen=True, slots=True)
class ThreadFilter:
    """Which threads a list or search keeps: every condition given holds (None: no condition).

    A list condition matches any of its values. `fields`: the matches on one key are
    alternatives, different keys must all hold. `predicates` are other families' conditions
    (THREAD_FILTER_HOOK). `all_of`, `any_of` and `none_of` combine whole filters."""

    thread_ids: Sequence[str] | None = None
    refs: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    status_details: Sequence[str] | None = None  # StatusDetailType values
    priorities: Sequence[int] | None = None
    label_type_ids: Sequence[str] | None = None
    customer_ids: Sequence[str] | None = None
    tenant_ids: Sequence[str] | None = None
    created_at: Window | None = None
    updated_at: Window | None = None
    status_changed_at: Window | None = None
    fields: Sequence[FieldMatch] | None = None
    message_sources: Sequence[str] | None = None
    support_email_addresses: Sequence[str] | None = None
    participant_ids: Sequence[str] | None = None
    predicates: Sequence[Callable[[Thread], bool]] = ()
    all_of: Sequence[ThreadFilter] = ()
    any_of: Sequence[ThreadFilter] | None = None
    none_of: ThreadFilter | None = None


@dataclass(frozen=True, slots=True)
class ThreadDefaults:
    """What a defaults provider sets on a new thread (None: no opinion)."""

    priority: int | None = None


class DefaultsProvider(Protocol):
    def __call__(
        self, *, customer_id: str, tenant_id: str | None, channel: str
    ) -> ThreadDefaults | None: ...


@dataclass(frozen=True, slots=True)
class CreationOption:
    """Another family's part of createThread, registered under a state name (`assigned_to`).

    The input field is the name in camelCase. `from_input` turns its value (when not null) into
    plain arguments; `check(value, field_name=...)` validates them with the thread's other
    checks, before anything changes, raising StateError to refuse the thread, and returns what
    `apply(thread, actor=..., checked=...)` needs once the thread exists (same transaction)."""

    from_input: Callable[[Any], Any]
    check: Callable[..., Any]
    apply: Callable[..., None]


class Threads(Family):
    requires = (Workspace, Tenants, Customers, Labels, Attachments)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.threads = self.store.collection("thread", Thread)
        self.entries = self.store.collection("entry", TimelineEntry)
        self.threads_by_tenant: dict[str, set[str]] = defaultdict(set)
        self.threads_by_customer: dict[str, set[str]] = defaultdict(set)
        self.thread_by_ref: dict[str, str] = {}
        self.thread_by_external_id: dict[tuple[str, str], str] = {}
        self.snoozed: set[str] = set()
        self.timelines: dict[str, list[TimelineEntry]] = defaultdict(list)
        self._defaults: list[DefaultsProvider] = []
        self.creation_options: dict[str, CreationOption] = {}
        self._search_notes = True
        self.store.on_newest_activity(self._newest_activity_ms)

    def bootstrap(self) -> None:
        self._search_notes = True

    def search_notes_set(self, *, match: bool) -> None:
        """Whether searchThreads matches note text (True, the default: the worst case for a
        portal). Kept by this process only; a reset puts it back to True."""
        self._search_notes = match

    @property
    def search_matches_notes(self) -> bool:
        return self._search_notes

    def reindex(self) -> None:
        self.threads_by_tenant = defaultdict(set)
        self.threads_by_customer = defaultdict(set)
        self.thread_by_ref = {}
        self.thread_by_external_id = {}
        for thread in self.threads.values():
            self._index_thread(thread)
        self.snoozed = {t.id for t in self.threads.values() if t.status == "SNOOZED"}
        self.timelines = defaultdict(list)
        for entry in self.entries.values():
            self.timelines[entry.thread_id].append(entry)
        for timeline in self.timelines.values():
            timeline.sort(key=lambda e: e.sort_key)

    def _index_thread(self, thread: Thread) -> None:
        if thread.tenant_id:
            self.threads_by_tenant[thread.tenant_id].add(thread.id)
        self.threads_by_customer[thread.customer_id].add(thread.id)
        self.thread_by_ref[thread.ref] = thread.id
        if thread.external_id:
            self.thread_by_external_id[(thread.customer_id, thread.external_id)] = thread.id

    def _newest_activity_ms(self) -> int:
        newest_entry = max((e.timestamp for e in self.entries.values()), default=0)
        newest_thread = max((t.updated_at for t in self.threads.values()), default=0)
        return max(newest_entry, newest_thread)

    def defaults_provider_register(self, provider: DefaultsProvider) -> None:
        """Let another family set defaults of new threads (see the module docstring)."""
        self._defaults.append(provider)

    def creation_option_register(self, name: str, option: CreationOption) -> None:
        """Let another family take the createThread input `name` (see CreationOption)."""
        self.creation_options[name] = option

    @property
    def _customers(self) -> Customers:
        return self.state.family(Customers)

    @property
    def _attachments(self) -> Attachments:
        return self.state.family(Attachments)

    @property
    def _labels(self) -> Labels:
        return self.state.family(Labels)

    # --- reads ----------------------------------------------------------------------------------

    def thread_get(self, thread_id: str, *, field_name: str = "thread_id") -> Thread:
        thread = self.threads.get(thread_id)
        if thread is None:
            raise not_found(field_name, "thread", thread_id)
        return thread

    def thread_find(
        self,
        *,
        ref: str | None = None,
        customer_id: str | None = None,
        external_id: str | None = None,
    ) -> Thread | None:
        """The thread with `ref`, or with `external_id` among `customer_id`'s threads."""
        if ref is not None:
            thread_id = self.thread_by_ref.get(ref)
        elif customer_id is not None and external_id is not None:
            thread_id = self.thread_by_external_id.get((customer_id, external_id))
        else:
            thread_id = None
        return self.threads.get(thread_id) if thread_id else None

    def threads_of_customer(self, customer_id: str) -> list[Thread]:
        """The customer's threads, by id."""
        return [self.threads[i] for i in sorted(self.threads_by_customer.get(customer_id, ()))]

    def thread_list(
        self,
        *,
        tenant_ids: Sequence[str] | None = None,
        customer_ids: Sequence[str] | None = None,
        thread_ids: Sequence[str] | None = None,
        refs: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        priorities: Sequence[int] | None = None,
        label_type_ids: Sequence[str] | None = None,
        where: ThreadFilter | None = None,
    ) -> list[Thread]:
        """Threads matching every given filter (each filter matches any of its values) and
        `where`."""
        candidates: set[str] | None = None

        def narrow(ids: Iterable[str]) -> None:
            nonlocal candidates
            ids = set(ids)
            candidates = ids if candidates is None else candidates & ids

        if thread_ids is not None:
            narrow(thread_ids)
        if refs is not None:
            narrow(self.thread_by_ref[r] for r in refs if r in self.thread_by_ref)
        if tenant_ids is not None:
            narrow(i for t in tenant_ids for i in self.threads_by_tenant.get(t, ()))
        if customer_ids is not None:
            narrow(i for c in customer_ids for i in self.threads_by_customer.get(c, ()))
        pool = (
            self.threads.values()
            if candidates is None
            else (self.threads[i] for i in candidates if i in self.threads)
        )
        wanted_labels = set(label_type_ids) if label_type_ids is not None else None
        result = []
        for thread in pool:
            if statuses is not None and thread.status not in statuses:
                continue
            if priorities is not None and thread.priority not in priorities:
                continue
            if wanted_labels is not None and not wanted_labels & {
                label["label_type_id"] for label in thread.labels
            }:
                continue
            if where is not None and not self.thread_matches(thread, where):
                continue
            result.append(thread)
        return result

    def thread_matches(self, thread: Thread, where: ThreadFilter) -> bool:
        """Whether `thread` passes `where` (see ThreadFilter)."""
        checks: list[tuple[Sequence[Any] | None, Callable[[], Iterable[Any]]]] = [
            (where.thread_ids, lambda: (thread.id,)),
            (where.refs, lambda: (thread.ref,)),
            (where.statuses, lambda: (thread.status,)),
            (where.priorities, lambda: (thread.priority,)),
            (where.label_type_ids, lambda: (x["label_type_id"] for x in thread.labels)),
            (where.customer_ids, lambda: (thread.customer_id,)),
            (where.tenant_ids, lambda: (thread.tenant_id,)),
            (where.message_sources, lambda: (thread.channel,)),
            (
                None
                if where.support_email_addresses is None
                else [a.lower() for a in where.support_email_addresses],
                lambda: (a.lower() for a in support_email_addresses(thread)),
            ),
            (where.participant_ids, lambda: (a["id"] for a in self.thread_participants(thread))),
        ]
        for wanted, values in checks:
            if wanted is not None and not set(wanted) & set(values()):
                return False
        if where.status_details is not None:
            matched = {t for d in where.status_details for t in STATUS_DETAIL_MATCHES.get(d, ())}
            if _detail_type(thread) not in matched:
                return False
        for window, at in (
            (where.created_at, thread.created_at),
            (where.updated_at, thread.updated_at),
            (where.status_changed_at, thread.status_changed_at),
        ):
            if window is not None and not window.holds(at):
                return False
        if where.fields is not None:
            by_key: dict[str, list[FieldMatch]] = defaultdict(list)
            for match in where.fields:
                by_key[match.key].append(match)
            present = {f["key"]: f for f in thread.thread_fields}
            for key, matches in by_key.items():
                value = present.get(key)
                if value is None or not any(m.holds(value) for m in matches):
                    return False
        if not all(predicate(thread) for predicate in where.predicates):
            return False
        if not all(self.thread_matches(thread, part) for part in where.all_of):
            return False
        if where.any_of is not None and not any(
            self.thread_matches(thread, part) for part in where.any_of
        ):
            return False
        return where.none_of is None or not self.thread_matches(thread, where.none_of)

    def thread_participants(self, thread: Thread) -> list[Actor]:
        """The thread's customer, then everyone else who wrote on it (a message or a note:
        agents, machine users, other customers), in order of first appearance."""
        seen = {("customer", thread.customer_id)}
        found: list[Actor] = [{"kind": "customer", "id": thread.customer_id}]
        for entry in self.timeline(thread.id):
            if entry.kind not in _WRITTEN_KINDS or entry.actor["kind"] == "system":
                continue
            who = (entry.actor["kind"], entry.actor["id"])
            if who not in seen:
                seen.add(who)
                found.append(dict(entry.actor))
        return found

    def sla_breach_at(self, thread_id: str) -> int | None:
        """The earliest time (ms) one of the thread's open SLAs breaches (or breached): the
        tiers family's summary, when that family is there, and any SLA_BREACH_HOOK provider."""
        times = [
            at for p in self.store.providers(SLA_BREACH_HOOK) if (at := p(thread_id)) is not None
        ]
        from_tiers = self._tier_breach_at(thread_id)
        if from_tiers is not None:
            times.append(from_tiers)
        return min(times) if times else None

    def _tier_breach_at(self, thread_id: str) -> int | None:
        # Imported here: the tiers module imports this one.
        from plain_gateway.emulator.families.tiers import Tiers

        try:
            tiers = self.state.family(Tiers)
        except KeyError:
            return None
        summary = tiers.sla_summary(self.threads[thread_id])
        times = [
            detail.get("breachingAt", detail.get("breachedAt"))
            for detail in summary.values()
            if detail is not None and detail.typename in _OPEN_SLA_DETAILS
        ]
        return min(times) if times else None

    def timeline(
        self, thread_id: str, *, kinds: Iterable[str] | None = None
    ) -> list[TimelineEntry]:
        """The thread's entries, oldest first (optionally only some kinds)."""
        entries = self.timelines.get(thread_id, [])
        if kinds is None:
            return entries
        wanted = set(kinds)
        return [e for e in entries if e.kind in wanted]

    # --- threads --------------------------------------------------------------------------------

    def thread_create(
        self,
        *,
        actor: Actor,
        customer: CustomerRef,
        title: str | None,
        components: Sequence[dict[str, Any]] | None = None,
        attachment_ids: Sequence[str] | None = None,
        label_type_ids: Sequence[str] | None = None,
        thread_fields: Sequence[dict[str, Any]] | None = None,
        external_id: str | None = None,
        description: str | None = None,
        priority: int | None = None,
        tenant: TenantRef | None = None,
        channel: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Thread:
        """Plain's createThread: the components become a CustomEntry, the thread's first message.

        `thread_fields` are dicts of key, type and the type's value (string_value,
        boolean_value, number_value or date_value in ms). `options` are values for registered
        creation options, by name (see CreationOption)."""
        errors = []
        if not (title or "").strip():
            errors.append(FieldError("title", "title is required", "REQUIRED"))
        if priority is not None and priority not in PRIORITIES:
            errors.append(FieldError("priority", "priority must be 0, 1, 2 or 3"))
        channel = channel or "API"
        if channel not in CREATABLE_CHANNELS:
            errors.append(FieldError("channel", f"the emulator cannot create {channel} threads"))
        if errors:
            raise fields_invalid(errors)
        found = self._customers.customer_resolve(customer, field_name="customer")
        found_tenant = (
            self.state.family(Tenants).tenant_resolve(tenant, field_name="tenant")
            if tenant is not None
            else None
        )
        parts = components_check(components, field_name="components")
        attachments = self._attachments.attachments_check(attachment_ids)
        label_types = self._labels.label_types_check(label_type_ids, existing=())
        fields = [
            self._labels.thread_field_value_check(value, field_name=f"thread_fields[{i}]")
            for i, value in enumerate(thread_fields or ())
        ]
        if external_id and (found.id, external_id) in self.thread_by_external_id:
            raise invalid(
                "external_id", f"externalId {external_id!r} is already used by this customer"
            )
        checked = {
            name: self.creation_options[name].check(value, field_name=name)
            for name, value in (options or {}).items()
        }
        tenant_id = found_tenant.id if found_tenant else None
        if priority is None:
            priority = self._default_priority(
                customer_id=found.id, tenant_id=tenant_id, channel=channel
            )
        now = self.store.now()
        thread = Thread(
            id=new_id("th", now),
            ref=f"T-{self.store.counter('thread_ref')}",
            customer_id=found.id,
            tenant_id=tenant_id,
            title=(title or "").strip(),
            description=description,
            preview_text=_preview(parts) if parts else description,
            priority=priority,
            external_id=external_id,
            status="TODO",
            status_changed_at=now,
            status_changed_by=actor,
            status_detail={"type": "CREATED", "at": now, "created_at": now},
            channel=channel,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        thread.labels = [
            {"id": new_id("l", now), "label_type_id": lt.id, "created_at": now, "created_by": actor}
            for lt in label_types
        ]
        thread.thread_fields = [
            {
                "id": new_id("tf", now),
                **value,
                "created_at": now,
                "created_by": actor,
                "updated_at": now,
                "updated_by": actor,
            }
            for value in fields
        ]
        self.threads[thread.id] = thread
        self._index_thread(thread)
        self.store.touch("thread", thread.id)
        self.store.emit(
            "thread.thread_created",
            thread_id=thread.id,
            customer_id=thread.customer_id,
            tenant_id=thread.tenant_id,
        )
        if parts or attachments:
            self.entry_append(
                thread,
                actor=actor,
                kind="custom",
                data={
                    "external_id": None,
                    "title": thread.title,
                    "type": None,
                    "components": parts,
                    "attachment_ids": attachments,
                },
                timestamp=now,
            )
            self._message_info(thread, actor=actor, source="API", timestamp=now)
        for name, value in checked.items():
            self.creation_options[name].apply(thread, actor=actor, checked=value)
        return thread

    def _default_priority(self, *, customer_id: str, tenant_id: str | None, channel: str) -> int:
        priority = DEFAULT_PRIORITY
        for provider in self._defaults:
            defaults = provider(customer_id=customer_id, tenant_id=tenant_id, channel=channel)
            if defaults is not None and defaults.priority is not None:
                priority = defaults.priority
        return priority

    def entry_append(
        self,
        thread: Thread,
        *,
        actor: Actor,
        kind: str,
        data: dict[str, Any],
        timestamp: int | None = None,
    ) -> TimelineEntry:
        """Add an entry of `kind` (see TimelineEntry) to the thread's timeline."""
        at = timestamp if timestamp is not None else self.store.now()
        entry = TimelineEntry(
            id=new_id("ti", at),
            thread_id=thread.id,
            customer_id=thread.customer_id,
            timestamp=at,
            actor=actor,
            kind=kind,
            data=data,
        )
        self.entries[entry.id] = entry
        insort(self.timelines[thread.id], entry, key=lambda e: e.sort_key)
        self.store.touch("entry", entry.id)
        thread.updated_at = max(thread.updated_at, at)
        thread.updated_by = actor
        self.store.touch("thread", thread.id)
        return entry

    def _status_set(
        self,
        thread: Thread,
        status: str,
        *,
        actor: Actor,
        detail: str | None,
        wake_at: int | None = None,
        **detail_keys: Any,
    ) -> None:
        """Move the thread to `status` with status detail `detail` (None: keep the detail). A
        transition entry and event are written only when the status itself changes."""
        if status == "SNOOZED":
            self.snoozed.add(thread.id)
        else:
            self.snoozed.discard(thread.id)
        thread.snoozed_until = wake_at
        self.store.touch("thread", thread.id)
        now = self.store.now()
        previous_detail = thread.status_detail
        if detail is not None:
            thread.status_detail = {"type": detail, "at": now, **detail_keys}
        if thread.status == status:
            return
        previous = thread.status
        thread.status, thread.status_changed_at, thread.status_changed_by = status, now, actor
        self.entry_append(
            thread,
            actor=actor,
            kind="status",
            data={
                "previous_status": previous,
                "next_status": status,
                "previous_status_detail": previous_detail,
                "next_status_detail": thread.status_detail,
            },
            timestamp=now,
        )
        self.store.emit(
            "thread.thread_status_transitioned",
            thread_id=thread.id,
            previous_status=previous,
            status=status,
        )

    def _message_info(self, thread: Thread, *, actor: Actor, source: str, timestamp: int) -> None:
        info = {"timestamp": timestamp, "message_source": source}
        if actor["kind"] == "customer":
            thread.first_inbound = thread.first_inbound or info
            thread.last_inbound = info
        else:
            thread.first_outbound = thread.first_outbound or info
            thread.last_outbound = info

    def _customer_message(self, thread: Thread, *, actor: Actor) -> None:
        """A customer wrote: a thread that was done, snoozed or waiting for them is a new reply
        to do (a thread already to do keeps its detail)."""
        waiting = _detail_type(thread) == "WAITING_FOR_CUSTOMER"
        if thread.status in ("DONE", "SNOOZED") or waiting:
            self._status_set(thread, "TODO", actor=actor, detail="NEW_REPLY")

    def _agent_replied(self, thread: Thread, *, actor: Actor) -> None:
        """Support wrote to the customer: the thread waits for them (its status stays as it is;
        a done thread keeps its detail)."""
        if thread.status == "DONE" or _detail_type(thread) == "WAITING_FOR_CUSTOMER":
            return
        self._status_set(
            thread,
            thread.status,
            actor=actor,
            detail="WAITING_FOR_CUSTOMER",
            wake_at=thread.snoozed_until,
        )

    def _message_emit(self, entry: TimelineEntry) -> None:
        inbound = entry.actor["kind"] == "customer"
        if entry.kind == "email":
            name = "thread.email_received" if inbound else "thread.email_sent"
            extra = {"email_id": entry.data["email_id"]}
        else:
            name = "thread.chat_received" if inbound else "thread.chat_sent"
            extra = {"chat_id": entry.data["chat_id"]}
        self.store.emit(name, thread_id=entry.thread_id, timeline_entry_id=entry.id, **extra)

    # --- messages -------------------------------------------------------------------------------

    def thread_reply(
        self,
        *,
        actor: Actor,
        thread_id: str,
        text: str,
        markdown: str | None = None,
        as_customer: CustomerRef | None = None,
        attachment_ids: Sequence[str] | None = None,
        cc: Sequence[dict[str, Any]] = (),
        bcc: Sequence[dict[str, Any]] = (),
    ) -> TimelineEntry:
        """Plain's replyToThread: an email on EMAIL threads, a chat otherwise. `cc` and `bcc` are
        {"email", "name"} dicts."""
        thread = self.thread_get(thread_id)
        if not (text or "").strip():
            raise invalid("text", "textContent is required", "REQUIRED")
        customers = self._customers
        if as_customer is not None:
            actor = {
                "kind": "customer",
                "id": customers.customer_resolve(as_customer, field_name="as_customer").id,
            }
        for name, people in (("cc", cc), ("bcc", bcc)):
            for person in people:
                if not email_valid(person.get("email") or ""):
                    raise invalid(name, f"{person.get('email')!r} is not a valid email address")
        if thread.channel == "INTERNAL":
            raise StateError(
                "cannot_reply_to_thread", "internal threads have no customer to reply to"
            )
        attachments = self._attachments.attachments_check(attachment_ids)
        now = self.store.now()
        if thread.channel == "EMAIL":
            customer = customers.customers[thread.customer_id]
            writer = customers.customers.get(actor["id"]) if actor["kind"] == "customer" else None
            support = {
                "email": SUPPORT_EMAIL,
                "name": self.state.family(Workspace).actor_name(actor)
                if writer is None
                else "Support",
            }
            person = (
                {"email": writer.email, "name": writer.full_name}
                if writer
                else {"email": customer.email, "name": customer.full_name}
            )
            subject = next(
                (
                    e.data["subject"]
                    for e in reversed(self.timeline(thread.id))
                    if e.kind == "email"
                ),
                thread.title,
            )
            entry = self.entry_append(
                thread,
                actor=actor,
                kind="email",
                timestamp=now,
                data={
                    "email_id": new_id("em", now),
                    "from": person if writer else support,
                    "to": support if writer else person,
                    "additional_recipients": _participants(cc),
                    "hidden_recipients": _participants(bcc),
                    "subject": subject if subject.lower().startswith("re:") else f"Re: {subject}",
                    "text": text,
                    "markdown": markdown,
                    "attachment_ids": attachments,
                    "is_start_of_thread": False,
                    "inbound": writer is not None,
                },
            )
            source = "EMAIL"
        else:
            entry = self.entry_append(
                thread,
                actor=actor,
                kind="chat",
                timestamp=now,
                data={"chat_id": new_id("chat", now), "text": text, "attachment_ids": attachments},
            )
            source = "CHAT"
        self._message_info(thread, actor=actor, source=source, timestamp=now)
        self._message_emit(entry)
        if actor["kind"] == "customer":
            self._customer_message(thread, actor=actor)
        else:
            self._agent_replied(thread, actor=actor)
        return entry

    def chat_send(
        self,
        *,
        actor: Actor,
        thread_id: str | None,
        customer_id: str,
        text: str | None,
        attachment_ids: Sequence[str] | None = None,
        timestamp: int | None = None,
        from_customer: bool = False,
    ) -> TimelineEntry:
        """sendChat (support writes) and sendCustomerChat (the customer writes)."""
        if thread_id is None:
            raise invalid("thread_id", "threadId is required", "REQUIRED")
        thread = self.thread_get(thread_id)
        self._customers.customer_get(customer_id)
        if not (text or "").strip() and not attachment_ids:
            raise invalid("text", "text or attachmentIds is required", "REQUIRED")
        attachments = self._attachments.attachments_check(attachment_ids)
        if from_customer:
            actor = {"kind": "customer", "id": customer_id}
        at = timestamp if timestamp is not None else self.store.now()
        entry = self.entry_append(
            thread,
            actor=actor,
            kind="chat",
            timestamp=at,
            data={"chat_id": new_id("chat", at), "text": text, "attachment_ids": attachments},
        )
        self._message_info(thread, actor=actor, source="CHAT", timestamp=at)
        self._message_emit(entry)
        if from_customer:
            self._customer_message(thread, actor=actor)
        else:
            self._agent_replied(thread, actor=actor)
        return entry

    def note_create(
        self,
        *,
        actor: Actor,
        customer_id: str,
        thread_id: str | None,
        text: str,
        markdown: str | None = None,
        attachment_ids: Sequence[str] | None = None,
    ) -> TimelineEntry:
        if thread_id is None:
            raise invalid(
                "thread_id", "the emulator keeps notes on threads: threadId is required", "REQUIRED"
            )
        thread = self.thread_get(thread_id)
        self._customers.customer_get(customer_id)
        if not (text or "").strip():
            raise invalid("text", "text is required", "REQUIRED")
        attachments = self._attachments.attachments_check(attachment_ids)
        now = self.store.now()
        entry = self.entry_append(
            thread,
            actor=actor,
            kind="note",
            timestamp=now,
            data={
                "note_id": new_id("n", now),
                "text": text,
                "markdown": markdown,
                "attachment_ids": attachments,
            },
        )
        self.store.emit(
            "thread.note_created",
            thread_id=thread.id,
            timeline_entry_id=entry.id,
            note_id=entry.data["note_id"],
        )
        return entry

    def email_receive(
        self,
        *,
        from_email: str,
        from_name: str | None,
        subject: str,
        text: str,
        markdown: str | None = None,
        thread_id: str | None = None,
        tenant_external_id: str | None = None,
        to: dict[str, Any] | None = None,
        cc: Sequence[dict[str, Any]] = (),
        bcc: Sequence[dict[str, Any]] = (),
        attachment_ids: Sequence[str] | None = None,
        category: str = "MESSAGING",
    ) -> TimelineEntry:
        """An email from a customer reaches the support address (Plain's inbound email path).

        `category` is one of EMAIL_CATEGORIES (what Plain files the email under).
        """
        if category not in EMAIL_CATEGORIES:
            raise invalid("category", f"category must be one of {', '.join(EMAIL_CATEGORIES)}")
        if not email_valid(from_email or ""):
            raise invalid("from_email", f"{from_email!r} is not a valid email address")
        if not (text or "").strip():
            raise invalid("text", "text is required", "REQUIRED")
        thread = self.thread_get(thread_id, field_name="thread_id") if thread_id else None
        tenant = (
            self.state.family(Tenants).tenant_resolve(
                TenantRef(external_id=tenant_external_id), field_name="tenant_external_id"
            )
            if tenant_external_id
            else None
        )
        attachments = self._attachments.attachments_check(
            attachment_ids, field_name="attachment_ids"
        )
        customers = self._customers
        customer = customers.customer_find(email=from_email)
        if customer is None:
            customer, _ = customers.customer_upsert(
                actor=SYSTEM,
                identifier=CustomerRef(email=from_email),
                on_create={
                    "full_name": from_name or from_email.split("@")[0],
                    "email": from_email,
                    "email_verified": True,
                },
                on_update={},
            )
        actor = {"kind": "customer", "id": customer.id}
        if thread is None:
            thread = self.thread_create(
                actor=actor,
                customer=CustomerRef(customer_id=customer.id),
                title=subject or "(no subject)",
                tenant=TenantRef(tenant_id=tenant.id) if tenant else None,
                channel="EMAIL",
            )
            thread.preview_text = text[:200]
        now = self.store.now()
        entry = self.entry_append(
            thread,
            actor=actor,
            kind="email",
            timestamp=now,
            data={
                "email_id": new_id("em", now),
                "from": {"email": customer.email, "name": from_name or customer.full_name},
                "to": _participants([to])[0] if to else {"email": SUPPORT_EMAIL, "name": "Support"},
                "additional_recipients": _participants(cc),
                "hidden_recipients": _participants(bcc),
                "subject": subject,
                "text": text,
                "markdown": markdown,
                "attachment_ids": attachments,
                "is_start_of_thread": len(self.timeline(thread.id)) == 0,
                "inbound": True,
                "category": category,
            },
        )
        self._message_info(thread, actor=actor, source="EMAIL", timestamp=now)
        self._message_emit(entry)
        self._customer_message(thread, actor=actor)
        return entry

    # --- status, priority, title ----------------------------------------------------------------

    def thread_status_change(
        self,
        *,
        actor: Actor,
        thread_id: str,
        status: str,
        duration_seconds: int | None = None,
        status_detail: str | None = None,
    ) -> Thread:
        """markThreadAsDone / markThreadAsTodo / snoozeThread, with their optional status detail
        (one of STATUS_DETAILS[status]; see the module docstring for the defaults)."""
        thread = self.thread_get(thread_id)
        if status_detail is not None and status_detail not in STATUS_DETAILS[status]:
            raise invalid(
                "status_detail", f"{status_detail} is not a status detail of a {status} thread"
            )
        detail = _DETAIL_ALIASES.get(status_detail or "", status_detail)
        until = None
        keys: dict[str, Any] = {}
        if status == "SNOOZED":
            if duration_seconds is None and detail != "WAITING_FOR_CUSTOMER":
                raise invalid("duration_seconds", "durationSeconds is required", "REQUIRED")
            if duration_seconds is not None and duration_seconds <= 0:
                raise invalid("duration_seconds", "durationSeconds must be positive")
            if duration_seconds is not None:
                until = self.store.now() + duration_seconds * 1000
            detail = detail or "SNOOZED"
            if detail == "SNOOZED":
                keys = {"snoozed_until": until}
            elif detail == "WAITING_FOR_DURATION":
                keys = {"waiting_until": until}
        elif detail is None and thread.status != status:
            detail = _DEFAULT_DETAILS[status]
        if detail == "CREATED":
            keys = {"created_at": thread.created_at}
        self._status_set(thread, status, actor=actor, detail=detail, wake_at=until, **keys)
        return thread

    def snoozes_wake(self) -> None:
        """Threads whose snooze ran out move back to TODO, as Plain's timer does (Unsnoozed)."""
        if not self.snoozed:
            return
        now = self.store.now()
        for thread_id in sorted(self.snoozed):
            thread = self.threads[thread_id]
            if thread.snoozed_until is not None and thread.snoozed_until <= now:
                self._status_set(
                    thread,
                    "TODO",
                    actor=SYSTEM,
                    detail="UNSNOOZED",
                    snoozed_at=thread.status_changed_at,
                )

    def thread_priority_change(self, *, actor: Actor, thread_id: str, priority: int) -> Thread:
        thread = self.thread_get(thread_id)
        if priority not in PRIORITIES:
            raise invalid("priority", "priority must be 0, 1, 2 or 3")
        if thread.priority != priority:
            previous, thread.priority = thread.priority, priority
            self.entry_append(
                thread,
                actor=actor,
                kind="priority",
                data={"previous_priority": previous, "next_priority": priority},
            )
            self.store.emit(
                "thread.thread_priority_changed",
                thread_id=thread.id,
                previous_priority=previous,
                priority=priority,
            )
        return thread

    def thread_title_change(self, *, actor: Actor, thread_id: str, title: str) -> Thread:
        thread = self.thread_get(thread_id)
        if not (title or "").strip():
            raise invalid("title", "title is required", "REQUIRED")
        previous = thread.title
        thread.title = title.strip()
        thread.updated_at, thread.updated_by = self.store.now(), actor
        self.store.touch("thread", thread.id)
        self.store.emit("thread.thread_title_changed", thread_id=thread.id, previous_title=previous)
        return thread

    # --- labels and thread fields on a thread ---------------------------------------------------

    def _labels_changed(
        self, thread: Thread, *, actor: Actor, previous: list[dict[str, Any]]
    ) -> None:
        self.entry_append(
            thread,
            actor=actor,
            kind="labels",
            data={"previous_labels": previous, "next_labels": [dict(x) for x in thread.labels]},
        )
        self.store.emit(
            "thread.thread_labels_changed",
            thread_id=thread.id,
            previous_label_type_ids=[x["label_type_id"] for x in previous],
            label_type_ids=[x["label_type_id"] for x in thread.labels],
        )

    def labels_add(
        self, *, actor: Actor, thread_id: str, label_type_ids: Sequence[str]
    ) -> tuple[Thread, list[dict[str, Any]]]:
        thread = self.thread_get(thread_id)
        label_types = self._labels.label_types_check(
            label_type_ids, existing=(label["label_type_id"] for label in thread.labels)
        )
        now = self.store.now()
        previous = [dict(label) for label in thread.labels]
        added = [
            {"id": new_id("l", now), "label_type_id": lt.id, "created_at": now, "created_by": actor}
            for lt in label_types
        ]
        if added:
            thread.labels.extend(added)
            self._labels_changed(thread, actor=actor, previous=previous)
        return thread, added

    def labels_remove(self, *, actor: Actor, label_ids: Sequence[str]) -> Thread | None:
        """Remove labels by id (they must all be on one thread). Returns that thread."""
        if not label_ids:
            raise invalid("label_ids", "labelIds is required", "REQUIRED")
        owners = {}
        for label_id in label_ids:
            owner = next(
                (t for t in self.threads.values() if any(x["id"] == label_id for x in t.labels)),
                None,
            )
            if owner is None:
                raise not_found("label_ids", "label", label_id)
            owners[owner.id] = owner
        if len(owners) != 1:
            raise invalid("label_ids", "labels must all belong to the same thread")
        (thread,) = owners.values()
        previous = [dict(label) for label in thread.labels]
        thread.labels = [label for label in thread.labels if label["id"] not in set(label_ids)]
        self._labels_changed(thread, actor=actor, previous=previous)
        return thread

    def thread_field_upsert(
        self, *, actor: Actor, thread_id: str, value: dict[str, Any]
    ) -> tuple[dict[str, Any], str]:
        """Set one field value on a thread (`value` as in thread_create's thread_fields)."""
        thread = self.thread_get(thread_id)
        checked = self._labels.thread_field_value_check(value, field_name="value")
        existing = next((f for f in thread.thread_fields if f["key"] == checked["key"]), None)
        now = self.store.now()
        if existing is not None:
            if all(existing[k] == v for k, v in checked.items()):
                return existing, "NOOP"
            previous = {k: existing[k] for k in checked}
            existing.update(checked, updated_at=now, updated_by=actor)
            result = existing, "UPDATED"
            event: dict[str, Any] = {"previous": previous}
        else:
            created = {
                "id": new_id("tf", now),
                **checked,
                "created_at": now,
                "created_by": actor,
                "updated_at": now,
                "updated_by": actor,
            }
            thread.thread_fields.append(created)
            result = created, "CREATED"
            event = {}
        thread.updated_at, thread.updated_by = now, actor
        self.store.touch("thread", thread.id)
        self.store.emit(
            f"thread.thread_field_{result[1].lower()}",
            thread_id=thread.id,
            thread_field_id=result[0]["id"],
            key=checked["key"],
            **event,
        )
        return result

    def thread_field_delete(self, *, actor: Actor, thread_id: str, key: str) -> dict[str, Any]:
        """Remove the thread's value of field `key`; returns the value removed."""
        thread = self.thread_get(thread_id)
        found = next((f for f in thread.thread_fields if f["key"] == key), None)
        if found is None:
            raise not_found("key", "thread field", key)
        thread.thread_fields = [f for f in thread.thread_fields if f is not found]
        thread.updated_at, thread.updated_by = self.store.now(), actor
        self.store.touch("thread", thread.id)
        self.store.emit(
            "thread.thread_field_deleted",
            thread_id=thread.id,
            thread_field_id=found["id"],
            key=key,
            previous={k: found[k] for k in ("type", *_VALUE_KEYS)},
        )
        return found

    # --- tenant ---------------------------------------------------------------------------------

    def thread_tenant_change(
        self, *, actor: Actor, thread_id: str, tenant: TenantRef | None
    ) -> Thread:
        """Set (or, with None, clear) the thread's tenant. The thread's customer must be a member
        of the tenant (the conservative rule: a thread never lands where its customer is not)."""
        thread = self.thread_get(thread_id)
        found = (
            self.state.family(Tenants).tenant_resolve(tenant, field_name="tenant")
            if tenant is not None
            else None
        )
        tenant_id = found.id if found else None
        if tenant_id is not None:
            customer = self._customers.customers[thread.customer_id]
            if tenant_id not in {m["tenant_id"] for m in customer.memberships}:
                raise invalid("tenant", "the thread's customer is not a member of this tenant")
        if tenant_id == thread.tenant_id:
            return thread
        previous = thread.tenant_id
        if previous:
            self.threads_by_tenant[previous].discard(thread.id)
        thread.tenant_id = tenant_id
        if tenant_id:
            self.threads_by_tenant[tenant_id].add(thread.id)
        thread.updated_at, thread.updated_by = self.store.now(), actor
        self.store.touch("thread", thread.id)
        self.store.emit(
            "thread.thread_tenant_updated",
            thread_id=thread.id,
            previous_tenant_id=previous,
            tenant_id=tenant_id,
        )
        return thread

    # --- outbound emails ------------------------------------------------------------------------

    def email_entry(self, email_id: str, *, field_name: str = "email_id") -> TimelineEntry:
        found = next(
            (
                e
                for e in self.entries.values()
                if e.kind == "email" and e.data["email_id"] == email_id
            ),
            None,
        )
        if found is None:
            raise not_found(field_name, "email", email_id)
        return found

    def _recipients_check(
        self,
        to: dict[str, Any],
        cc: Sequence[dict[str, Any]],
        bcc: Sequence[dict[str, Any]],
        sender: dict[str, Any] | None,
    ) -> None:
        """Every address valid; a hidden (BCC) address is not also a visible one; the sender, if
        given, is the workspace's support address."""
        for name, people in (("cc", cc), ("bcc", bcc)):
            for person in people:
                if not email_valid(person.get("email") or ""):
                    raise invalid(name, f"{person.get('email')!r} is not a valid email address")
        visible = {to["email"].lower(), *(p["email"].lower() for p in cc)}
        for person in bcc:
            if person["email"].lower() in visible:
                raise invalid("bcc", f"{person['email']} is also a visible recipient")
        if sender is not None and (sender.get("email") or "").lower() != SUPPORT_EMAIL:
            raise invalid("sender", "not one of the workspace's support email addresses")

    def _email_out(
        self,
        thread: Thread,
        *,
        actor: Actor,
        to: dict[str, Any],
        cc: Sequence[dict[str, Any]],
        bcc: Sequence[dict[str, Any]],
        sender: dict[str, Any] | None,
        subject: str,
        text: str,
        markdown: str | None,
        attachments: list[str],
        hidden_from_user: bool,
        in_reply_to: str | None,
    ) -> TimelineEntry:
        now = self.store.now()
        entry = self.entry_append(
            thread,
            actor=actor,
            kind="email",
            timestamp=now,
            data={
                "email_id": new_id("em", now),
                "from": {
                    "email": SUPPORT_EMAIL,
                    "name": (sender or {}).get("name")
                    or self.state.family(Workspace).actor_name(actor),
                },
                "to": _participants([to])[0],
                "additional_recipients": _participants(cc),
                "hidden_recipients": _participants(bcc),
                "subject": subject,
                "text": text,
                "markdown": markdown,
                "attachment_ids": attachments,
                "is_start_of_thread": not any(e.kind == "email" for e in self.timeline(thread.id)),
                "inbound": False,
                "category": "USER_HIDDEN" if hidden_from_user else "MESSAGING",
                "in_reply_to_email_id": in_reply_to,
            },
        )
        self._message_info(thread, actor=actor, source="EMAIL", timestamp=now)
        self._message_emit(entry)
        self._agent_replied(thread, actor=actor)
        return entry

    def email_reply(
        self,
        *,
        actor: Actor,
        in_reply_to_email_id: str,
        text: str,
        customer_id: str | None = None,
        subject: str | None = None,
        markdown: str | None = None,
        attachment_ids: Sequence[str] | None = None,
        cc: Sequence[dict[str, Any]] = (),
        bcc: Sequence[dict[str, Any]] = (),
        sender: dict[str, Any] | None = None,
        hidden_from_user: bool = False,
    ) -> TimelineEntry:
        """Plain's replyToEmail: support answers an inbound email, to its sender. `cc` and `bcc`
        are {"email", "name"} dicts; `sender` the alternate support address to send from."""
        original = self.email_entry(in_reply_to_email_id, field_name="in_reply_to_email_id")
        if not original.data["inbound"]:
            raise invalid("in_reply_to_email_id", "only an inbound email can be replied to")
        if customer_id is not None and customer_id != original.customer_id:
            raise invalid("customer_id", "the email is not from this customer")
        if not (text or "").strip():
            raise invalid("text", "textContent is required", "REQUIRED")
        if subject is not None and not subject.strip():
            raise invalid("subject", "subject must not be blank")
        to = original.data["from"]
        self._recipients_check(to, cc, bcc, sender)
        attachments = self._attachments.attachments_check(attachment_ids)
        previous = original.data["subject"] or ""
        return self._email_out(
            self.threads[original.thread_id],
            actor=actor,
            to=to,
            cc=cc,
            bcc=bcc,
            sender=sender,
            subject=subject.strip()
            if subject is not None
            else previous
            if previous.lower().startswith("re:")
            else f"Re: {previous}",
            text=text,
            markdown=markdown,
            attachments=attachments,
            hidden_from_user=hidden_from_user,
            in_reply_to=in_reply_to_email_id,
        )

    def email_send_new(
        self,
        *,
        actor: Actor,
        customer_id: str,
        subject: str,
        text: str,
        thread_id: str | None = None,
        markdown: str | None = None,
        attachment_ids: Sequence[str] | None = None,
        cc: Sequence[dict[str, Any]] = (),
        bcc: Sequence[dict[str, Any]] = (),
        sender: dict[str, Any] | None = None,
        hidden_from_user: bool = False,
    ) -> TimelineEntry:
        """Plain's sendNewEmail: an email to the customer, on `thread_id` (which must be that
        customer's thread) or on a new EMAIL thread titled with the subject."""
        customer = self._customers.customer_get(customer_id)
        thread = self.thread_get(thread_id) if thread_id is not None else None
        if thread is not None and thread.customer_id != customer.id:
            raise invalid("thread_id", "the thread is not this customer's")
        errors = []
        if not (subject or "").strip():
            errors.append(FieldError("subject", "subject is required", "REQUIRED"))
        if not (text or "").strip():
            errors.append(FieldError("text", "textContent is required", "REQUIRED"))
        if errors:
            raise fields_invalid(errors)
        to = {"email": customer.email, "name": customer.full_name}
        self._recipients_check(to, cc, bcc, sender)
        attachments = self._attachments.attachments_check(attachment_ids)
        if thread is None:
            thread = self.thread_create(
                actor=actor,
                customer=CustomerRef(customer_id=customer.id),
                title=subject,
                channel="EMAIL",
            )
            thread.preview_text = text[:200]
        return self._email_out(
            thread,
            actor=actor,
            to=to,
            cc=cc,
            bcc=bcc,
            sender=sender,
            subject=subject.strip(),
            text=text,
            markdown=markdown,
            attachments=attachments,
            hidden_from_user=hidden_from_user,
            in_reply_to=None,
        )

    # --- search ---------------------------------------------------------------------------------

    def thread_search(self, term: str, *, where: ThreadFilter | None = None) -> list[Thread]:
        """Threads (within `where`) whose title, message text (chats, emails, custom entries and,
        while `search_matches_notes`, notes), customer name or customer email contain `term`,
        case-insensitively. The term must be at least 2 characters (after trimming)."""
        wanted = (term or "").strip().lower()
        if len(wanted) < SEARCH_TERM_MIN:
            raise invalid("term", f"the search term must be at least {SEARCH_TERM_MIN} characters")
        kinds = {"chat", "email", "custom"} | ({"note"} if self.search_matches_notes else set())
        customers = self._customers.customers
        found = []
        for thread in self.thread_list(where=where):
            customer = customers.get(thread.customer_id)
            texts = [thread.title]
            if customer is not None:
                texts += [customer.full_name or "", customer.email or ""]
            texts += (t for e in self.timeline(thread.id, kinds=kinds) for t in _entry_texts(e))
            if any(wanted in text.lower() for text in texts if text):
                found.append(thread)
        return found


# --- helpers -----------------------------------------------------------------------------------


def components_check(
    components: Sequence[dict[str, Any]] | None, *, field_name: str, event: bool = False
) -> list[dict[str, Any]]:
    """The components as Plain would accept them (plain_gateway.components), stored canonical."""
    try:
        parsed = components_from_input(components, field_name=field_name, event=event)
    except ComponentInputError as error:
        raise invalid(error.path, error.message, error.code) from None
    return [component_input(component) for component in parsed]


_OPEN_SLA_DETAILS = (
    "ServiceLevelAgreementStatusDetailPending",
    "ServiceLevelAgreementStatusDetailBreaching",
)
_VALUE_KEYS = ("string_value", "boolean_value", "number_value", "date_value")
_WRITTEN_KINDS = ("chat", "email", "note", "custom")
SEARCH_TERM_MIN = 2
_TEXT_KEYS = ("text", "plainText", "linkButtonLabel", "badgeLabel")


def _detail_type(thread: Thread) -> str | None:
    return thread.status_detail["type"] if thread.status_detail else None


def support_email_addresses(thread: Thread) -> list[str]:
    """The support addresses a thread is handled through (the workspace's, on EMAIL threads)."""
    return [SUPPORT_EMAIL] if thread.channel == "EMAIL" else []


def _entry_texts(entry: TimelineEntry) -> list[str]:
    data = entry.data
    if entry.kind == "custom":
        return [data.get("title") or "", *_component_texts(data.get("components") or [])]
    if entry.kind == "email":
        return [data.get("subject") or "", data.get("text") or ""]
    return [data.get("text") or ""]


def _component_texts(value: Any) -> list[str]:
    """The human-readable strings of stored components (text, plain text, labels)."""
    if isinstance(value, list):
        return [t for item in value for t in _component_texts(item)]
    if isinstance(value, dict):
        found = [str(value[k]) for k in _TEXT_KEYS if isinstance(value.get(k), str)]
        return found + [t for v in value.values() for t in _component_texts(v)]
    return []


def _participants(people: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"email": p["email"], "name": p.get("name")} for p in people]


def _preview(components: Sequence[dict[str, Any]]) -> str | None:
    for component in components:
        if "componentText" in component:
            return str(component["componentText"]["text"])[:200]
        if "componentPlainText" in component:
            return str(component["componentPlainText"]["plainText"])[:200]
    return None


# --- resolvers: components ---------------------------------------------------------------------


def _component_view(component: pc.Component, info: GraphQLResolveInfo) -> graph.Payload:
    Payload = graph.Payload
    match component:
        case pc.Text(text=text, size=size, color=color):
            body = {"text": text, "textSize": size, "textColor": color, "size": size}
            return Payload("ComponentText", {**body, "color": color})
        case pc.PlainText(text=text, size=size, color=color):
            body = {"plainText": text, "plainTextSize": size, "plainTextColor": color}
            return Payload("ComponentPlainText", body)
        case pc.Spacer(size=size):
            return Payload("ComponentSpacer", {"spacerSize": size or "M", "size": size or "M"})
        case pc.Divider(spacing=spacing):
            return Payload(
                "ComponentDivider", {"dividerSpacingSize": spacing, "spacingSize": spacing}
            )
        case pc.LinkButton(url=url, label=label):
            body = {"linkButtonUrl": url, "linkButtonLabel": label, "url": url}
            return Payload("ComponentLinkButton", {**body, "label": label})
        case pc.WorkflowButton(label=label, workflow_id=workflow_id, workflow_key=workflow_key):
            identifier = {"workflowId": workflow_id, "workflowKey": workflow_key}
            return Payload(
                "ComponentWorkflowButton",
                {"workflowButtonLabel": label, "workflowButtonWorkflowIdentifier": identifier},
            )
        case pc.Badge(label=label, color=color):
            return Payload("ComponentBadge", {"badgeLabel": label, "badgeColor": color})
        case pc.CopyButton(value=value, tooltip=tooltip):
            body = {"copyButtonValue": value, "copyButtonTooltipLabel": tooltip}
            return Payload("ComponentCopyButton", body)
        case pc.DateTime(moment=moment) if moment is not None:
            return Payload("ComponentDateTime", {"dateTimeIso8601": int(moment.timestamp() * 1000)})
        case pc.User(user_id=user_id, email=email):
            user = graph.ctx(info).state.family(Workspace).user_find(user_id=user_id, email=email)
            return Payload("ComponentUser", {"user": user})
        case pc.Row(main=main, aside=aside):
            return Payload(
                "ComponentRow",
                {
                    "rowMainContent": [_component_view(c, info) for c in main],
                    "rowAsideContent": [_component_view(c, info) for c in aside],
                },
            )
        case pc.Container(content=content):
            return Payload(
                "ComponentContainer",
                {"containerContent": [_component_view(c, info) for c in content]},
            )
    raise graph.QueryError(f"the emulator cannot render component {type(component).__name__}")


def components_view(source: graph.Payload, info: GraphQLResolveInfo) -> list[graph.Payload]:
    """The `components` of an entry or event, stored in the input shape (components_check)."""
    return [_component_view(c, info) for c in pc.components_from_input(source["components"])]


# --- resolvers: timeline entries ---------------------------------------------------------------

_ENTRY_TYPES = {
    "chat": "ChatEntry",
    "email": "EmailEntry",
    "note": "NoteEntry",
    "custom": "CustomEntry",
    "status": "ThreadStatusTransitionedEntry",
    "priority": "ThreadPriorityChangedEntry",
    "labels": "ThreadLabelsChangedEntry",
    "thread_event": "ThreadEventEntry",
    "customer_event": "CustomerEventEntry",
    "assignment": "ThreadAssignmentTransitionedEntry",
    "additional_assignees": "ThreadAdditionalAssigneesTransitionedEntry",
}

# TimelineEntryType values -> state kinds
_ENTRY_KINDS = {
    "CHAT": "chat",
    "EMAIL": "email",
    "NOTE": "note",
    "CUSTOM": "custom",
    "THREAD_STATUS_TRANSITIONED": "status",
    "THREAD_PRIORITY_CHANGED": "priority",
    "THREAD_LABELS_CHANGED": "labels",
    "THREAD_EVENT": "thread_event",
    "CUSTOMER_EVENT": "customer_event",
    "THREAD_ASSIGNMENT_TRANSITIONED": "assignment",
    "THREAD_ADDITIONAL_ASSIGNEES_TRANSITIONED": "additional_assignees",
}
_MESSAGE_KINDS = ("chat", "email", "custom")


def _entry(entry: TimelineEntry, _info: GraphQLResolveInfo) -> graph.Payload:
    return graph.Payload(_ENTRY_TYPES[entry.kind], entry.data, entry)


def _email_field(name: str) -> Callable[..., Any]:
    def resolve(source: graph.Payload, _info: GraphQLResolveInfo) -> Any:
        assert source.entry is not None  # email payloads are built with their entry
        inbound, at = source["inbound"], source.entry.timestamp
        return {
            "textContent": source["text"],
            "fullTextContent": source["text"],
            "markdownContent": source["markdown"],
            "fullMarkdownContent": source["markdown"],
            "sentAt": None if inbound else at,
            "sendStatus": None if inbound else "SENT",
            "receivedAt": at if inbound else None,
        }[name]

    return resolve


# --- resolvers: threads ------------------------------------------------------------------------

_THREAD_SORT_KEYS: dict[str, Callable[[Thread], tuple[Any, ...]]] = {
    "CREATED_AT": lambda t: (t.created_at, t.id),
    "STATUS_CHANGED_AT": lambda t: (t.status_changed_at, t.id),
    "PRIORITY": lambda t: (t.priority, t.created_at, t.id),
    "LAST_INBOUND_MESSAGE_AT": lambda t: ((t.last_inbound or {}).get("timestamp", 0), t.id),
}

# ThreadsFilter inputs only another family can answer (through THREAD_FILTER_HOOK).
_HOOKED_FILTERS = (
    "isAssigned",
    "assignedToUser",
    "isMarkedAsSpam",
    "customerGroupIdentifiers",
    "serviceLevelAgreements",
    "tierIdentifiers",
    "companyIdentifiers",
    "threadLinkGroupIds",
    "threadLinkSources",
    "surveyResponse",
    "tenantFields",
    "agentStatus",
)


def _threads(info: GraphQLResolveInfo) -> Threads:
    return graph.ctx(info).state.family(Threads)


def _window(value: dict[str, Any] | None, name: str) -> Window | None:
    if value is None:
        return None
    bounds = {}
    for bound in ("after", "before"):
        try:
            bounds[bound] = graph.ms(value[bound]) if value.get(bound) is not None else None
        except ValueError:
            raise graph.QueryError(
                f"filters.{name}.{bound} is not an ISO 8601 date-time", "BAD_USER_INPUT"
            ) from None
    return Window(**bounds)


def _field_match(value: dict[str, Any]) -> FieldMatch:
    number = value.get("number") or {}
    return FieldMatch(
        key=value["key"],
        string_value=value.get("stringValue"),
        boolean_value=value.get("booleanValue"),
        number_value=number.get("value"),
        number_gte=number.get("gte"),
        number_lte=number.get("lte"),
        date=_window(value.get("date"), "threadFields.date"),
    )


def _hooked_filter(state: State, name: str, value: Any) -> Callable[[Thread], bool]:
    for provider in state.store.providers(THREAD_FILTER_HOOK):
        predicate = provider(name, value)
        if predicate is not None:
            return cast(Callable[[Thread], bool], predicate)
    raise graph.QueryError(
        f"the emulator does not emulate the threads filter {name!r}", "BAD_USER_INPUT"
    )


def _assignment_filter(state: State, filters: dict[str, Any]) -> Callable[[Thread], bool] | None:
    """isAssigned and assignedToUser, answered by the assignment family's assigned_thread_ids
    (None when neither is given, or when that family is not in this emulator)."""
    # Imported here: the assignment module imports this one.
    from plain_gateway.emulator.families.assignment import Assignments

    if filters.get("isAssigned") is None and filters.get("assignedToUser") is None:
        return None
    try:
        assignments = state.family(Assignments)
    except KeyError:
        return None
    ids = assignments.assigned_thread_ids(
        is_assigned=filters.get("isAssigned"), user_ids=filters.get("assignedToUser")
    )
    return None if ids is None else (lambda thread: thread.id in ids)


def thread_filter(state: State, filters: dict[str, Any] | None) -> ThreadFilter | None:
    """A ThreadsFilter input as a ThreadFilter (None when there is none)."""
    if filters is None:
        return None
    identifiers = filters.get("tenantIdentifiers")
    assigned = _assignment_filter(state, filters)
    answered = ("isAssigned", "assignedToUser") if assigned is not None else ()
    predicates = [
        _hooked_filter(state, name, filters[name])
        for name in _HOOKED_FILTERS
        if filters.get(name) is not None and name not in answered
    ]
    if assigned is not None:
        predicates.append(assigned)
    return ThreadFilter(
        thread_ids=filters.get("threadIds"),
        refs=filters.get("refs"),
        statuses=filters.get("statuses"),
        status_details=filters.get("statusDetails"),
        priorities=filters.get("priorities"),
        label_type_ids=filters.get("labelTypeIds"),
        customer_ids=filters.get("customerIds"),
        tenant_ids=state.family(Tenants).tenant_ids(tenant_ref(i) for i in identifiers)
        if identifiers is not None
        else None,
        created_at=_window(filters.get("createdAt"), "createdAt"),
        updated_at=_window(filters.get("updatedAt"), "updatedAt"),
        status_changed_at=_window(filters.get("statusChangedAt"), "statusChangedAt"),
        fields=[_field_match(v) for v in filters["threadFields"]]
        if filters.get("threadFields") is not None
        else None,
        message_sources=filters.get("messageSource"),
        support_email_addresses=filters.get("supportEmailAddresses"),
        participant_ids=filters.get("participantIds"),
        predicates=predicates,
        all_of=[f for f in (thread_filter(state, p) for p in filters.get("and") or ()) if f],
        any_of=[f for f in (thread_filter(state, p) for p in filters["or"]) if f]
        if filters.get("or") is not None
        else None,
        none_of=thread_filter(state, filters.get("not")),
    )


def _sort_key(
    state: State, sort: dict[str, Any], descending: bool
) -> Callable[[Thread], tuple[Any, ...]]:
    """The key a sort orders threads by; threads without a value (a thread field they lack, no
    SLA breach time) come last in both directions, then by id."""
    field_name = sort["field"]
    if field_name in _THREAD_SORT_KEYS:
        return _THREAD_SORT_KEYS[field_name]
    # In a descending list the smallest keys come last: put the missing there, and the other way.
    missing, present = (0, 1) if descending else (1, 0)
    if field_name == "CLOSEST_TO_BREACH_SLA":
        threads = state.family(Threads)

        def by_breach(thread: Thread) -> tuple[Any, ...]:
            at = threads.sla_breach_at(thread.id)
            return (missing, 0, thread.id) if at is None else (present, at, thread.id)

        return by_breach
    key = sort.get("threadFieldKey")
    if not key:
        raise graph.QueryError(
            "sortBy.threadFieldKey is required for THREAD_FIELD", "BAD_USER_INPUT"
        )
    labels = state.family(Labels)
    schema = next((x for x in labels.thread_field_schemas.values() if x.key == key), None)
    if schema is None:
        raise graph.QueryError(f"no thread field schema has key {key!r}", "BAD_USER_INPUT")
    textual = schema.type in ("STRING", "ENUM")

    def by_field(thread: Thread) -> tuple[Any, ...]:
        value = next((f for f in thread.thread_fields if f["key"] == key), None)
        slot = (
            None
            if value is None
            else next((value[k] for k in _VALUE_KEYS if value.get(k) is not None), None)
        )
        if slot is None:
            return (missing, "" if textual else 0.0, thread.id)
        return (present, str(slot) if textual else float(slot), thread.id)

    return by_field


def q_threads(
    _root: Any,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    sortBy: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[Thread]:
    state = graph.ctx(info).state
    threads = state.family(Threads).thread_list(where=thread_filter(state, filters))
    sort = sortBy or {"field": "CREATED_AT", "direction": "DESC"}
    descending = sort["direction"] == "DESC"
    return graph.page(threads, _sort_key(state, sort, descending), paging, descending=descending)


def q_search_threads(
    _root: Any,
    info: GraphQLResolveInfo,
    searchQuery: dict[str, Any],
    filters: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[dict[str, Any]]:
    """Matches, newest thread first (Plain's search takes no sort)."""
    state = graph.ctx(info).state
    try:
        found = state.family(Threads).thread_search(
            searchQuery["term"], where=thread_filter(state, filters)
        )
    except StateError as error:
        raise graph.QueryError(f"searchQuery.term: {error.message}", "BAD_USER_INPUT") from None
    results = [{"thread": thread} for thread in found]
    return graph.page(
        results, lambda r: (r["thread"].created_at, r["thread"].id), paging, descending=True
    )


def thread_participants(
    thread: Thread, info: GraphQLResolveInfo, **paging: Any
) -> Connection[Actor]:
    actors = _threads(info).thread_participants(thread)
    positions = {id(actor): i for i, actor in enumerate(actors)}
    return graph.page(actors, lambda a: (positions[id(a)],), paging, presorted=True)


_DETAIL_TYPES = {
    "CREATED": "ThreadStatusDetailCreated",
    "SNOOZED": "ThreadStatusDetailSnoozed",
    "UNSNOOZED": "ThreadStatusDetailUnsnoozed",
    "NEW_REPLY": "ThreadStatusDetailNewReply",
    "IN_PROGRESS": "ThreadStatusDetailInProgress",
    "WAITING_FOR_CUSTOMER": "ThreadStatusDetailWaitingForCustomer",
    "WAITING_FOR_DURATION": "ThreadStatusDetailWaitingForDuration",
    "THREAD_LINK_UPDATED": "ThreadStatusDetailThreadLinkUpdated",
    "IGNORED": "ThreadStatusDetailIgnored",
    "DONE_MANUALLY_SET": "ThreadStatusDetailDoneManuallySet",
    "DONE_AUTOMATICALLY_SET": "ThreadStatusDetailDoneAutomaticallySet",
    "THREAD_DISCUSSION_RESOLVED": "ThreadStatusDetailThreadDiscussionResolved",
}


def status_detail_view(detail: dict[str, Any] | None) -> graph.Payload | None:
    """A stored status detail as its ThreadStatusDetail member."""
    if detail is None:
        return None
    kind, at = detail["type"], detail["at"]
    body: dict[str, Any] = {"statusChangedAt": at}
    if kind == "CREATED":
        body["createdAt"] = detail.get("created_at", at)
    elif kind == "SNOOZED":
        body |= {"snoozedAt": at, "snoozedUntil": detail["snoozed_until"]}
    elif kind == "UNSNOOZED":
        body["snoozedAt"] = detail["snoozed_at"]
    elif kind == "NEW_REPLY":
        body["newReplyAt"] = at
    elif kind == "WAITING_FOR_DURATION":
        body["waitingUntil"] = detail["waiting_until"]
    elif kind == "THREAD_LINK_UPDATED":
        body |= {"updatedAt": at, "linearIssueId": None}
    elif kind == "DONE_AUTOMATICALLY_SET":
        body["afterSeconds"] = None
    elif kind == "THREAD_DISCUSSION_RESOLVED":
        body["threadDiscussionId"] = None
    return graph.Payload(_DETAIL_TYPES[kind], body)


def thread_timeline(
    thread: Thread,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[TimelineEntry]:
    filters = filters or {}
    kinds: set[str] | None = None
    if filters.get("entryTypes") is not None:
        kinds = {_ENTRY_KINDS[t] for t in filters["entryTypes"]}
    if filters.get("isMessage") is not None:
        messages = (
            set(_MESSAGE_KINDS) if filters["isMessage"] else set(_ENTRY_TYPES) - set(_MESSAGE_KINDS)
        )
        kinds = messages if kinds is None else kinds & messages
    entries = _threads(info).timeline(thread.id, kinds=kinds)
    return graph.page(entries, lambda e: e.sort_key, paging, presorted=True)


# --- resolvers: mutations ----------------------------------------------------------------------


def _thread_field_input(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": value.get("key"),
        "type": value["type"],
        "string_value": value.get("stringValue"),
        "boolean_value": value.get("booleanValue"),
        "number_value": value.get("numberValue"),
        "date_value": graph.ms_input(
            value.get("dateValue"),
            field_name="dateValue",
            message="dateValue is not an ISO 8601 date",
            field_message="not an ISO 8601 date",
        ),
    }


@graph.mutation(paths={"customer": "customerIdentifier", "tenant": "tenantIdentifier"})
def m_create_thread(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    tenant = data.get("tenantIdentifier")
    threads = context.state.family(Threads)
    thread = threads.thread_create(
        actor=context.actor,
        customer=customer_ref(data["customerIdentifier"]),
        title=data.get("title"),
        components=data.get("components"),
        attachment_ids=data.get("attachmentIds"),
        label_type_ids=data.get("labelTypeIds"),
        thread_fields=[_thread_field_input(v) for v in data.get("threadFields") or ()],
        external_id=data.get("externalId"),
        description=data.get("description"),
        priority=data.get("priority"),
        tenant=tenant_ref(tenant) if tenant else None,
        channel=data.get("channel"),
        options={
            name: option.from_input(data[graph.camel(name)])
            for name, option in threads.creation_options.items()
            if data.get(graph.camel(name)) is not None
        },
    )
    return {"thread": thread}


_REPLY_PATHS = {
    "text": "textContent",
    "as_customer": "impersonation.asCustomer.customerIdentifier",
    "cc": "channelSpecificOptions.email.additionalRecipients",
    "bcc": "channelSpecificOptions.email.hiddenRecipients",
}


@graph.mutation(paths=_REPLY_PATHS)
def m_reply_to_thread(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    email = ((data.get("channelSpecificOptions") or {}).get("email")) or {}
    impersonation = data.get("impersonation")
    context.state.family(Threads).thread_reply(
        actor=context.actor,
        thread_id=data["threadId"],
        text=data["textContent"],
        markdown=data.get("markdownContent"),
        as_customer=customer_ref(impersonation["asCustomer"]["customerIdentifier"])
        if impersonation
        else None,
        attachment_ids=data.get("attachmentIds"),
        cc=email.get("additionalRecipients") or (),
        bcc=email.get("hiddenRecipients") or (),
    )
    return {}


def _status_mutation(status: str) -> Callable[..., dict[str, Any]]:
    @graph.mutation
    def resolve(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
        thread = context.state.family(Threads).thread_status_change(
            actor=context.actor,
            thread_id=data["threadId"],
            status=status,
            duration_seconds=data.get("durationSeconds"),
            status_detail=data.get("statusDetail"),
        )
        return {"thread": thread}

    return resolve


@graph.mutation
def m_change_thread_priority(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    thread = context.state.family(Threads).thread_priority_change(
        actor=context.actor, thread_id=data["threadId"], priority=data["priority"]
    )
    return {"thread": thread}


@graph.mutation
def m_update_thread_title(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    thread = context.state.family(Threads).thread_title_change(
        actor=context.actor, thread_id=data["threadId"], title=data["title"]
    )
    return {"thread": thread}


@graph.mutation
def m_add_labels(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    thread, added = context.state.family(Threads).labels_add(
        actor=context.actor, thread_id=data["threadId"], label_type_ids=data["labelTypeIds"]
    )
    return {"thread": thread, "labels": added}


@graph.mutation
def m_remove_labels(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    threads = context.state.family(Threads)
    return {"thread": threads.labels_remove(actor=context.actor, label_ids=data["labelIds"])}


def _chat_view(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "id": entry.data["chat_id"],
        "text": entry.data["text"],
        "customer_read_at": None,
        "attachment_ids": entry.data["attachment_ids"],
        "created_at": entry.timestamp,
        "created_by": entry.actor,
        "updated_at": entry.timestamp,
        "updated_by": entry.actor,
    }


@graph.mutation
def m_send_chat(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    entry = context.state.family(Threads).chat_send(
        actor=context.actor,
        thread_id=data.get("threadId"),
        customer_id=data["customerId"],
        text=data.get("text"),
        attachment_ids=data.get("attachmentIds"),
        timestamp=graph.timestamp_input(data),
    )
    return {"chat": _chat_view(entry)}


@graph.mutation
def m_send_customer_chat(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    entry = context.state.family(Threads).chat_send(
        actor=context.actor,
        thread_id=data["threadId"],
        customer_id=data["customerId"],
        text=data.get("text"),
        attachment_ids=data.get("attachmentIds"),
        timestamp=graph.timestamp_input(data),
        from_customer=True,
    )
    return {"chat": _chat_view(entry)}


@graph.mutation
def m_create_note(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    state = context.state
    entry = state.family(Threads).note_create(
        actor=context.actor,
        customer_id=data["customerId"],
        thread_id=data.get("threadId"),
        text=data["text"],
        markdown=data.get("markdown"),
        attachment_ids=data.get("attachmentIds"),
    )
    note = {
        "id": entry.data["note_id"],
        "text": entry.data["text"],
        "markdown": entry.data["markdown"],
        "customer": state.family(Customers).customers[entry.customer_id],
        "attachment_ids": entry.data["attachment_ids"],
        "is_edited": False,
        "edited_at": None,
        "edited_by": None,
        "is_deleted": False,
        "deleted_at": None,
        "deleted_by": None,
        "created_at": entry.timestamp,
        "created_by": entry.actor,
        "updated_at": entry.timestamp,
        "updated_by": entry.actor,
    }
    return {"note": note}


@graph.mutation(paths={"thread_id": "identifier.threadId", "value": "input"})
def m_upsert_thread_field(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    identifier = data["identifier"]
    value = _thread_field_input({**data, "key": identifier["key"]})
    found, result = context.state.family(Threads).thread_field_upsert(
        actor=context.actor, thread_id=identifier["threadId"], value=value
    )
    view = {**found, "thread_id": identifier["threadId"], "is_ai_generated": False}
    return {"threadField": view, "result": result}


@graph.mutation(paths={"tenant": "tenantIdentifier"})
def m_update_thread_tenant(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    identifier = data.get("tenantIdentifier")
    thread = context.state.family(Threads).thread_tenant_change(
        actor=context.actor,
        thread_id=data["threadId"],
        tenant=tenant_ref(identifier) if identifier is not None else None,
    )
    return {"thread": thread}


@graph.mutation(paths={"thread_id": "identifier.threadId", "key": "identifier.key"})
def m_delete_thread_field(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    identifier = data["identifier"]
    context.state.family(Threads).thread_field_delete(
        actor=context.actor, thread_id=identifier["threadId"], key=identifier["key"]
    )
    return {}


_EMAIL_PATHS = {
    "text": "textContent",
    "markdown": "markdownContent",
    "cc": "additionalRecipients",
    "bcc": "hiddenRecipients",
    "sender": "fromAlternateSupportEmail",
}


def email_view(entry: TimelineEntry, state: State) -> dict[str, Any]:
    """An email timeline entry as Plain's Email."""
    data = entry.data
    return {
        "id": data["email_id"],
        "thread": state.family(Threads).threads.get(entry.thread_id),
        "customer": state.family(Customers).customers[entry.customer_id],
        "inReplyToEmailId": data.get("in_reply_to_email_id"),
        "from": data["from"],
        "to": data["to"],
        "subject": data["subject"],
        "textContent": data["text"],
        "markdownContent": data["markdown"],
        "attachment_ids": data["attachment_ids"],
        "additionalRecipients": data["additional_recipients"],
        "hiddenRecipients": data["hidden_recipients"],
        "category": data.get("category", "MESSAGING"),
        "threadDiscussionId": None,
        "createdAt": entry.timestamp,
        "createdBy": entry.actor,
        "updatedAt": entry.timestamp,
        "updatedBy": entry.actor,
    }


def _email_options(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "markdown": data.get("markdownContent"),
        "attachment_ids": data.get("attachmentIds"),
        "cc": data.get("additionalRecipients") or (),
        "bcc": data.get("hiddenRecipients") or (),
        "sender": data.get("fromAlternateSupportEmail"),
        "hidden_from_user": bool(data.get("isHiddenFromUser")),
    }


@graph.mutation(paths=_EMAIL_PATHS)
def m_reply_to_email(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    entry = context.state.family(Threads).email_reply(
        actor=context.actor,
        in_reply_to_email_id=data["inReplyToEmailId"],
        customer_id=data.get("customerId"),
        subject=data.get("subject"),
        text=data["textContent"],
        **_email_options(data),
    )
    return {"email": email_view(entry, context.state)}


@graph.mutation(paths=_EMAIL_PATHS)
def m_send_new_email(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    entry = context.state.family(Threads).email_send_new(
        actor=context.actor,
        customer_id=data["customerId"],
        thread_id=data.get("threadId"),
        subject=data["subject"],
        text=data["textContent"],
        **_email_options(data),
    )
    return {"email": email_view(entry, context.state)}


def _thread_by_ref(_root: Any, info: GraphQLResolveInfo, ref: str) -> Thread | None:
    return _threads(info).thread_find(ref=ref)


def _thread_by_external_id(
    _root: Any, info: GraphQLResolveInfo, customerId: str, externalId: str
) -> Thread | None:
    return _threads(info).thread_find(customer_id=customerId, external_id=externalId)


def _labels_of(labels: list[dict[str, Any]], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return [label_view(label, info) for label in labels]


RESOLVERS: graph.Resolvers = {
    "Query": {
        "thread": lambda _r, i, threadId: _threads(i).threads.get(threadId),
        "threadByRef": _thread_by_ref,
        "threadByExternalId": _thread_by_external_id,
        "threads": q_threads,
        "searchThreads": q_search_threads,
    },
    "Mutation": {
        "createThread": m_create_thread,
        "replyToThread": m_reply_to_thread,
        "markThreadAsDone": _status_mutation("DONE"),
        "markThreadAsTodo": _status_mutation("TODO"),
        "snoozeThread": _status_mutation("SNOOZED"),
        "changeThreadPriority": m_change_thread_priority,
        "updateThreadTitle": m_update_thread_title,
        "addLabels": m_add_labels,
        "removeLabels": m_remove_labels,
        "sendChat": m_send_chat,
        "sendCustomerChat": m_send_customer_chat,
        "createNote": m_create_note,
        "upsertThreadField": m_upsert_thread_field,
        "deleteThreadField": m_delete_thread_field,
        "updateThreadTenant": m_update_thread_tenant,
        "replyToEmail": m_reply_to_email,
        "sendNewEmail": m_send_new_email,
    },
    "Thread": {
        "customer": lambda t, i: graph.ctx(i).state.family(Customers).customers[t.customer_id],
        "tenant": lambda t, i: (
            graph.ctx(i).state.family(Tenants).tenants.get(t.tenant_id) if t.tenant_id else None
        ),
        "labels": lambda t, i: _labels_of(t.labels, i),
        "threadFields": lambda t, _i: [
            {**f, "thread_id": t.id, "is_ai_generated": False} for f in t.thread_fields
        ],
        "timelineEntries": thread_timeline,
        "firstInboundMessageInfo": graph.key("first_inbound"),
        "firstOutboundMessageInfo": graph.key("first_outbound"),
        "lastInboundMessageInfo": graph.key("last_inbound"),
        "lastOutboundMessageInfo": graph.key("last_outbound"),
        "supportEmailAddresses": lambda t, _i: support_email_addresses(t),
        "statusDetail": lambda t, _i: status_detail_view(t.status_detail),
        "participants": thread_participants,
        "agentStatusUpdatedAt": graph.none,
        "agentStatusUpdatedBy": graph.none,
        "lockedAt": graph.none,
        "lockedBy": graph.none,
    },
    "Chat": {"attachments": attachments_of},
    "Email": {"attachments": attachments_of},
    "ThreadStatusTransitionedEntry": {
        "previousStatusDetail": lambda p, _i: status_detail_view(p.get("previous_status_detail")),
        "nextStatusDetail": lambda p, _i: status_detail_view(p.get("next_status_detail")),
    },
    "Note": {"attachments": attachments_of},
    "TimelineEntry": {"entry": _entry, "llmText": graph.none},
    "ChatEntry": {"attachments": attachments_of, "customerReadAt": graph.none},
    "NoteEntry": {
        "attachments": attachments_of,
        "isEdited": graph.const(False),
        "editedAt": graph.none,
        "editedBy": graph.none,
    },
    "EmailEntry": {
        "attachments": attachments_of,
        "textContent": _email_field("textContent"),
        "fullTextContent": _email_field("fullTextContent"),
        "markdownContent": _email_field("markdownContent"),
        "fullMarkdownContent": _email_field("fullMarkdownContent"),
        "hasMoreTextContent": graph.const(False),
        "hasMoreMarkdownContent": graph.const(False),
        "authenticity": graph.const("PASS"),
        "sentAt": _email_field("sentAt"),
        "sendStatus": _email_field("sendStatus"),
        "receivedAt": _email_field("receivedAt"),
        # Entries written before categories were kept, and outbound emails, are MESSAGING.
        "category": lambda source, _info: source.entry.data.get("category", "MESSAGING"),
    },
    "CustomEntry": {"attachments": attachments_of, "components": components_view},
    "ThreadLabelsChangedEntry": {
        "previousLabels": lambda p, i: _labels_of(p["previous_labels"], i),
        "nextLabels": lambda p, i: _labels_of(p["next_labels"], i),
    },
    "AddLabelsOutput": {"labels": lambda o, i: _labels_of(o["labels"], i)},
}

TYPE_RESOLVERS = {"Entry": graph.typename, "ThreadStatusDetail": graph.typename}


# Declared fields this family holds no data for: answered as Plain answers when there is none.
ABSENT: dict[str, tuple[str, ...]] = {
    "EmailEntry": ("bounces",),
    "EmailParticipant": ("emailActor",),
    "SlackMessageEntry": (
        "relatedThread",
        "reactions",
    ),
    "SlackReplyEntry": ("reactions",),
    "SystemActor": ("workflow",),
    "Thread": (
        "agentStatus",
        "agentStatusDetail",
        "links",
        "threadDiscussions",
        "channelDetails",
        "surveyResponse",
        "escalationDetails",
        "catchupDetail",
    ),
}
