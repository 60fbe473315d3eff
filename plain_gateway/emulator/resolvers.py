"""GraphQL resolvers: each maps one field of the emulator's SDL onto `state`.

Fields not listed here are read from the source object by name (`fullName` -> `full_name`, or
the camelCase key of a dict). A field the emulator has no data for raises `QueryError`, so a
query it cannot answer fails loudly instead of returning a silent null.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from graphql import (
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    get_nullable_type,
)

from plain_gateway import components as pc
from plain_gateway.emulator import state as st
from plain_gateway.emulator.paging import Connection, Edge, PagingError, paginate

__all__ = ["SCHEMA_PATH", "Context", "QueryError", "build_executable_schema", "default_resolver"]

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")


class QueryError(Exception):
    """A query-level error, reported in `errors` with extensions.code."""

    def __init__(self, message: str, code: str = "INTERNAL_SERVER_ERROR") -> None:
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class Context:
    state: st.State
    actor: st.Actor
    base_url: str  # scheme://host[/prefix] of this emulator, for upload and download URLs
    url_secret: bytes  # signs download URLs


class Payload(dict[str, Any]):
    """A dict that also says which GraphQL object type it is (for unions)."""

    __slots__ = ("entry", "typename")

    def __init__(self, typename: str, data: dict[str, Any], entry: st.TimelineEntry | None = None):
        super().__init__(data)
        self.typename = typename
        self.entry = entry


# --- default resolution ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def default_resolver(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    name = info.field_name
    if isinstance(source, dict):
        if name in source:
            return source[name]
        snake = _snake(name)
        if snake in source:
            return source[snake]
    else:
        snake = _snake(name)
        try:
            return getattr(source, snake)
        except AttributeError:
            pass
    raise QueryError(f"the emulator cannot answer {info.parent_type.name}.{name}")


def _ctx(info: GraphQLResolveInfo) -> Context:
    context: Context = info.context
    return context


def _none(*_: Any, **__: Any) -> None:
    return None


def _empty(*_: Any, **__: Any) -> list[Any]:
    return []


def _const(value: Any) -> Callable[..., Any]:
    return lambda *_, **__: value


def _key(name: str) -> Callable[..., Any]:
    return lambda source, _info, **__: (
        source[name] if isinstance(source, dict) else getattr(source, name)
    )


def _page(
    items: list[Any],
    key: Callable[[Any], tuple[Any, ...]],
    args: dict[str, Any],
    *,
    descending: bool = False,
    presorted: bool = False,
) -> Connection[Any]:
    try:
        return paginate(
            items,
            key=key,
            descending=descending,
            presorted=presorted,
            first=args.get("first"),
            after=args.get("after"),
            last=args.get("last"),
            before=args.get("before"),
        )
    except PagingError as exc:
        raise QueryError(str(exc), "BAD_USER_INPUT") from exc


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _ms(iso: str) -> int:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


# --- actors ------------------------------------------------------------------------------------

_ACTOR_TYPES = {
    "user": "UserActor",
    "machine_user": "MachineUserActor",
    "customer": "CustomerActor",
    "deleted_customer": "DeletedCustomerActor",
    "system": "SystemActor",
}


def _actor_type(actor: st.Actor, info: GraphQLResolveInfo, *_: Any) -> str:
    if actor["kind"] == "customer" and actor["id"] not in _ctx(info).state.customers:
        return "DeletedCustomerActor"
    return _ACTOR_TYPES[actor["kind"]]


def _actor_id(actor: st.Actor, _info: GraphQLResolveInfo) -> str:
    return actor["id"]


# --- components --------------------------------------------------------------------------------


def _component_view(component: pc.Component, info: GraphQLResolveInfo) -> Payload:
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
            users = _ctx(info).state.users
            user = users.get(user_id or "") or next(
                (u for u in users.values() if email and u.email == email), None
            )
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
    raise QueryError(f"the emulator cannot render component {type(component).__name__}")


def _components(source: Payload, info: GraphQLResolveInfo) -> list[Payload]:
    # Stored in the input shape, already checked by the state (see state._components_check).
    return [_component_view(c, info) for c in pc.components_from_input(source["components"])]


def _typename(value: Payload, *_: Any) -> str:
    return value.typename


# --- timeline entries --------------------------------------------------------------------------

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
}
_MESSAGE_KINDS = ("chat", "email", "custom")


def _entry(entry: st.TimelineEntry, _info: GraphQLResolveInfo) -> Payload:
    return Payload(_ENTRY_TYPES[entry.kind], entry.data, entry)


def _attachments(source: dict[str, Any], info: GraphQLResolveInfo) -> list[st.Attachment]:
    attachments = _ctx(info).state.attachments
    return [attachments[i] for i in source.get("attachment_ids") or () if i in attachments]


def _email_field(name: str) -> Callable[..., Any]:
    def resolve(source: Payload, _info: GraphQLResolveInfo) -> Any:
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


def _label_view(label: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    return {
        **label,
        "label_type": _ctx(info).state.label_types[label["label_type_id"]],
        "updated_at": label["created_at"],
        "updated_by": label["created_by"],
    }


# --- threads and customers ---------------------------------------------------------------------

_THREAD_SORT_KEYS: dict[str, Callable[[st.Thread], tuple[Any, ...]]] = {
    "CREATED_AT": lambda t: (t.created_at, t.id),
    "STATUS_CHANGED_AT": lambda t: (t.status_changed_at, t.id),
    "PRIORITY": lambda t: (t.priority, t.created_at, t.id),
    "LAST_INBOUND_MESSAGE_AT": lambda t: ((t.last_inbound or {}).get("timestamp", 0), t.id),
}


def _tenant_ids(state: st.State, identifiers: list[dict[str, Any]]) -> list[str]:
    """Tenant identifiers as ids; an unknown tenant matches nothing (a filter, not an error)."""
    ids = []
    for identifier in identifiers:
        tenant = state.tenant_find(
            tenant_id=identifier.get("tenantId"), external_id=identifier.get("externalId")
        )
        if tenant is not None:
            ids.append(tenant.id)
    return ids


def q_threads(
    _root: Any,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    sortBy: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[st.Thread]:
    state = _ctx(info).state
    filters = filters or {}
    threads = state.thread_list(
        tenant_ids=_tenant_ids(state, filters["tenantIdentifiers"])
        if filters.get("tenantIdentifiers") is not None
        else None,
        customer_ids=filters.get("customerIds"),
        thread_ids=filters.get("threadIds"),
        refs=filters.get("refs"),
        statuses=filters.get("statuses"),
        priorities=filters.get("priorities"),
        label_type_ids=filters.get("labelTypeIds"),
    )
    sort = sortBy or {"field": "CREATED_AT", "direction": "DESC"}
    return _page(
        threads, _THREAD_SORT_KEYS[sort["field"]], paging, descending=sort["direction"] == "DESC"
    )


def thread_timeline(
    thread: st.Thread,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[st.TimelineEntry]:
    filters = filters or {}
    kinds: set[str] | None = None
    if filters.get("entryTypes") is not None:
        kinds = {_ENTRY_KINDS[t] for t in filters["entryTypes"]}
    if filters.get("isMessage") is not None:
        messages = (
            set(_MESSAGE_KINDS) if filters["isMessage"] else set(_ENTRY_TYPES) - set(_MESSAGE_KINDS)
        )
        kinds = messages if kinds is None else kinds & messages
    entries = _ctx(info).state.timeline(thread.id, kinds=kinds)
    return _page(entries, lambda e: e.sort_key, paging, presorted=True)


def customer_memberships(
    customer: st.Customer, info: GraphQLResolveInfo, **paging: Any
) -> Connection[Any]:
    tenants = _ctx(info).state.tenants
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
    return _page(views, lambda v: (v["created_at"], v["tenant"].id), paging)


def q_customers(
    _root: Any,
    info: GraphQLResolveInfo,
    filters: dict[str, Any] | None = None,
    sortBy: dict[str, Any] | None = None,
    **paging: Any,
) -> Connection[st.Customer]:
    state = _ctx(info).state
    filters = filters or {}
    identifiers = filters.get("tenantIdentifiers")
    customers = state.customer_list(
        tenant_ids=_tenant_ids(state, identifiers) if identifiers is not None else None
    )
    if sortBy:
        return _page(
            customers,
            lambda c: (c.full_name.lower(), c.id),
            paging,
            descending=sortBy["direction"] == "DESC",
        )
    return _page(customers, lambda c: (c.created_at, c.id), paging)


def q_tenants(
    _root: Any, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **paging: Any
) -> Connection[st.Tenant]:
    filters = filters or {}
    tenants = list(_ctx(info).state.tenants.values())
    if filters.get("tenantIds") is not None:
        wanted = set(filters["tenantIds"])
        tenants = [t for t in tenants if t.id in wanted]
    if filters.get("isDeleted"):
        tenants = []  # the emulator never deletes tenants
    return _page(tenants, lambda t: (t.created_at, t.id), paging)


def q_search_tenants(
    _root: Any,
    info: GraphQLResolveInfo,
    searchQuery: dict[str, Any],
    **paging: Any,
) -> Connection[dict[str, Any]]:
    term = searchQuery["term"].strip().lower()
    if not term:
        raise QueryError("searchQuery.term must not be empty", "BAD_USER_INPUT")
    tenants = [
        t
        for t in _ctx(info).state.tenants.values()
        if term in t.name.lower() or term in t.external_id.lower()
    ]
    page = _page(tenants, lambda t: (t.name.lower(), t.id), paging)
    return Connection(
        edges=[Edge(cursor=e.cursor, node={"tenant": e.node}) for e in page.edges],
        page_info=page.page_info,
        total_count=page.total_count,
    )


def q_label_types(
    _root: Any, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **paging: Any
) -> Connection[st.LabelType]:
    label_types = list(_ctx(info).state.label_types.values())
    if filters and filters.get("isArchived") is not None:
        label_types = [lt for lt in label_types if lt.is_archived == filters["isArchived"]]
    return _page(label_types, lambda lt: (lt.position, lt.id), paging)


def q_thread_field_schemas(_root: Any, info: GraphQLResolveInfo, **paging: Any) -> Connection[Any]:
    schemas = list(_ctx(info).state.thread_field_schemas.values())
    return _page(schemas, lambda s: (s.order, s.id), paging)


def _me(kind: str) -> Callable[..., Any]:
    def resolve(_root: Any, info: GraphQLResolveInfo) -> Any:
        ctx = _ctx(info)
        if ctx.actor["kind"] != kind:
            return None
        return (ctx.state.users if kind == "user" else ctx.state.machine_users).get(ctx.actor["id"])

    return resolve


def _by_id(collection: str, arg: str) -> Callable[..., Any]:
    def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        return getattr(_ctx(info).state, collection).get(args[arg])

    return resolve


def q_customer_by_email(_root: Any, info: GraphQLResolveInfo, email: str) -> st.Customer | None:
    return _ctx(info).state.customer_find(email=email)


def q_customer_by_external_id(
    _root: Any, info: GraphQLResolveInfo, externalId: str
) -> st.Customer | None:
    return _ctx(info).state.customer_find(external_id=externalId)


def q_thread_by_ref(_root: Any, info: GraphQLResolveInfo, ref: str) -> st.Thread | None:
    state = _ctx(info).state
    thread_id = state.thread_by_ref.get(ref)
    return state.threads.get(thread_id) if thread_id else None


def q_thread_by_external_id(
    _root: Any,
    info: GraphQLResolveInfo,
    customerId: str,
    externalId: str,
) -> st.Thread | None:
    state = _ctx(info).state
    thread_id = state.thread_by_external_id.get((customerId, externalId))
    return state.threads.get(thread_id) if thread_id else None


# --- mutations ---------------------------------------------------------------------------------


def _error_view(error: st.StateError) -> dict[str, Any]:
    return {
        "message": error.message,
        "type": error.type,
        "code": error.code,
        "fields": [{"field": f.field, "message": f.message, "type": f.type} for f in error.fields],
    }


def mutation(
    fn: Callable[[Context, dict[str, Any]], dict[str, Any]],
) -> Callable[..., dict[str, Any]]:
    """Run a mutation body; a StateError becomes the payload's `error`, as Plain reports it."""

    @functools.wraps(fn)
    def resolve(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
        try:
            return {"error": None, **fn(_ctx(info), input)}
        except st.StateError as error:
            # The other output fields are null when the mutation failed.
            output = get_nullable_type(info.return_type)  # type: ignore[arg-type]
            assert isinstance(output, GraphQLObjectType)  # a mutation answers a payload type
            return {**dict.fromkeys(output.fields, None), "error": _error_view(error)}

    return resolve


def _optional(container: dict[str, Any], key: str, wrapped: bool = True) -> Any:
    """`...` when the key is absent (leave as is), else its value (unwrapping {value})."""
    if container.get(key) is None:
        return ...
    return container[key]["value"] if wrapped else container[key]


@mutation
def m_upsert_customer(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    on_create = data["onCreate"]
    on_update = data["onUpdate"]
    update: dict[str, Any] = {}
    for gql, key in (
        ("fullName", "full_name"),
        ("shortName", "short_name"),
        ("externalId", "external_id"),
    ):
        value = _optional(on_update, gql)
        if value is not ...:
            update[key] = value
    if on_update.get("email") is not None:
        update["email"] = on_update["email"]["email"]
        update["email_verified"] = on_update["email"]["isVerified"]
    customer, result = ctx.state.customer_upsert(
        actor=ctx.actor,
        identifier=data["identifier"],
        on_create={
            "full_name": on_create["fullName"],
            "short_name": on_create.get("shortName"),
            "external_id": on_create.get("externalId"),
            "email": on_create["email"]["email"],
            "email_verified": on_create["email"]["isVerified"],
            "tenants": on_create.get("tenantIdentifiers") or (),
        },
        on_update=update,
    )
    return {"customer": customer, "result": result}


@mutation
def m_upsert_tenant(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    tenant, result = ctx.state.tenant_upsert(
        actor=ctx.actor,
        identifier=data["identifier"],
        name=data["name"],
        external_id=data["externalId"],
        url=_optional(data, "url"),
    )
    return {"tenant": tenant, "result": result}


def _tenant_mutation(mode: str) -> Callable[..., dict[str, Any]]:
    @mutation
    def resolve(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        customer = ctx.state.customer_tenants_change(
            actor=ctx.actor,
            customer_identifier=data["customerIdentifier"],
            tenant_identifiers=data["tenantIdentifiers"],
            mode=mode,
        )
        return {"customer": customer}

    return resolve


def _thread_field_input(value: dict[str, Any]) -> dict[str, Any]:
    date = value.get("dateValue")
    try:
        date_ms = _ms(date) if date is not None else None
    except ValueError:
        raise st.StateError(
            "input_validation",
            "dateValue is not an ISO 8601 date",
            [st.FieldError("dateValue", "not an ISO 8601 date")],
        ) from None
    return {
        "key": value.get("key"),
        "type": value["type"],
        "string_value": value.get("stringValue"),
        "boolean_value": value.get("booleanValue"),
        "number_value": value.get("numberValue"),
        "date_value": date_ms,
    }


@mutation
def m_create_thread(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    thread = ctx.state.thread_create(
        actor=ctx.actor,
        customer_identifier=data["customerIdentifier"],
        title=data.get("title"),
        components=data.get("components"),
        attachment_ids=data.get("attachmentIds"),
        label_type_ids=data.get("labelTypeIds"),
        thread_fields=[_thread_field_input(v) for v in data.get("threadFields") or ()],
        external_id=data.get("externalId"),
        description=data.get("description"),
        priority=data.get("priority"),
        tenant_identifier=data.get("tenantIdentifier"),
        channel=data.get("channel"),
    )
    return {"thread": thread}


@mutation
def m_reply_to_thread(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    email = ((data.get("channelSpecificOptions") or {}).get("email")) or {}
    impersonation = data.get("impersonation")
    ctx.state.thread_reply(
        actor=ctx.actor,
        thread_id=data["threadId"],
        text=data["textContent"],
        markdown=data.get("markdownContent"),
        as_customer=impersonation["asCustomer"]["customerIdentifier"] if impersonation else None,
        attachment_ids=data.get("attachmentIds"),
        cc=email.get("additionalRecipients") or (),
        bcc=email.get("hiddenRecipients") or (),
    )
    return {}


def _status_mutation(status: str) -> Callable[..., dict[str, Any]]:
    @mutation
    def resolve(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
        thread = ctx.state.thread_status_change(
            actor=ctx.actor,
            thread_id=data["threadId"],
            status=status,
            duration_seconds=data.get("durationSeconds"),
        )
        return {"thread": thread}

    return resolve


@mutation
def m_change_thread_priority(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    thread = ctx.state.thread_priority_change(
        actor=ctx.actor, thread_id=data["threadId"], priority=data["priority"]
    )
    return {"thread": thread}


@mutation
def m_update_thread_title(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "thread": ctx.state.thread_title_change(
            actor=ctx.actor, thread_id=data["threadId"], title=data["title"]
        )
    }


@mutation
def m_add_labels(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    thread, added = ctx.state.labels_add(
        actor=ctx.actor, thread_id=data["threadId"], label_type_ids=data["labelTypeIds"]
    )
    return {"thread": thread, "labels": added}


@mutation
def m_remove_labels(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    return {"thread": ctx.state.labels_remove(actor=ctx.actor, label_ids=data["labelIds"])}


def _internal_actor_only(ctx: Context) -> None:
    if ctx.actor["kind"] not in ("user", "machine_user"):
        raise st.StateError(
            "forbidden", "only users and machine users can do this", type="FORBIDDEN"
        )


def _timestamp(data: dict[str, Any]) -> int | None:
    if data.get("timestamp") is None:
        return None
    try:
        return _ms(data["timestamp"])
    except ValueError:
        raise st.StateError(
            "input_validation",
            "timestamp is not ISO 8601",
            [st.FieldError("timestamp", "not an ISO 8601 date-time")],
        ) from None


def _chat_view(entry: st.TimelineEntry) -> dict[str, Any]:
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


@mutation
def m_send_chat(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    _internal_actor_only(ctx)
    entry = ctx.state.chat_send(
        actor=ctx.actor,
        thread_id=data.get("threadId"),
        customer_id=data["customerId"],
        text=data.get("text"),
        attachment_ids=data.get("attachmentIds"),
        timestamp=_timestamp(data),
    )
    return {"chat": _chat_view(entry)}


@mutation
def m_send_customer_chat(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    entry = ctx.state.chat_send(
        actor=ctx.actor,
        thread_id=data["threadId"],
        customer_id=data["customerId"],
        text=data.get("text"),
        attachment_ids=data.get("attachmentIds"),
        timestamp=_timestamp(data),
        from_customer=True,
    )
    return {"chat": _chat_view(entry)}


@mutation
def m_create_note(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    _internal_actor_only(ctx)
    entry = ctx.state.note_create(
        actor=ctx.actor,
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
        "customer": ctx.state.customers[entry.customer_id],
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


def _event_view(event: dict[str, Any]) -> dict[str, Any]:
    return {
        **event,
        "created_at": event["timestamp"],
        "created_by": event["actor"],
        "updated_at": event["timestamp"],
        "updated_by": event["actor"],
    }


@mutation
def m_create_thread_event(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    event, _ = ctx.state.event_create(
        actor=ctx.actor,
        title=data["title"],
        components=data["components"],
        external_id=data.get("externalId"),
        thread_id=data["threadId"],
        timestamp=_timestamp(data),
    )
    return {"threadEvent": _event_view(event)}


@mutation
def m_create_customer_event(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    event, _ = ctx.state.event_create(
        actor=ctx.actor,
        title=data["title"],
        components=data["components"],
        external_id=data.get("externalId"),
        customer_identifier=data["customerIdentifier"],
        timestamp=_timestamp(data),
    )
    return {"customerEvent": _event_view(event)}


@mutation
def m_create_label_type(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    label_type = ctx.state.label_type_create(
        actor=ctx.actor,
        name=data["name"],
        icon=data.get("icon"),
        color=data.get("color"),
        description=data.get("description"),
        external_id=data.get("externalId"),
        type=data.get("type"),
        is_excluded_from_ai=data.get("isExcludedFromAi"),
        parent_label_type_id=data.get("parentLabelTypeId"),
    )
    return {"labelType": label_type}


@mutation
def m_create_thread_field_schema(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    schema = ctx.state.thread_field_schema_create(
        actor=ctx.actor,
        label=data["label"],
        key=data["key"],
        type=data["type"],
        description=data["description"],
        order=data["order"],
        enum_values=data["enumValues"],
        is_required=data["isRequired"],
        is_ai_auto_fill_enabled=data["isAiAutoFillEnabled"],
        is_client_readonly=data.get("isClientReadonly"),
        default_string_value=data.get("defaultStringValue"),
        default_boolean_value=data.get("defaultBooleanValue"),
        default_number_value=data.get("defaultNumberValue"),
    )
    return {"threadFieldSchema": schema}


@mutation
def m_upsert_thread_field(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    identifier = data["identifier"]
    value = _thread_field_input({**data, "key": identifier["key"]})
    field, result = ctx.state.thread_field_upsert(
        actor=ctx.actor, thread_id=identifier["threadId"], value=value
    )
    view = {**field, "thread_id": identifier["threadId"], "is_ai_generated": False}
    return {"threadField": view, "result": result}


def sign_download(secret: bytes, attachment_id: str, expires: int) -> str:
    return hmac.new(secret, f"{attachment_id}:{expires}".encode(), hashlib.sha256).hexdigest()


@mutation
def m_create_attachment_upload_url(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    attachment = ctx.state.attachment_create(
        actor=ctx.actor,
        customer_id=data["customerId"],
        file_name=data["fileName"],
        size_bytes=data["fileSizeBytes"],
        attachment_type=data["attachmentType"],
    )
    return {
        "attachmentUploadUrl": {
            "attachment": attachment,
            "upload_form_url": f"{ctx.base_url}/_emulator/uploads/{attachment.id}",
            "upload_form_data": [
                {"key": "key", "value": attachment.id},
                {"key": "token", "value": attachment.upload_token},
                {"key": "Content-Type", "value": attachment.mime_type},
            ],
            "expires_at": attachment.upload_expires_at,
        }
    }


@mutation
def m_create_attachment_download_url(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    attachment = ctx.state.attachment_for_download(attachment_id=data["attachmentId"])
    expires = ctx.state.now() + st.DOWNLOAD_URL_TTL_MS
    token = sign_download(ctx.url_secret, attachment.id, expires)
    url = (
        f"{ctx.base_url}/_emulator/downloads/{quote(attachment.id)}?expires={expires}&token={token}"
    )
    return {
        "attachmentDownloadUrl": {
            "attachment": attachment,
            "download_url": url,
            "expires_at": expires,
        }
    }


# --- wiring ------------------------------------------------------------------------------------

_ATTACHMENT_SIZE = lambda a, _i: {  # noqa: E731
    "bytes": a.size_bytes,
    "kilo_bytes": a.size_bytes / 1000,
    "mega_bytes": a.size_bytes / 1_000_000,
}

RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Query": {
        "myUser": _me("user"),
        "myMachineUser": _me("machine_user"),
        "user": _by_id("users", "userId"),
        "machineUser": _by_id("machine_users", "machineUserId"),
        "labelTypes": q_label_types,
        "labelType": _by_id("label_types", "labelTypeId"),
        "customer": _by_id("customers", "customerId"),
        "customers": q_customers,
        "customerByEmail": q_customer_by_email,
        "customerByExternalId": q_customer_by_external_id,
        "threadFieldSchemas": q_thread_field_schemas,
        "threadFieldSchema": _by_id("thread_field_schemas", "threadFieldSchemaId"),
        "thread": _by_id("threads", "threadId"),
        "threadByRef": q_thread_by_ref,
        "threadByExternalId": q_thread_by_external_id,
        "threads": q_threads,
        "tenants": q_tenants,
        "tenant": _by_id("tenants", "tenantId"),
        "searchTenants": q_search_tenants,
    },
    "Mutation": {
        "upsertCustomer": m_upsert_customer,
        "upsertTenant": m_upsert_tenant,
        "addCustomerToTenants": _tenant_mutation("add"),
        "removeCustomerFromTenants": _tenant_mutation("remove"),
        "setCustomerTenants": _tenant_mutation("set"),
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
        "createThreadEvent": m_create_thread_event,
        "createCustomerEvent": m_create_customer_event,
        "createLabelType": m_create_label_type,
        "createThreadFieldSchema": m_create_thread_field_schema,
        "upsertThreadField": m_upsert_thread_field,
        "createAttachmentUploadUrl": m_create_attachment_upload_url,
        "createAttachmentDownloadUrl": m_create_attachment_download_url,
    },
    "DateTime": {
        "iso8601": lambda ms, _i: _iso(ms),
        "unixTimestamp": lambda ms, _i: str(ms),
    },
    "UserActor": {"userId": _actor_id, "user": lambda a, i: _ctx(i).state.users[a["id"]]},
    "MachineUserActor": {
        "machineUserId": _actor_id,
        "machineUser": lambda a, i: _ctx(i).state.machine_users[a["id"]],
    },
    "CustomerActor": {
        "customerId": _actor_id,
        "customer": lambda a, i: _ctx(i).state.customers[a["id"]],
    },
    "DeletedCustomerActor": {"customerId": _actor_id},
    "SystemActor": {"systemId": _actor_id, "workflowExecutionId": _none},
    "Thread": {
        "customer": lambda t, i: _ctx(i).state.customers[t.customer_id],
        "tenant": lambda t, i: _ctx(i).state.tenants.get(t.tenant_id) if t.tenant_id else None,
        "labels": lambda t, i: [_label_view(label, i) for label in t.labels],
        "threadFields": lambda t, _i: [
            {**f, "thread_id": t.id, "is_ai_generated": False} for f in t.thread_fields
        ],
        "timelineEntries": thread_timeline,
        "firstInboundMessageInfo": _key("first_inbound"),
        "firstOutboundMessageInfo": _key("first_outbound"),
        "lastInboundMessageInfo": _key("last_inbound"),
        "lastOutboundMessageInfo": _key("last_outbound"),
        "supportEmailAddresses": lambda t, _i: [st.SUPPORT_EMAIL] if t.channel == "EMAIL" else [],
        "agentStatusUpdatedAt": _none,
        "agentStatusUpdatedBy": _none,
        "assignedTo": _none,
        "assignedAt": _none,
        "additionalAssignees": _empty,
        "lockedAt": _none,
        "lockedBy": _none,
    },
    "Customer": {
        "email": lambda c, _i: {
            "email": c.email,
            "is_verified": c.email_verified,
            "verified_at": c.email_verified_at,
        },
        "tenantMemberships": customer_memberships,
        "assignedToUser": _none,
        "assignedAt": _none,
        "markedAsSpamAt": _none,
        "markedAsSpamBy": _none,
        "statusChangedAt": _none,
        "lastIdleAt": _none,
    },
    "LabelType": {
        "parentLabelType": lambda lt, i: _ctx(i).state.label_types.get(
            lt.parent_label_type_id or ""
        ),
    },
    "User": {"labels": _empty},
    "Attachment": {
        "fileSize": _ATTACHMENT_SIZE,
        "fileExtension": _key("extension"),
        "fileMimeType": _key("mime_type"),
        "updatedAt": _key("created_at"),
        "updatedBy": _key("created_by"),
    },
    "Chat": {"attachments": _attachments},
    "Note": {"attachments": _attachments},
    "TimelineEntry": {"entry": _entry, "llmText": _none},
    "ChatEntry": {"attachments": _attachments, "customerReadAt": _none},
    "NoteEntry": {
        "attachments": _attachments,
        "isEdited": _const(False),
        "editedAt": _none,
        "editedBy": _none,
    },
    "EmailEntry": {
        "attachments": _attachments,
        "textContent": _email_field("textContent"),
        "fullTextContent": _email_field("fullTextContent"),
        "markdownContent": _email_field("markdownContent"),
        "fullMarkdownContent": _email_field("fullMarkdownContent"),
        "hasMoreTextContent": _const(False),
        "hasMoreMarkdownContent": _const(False),
        "authenticity": _const("PASS"),
        "sentAt": _email_field("sentAt"),
        "sendStatus": _email_field("sendStatus"),
        "receivedAt": _email_field("receivedAt"),
        # Entries written before categories were kept, and outbound emails, are MESSAGING.
        "category": lambda source, _info: source.entry.data.get("category", "MESSAGING"),
    },
    "CustomEntry": {"attachments": _attachments, "components": _components},
    "ThreadEventEntry": {
        "timelineEventId": _key("event_id"),
        "components": _components,
        "customerId": lambda p, _i: p.entry.customer_id,
    },
    "CustomerEventEntry": {
        "timelineEventId": _key("event_id"),
        "components": _components,
        "customerId": lambda p, _i: p.entry.customer_id,
    },
    "ThreadEvent": {"components": _components},
    "CustomerEvent": {"components": _components},
    "ThreadLabelsChangedEntry": {
        "previousLabels": lambda p, i: [_label_view(label, i) for label in p["previous_labels"]],
        "nextLabels": lambda p, i: [_label_view(label, i) for label in p["next_labels"]],
    },
    "AddLabelsOutput": {"labels": lambda o, i: [_label_view(label, i) for label in o["labels"]]},
}

_UNION_RESOLVERS: dict[str, Callable[..., str]] = {
    "Actor": _actor_type,
    "InternalActor": _actor_type,
    "Entry": _typename,
    "CustomTimelineEntryComponent": _typename,
    "EventComponent": _typename,
    "ComponentRowContent": _typename,
    "ComponentContainerContent": _typename,
}


@functools.lru_cache(maxsize=1)
def build_executable_schema() -> GraphQLSchema:
    """The SDL with resolvers attached (built once: resolvers keep no state, the context does).

    Raises KeyError if a resolver names a field the SDL lacks."""
    schema = build_schema(SCHEMA_PATH.read_text())
    for type_name, fields in RESOLVERS.items():
        graphql_type = schema.type_map[type_name]
        for field_name, resolve in fields.items():
            graphql_type.fields[field_name].resolve = resolve  # type: ignore[attr-defined]
    for type_name, resolve_type in _UNION_RESOLVERS.items():
        schema.type_map[type_name].resolve_type = resolve_type  # type: ignore[attr-defined]
    return schema
