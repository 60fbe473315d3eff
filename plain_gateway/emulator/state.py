"""The emulated workspace: plain Python objects and the rules Plain applies to them.

This module knows nothing of GraphQL or HTTP. Every write goes through a `<thing>_<verb>` method
that validates first and mutates after, raising `StateError` (with Plain's error code and field
errors) before anything has changed. Timestamps are integer milliseconds since the epoch, taken
from a clock that never returns the same value twice, so every list has a total order. The clock
can be shifted away from real time (`clock_shift`, for a demo with a history); see there what
stays guaranteed when it is moved back.

Persistence: with a `data_path` the state lives in a SQLite file, one JSON row per entity.
`sync()` reloads everything when another process has written since (a version number in the file
says so) and `flush()` writes the entities changed since the last flush. The caller (the WSGI app)
wraps each request in `transaction()`, which holds a process-wide lock and a SQLite write lock, so
a multi-threaded server and several processes opening the file one after another stay consistent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ulid import ULID

from plain_gateway import limits
from plain_gateway.components import ComponentInputError, component_input, components_from_input

__all__ = [
    "ATTACHMENT_BANNED_EXTENSIONS",
    "ATTACHMENT_MAX_BYTES",
    "Attachment",
    "Customer",
    "FieldError",
    "LabelType",
    "MachineUser",
    "State",
    "StateError",
    "Tenant",
    "Thread",
    "ThreadFieldSchema",
    "TimelineEntry",
    "User",
]

ATTACHMENT_MAX_BYTES = limits.ATTACHMENT_MAX_TOTAL_BYTES
ATTACHMENT_MAX_COUNT = limits.ATTACHMENT_MAX_COUNT
ATTACHMENT_BANNED_EXTENSIONS = limits.ATTACHMENT_BANNED_EXTENSIONS
CLOCK_OFFSET_MAX_MS = 10 * 366 * 24 * 60 * 60 * 1000  # ten years either way
UPLOAD_URL_TTL_MS = 2 * 60 * 60 * 1000
DOWNLOAD_URL_TTL_MS = 60 * 60 * 1000
SUPPORT_EMAIL = "support@emulator.plain.test"
PRIORITIES = limits.PRIORITIES
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

Actor = dict[str, str]  # {"kind": user|machine_user|customer|system|deleted_customer, "id": ...}
SYSTEM: Actor = {"kind": "system", "id": "emulator"}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    type: str = "VALIDATION"  # VALIDATION | REQUIRED | NOT_FOUND


class StateError(Exception):
    """A write Plain would refuse: `code` is Plain's error code, `fields` its field errors."""

    def __init__(
        self,
        code: str,
        message: str,
        fields: Sequence[FieldError] = (),
        type: str = "VALIDATION",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = tuple(fields)
        self.type = type


def _invalid(field_name: str, message: str, kind: str = "VALIDATION") -> StateError:
    return StateError("input_validation", message, [FieldError(field_name, message, kind)])


def _not_found(field_name: str, what: str, value: Any) -> StateError:
    message = f"{what} {value!r} not found"
    return StateError("not_found", message, [FieldError(field_name, message, "NOT_FOUND")])


# --- entities ----------------------------------------------------------------------------------


@dataclass(slots=True)
class MachineUser:
    id: str
    full_name: str
    public_name: str
    created_at: int
    updated_at: int
    description: str | None = None
    type: str = "API_USER"
    created_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    updated_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    is_deleted: bool = False
    deleted_at: int | None = None
    deleted_by: Actor | None = None


@dataclass(slots=True)
class User:
    id: str
    full_name: str
    public_name: str
    email: str
    created_at: int
    updated_at: int
    status_changed_at: int
    status: str = "ONLINE"
    avatar_url: str | None = None
    created_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    updated_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    is_deleted: bool = False
    deleted_at: int | None = None
    deleted_by: Actor | None = None


@dataclass(slots=True)
class ApiKey:
    id: str  # sha256 of the key: the key itself is never stored
    actor: Actor


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


@dataclass(slots=True)
class LabelType:
    id: str
    name: str
    position: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    icon: str | None = None
    color: str | None = None
    type: str = "DEFAULT"
    description: str | None = None
    parent_label_type_id: str | None = None
    external_id: str | None = None
    is_archived: bool = False
    archived_at: int | None = None
    archived_by: Actor | None = None
    is_excluded_from_ai: bool = False


@dataclass(slots=True)
class ThreadFieldSchema:
    id: str
    label: str
    key: str
    description: str
    order: int
    type: str
    created_at: int
    created_by: Actor
    updated_at: int
    updated_by: Actor
    enum_values: list[str] = field(default_factory=list)
    is_required: bool = False
    is_ai_auto_fill_enabled: bool = False
    is_client_readonly: bool = False
    default_string_value: str | None = None
    default_boolean_value: bool | None = None
    default_number_value: float | None = None
    default_date_value: int | None = None


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
             subject, text, markdown, attachment_ids, is_start_of_thread, inbound
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


@dataclass(slots=True)
class Attachment:
    id: str
    customer_id: str
    file_name: str
    size_bytes: int
    mime_type: str
    type: str
    created_at: int
    created_by: Actor
    upload_token: str
    upload_expires_at: int
    uploaded_at: int | None = None

    @property
    def extension(self) -> str | None:
        _, dot, ext = self.file_name.rpartition(".")
        return ext.lower() if dot and ext else None


_KINDS: dict[str, type] = {
    "machine_user": MachineUser,
    "user": User,
    "api_key": ApiKey,
    "tenant": Tenant,
    "customer": Customer,
    "label_type": LabelType,
    "thread_field_schema": ThreadFieldSchema,
    "thread": Thread,
    "entry": TimelineEntry,
    "attachment": Attachment,
}


def new_id(prefix: str, at_ms: int) -> str:
    return f"{prefix}_{ULID.from_timestamp(at_ms / 1000)}"


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


_MIME_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "zip": "application/zip",
    "log": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class State:
    """One emulated Plain workspace, in memory, optionally persisted to a SQLite file."""

    def __init__(
        self,
        *,
        api_key: str,
        data_path: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_key = api_key
        self._clock = clock
        self._offset_ms = 0
        self._last_ms = 0
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._version = -1
        if data_path:  # None or "" keep the state in memory
            self._db = sqlite3.connect(data_path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS entities"
                " (kind TEXT, id TEXT, data TEXT NOT NULL, PRIMARY KEY (kind, id));"
                "CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);"
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            )
        self._clear()
        with self.transaction():
            self._bootstrap()

    # --- storage --------------------------------------------------------------------------------

    def _clear(self) -> None:
        self.machine_users: dict[str, MachineUser] = {}
        self.users: dict[str, User] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.tenants: dict[str, Tenant] = {}
        self.customers: dict[str, Customer] = {}
        self.label_types: dict[str, LabelType] = {}
        self.thread_field_schemas: dict[str, ThreadFieldSchema] = {}
        self.threads: dict[str, Thread] = {}
        self.entries: dict[str, TimelineEntry] = {}
        self.attachments: dict[str, Attachment] = {}
        self.blobs: dict[str, bytes] = {}
        self.counters: dict[str, int] = {"thread_ref": 0}
        self._dirty: set[tuple[str, str]] = set()
        self._dirty_blobs: set[str] = set()
        self._reindex()

    def _collection(self, kind: str) -> dict[str, Any]:
        collections: dict[str, dict[str, Any]] = {
            "machine_user": self.machine_users,
            "user": self.users,
            "api_key": self.api_keys,
            "tenant": self.tenants,
            "customer": self.customers,
            "label_type": self.label_types,
            "thread_field_schema": self.thread_field_schemas,
            "thread": self.threads,
            "entry": self.entries,
            "attachment": self.attachments,
        }
        return collections[kind]

    def _reindex(self) -> None:
        self.tenant_by_external_id = {t.external_id: t.id for t in self.tenants.values()}
        self.customer_by_email = {c.email.lower(): c.id for c in self.customers.values()}
        self.customer_by_external_id = {
            c.external_id: c.id for c in self.customers.values() if c.external_id
        }
        self.customers_by_tenant: dict[str, set[str]] = defaultdict(set)
        for customer in self.customers.values():
            for membership in customer.memberships:
                self.customers_by_tenant[membership["tenant_id"]].add(customer.id)
        self.threads_by_tenant: dict[str, set[str]] = defaultdict(set)
        self.threads_by_customer: dict[str, set[str]] = defaultdict(set)
        self.thread_by_ref: dict[str, str] = {}
        self.thread_by_external_id: dict[tuple[str, str], str] = {}
        for thread in self.threads.values():
            self._index_thread(thread)
        self.snoozed = {t.id for t in self.threads.values() if t.status == "SNOOZED"}
        self.timelines: dict[str, list[TimelineEntry]] = defaultdict(list)
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

    def _touch(self, kind: str, entity_id: str) -> None:
        self._dirty.add((kind, entity_id))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[State]:
        """Hold the state for one request: reload if another process wrote, flush changes after.

        On an unexpected exception the in-memory state is thrown away and reloaded from the file
        (with a file), so a half-applied write never becomes visible.
        """
        with self._lock:
            if self._db is None:
                yield self
                self._dirty.clear()
                self._dirty_blobs.clear()
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._sync()
                yield self
                self._flush()
            except BaseException:
                self._db.execute("ROLLBACK")
                self._version = -1
                self._clear()
                raise
            else:
                self._db.execute("COMMIT")

    def _sync(self) -> None:
        assert self._db is not None
        row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        version = int(row[0]) if row else 0
        if version == self._version:
            return
        self._clear()
        for kind, data in self._db.execute("SELECT kind, data FROM entities"):
            cls = _KINDS[kind]
            obj = cls(**json.loads(data))
            self._collection(kind)[obj.id] = obj
        for blob_id, data in self._db.execute("SELECT id, data FROM blobs"):
            self.blobs[blob_id] = bytes(data)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'counters'").fetchone()
        if row:
            self.counters.update(json.loads(row[0]))
        self._reindex()
        self._version = version
        # Another process may have written newer activity than this one has stamped.
        self._last_ms = max(self._last_ms, self._newest_activity_ms())

    def _flush(self) -> None:
        assert self._db is not None
        if not self._dirty and not self._dirty_blobs:
            return
        for kind, entity_id in sorted(self._dirty):
            obj = self._collection(kind).get(entity_id)
            if obj is None:
                self._db.execute(
                    "DELETE FROM entities WHERE kind = ? AND id = ?", (kind, entity_id)
                )
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO entities (kind, id, data) VALUES (?, ?, ?)",
                    (kind, entity_id, json.dumps(dataclasses.asdict(obj), separators=(",", ":"))),
                )
        for blob_id in self._dirty_blobs:
            if blob_id in self.blobs:
                self._db.execute(
                    "INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)",
                    (blob_id, self.blobs[blob_id]),
                )
            else:
                self._db.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
        self._version += 1
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?), ('counters', ?)",
            (str(self._version), json.dumps(self.counters)),
        )
        self._dirty.clear()
        self._dirty_blobs.clear()

    def reset(self) -> None:
        """Forget everything (the file too) and start afresh. Call inside transaction()."""
        if self._db is not None:
            self._db.execute("DELETE FROM entities")
            self._db.execute("DELETE FROM blobs")
        self._clear()
        # Nothing is left to stay after: the clock is real time again.
        self._offset_ms = 0
        self._last_ms = 0
        self._bootstrap()

    def _bootstrap(self) -> None:
        """Create the machine user behind the API key the emulator was started with."""
        if key_hash(self._api_key) in self.api_keys:
            return
        now = self.now()
        machine_user = MachineUser(
            id=new_id("mu", now),
            full_name="Emulator API key",
            public_name="Support",
            created_at=now,
            updated_at=now,
        )
        self.machine_users[machine_user.id] = machine_user
        self._touch("machine_user", machine_user.id)
        api_key = ApiKey(
            id=key_hash(self._api_key), actor={"kind": "machine_user", "id": machine_user.id}
        )
        self.api_keys[api_key.id] = api_key
        self._touch("api_key", api_key.id)

    # --- clock and identity ---------------------------------------------------------------------

    def now(self) -> int:
        """Milliseconds since the epoch on the emulated clock (real time plus the offset),
        strictly increasing across calls while the offset stays put."""
        self._last_ms = self.clock_read()
        return self._last_ms

    def clock_read(self) -> int:
        """The time a write made now would carry, without using it up."""
        return max(int(self._clock() * 1000) + self._offset_ms, self._last_ms + 1)

    @property
    def clock_offset_ms(self) -> int:
        return self._offset_ms

    def clock_shift(self, *, offset_ms: int) -> None:
        """Run the clock `offset_ms` away from real time from now on (negative: in the past).

        Moved back, the clock never goes before the newest thread activity (the latest timeline
        entry or thread change): it resumes just after it instead, so a timeline never shows a
        reply before what it answers. A history is therefore written oldest first. Other records
        (customers, tenants, agents, label types) do not hold it back and may end up newer than
        threads stamped after them. The offset belongs to this process: it is not kept in the
        data file, and `reset()` clears it.
        """
        if not -CLOCK_OFFSET_MAX_MS <= offset_ms <= CLOCK_OFFSET_MAX_MS:
            raise _invalid("offset_seconds", "the offset must be within ten years of real time")
        self._offset_ms = offset_ms
        self._last_ms = self._newest_activity_ms()

    def _newest_activity_ms(self) -> int:
        newest_entry = max((e.timestamp for e in self.entries.values()), default=0)
        newest_thread = max((t.updated_at for t in self.threads.values()), default=0)
        return max(newest_entry, newest_thread)

    def actor_for_key(self, api_key: str) -> Actor | None:
        found = self.api_keys.get(key_hash(api_key))
        return dict(found.actor) if found else None

    def agent_create(
        self, *, full_name: str, public_name: str, email: str | None = None
    ) -> tuple[User, str]:
        """A human agent (a Plain User) and a new API key whose requests act as that user."""
        if not full_name.strip():
            raise _invalid("full_name", "full_name is required", "REQUIRED")
        now = self.now()
        user = User(
            id=new_id("u", now),
            full_name=full_name.strip(),
            public_name=(public_name or full_name).strip(),
            email=email or f"agent-{len(self.users) + 1}@emulator.plain.test",
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        self.users[user.id] = user
        self._touch("user", user.id)
        key = f"plainApiKey_emulator_{secrets.token_urlsafe(24)}"
        api_key = ApiKey(id=key_hash(key), actor={"kind": "user", "id": user.id})
        self.api_keys[api_key.id] = api_key
        self._touch("api_key", api_key.id)
        return user, key

    # --- lookups --------------------------------------------------------------------------------

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

    def customer_resolve(self, identifier: dict[str, Any] | None, *, field_name: str) -> Customer:
        """The customer named by a {customerId | emailAddress | externalId} identifier."""
        identifier = {k: v for k, v in (identifier or {}).items() if v is not None}
        if len(identifier) != 1:
            raise _invalid(
                field_name, "exactly one of customerId, emailAddress, externalId is required"
            )
        ((name, value),) = identifier.items()
        customer = self.customer_find(
            customer_id=value if name == "customerId" else None,
            email=value if name == "emailAddress" else None,
            external_id=value if name == "externalId" else None,
        )
        if customer is None:
            raise _not_found(field_name, "customer", value)
        return customer

    def tenant_find(
        self, *, tenant_id: str | None = None, external_id: str | None = None
    ) -> Tenant | None:
        if tenant_id is not None:
            return self.tenants.get(tenant_id)
        if external_id is not None:
            found = self.tenant_by_external_id.get(external_id)
            return self.tenants.get(found) if found else None
        return None

    def tenant_resolve(self, identifier: dict[str, Any] | None, *, field_name: str) -> Tenant:
        identifier = {k: v for k, v in (identifier or {}).items() if v is not None}
        if len(identifier) != 1:
            raise _invalid(field_name, "exactly one of tenantId, externalId is required")
        ((name, value),) = identifier.items()
        tenant = self.tenant_find(
            tenant_id=value if name == "tenantId" else None,
            external_id=value if name == "externalId" else None,
        )
        if tenant is None:
            raise _not_found(field_name, "tenant", value)
        return tenant

    def thread_get(self, thread_id: str, *, field_name: str = "threadId") -> Thread:
        thread = self.threads.get(thread_id)
        if thread is None:
            raise _not_found(field_name, "thread", thread_id)
        return thread

    def actor_name(self, actor: Actor) -> str:
        if actor["kind"] == "user" and actor["id"] in self.users:
            return self.users[actor["id"]].public_name
        if actor["kind"] == "machine_user" and actor["id"] in self.machine_users:
            return self.machine_users[actor["id"]].public_name
        if actor["kind"] == "customer" and actor["id"] in self.customers:
            return self.customers[actor["id"]].full_name
        return "Support"

    # --- tenants and customers ------------------------------------------------------------------

    def tenant_upsert(
        self,
        *,
        actor: Actor,
        identifier: dict[str, Any],
        name: str,
        external_id: str,
        url: Any = ...,
    ) -> tuple[Tenant, str]:
        """Create or update a tenant. `url` is `...` for "leave as is". Returns (tenant, result)."""
        errors = []
        if not (name or "").strip():
            errors.append(FieldError("name", "name is required", "REQUIRED"))
        if not (external_id or "").strip():
            errors.append(FieldError("externalId", "externalId is required", "REQUIRED"))
        if errors:
            raise StateError("input_validation", "input validation failed", errors)
        identifier = {k: v for k, v in (identifier or {}).items() if v is not None}
        if len(identifier) != 1:
            raise _invalid("identifier", "exactly one of tenantId, externalId is required")
        tenant = self.tenant_find(
            tenant_id=identifier.get("tenantId"), external_id=identifier.get("externalId")
        )
        if tenant is None and "tenantId" in identifier:
            raise _not_found("identifier.tenantId", "tenant", identifier["tenantId"])
        other = self.tenant_find(external_id=external_id)
        if other is not None and other is not tenant:
            raise _invalid("externalId", f"externalId {external_id!r} is used by another tenant")
        now = self.now()
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
            self._touch("tenant", tenant.id)
            return tenant, "CREATED"
        changes = {"name": name.strip(), "external_id": external_id}
        if url is not ...:
            changes["url"] = url
        if all(getattr(tenant, k) == v for k, v in changes.items()):
            return tenant, "NOOP"
        self.tenant_by_external_id.pop(tenant.external_id, None)
        for k, v in changes.items():
            setattr(tenant, k, v)
        self.tenant_by_external_id[tenant.external_id] = tenant.id
        tenant.updated_at, tenant.updated_by = now, actor
        self._touch("tenant", tenant.id)
        return tenant, "UPDATED"

    def customer_upsert(
        self,
        *,
        actor: Actor,
        identifier: dict[str, Any],
        on_create: dict[str, Any],
        on_update: dict[str, Any],
    ) -> tuple[Customer, str]:
        """Plain's upsertCustomer. on_create: full_name, email, email_verified, short_name,
        external_id. on_update: any of full_name, short_name, external_id, email,
        email_verified; absent keys are left as they are. on_create may also carry `tenants`, a list
        of tenant identifiers the new customer joins in the same write; like the rest of on_create
        they are looked at only when the customer is created (an existing customer's memberships
        stay as they are), and an unknown one is not_found with nothing created.
        Returns (customer, result)."""
        identifier = {k: v for k, v in (identifier or {}).items() if v is not None}
        if len(identifier) != 1:
            raise _invalid(
                "identifier", "exactly one of customerId, emailAddress, externalId is required"
            )
        ((name, value),) = identifier.items()
        customer = self.customer_find(
            customer_id=value if name == "customerId" else None,
            email=value if name == "emailAddress" else None,
            external_id=value if name == "externalId" else None,
        )
        if customer is None and name == "customerId":
            raise _not_found("identifier.customerId", "customer", value)
        now = self.now()
        if customer is None:
            full_name = (on_create.get("full_name") or "").strip()
            email = (on_create.get("email") or "").strip()
            errors = []
            if not full_name:
                errors.append(FieldError("onCreate.fullName", "fullName is required", "REQUIRED"))
            if not _email_valid(email):
                errors.append(
                    FieldError("onCreate.email.email", f"{email!r} is not a valid email address")
                )
            if errors:
                raise StateError("input_validation", "input validation failed", errors)
            if name == "emailAddress" and email.lower() != value.strip().lower():
                raise _invalid("onCreate.email.email", "must equal the identifier's emailAddress")
            external_id = on_create.get("external_id")
            if name == "externalId":
                external_id = external_id or value
            if self.customer_find(email=email):
                raise StateError(
                    "customer_already_exists_with_email",
                    f"a customer with email {email!r} already exists",
                    [FieldError("onCreate.email.email", "already used by another customer")],
                )
            if external_id and self.customer_find(external_id=external_id):
                raise StateError(
                    "customer_already_exists_with_external_id",
                    f"a customer with externalId {external_id!r} already exists",
                    [FieldError("onCreate.externalId", "already used by another customer")],
                )
            tenants = [
                self.tenant_resolve(t, field_name="onCreate.tenantIdentifiers")
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
            self._touch("customer", customer.id)
            self._memberships_set(customer, {t.id for t in tenants}, actor=actor)
            return customer, "CREATED"
        changes: dict[str, Any] = {}
        if "full_name" in on_update:
            if not (on_update["full_name"] or "").strip():
                raise _invalid("onUpdate.fullName.value", "fullName cannot be empty", "REQUIRED")
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
                    [FieldError("onUpdate.externalId.value", "already used by another customer")],
                )
            changes["external_id"] = new_external
        if "email" in on_update:
            new_email = (on_update["email"] or "").strip()
            if not _email_valid(new_email):
                raise _invalid(
                    "onUpdate.email.email", f"{new_email!r} is not a valid email address"
                )
            holder = self.customer_find(email=new_email)
            if holder is not None and holder is not customer:
                raise StateError(
                    "customer_already_exists_with_email",
                    f"a customer with email {new_email!r} already exists",
                    [FieldError("onUpdate.email.email", "already used by another customer")],
                )
            changes["email"] = new_email
            if "email_verified" in on_update:
                changes["email_verified"] = bool(on_update["email_verified"])
        if all(getattr(customer, k) == v for k, v in changes.items()):
            return customer, "NOOP"
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
        self._touch("customer", customer.id)
        return customer, "UPDATED"

    def customer_tenants_change(
        self,
        *,
        actor: Actor,
        customer_identifier: dict[str, Any],
        tenant_identifiers: Sequence[dict[str, Any]],
        mode: str,
    ) -> Customer:
        """Add to (`add`), remove from (`remove`) or set (`set`) a customer's tenants."""
        customer = self.customer_resolve(customer_identifier, field_name="customerIdentifier")
        tenants = [
            self.tenant_resolve(t, field_name="tenantIdentifiers") for t in tenant_identifiers
        ]
        current = {m["tenant_id"] for m in customer.memberships}
        wanted = {t.id for t in tenants}
        target = {"add": current | wanted, "remove": current - wanted, "set": wanted}[mode]
        self._memberships_set(customer, target, actor=actor)
        return customer

    def _memberships_set(self, customer: Customer, tenant_ids: set[str], *, actor: Actor) -> None:
        current = {m["tenant_id"] for m in customer.memberships}
        if current == tenant_ids:
            return
        now = self.now()
        customer.memberships = [m for m in customer.memberships if m["tenant_id"] in tenant_ids]
        for tenant_id in sorted(tenant_ids - current):
            customer.memberships.append(
                {"tenant_id": tenant_id, "created_at": now, "created_by": actor}
            )
        for tenant_id in current - tenant_ids:
            self.customers_by_tenant[tenant_id].discard(customer.id)
        for tenant_id in tenant_ids:
            self.customers_by_tenant[tenant_id].add(customer.id)
        self._touch("customer", customer.id)

    def customer_list(self, *, tenant_ids: Iterable[str] | None = None) -> list[Customer]:
        if tenant_ids is None:
            return list(self.customers.values())
        ids: set[str] = set()
        for tenant_id in tenant_ids:
            ids |= self.customers_by_tenant.get(tenant_id, set())
        return [self.customers[i] for i in ids]

    # --- labels and thread fields ---------------------------------------------------------------

    def label_type_create(
        self,
        *,
        actor: Actor,
        name: str,
        icon: str | None = None,
        color: str | None = None,
        description: str | None = None,
        external_id: str | None = None,
        type: str | None = None,
        is_excluded_from_ai: bool | None = None,
        parent_label_type_id: str | None = None,
    ) -> LabelType:
        if not (name or "").strip():
            raise _invalid("name", "name is required", "REQUIRED")
        if parent_label_type_id is not None and parent_label_type_id not in self.label_types:
            raise _not_found("parentLabelTypeId", "label type", parent_label_type_id)
        if external_id and any(lt.external_id == external_id for lt in self.label_types.values()):
            raise _invalid("externalId", f"externalId {external_id!r} is already used")
        now = self.now()
        label_type = LabelType(
            id=new_id("lt", now),
            name=name.strip(),
            icon=icon,
            color=color,
            description=description,
            external_id=external_id,
            type=type or "DEFAULT",
            is_excluded_from_ai=bool(is_excluded_from_ai),
            parent_label_type_id=parent_label_type_id,
            position=f"{len(self.label_types):06d}",
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.label_types[label_type.id] = label_type
        self._touch("label_type", label_type.id)
        return label_type

    def label_type_archive(self, *, actor: Actor, label_type_id: str) -> LabelType:
        label_type = self.label_types.get(label_type_id)
        if label_type is None:
            raise _not_found("labelTypeId", "label type", label_type_id)
        now = self.now()
        label_type.is_archived, label_type.archived_at, label_type.archived_by = True, now, actor
        label_type.updated_at, label_type.updated_by = now, actor
        self._touch("label_type", label_type.id)
        return label_type

    def thread_field_schema_create(
        self,
        *,
        actor: Actor,
        label: str,
        key: str,
        type: str,
        description: str = "",
        order: int = 0,
        enum_values: Sequence[str] = (),
        is_required: bool = False,
        is_ai_auto_fill_enabled: bool = False,
        is_client_readonly: bool | None = None,
        default_string_value: str | None = None,
        default_boolean_value: bool | None = None,
        default_number_value: float | None = None,
    ) -> ThreadFieldSchema:
        errors = []
        if not (label or "").strip():
            errors.append(FieldError("label", "label is required", "REQUIRED"))
        if not (key or "").strip():
            errors.append(FieldError("key", "key is required", "REQUIRED"))
        elif any(s.key == key for s in self.thread_field_schemas.values()):
            errors.append(FieldError("key", f"key {key!r} is already used"))
        if type == "ENUM" and not enum_values:
            errors.append(FieldError("enumValues", "an ENUM field needs enumValues"))
        if errors:
            raise StateError("input_validation", "input validation failed", errors)
        now = self.now()
        schema = ThreadFieldSchema(
            id=new_id("tfs", now),
            label=label.strip(),
            key=key.strip(),
            description=description or "",
            order=order,
            type=type,
            enum_values=list(enum_values),
            is_required=is_required,
            is_ai_auto_fill_enabled=is_ai_auto_fill_enabled,
            is_client_readonly=bool(is_client_readonly),
            default_string_value=default_string_value,
            default_boolean_value=default_boolean_value,
            default_number_value=default_number_value,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        self.thread_field_schemas[schema.id] = schema
        self._touch("thread_field_schema", schema.id)
        return schema

    def _thread_field_value(self, value: dict[str, Any], *, field_name: str) -> dict[str, Any]:
        """Check one thread field value (key, type, <type>_value) against its schema."""
        schema = next(
            (s for s in self.thread_field_schemas.values() if s.key == value.get("key")), None
        )
        if schema is None:
            raise _not_found(f"{field_name}.key", "thread field schema", value.get("key"))
        if value.get("type") != schema.type:
            raise _invalid(f"{field_name}.type", f"field {schema.key!r} is of type {schema.type}")
        slot = {
            "STRING": "string_value",
            "ENUM": "string_value",
            "BOOL": "boolean_value",
            "NUMBER": "number_value",
            "CURRENCY": "number_value",
            "DATE": "date_value",
        }[schema.type]
        if value.get(slot) is None:
            raise _invalid(
                f"{field_name}.{_camel(slot)}",
                f"{_camel(slot)} is required for {schema.type}",
                "REQUIRED",
            )
        if schema.type == "ENUM" and value[slot] not in schema.enum_values:
            raise _invalid(
                f"{field_name}.stringValue", f"{value[slot]!r} is not one of {schema.enum_values}"
            )
        return {
            "key": schema.key,
            "type": schema.type,
            "string_value": value.get("string_value") if slot == "string_value" else None,
            "boolean_value": value.get("boolean_value") if slot == "boolean_value" else None,
            "number_value": value.get("number_value") if slot == "number_value" else None,
            "date_value": value.get("date_value") if slot == "date_value" else None,
        }

    def thread_field_upsert(
        self, *, actor: Actor, thread_id: str, value: dict[str, Any]
    ) -> tuple[dict[str, Any], str]:
        thread = self.thread_get(thread_id, field_name="identifier.threadId")
        checked = self._thread_field_value(value, field_name="input")
        existing = next((f for f in thread.thread_fields if f["key"] == checked["key"]), None)
        now = self.now()
        if existing is not None:
            if all(existing[k] == v for k, v in checked.items()):
                return existing, "NOOP"
            existing.update(checked, updated_at=now, updated_by=actor)
            result = existing, "UPDATED"
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
        thread.updated_at, thread.updated_by = now, actor
        self._touch("thread", thread.id)
        return result

    # --- attachments ----------------------------------------------------------------------------

    def attachment_create(
        self,
        *,
        actor: Actor,
        customer_id: str,
        file_name: str,
        size_bytes: int,
        attachment_type: str,
    ) -> Attachment:
        if customer_id not in self.customers:
            raise _not_found("customerId", "customer", customer_id)
        if not (file_name or "").strip():
            raise _invalid("fileName", "fileName is required", "REQUIRED")
        if size_bytes <= 0:
            raise _invalid("fileSizeBytes", "fileSizeBytes must be positive")
        if size_bytes > ATTACHMENT_MAX_BYTES:
            raise StateError(
                "attachment_file_size_too_large",
                f"attachments are limited to {ATTACHMENT_MAX_BYTES} bytes",
                [FieldError("fileSizeBytes", "file is larger than 6MB")],
            )
        _, dot, extension = file_name.rpartition(".")
        if dot and extension.lower() in ATTACHMENT_BANNED_EXTENSIONS:
            raise StateError(
                "attachment_file_type_not_allowed",
                f"files of type .{extension.lower()} are not allowed",
                [FieldError("fileName", f".{extension.lower()} files are not allowed")],
            )
        now = self.now()
        attachment = Attachment(
            id=new_id("att", now),
            customer_id=customer_id,
            file_name=file_name.strip(),
            size_bytes=size_bytes,
            mime_type=_MIME_TYPES.get(extension.lower() if dot else "", "application/octet-stream"),
            type=attachment_type,
            created_at=now,
            created_by=actor,
            upload_token=secrets.token_urlsafe(24),
            upload_expires_at=now + UPLOAD_URL_TTL_MS,
        )
        self.attachments[attachment.id] = attachment
        self._touch("attachment", attachment.id)
        return attachment

    def attachment_store(
        self, *, attachment_id: str, token: str, content: bytes, content_type: str | None = None
    ) -> Attachment:
        """Accept an upload to a URL from attachment_create (the S3 form POST's part)."""
        attachment = self.attachments.get(attachment_id)
        if attachment is None or not secrets.compare_digest(token, attachment.upload_token):
            raise StateError("forbidden", "invalid upload credentials", type="FORBIDDEN")
        if self.now() > attachment.upload_expires_at:
            raise StateError("forbidden", "the upload URL has expired", type="FORBIDDEN")
        if attachment.uploaded_at is not None:
            raise StateError("forbidden", "this attachment was already uploaded", type="FORBIDDEN")
        if len(content) > min(attachment.size_bytes, ATTACHMENT_MAX_BYTES):
            raise StateError(
                "attachment_file_size_too_large",
                f"the file has {len(content)} bytes, more than {attachment.size_bytes} declared",
            )
        attachment.uploaded_at = self.now()
        attachment.size_bytes = len(content)
        if content_type and attachment.mime_type == "application/octet-stream":
            attachment.mime_type = content_type
        self.blobs[attachment.id] = content
        self._dirty_blobs.add(attachment.id)
        self._touch("attachment", attachment.id)
        return attachment

    def attachment_for_download(self, *, attachment_id: str) -> Attachment:
        attachment = self.attachments.get(attachment_id)
        if attachment is None:
            raise _not_found("attachmentId", "attachment", attachment_id)
        # Like a presigned storage URL, it exists before the upload; fetching it 404s until then.
        return attachment

    def _attachments_check(
        self, attachment_ids: Sequence[str] | None, *, field_name: str = "attachmentIds"
    ) -> list[str]:
        ids = list(attachment_ids or ())
        if len(ids) > ATTACHMENT_MAX_COUNT:
            raise _invalid(field_name, f"at most {ATTACHMENT_MAX_COUNT} attachments are allowed")
        total = 0
        for attachment_id in ids:
            attachment = self.attachments.get(attachment_id)
            if attachment is None:
                raise _not_found(field_name, "attachment", attachment_id)
            if attachment.uploaded_at is None:
                raise StateError(
                    "attachment_not_uploaded",
                    f"attachment {attachment_id} was created but never uploaded",
                    [FieldError(field_name, f"{attachment_id} is not uploaded")],
                )
            total += attachment.size_bytes
        if total > ATTACHMENT_MAX_BYTES:
            raise StateError(
                "attachment_file_size_too_large",
                "attachments combined exceed 6MB",
                [FieldError(field_name, "attachments combined exceed 6MB")],
            )
        return ids

    # --- threads --------------------------------------------------------------------------------

    def thread_create(
        self,
        *,
        actor: Actor,
        customer_identifier: dict[str, Any],
        title: str | None,
        components: Sequence[dict[str, Any]] | None = None,
        attachment_ids: Sequence[str] | None = None,
        label_type_ids: Sequence[str] | None = None,
        thread_fields: Sequence[dict[str, Any]] | None = None,
        external_id: str | None = None,
        description: str | None = None,
        priority: int | None = None,
        tenant_identifier: dict[str, Any] | None = None,
        channel: str | None = None,
    ) -> Thread:
        """Plain's createThread: the components become a CustomEntry, the thread's first message."""
        errors = []
        if not (title or "").strip():
            errors.append(FieldError("title", "title is required", "REQUIRED"))
        if priority is not None and priority not in PRIORITIES:
            errors.append(FieldError("priority", "priority must be 0, 1, 2 or 3"))
        channel = channel or "API"
        if channel not in CREATABLE_CHANNELS:
            errors.append(FieldError("channel", f"the emulator cannot create {channel} threads"))
        if errors:
            raise StateError("input_validation", "input validation failed", errors)
        customer = self.customer_resolve(customer_identifier, field_name="customerIdentifier")
        tenant = (
            self.tenant_resolve(tenant_identifier, field_name="tenantIdentifier")
            if tenant_identifier
            else None
        )
        parts = _components_check(components, field_name="components")
        attachments = self._attachments_check(attachment_ids)
        label_types = self._label_types_check(label_type_ids, existing=())
        fields = [
            self._thread_field_value(value, field_name=f"threadFields[{i}]")
            for i, value in enumerate(thread_fields or ())
        ]
        if external_id and (customer.id, external_id) in self.thread_by_external_id:
            raise _invalid(
                "externalId", f"externalId {external_id!r} is already used by this customer"
            )
        now = self.now()
        self.counters["thread_ref"] += 1
        thread = Thread(
            id=new_id("th", now),
            ref=f"T-{self.counters['thread_ref']}",
            customer_id=customer.id,
            tenant_id=tenant.id if tenant else None,
            title=(title or "").strip(),
            description=description,
            preview_text=_preview(parts) if parts else description,
            priority=2 if priority is None else priority,
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
        self._touch("thread", thread.id)
        if parts or attachments:
            self._append(
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
        return thread

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

    def _append(
        self,
        thread: Thread,
        *,
        actor: Actor,
        kind: str,
        data: dict[str, Any],
        timestamp: int | None = None,
    ) -> TimelineEntry:
        at = timestamp if timestamp is not None else self.now()
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
        self._touch("entry", entry.id)
        thread.updated_at = max(thread.updated_at, at)
        thread.updated_by = actor
        self._touch("thread", thread.id)
        return entry

    def _status_set(
        self, thread: Thread, status: str, *, actor: Actor, snoozed_until: int | None = None
    ) -> None:
        if status == "SNOOZED":
            self.snoozed.add(thread.id)
        else:
            self.snoozed.discard(thread.id)
        thread.snoozed_until = snoozed_until
        self._touch("thread", thread.id)
        if thread.status == status:
            return
        previous = thread.status
        now = self.now()
        thread.status, thread.status_changed_at, thread.status_changed_by = status, now, actor
        self._append(
            thread,
            actor=actor,
            kind="status",
            data={"previous_status": previous, "next_status": status},
            timestamp=now,
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

    def thread_reply(
        self,
        *,
        actor: Actor,
        thread_id: str,
        text: str,
        markdown: str | None = None,
        as_customer: dict[str, Any] | None = None,
        attachment_ids: Sequence[str] | None = None,
        cc: Sequence[dict[str, Any]] = (),
        bcc: Sequence[dict[str, Any]] = (),
    ) -> TimelineEntry:
        """Plain's replyToThread: an email on EMAIL threads, a chat otherwise."""
        thread = self.thread_get(thread_id)
        if not (text or "").strip():
            raise _invalid("textContent", "textContent is required", "REQUIRED")
        if as_customer is not None:
            actor = {
                "kind": "customer",
                "id": self.customer_resolve(
                    as_customer, field_name="impersonation.asCustomer.customerIdentifier"
                ).id,
            }
        for name, people in (("additionalRecipients", cc), ("hiddenRecipients", bcc)):
            for person in people:
                if not _email_valid(person.get("email") or ""):
                    raise _invalid(
                        f"channelSpecificOptions.email.{name}",
                        f"{person.get('email')!r} is not a valid email address",
                    )
        if thread.channel == "INTERNAL":
            raise StateError(
                "cannot_reply_to_thread", "internal threads have no customer to reply to"
            )
        attachments = self._attachments_check(attachment_ids)
        now = self.now()
        if thread.channel == "EMAIL":
            customer = self.customers[thread.customer_id]
            writer = self.customers.get(actor["id"]) if actor["kind"] == "customer" else None
            support = {
                "email": SUPPORT_EMAIL,
                "name": self.actor_name(actor) if writer is None else "Support",
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
            entry = self._append(
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
            entry = self._append(
                thread,
                actor=actor,
                kind="chat",
                timestamp=now,
                data={"chat_id": new_id("chat", now), "text": text, "attachment_ids": attachments},
            )
            source = "CHAT"
        self._message_info(thread, actor=actor, source=source, timestamp=now)
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
            raise _invalid("threadId", "threadId is required", "REQUIRED")
        thread = self.thread_get(thread_id)
        if customer_id not in self.customers:
            raise _not_found("customerId", "customer", customer_id)
        if not (text or "").strip() and not attachment_ids:
            raise _invalid("text", "text or attachmentIds is required", "REQUIRED")
        attachments = self._attachments_check(attachment_ids)
        if from_customer:
            actor = {"kind": "customer", "id": customer_id}
        at = timestamp if timestamp is not None else self.now()
        entry = self._append(
            thread,
            actor=actor,
            kind="chat",
            timestamp=at,
            data={"chat_id": new_id("chat", at), "text": text, "attachment_ids": attachments},
        )
        self._message_info(thread, actor=actor, source="CHAT", timestamp=at)
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
            raise _invalid(
                "threadId", "the emulator keeps notes on threads: threadId is required", "REQUIRED"
            )
        thread = self.thread_get(thread_id)
        if customer_id not in self.customers:
            raise _not_found("customerId", "customer", customer_id)
        if not (text or "").strip():
            raise _invalid("text", "text is required", "REQUIRED")
        attachments = self._attachments_check(attachment_ids)
        now = self.now()
        return self._append(
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
            raise _invalid("category", f"category must be one of {', '.join(EMAIL_CATEGORIES)}")
        if not _email_valid(from_email or ""):
            raise _invalid("from_email", f"{from_email!r} is not a valid email address")
        if not (text or "").strip():
            raise _invalid("text", "text is required", "REQUIRED")
        thread = self.thread_get(thread_id, field_name="thread_id") if thread_id else None
        tenant = (
            self.tenant_resolve({"externalId": tenant_external_id}, field_name="tenant_external_id")
            if tenant_external_id
            else None
        )
        attachments = self._attachments_check(attachment_ids, field_name="attachment_ids")
        customer = self.customer_find(email=from_email)
        if customer is None:
            customer, _ = self.customer_upsert(
                actor=SYSTEM,
                identifier={"emailAddress": from_email},
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
                customer_identifier={"customerId": customer.id},
                title=subject or "(no subject)",
                tenant_identifier={"tenantId": tenant.id} if tenant else None,
                channel="EMAIL",
            )
            thread.preview_text = text[:200]
        now = self.now()
        entry = self._append(
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
        self._customer_message(thread, actor=actor)
        return entry

    def thread_status_change(
        self, *, actor: Actor, thread_id: str, status: str, duration_seconds: int | None = None
    ) -> Thread:
        """markThreadAsDone / markThreadAsTodo / snoozeThread."""
        thread = self.thread_get(thread_id)
        until = None
        if status == "SNOOZED":
            if duration_seconds is None:
                raise _invalid("durationSeconds", "durationSeconds is required", "REQUIRED")
            if duration_seconds <= 0:
                raise _invalid("durationSeconds", "durationSeconds must be positive")
            until = self.now() + duration_seconds * 1000
        self._status_set(thread, status, actor=actor, snoozed_until=until)
        return thread

    def snoozes_wake(self) -> None:
        """Threads whose snooze ran out move back to TODO, as Plain's timer does."""
        if not self.snoozed:
            return
        now = self.now()
        for thread_id in sorted(self.snoozed):
            thread = self.threads[thread_id]
            if thread.snoozed_until is not None and thread.snoozed_until <= now:
                self._status_set(thread, "TODO", actor=SYSTEM)

    def thread_priority_change(self, *, actor: Actor, thread_id: str, priority: int) -> Thread:
        thread = self.thread_get(thread_id)
        if priority not in PRIORITIES:
            raise _invalid("priority", "priority must be 0, 1, 2 or 3")
        if thread.priority != priority:
            previous, thread.priority = thread.priority, priority
            self._append(
                thread,
                actor=actor,
                kind="priority",
                data={"previous_priority": previous, "next_priority": priority},
            )
        return thread

    def thread_title_change(self, *, actor: Actor, thread_id: str, title: str) -> Thread:
        thread = self.thread_get(thread_id)
        if not (title or "").strip():
            raise _invalid("title", "title is required", "REQUIRED")
        thread.title = title.strip()
        thread.updated_at, thread.updated_by = self.now(), actor
        self._touch("thread", thread.id)
        return thread

    def _label_types_check(
        self, label_type_ids: Sequence[str] | None, *, existing: Iterable[str]
    ) -> list[LabelType]:
        found = []
        existing = set(existing)
        for label_type_id in label_type_ids or ():
            label_type = self.label_types.get(label_type_id)
            if label_type is None:
                raise _not_found("labelTypeIds", "label type", label_type_id)
            if label_type.is_archived:
                raise StateError(
                    "cannot_add_label_using_archived_label_type",
                    f"label type {label_type_id} is archived",
                    [FieldError("labelTypeIds", f"{label_type_id} is archived")],
                )
            if label_type_id in existing:
                raise StateError(
                    "label_with_given_type_already_added_to_thread",
                    f"label type {label_type_id} is already on the thread",
                    [FieldError("labelTypeIds", f"{label_type_id} is already on the thread")],
                )
            if label_type not in found:
                found.append(label_type)
        return found

    def labels_add(
        self, *, actor: Actor, thread_id: str, label_type_ids: Sequence[str]
    ) -> tuple[Thread, list[dict[str, Any]]]:
        thread = self.thread_get(thread_id)
        label_types = self._label_types_check(
            label_type_ids, existing=(label["label_type_id"] for label in thread.labels)
        )
        now = self.now()
        previous = [dict(label) for label in thread.labels]
        added = [
            {"id": new_id("l", now), "label_type_id": lt.id, "created_at": now, "created_by": actor}
            for lt in label_types
        ]
        if added:
            thread.labels.extend(added)
            self._append(
                thread,
                actor=actor,
                kind="labels",
                data={"previous_labels": previous, "next_labels": [dict(x) for x in thread.labels]},
            )
        return thread, added

    def labels_remove(self, *, actor: Actor, label_ids: Sequence[str]) -> Thread | None:
        """Remove labels by id (they must all be on one thread). Returns that thread."""
        if not label_ids:
            raise _invalid("labelIds", "labelIds is required", "REQUIRED")
        owners = {}
        for label_id in label_ids:
            owner = next(
                (t for t in self.threads.values() if any(x["id"] == label_id for x in t.labels)),
                None,
            )
            if owner is None:
                raise _not_found("labelIds", "label", label_id)
            owners[owner.id] = owner
        if len(owners) != 1:
            raise _invalid("labelIds", "labels must all belong to the same thread")
        (thread,) = owners.values()
        previous = [dict(label) for label in thread.labels]
        thread.labels = [label for label in thread.labels if label["id"] not in set(label_ids)]
        self._append(
            thread,
            actor=actor,
            kind="labels",
            data={"previous_labels": previous, "next_labels": [dict(x) for x in thread.labels]},
        )
        return thread

    def event_create(
        self,
        *,
        actor: Actor,
        title: str,
        components: Sequence[dict[str, Any]],
        external_id: str | None = None,
        thread_id: str | None = None,
        customer_identifier: dict[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> tuple[dict[str, Any], list[TimelineEntry]]:
        """createThreadEvent (thread_id) or createCustomerEvent (customer_identifier: one entry in
        each of the customer's threads). Returns the event (id, title, components, external_id,
        customer_id, thread_id, timestamp, actor) and the entries created."""
        if not (title or "").strip():
            raise _invalid("title", "title is required", "REQUIRED")
        parts = _components_check(components, field_name="components", event=True)
        if not parts:
            raise _invalid("components", "at least one component is required", "REQUIRED")
        if thread_id is not None:
            threads = [self.thread_get(thread_id)]
            customer_id = threads[0].customer_id
            kind = "thread_event"
        else:
            customer = self.customer_resolve(customer_identifier, field_name="customerIdentifier")
            customer_id = customer.id
            threads = [
                self.threads[i] for i in sorted(self.threads_by_customer.get(customer.id, ()))
            ]
            kind = "customer_event"
        if external_id and any(
            e.kind == kind and e.data.get("external_id") == external_id
            for t in threads
            for e in self.timeline(t.id)
        ):
            raise _invalid("externalId", f"an event with externalId {external_id!r} already exists")
        at = timestamp if timestamp is not None else self.now()
        event_id = new_id("ev", at)
        data = {
            "event_id": event_id,
            "title": title.strip(),
            "components": parts,
            "external_id": external_id,
        }
        entries = [
            self._append(t, actor=actor, kind=kind, data=dict(data), timestamp=at) for t in threads
        ]
        event = {
            **data,
            "id": event_id,
            "customer_id": customer_id,
            "thread_id": thread_id,
            "timestamp": at,
            "actor": actor,
        }
        return event, entries


# --- helpers -----------------------------------------------------------------------------------


def _components_check(
    components: Sequence[dict[str, Any]] | None, *, field_name: str, event: bool = False
) -> list[dict[str, Any]]:
    """The components as Plain would accept them (plain_gateway.components), stored canonical."""
    try:
        parsed = components_from_input(components, field_name=field_name, event=event)
    except ComponentInputError as error:
        raise _invalid(error.path, error.message, error.code) from None
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


def _email_valid(email: str) -> bool:
    local, at, domain = email.strip().rpartition("@")
    return bool(
        at and local and "." in domain and " " not in email.strip() and not domain.startswith(".")
    )


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)
