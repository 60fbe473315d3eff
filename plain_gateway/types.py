"""Frozen dataclasses for what the gateway reads from Plain.

Each type is built by a `from_graphql(data)` classmethod from the JSON of a GraphQL selection.
Builders read only the keys they know and tolerate missing optional ones, so a document selecting
more (or Plain adding fields) never breaks them. Timestamps become aware `datetime`s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = [
    "Actor",
    "Attachment",
    "AttachmentUpload",
    "ChatEntry",
    "CustomEntry",
    "Customer",
    "EmailEntry",
    "EmailParticipant",
    "HiddenEntry",
    "Label",
    "LabelType",
    "MessageEntry",
    "Page",
    "PageInfo",
    "StatusChangeEntry",
    "Tenant",
    "Thread",
    "ThreadFieldSchema",
    "ThreadWithTimeline",
    "TimelineEntry",
    "UpsertResult",
    "entry_from_graphql",
]


def parse_datetime(value: Mapping[str, Any] | None) -> datetime | None:
    """Plain's DateTime object ({iso8601, unixTimestamp}) as an aware datetime."""
    if not value:
        return None
    if value.get("iso8601"):
        return datetime.fromisoformat(value["iso8601"].replace("Z", "+00:00"))
    return datetime.fromtimestamp(int(value["unixTimestamp"]) / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> PageInfo:
        return cls(
            has_next_page=bool(data.get("hasNextPage")),
            has_previous_page=bool(data.get("hasPreviousPage")),
            start_cursor=data.get("startCursor"),
            end_cursor=data.get("endCursor"),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a Relay connection."""

    items: tuple[T, ...]
    page_info: PageInfo
    total_count: int | None = None

    @classmethod
    def from_connection(
        cls, data: Mapping[str, Any], node: Callable[[Mapping[str, Any]], T]
    ) -> Page[T]:
        return cls(
            items=tuple(node(edge["node"]) for edge in data.get("edges", ())),
            page_info=PageInfo.from_graphql(data.get("pageInfo") or {}),
            total_count=data.get("totalCount"),
        )


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    external_id: str
    name: str
    url: str | None = None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Tenant:
        return cls(
            id=data["id"],
            external_id=data.get("externalId") or "",
            name=data.get("name") or "",
            url=data.get("url"),
        )


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    external_id: str | None
    full_name: str
    email: str | None
    short_name: str | None = None
    # Filled only by operations that select tenantMemberships (customers by tenant).
    tenants: tuple[Tenant, ...] = ()

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Customer:
        memberships = data.get("tenantMemberships") or {}
        return cls(
            id=data["id"],
            external_id=data.get("externalId"),
            full_name=data.get("fullName") or "",
            email=(data.get("email") or {}).get("email"),
            short_name=data.get("shortName"),
            tenants=tuple(
                Tenant.from_graphql(edge["node"]["tenant"]) for edge in memberships.get("edges", ())
            ),
        )


class UpsertResult:
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    NOOP = "NOOP"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something. kind is one of: user, customer, machine_user, system, deleted_customer."""

    kind: str
    id: str
    name: str

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any] | None) -> Actor:
        data = data or {}
        typename = data.get("__typename", "")
        if typename == "UserActor":
            user = data.get("user") or {}
            return cls(
                "user",
                data.get("userId", ""),
                user.get("publicName") or user.get("fullName") or "Support",
            )
        if typename == "CustomerActor":
            customer = data.get("customer") or {}
            return cls(
                "customer", data.get("customerId", ""), customer.get("fullName") or "Customer"
            )
        if typename == "MachineUserActor":
            machine = data.get("machineUser") or {}
            return cls(
                "machine_user",
                data.get("machineUserId", ""),
                machine.get("publicName") or "Support",
            )
        if typename == "DeletedCustomerActor":
            return cls("deleted_customer", data.get("customerId", ""), "Deleted customer")
        return cls("system", data.get("systemId", ""), "Plain")


