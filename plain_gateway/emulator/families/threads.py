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
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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
      status: previous_status, next_status
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
        self.store.on_newest_activity(self._newest_activity_ms)

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
    ) -> list[Thread]:
        """Threads matching every given filter (each filter matches any of its values)."""
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
            result.append(thread)
        return result

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
        self, thread: Thread, status: str, *, actor: Actor, snoozed_until: int | None = None
    ) -> None:
        if status == "SNOOZED":
            self.snoozed.add(thread.id)
        else:
            self.snoozed.discard(thread.id)
        thread.snoozed_until = snoozed_until
        self.store.touch("thread", thread.id)
        if thread.status == status:
            return
        previous = thread.status
        now = self.store.now()
        thread.status, thread.status_changed_at, thread.status_changed_by = status, now, actor
        self.entry_append(
            thread,
            actor=actor,
            kind="status",
            data={"previous_status": previous, "next_status": status},
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
        """A customer wrote: the thread needs support's attention again."""
        self._status_set(thread, "TODO", actor=actor)

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
        self, *, actor: Actor, thread_id: str, status: str, duration_seconds: int | None = None
    ) -> Thread:
        """markThreadAsDone / markThreadAsTodo / snoozeThread."""
        thread = self.thread_get(thread_id)
        until = None
        if status == "SNOOZED":
            if duration_seconds is None:
                raise invalid("duration_seconds", "durationSeconds is required", "REQUIRED")
            if duration_seconds <= 0:
                raise invalid("duration_seconds", "durationSeconds must be positive")
            until = self.store.now() + duration_seconds * 1000
        self._status_set(thread, status, actor=actor, snoozed_until=until)
        return thread

    def snoozes_wake(self) -> None:
        """Threads whose snooze ran out move back to TODO, as Plain's timer does."""
        if not self.snoozed:
            return
        now = self.store.now()
        for thread_id in sorted(self.snoozed):
            thread = self.threads[thread_id]
            if thread.snoozed_until is not None and thread.snoozed_until <= now:
                self._status_set(thread, "TODO", actor=SYSTEM)

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


def _threads(info: GraphQLResolveInfo) -> Threads:
    return graph.ctx(info).state.family(Threads)


def q_threads(
    _root: Any,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    sortBy: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[Thread]:
    state = graph.ctx(info).state
    filters = filters or {}
    identifiers = filters.get("tenantIdentifiers")
    threads = state.family(Threads).thread_list(
        tenant_ids=state.family(Tenants).tenant_ids(tenant_ref(i) for i in identifiers)
        if identifiers is not None
        else None,
        customer_ids=filters.get("customerIds"),
        thread_ids=filters.get("threadIds"),
        refs=filters.get("refs"),
        statuses=filters.get("statuses"),
        priorities=filters.get("priorities"),
        label_type_ids=filters.get("labelTypeIds"),
    )
    sort = sortBy or {"field": "CREATED_AT", "direction": "DESC"}
    return graph.page(
        threads, _THREAD_SORT_KEYS[sort["field"]], paging, descending=sort["direction"] == "DESC"
    )


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
        "supportEmailAddresses": lambda t, _i: [SUPPORT_EMAIL] if t.channel == "EMAIL" else [],
        "agentStatusUpdatedAt": graph.none,
        "agentStatusUpdatedBy": graph.none,
        "lockedAt": graph.none,
        "lockedBy": graph.none,
    },
    "Chat": {"attachments": attachments_of},
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

TYPE_RESOLVERS = {"Entry": graph.typename}


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
        "statusDetail",
        "agentStatus",
        "agentStatusDetail",
        "links",
        "threadDiscussions",
        "tier",
        "serviceLevelAgreementStatusSummary",
        "channelDetails",
        "participants",
        "surveyResponse",
        "escalationDetails",
        "catchupDetail",
    ),
    "ThreadStatusTransitionedEntry": (
        "previousStatusDetail",
        "nextStatusDetail",
    ),
}