@dataclass(frozen=True, slots=True)
class LabelType:
    id: str
    name: str
    icon: str | None = None
    color: str | None = None
    is_archived: bool = False

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> LabelType:
        return cls(
            id=data["id"],
            name=data.get("name") or "",
            icon=data.get("icon"),
            color=data.get("color"),
            is_archived=bool(data.get("isArchived")),
        )


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    label_type: LabelType

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Label:
        return cls(id=data["id"], label_type=LabelType.from_graphql(data["labelType"]))


@dataclass(frozen=True, slots=True)
class Thread:
    id: str
    ref: str
    title: str
    status: str  # TODO | SNOOZED | DONE
    priority: int  # 0 urgent, 1 high, 2 normal, 3 low
    customer: Customer
    tenant: Tenant | None
    created_at: datetime | None
    created_by: Actor
    updated_at: datetime | None
    status_changed_at: datetime | None
    description: str | None = None
    preview_text: str | None = None
    external_id: str | None = None
    labels: tuple[Label, ...] = ()
    # Which side spoke last, for "waiting for you" / "waiting for support".
    last_inbound_at: datetime | None = None
    last_outbound_at: datetime | None = None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Thread:
        tenant = data.get("tenant")
        return cls(
            id=data["id"],
            ref=data.get("ref") or "",
            title=data.get("title") or "",
            status=data.get("status") or "TODO",
            priority=int(data.get("priority", 2)),
            customer=Customer.from_graphql(data["customer"]),
            tenant=Tenant.from_graphql(tenant) if tenant else None,
            created_at=parse_datetime(data.get("createdAt")),
            created_by=Actor.from_graphql(data.get("createdBy")),
            updated_at=parse_datetime(data.get("updatedAt")),
            status_changed_at=parse_datetime(data.get("statusChangedAt")),
            description=data.get("description"),
            preview_text=data.get("previewText"),
            external_id=data.get("externalId"),
            labels=tuple(Label.from_graphql(label) for label in data.get("labels") or ()),
            last_inbound_at=parse_datetime(
                (data.get("lastInboundMessageInfo") or {}).get("timestamp")
            ),
            last_outbound_at=parse_datetime(
                (data.get("lastOutboundMessageInfo") or {}).get("timestamp")
            ),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    id: str
    file_name: str
    size_bytes: int
    mime_type: str

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Attachment:
        size = data.get("fileSize") or {}
        return cls(
            id=data["id"],
            file_name=data.get("fileName") or "",
            size_bytes=int(size.get("bytes") or 0),
            mime_type=data.get("fileMimeType") or "application/octet-stream",
        )


@dataclass(frozen=True, slots=True)
class AttachmentUpload:
    """Where and how to upload one file: a multipart POST of form_data plus the file."""

    attachment: Attachment
    upload_form_url: str
    form_data: tuple[tuple[str, str], ...]
    expires_at: datetime | None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> AttachmentUpload:
        return cls(
            attachment=Attachment.from_graphql(data["attachment"]),
            upload_form_url=data.get("uploadFormUrl") or "",
            form_data=tuple(
                (item.get("key") or "", item.get("value") or "")
                for item in data.get("uploadFormData") or ()
            ),
            expires_at=parse_datetime(data.get("expiresAt")),
        )


@dataclass(frozen=True, slots=True)
class EmailParticipant:
    email: str
    name: str | None = None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> EmailParticipant:
        return cls(email=data.get("email") or "", name=data.get("name"))


# Timeline entries. Only customer-visible entry types are ever selected by the gateway's documents
# (default-deny): anything else arrives as a HiddenEntry carrying just its GraphQL type name.


@dataclass(frozen=True, slots=True)
class ChatEntry:
    text: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class EmailEntry:
    subject: str | None
    from_: EmailParticipant
    to: EmailParticipant
    cc: tuple[EmailParticipant, ...]
    text: str
    markdown: str | None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomEntry:
    """A custom timeline entry (form submissions, createThread's first message).

    components is the raw JSON of Plain's CustomTimelineEntryComponent list (each with its
    __typename), presented by the portal.
    """

    title: str
    type: str | None
    components: tuple[Mapping[str, Any], ...]
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageEntry:
    """A message from another channel (Slack, Microsoft Teams, Discord, ...)."""

    channel: str
    text: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusChangeEntry:
    previous_status: str
    next_status: str


@dataclass(frozen=True, slots=True)
class HiddenEntry:
    typename: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    id: str
    timestamp: datetime | None
    actor: Actor
    entry: ChatEntry | EmailEntry | CustomEntry | MessageEntry | StatusChangeEntry | HiddenEntry = (
        field(repr=False)
    )

    @property
    def is_visible(self) -> bool:
        return not isinstance(self.entry, HiddenEntry)

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> TimelineEntry:
        return cls(
            id=data["id"],
            timestamp=parse_datetime(data.get("timestamp")),
            actor=Actor.from_graphql(data.get("actor")),
            entry=entry_from_graphql(data.get("entry")),
        )


def _attachments(data: Mapping[str, Any]) -> tuple[Attachment, ...]:
    return tuple(Attachment.from_graphql(item) for item in data.get("attachments") or ())


# Channel of each message entry type, as MessageEntry.channel.
_MESSAGE_CHANNELS = {
    "SlackMessageEntry": "slack",
    "SlackReplyEntry": "slack",
    "MSTeamsMessageEntry": "ms_teams",
    "DiscordMessageEntry": "discord",
}


def entry_from_graphql(
    data: Mapping[str, Any] | None,
) -> ChatEntry | EmailEntry | CustomEntry | MessageEntry | StatusChangeEntry | HiddenEntry:
    """A timeline entry's `entry`, default-deny: any type not known here is a HiddenEntry.

    The gateway's documents select content only for customer-visible types, so an unknown type
    has nothing but its __typename anyway; refusing it here as well keeps the rule in two places.
    """
    data = data or {}
    typename = data.get("__typename") or ""
    if typename == "ChatEntry":
        return ChatEntry(
            text=data.get("chatText") or data.get("text") or "", attachments=_attachments(data)
        )
    if typename == "EmailEntry":
        return EmailEntry(
            subject=data.get("subject"),
            from_=EmailParticipant.from_graphql(data.get("from") or {}),
            to=EmailParticipant.from_graphql(data.get("to") or {}),
            cc=tuple(
                EmailParticipant.from_graphql(item)
                for item in data.get("additionalRecipients") or ()
            ),
            text=data.get("textContent") or "",
            markdown=data.get("markdownContent"),
            attachments=_attachments(data),
        )
    if typename == "CustomEntry":
        return CustomEntry(
            title=data.get("title") or "",
            type=data.get("type"),
            components=tuple(data.get("components") or ()),
            attachments=_attachments(data),
        )
    if typename == "ThreadStatusTransitionedEntry":
        return StatusChangeEntry(
            previous_status=data.get("previousStatus") or "",
            next_status=data.get("nextStatus") or "",
        )
    if typename in _MESSAGE_CHANNELS:
        return MessageEntry(
            channel=_MESSAGE_CHANNELS[typename],
            text=data.get("text") or data.get("markdownContent") or "",
            attachments=_attachments(data),
        )
    return HiddenEntry(typename=typename or "Unknown")


@dataclass(frozen=True, slots=True)
class ThreadWithTimeline:
    """A thread and one page of its timeline, oldest entry first."""

    thread: Thread
    timeline: Page[TimelineEntry]


@dataclass(frozen=True, slots=True)
class ThreadFieldSchema:
    id: str
    key: str
    label: str
    type: str  # STRING | BOOL | ENUM | NUMBER | CURRENCY | DATE
    is_required: bool
    enum_values: tuple[str, ...] = ()
    description: str = ""
    order: int = 0

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> ThreadFieldSchema:
        return cls(
            id=data["id"],
            key=data.get("key") or "",
            label=data.get("label") or "",
            type=data.get("type") or "STRING",
            is_required=bool(data.get("isRequired")),
            enum_values=tuple(data.get("enumValues") or ()),
            description=data.get("description") or "",
            order=int(data.get("order") or 0),
        )
