"""Plain's webhook payloads built from the emulator's state: domain event -> [(type, payload)].

`payloads(state, event)` turns one committed domain event into the webhook payloads Plain would
send for it (usually one, `customer.customer_created` also raises `customer.customer_changed`, a
message also raises `timeline.timeline_entry_changed`); events Plain has no webhook for, and
events this module does not know yet, give none. Every payload validates against Plain's webhook
JSON schema (tests/plain_gateway/test_emulator_webhooks.py checks each type emitted).

The payload is built when the event is delivered to subscribers, at commit: the entities are as
the transaction left them, and a `previous...` object is the current one with the event's
previous values put back. Not emulated: thread assignees (always null), status details (null),
email authenticity (UNKNOWN), customer group memberships (empty), customers' read receipts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from plain_gateway.emulator.graph import iso
from plain_gateway.emulator.store import Event

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["EVENT_TYPES", "payloads"]

JSON = dict[str, Any]

# Plain's webhook event types (webhook-schema.json), with a description of our own.
EVENT_TYPES: dict[str, str] = {
    "thread.thread_created": "A thread was created.",
    "thread.thread_status_transitioned": "A thread moved to another status.",
    "thread.thread_assignment_transitioned": "A thread was assigned or unassigned.",
    "thread.email_received": "An email reached a thread from a customer.",
    "thread.email_sent": "Support sent an email in a thread.",
    "thread.slack_message_received": "A Slack message reached a thread.",
    "thread.slack_message_sent": "Support sent a Slack message in a thread.",
    "thread.slack_message_updated": "A Slack message in a thread was edited.",
    "thread.discord_message_received": "A Discord message reached a thread.",
    "thread.discord_message_sent": "Support sent a Discord message in a thread.",
    "thread.discord_message_updated": "A Discord message in a thread was edited.",
    "thread.ms_teams_message_sent": "Support sent a Microsoft Teams message in a thread.",
    "thread.ms_teams_message_received": "A Microsoft Teams message reached a thread.",
    "thread.chat_sent": "Support sent a chat message in a thread.",
    "thread.chat_received": "A customer's chat message reached a thread.",
    "thread.note_created": "An internal note was written on a thread.",
    "thread.thread_labels_changed": "Labels were added to or removed from a thread.",
    "thread.thread_priority_changed": "A thread's priority changed.",
    "thread.thread_field_created": "A thread field was set on a thread for the first time.",
    "thread.thread_field_updated": "A thread field's value changed.",
    "thread.thread_field_deleted": "A thread field was removed from a thread.",
    "thread.service_level_agreement_status_transitioned": "A thread's SLA changed status.",
    "thread.thread_tenant_updated": "A thread moved to another tenant (or to none).",
    "customer.customer_created": "A customer was created.",
    "customer.customer_updated": "A customer was changed.",
    "customer.customer_deleted": "A customer was deleted.",
    "customer.customer_changed": "A customer was created or changed.",
    "customer.customer_group_changed": "A customer group was created, changed or deleted.",
    "customer.customer_group_memberships_changed": "A customer joined or left customer groups.",
    "timeline.timeline_entry_changed": "A timeline entry was added, changed or removed.",
}


# --- entity views ------------------------------------------------------------------------------


def _ts(value: int | None) -> str | None:
    return None if value is None else iso(value)


def actor_view(actor: dict[str, Any] | None, *, internal: bool = False) -> JSON:
    """Plain's actor; `internal` ones cannot be customers (those read as the system)."""
    if actor is None:
        return {"actorType": "system", "system": "emulator"}
    kind, actor_id = actor.get("kind"), actor.get("id", "")
    if kind == "user":
        return {"actorType": "user", "userId": actor_id}
    if kind == "machine_user":
        return {"actorType": "machineUser", "machineUserId": actor_id}
    if kind in ("customer", "deleted_customer") and not internal:
        return {"actorType": "customer", "customerId": actor_id}
    return {"actorType": "system", "system": actor_id if kind == "system" else "emulator"}


def customer_view(customer: Any) -> JSON:
    return {
        "id": customer.id,
        "email": {
            "email": customer.email,
            "isVerified": bool(customer.email_verified),
            "verifiedAt": _ts(customer.email_verified_at),
        },
        "externalId": customer.external_id,
        "fullName": customer.full_name,
        "shortName": customer.short_name,
        "markedAsSpamAt": None,
        "markedAsSpamBy": None,
        "customerGroupMemberships": [],
        "createdAt": iso(customer.created_at),
        "createdBy": actor_view(customer.created_by),
        "updatedAt": iso(customer.updated_at),
        "updatedBy": actor_view(customer.updated_by),
    }


def _label_type_view(label_type: Any) -> JSON:
    return {
        "id": label_type.id,
        "name": label_type.name,
        "icon": label_type.icon,
        "isArchived": label_type.is_archived,
        "archivedAt": _ts(label_type.archived_at),
        "archivedBy": actor_view(label_type.archived_by, internal=True)
        if label_type.archived_by
        else None,
        "externalId": label_type.external_id,
        "isExcludedFromAi": label_type.is_excluded_from_ai,
        "createdAt": iso(label_type.created_at),
        "createdBy": actor_view(label_type.created_by, internal=True),
        "updatedAt": iso(label_type.updated_at),
        "updatedBy": actor_view(label_type.updated_by, internal=True),
    }


def _label_view(state: State, label: dict[str, Any]) -> JSON | None:
    label_type = state.label_types.get(label["label_type_id"])
    if label_type is None:
        return None
    return {
        "id": label["id"],
        "labelType": _label_type_view(label_type),
        "createdAt": iso(label["created_at"]),
        "createdBy": actor_view(label.get("created_by")),
        "updatedAt": iso(label.get("updated_at", label["created_at"])),
        "updatedBy": actor_view(label.get("updated_by", label.get("created_by"))),
    }


def _message_info(info: dict[str, Any] | None) -> JSON | None:
    if not info:
        return None
    return {"timestamp": iso(info["timestamp"]), "messageSource": info["message_source"]}


def thread_view(state: State, thread: Any) -> JSON | None:
    customer = state.customers.get(thread.customer_id)
    if customer is None:
        return None
    labels = [_label_view(state, label) for label in thread.labels]
    preview = thread.preview_text[:500] if thread.preview_text else None
    return {
        "id": thread.id,
        "customer": customer_view(customer),
        "title": (thread.title or "(no title)")[:500],
        "previewText": preview,
        "priority": thread.priority,
        "externalId": thread.external_id or None,
        "status": thread.status,
        "statusChangedAt": iso(thread.status_changed_at),
        "statusChangedBy": actor_view(thread.status_changed_by),
        "statusDetail": None,
        "assignee": None,
        "assignedAt": None,
        "additionalAssignees": [],
        "labels": [label for label in labels if label is not None],
        "firstInboundMessageInfo": _message_info(thread.first_inbound),
        "firstOutboundMessageInfo": _message_info(thread.first_outbound),
        "lastInboundMessageInfo": _message_info(thread.last_inbound),
        "lastOutboundMessageInfo": _message_info(thread.last_outbound),
        "supportEmailAddresses": [],
        "createdAt": iso(thread.created_at),
        "createdBy": actor_view(thread.created_by),
        "updatedAt": iso(thread.updated_at),
        "updatedBy": actor_view(thread.updated_by),
    }


def _previous_thread(state: State, thread: Any, event: Event) -> JSON | None:
    """The thread as it was before the event: its previous values put back."""
    before = copy.copy(thread)
    changes = dict(event.payload.get("previous") or {})
    for key, value in event.payload.items():
        if key.startswith("previous_") and key != "previous_label_type_ids":
            changes[key.removeprefix("previous_")] = value
    for key, value in changes.items():
        if hasattr(before, key):
            setattr(before, key, value)
    return thread_view(state, before)


def _attachment_view(state: State, attachment_id: str, kind: str | None = None) -> JSON | None:
    attachment = state.attachments.get(attachment_id)
    if attachment is None:
        return None
    view = {
        "id": attachment.id,
        "fileName": attachment.file_name,
        "fileSizeBytes": attachment.size_bytes,
        "fileMimeType": attachment.mime_type,
        "fileExtension": attachment.extension,
        "createdAt": iso(attachment.created_at),
        "createdBy": actor_view(attachment.created_by),
        "updatedAt": iso(attachment.created_at),
        "updatedBy": actor_view(attachment.created_by),
    }
    if kind is not None:
        view["type"] = kind
        if kind == "EMAIL":
            view["emailContentId"] = attachment.id
    return view


def _attachments(state: State, entry: Any, kind: str | None = None) -> list[JSON]:
    views = [_attachment_view(state, a, kind) for a in entry.data.get("attachment_ids") or ()]
    return [view for view in views if view is not None]


def _participant(person: dict[str, Any]) -> JSON:
    return {"email": person["email"], "name": person.get("name"), "emailActor": None}


def _chat_view(state: State, entry: Any) -> JSON:
    return {
        "timelineEntryId": entry.id,
        "id": entry.data["chat_id"],
        "customerReadAt": None,
        "text": (entry.data.get("text") or None) and entry.data["text"][:5000],
        "attachments": _attachments(state, entry),
        "createdAt": iso(entry.timestamp),
        "createdBy": actor_view(entry.actor),
        "updatedAt": iso(entry.timestamp),
        "updatedBy": actor_view(entry.actor),
    }


def _email_view(state: State, entry: Any) -> JSON:
    data = entry.data
    inbound = entry.actor.get("kind") == "customer"
    return {
        "timelineEntryId": entry.id,
        "id": data["email_id"],
        "to": _participant(data["to"]),
        "from": _participant(data["from"]),
        "replyTo": None,
        "additionalRecipients": [_participant(p) for p in data.get("additional_recipients", ())],
        "hiddenRecipients": [_participant(p) for p in data.get("hidden_recipients", ())],
        "subject": data.get("subject"),
        "textContent": data.get("text"),
        "markdownContent": data.get("markdown"),
        "authenticity": "UNKNOWN",
        "sentAt": None if inbound else iso(entry.timestamp),
        "receivedAt": iso(entry.timestamp) if inbound else None,
        "attachments": _attachments(state, entry),
        "inReplyToEmailId": None,
        "isStartOfThread": bool(data.get("is_start_of_thread")),
        "createdAt": iso(entry.timestamp),
        "createdBy": actor_view(entry.actor),
        "updatedAt": iso(entry.timestamp),
        "updatedBy": actor_view(entry.actor),
    }


def _note_view(entry: Any) -> JSON:
    return {
        "timelineEntryId": entry.id,
        "id": entry.data["note_id"],
        "text": entry.data["text"][:10000],
        "markdown": (entry.data.get("markdown") or None) and entry.data["markdown"][:10000],
        "createdAt": iso(entry.timestamp),
        "createdBy": actor_view(entry.actor, internal=True),
        "updatedAt": iso(entry.timestamp),
        "updatedBy": actor_view(entry.actor, internal=True),
        "deletedAt": None,
        "deletedBy": None,
    }


def _timeline_entry_view(state: State, entry: Any) -> JSON | None:
    data = entry.data
    if entry.kind == "chat":
        inner: JSON = {
            "entryType": "chat",
            "chatId": data["chat_id"],
            "text": data.get("text"),
            "attachments": _attachments(state, entry, "CHAT"),
            "customerReadAt": None,
        }
    elif entry.kind == "note":
        note = _note_view(entry)
        inner = {
            "entryType": "note",
            "noteId": note["id"],
            "text": note["text"],
            "markdown": note["markdown"],
        }
    elif entry.kind == "email":
        email = _email_view(state, entry)
        inner = {
            "entryType": "email",
            "emailId": email["id"],
            **{k: email[k] for k in ("to", "from", "additionalRecipients", "hiddenRecipients")},
            "subject": email["subject"],
            "textContent": email["textContent"],
            "hasMoreTextContent": False,
            "markdownContent": email["markdownContent"],
            "hasMoreMarkdownContent": False,
            "authenticity": "UNKNOWN",
            "sentAt": email["sentAt"],
            "receivedAt": email["receivedAt"],
            "attachments": _attachments(state, entry, "EMAIL"),
            "inReplyToEmailId": None,
            "isStartOfThread": email["isStartOfThread"],
        }
    else:
        return None
    return {
        "id": entry.id,
        "customerId": entry.customer_id,
        "threadId": entry.thread_id,
        "timestamp": iso(entry.timestamp),
        "actor": actor_view(entry.actor),
        "entry": inner,
    }


def _thread_field_view(value: dict[str, Any], thread_id: str) -> JSON:
    return {
        "id": value["id"],
        "threadId": thread_id,
        "key": value["key"],
        "type": value["type"],
        "stringValue": value.get("string_value"),
        "booleanValue": value.get("boolean_value"),
        "numberValue": value.get("number_value"),
        "dateValue": value.get("date_value"),
        "createdAt": iso(value["created_at"]),
        "createdBy": actor_view(value.get("created_by")),
        "updatedAt": iso(value["updated_at"]),
        "updatedBy": actor_view(value.get("updated_by")),
    }


def _tenant_view(state: State, tenant_id: str | None) -> JSON | None:
    tenant = state.tenants.get(tenant_id) if tenant_id else None
    if tenant is None:
        return None
    return {
        "id": tenant.id,
        "workspaceId": state.signing_workspace_id(),
        "name": tenant.name,
        "externalId": tenant.external_id,
        "url": tenant.url,
        "source": "api",
        "createdAt": iso(tenant.created_at),
        "createdBy": actor_view(tenant.created_by),
        "updatedAt": iso(tenant.updated_at),
        "updatedBy": actor_view(tenant.updated_by),
    }


# --- event -> payloads -------------------------------------------------------------------------


def _entry(state: State, thread_id: str, entry_id: str | None) -> Any:
    return next((e for e in state.timeline(thread_id) if e.id == entry_id), None)


def _thread_payloads(state: State, event: Event) -> list[tuple[str, JSON]]:
    thread = state.threads.get(event.payload.get("thread_id", ""))
    if thread is None:
        return []
    view = thread_view(state, thread)
    if view is None:
        return []
    name = event.name
    if name == "thread.thread_created":
        return [(name, {"thread": view})]
    if name in (
        "thread.thread_status_transitioned",
        "thread.thread_priority_changed",
        "thread.thread_assignment_transitioned",
    ):
        previous = _previous_thread(state, thread, event)
        return [(name, {"previousThread": previous, "thread": view})] if previous else []
    if name == "thread.thread_labels_changed":
        return _labels_payloads(state, thread, view, event)
    if name == "thread.thread_tenant_updated":
        previous_tenant_id = event.payload.get(
            "previous_tenant_id", (event.payload.get("previous") or {}).get("tenant_id")
        )
        previous = _previous_thread(state, thread, event)
        return [
            (
                name,
                {
                    "previousThread": previous,
                    "thread": view,
                    "previousTenant": _tenant_view(state, previous_tenant_id),
                    "tenant": _tenant_view(state, thread.tenant_id),
                },
            )
        ]
    if name in ("thread.thread_field_created", "thread.thread_field_updated"):
        value = next(
            (f for f in thread.thread_fields if f["id"] == event.payload.get("thread_field_id")),
            None,
        )
        if value is None:
            return []
        field_view = _thread_field_view(value, thread.id)
        if name == "thread.thread_field_created":
            return [(name, {"thread": view, "threadField": field_view})]
        before = _thread_field_view({**value, **(event.payload.get("previous") or {})}, thread.id)
        return [(name, {"thread": view, "previousThreadField": before, "threadField": field_view})]
    if name == "thread.thread_field_deleted":
        removed = event.payload.get("previous_thread_field") or event.payload.get("previous")
        if not isinstance(removed, dict) or "id" not in removed:
            return []
        return [
            (name, {"thread": view, "previousThreadField": _thread_field_view(removed, thread.id)})
        ]
    entry = _entry(state, thread.id, event.payload.get("timeline_entry_id"))
    if entry is None:
        return []
    if name in ("thread.chat_sent", "thread.chat_received"):
        found: list[tuple[str, JSON]] = [(name, {"chat": _chat_view(state, entry), "thread": view})]
    elif name in ("thread.email_sent", "thread.email_received"):
        found = [(name, {"thread": view, "email": _email_view(state, entry)})]
    elif name == "thread.note_created":
        found = [(name, {"thread": view, "note": _note_view(entry)})]
    else:
        return []
    timeline_entry = _timeline_entry_view(state, entry)
    if timeline_entry is not None:
        found.append(
            (
                "timeline.timeline_entry_changed",
                {
                    "previousTimelineEntry": None,
                    "timelineEntry": timeline_entry,
                    "changeType": "ADDED",
                },
            )
        )
    return found


def _labels_payloads(state: State, thread: Any, view: JSON, event: Event) -> list[tuple[str, JSON]]:
    previous_ids = list(event.payload.get("previous_label_type_ids") or [])
    current_ids = [label["label_type_id"] for label in thread.labels]
    change = "ADDED" if len(current_ids) >= len(previous_ids) else "REMOVED"
    # The labels entry the change wrote holds the previous labels in full.
    entries = state.timeline(thread.id, kinds=("labels",))
    previous_labels = entries[-1].data["previous_labels"] if entries else []
    before = copy.copy(thread)
    before.labels = [dict(label) for label in previous_labels]
    previous = thread_view(state, before)
    if previous is None:
        return []
    return [
        (
            event.name,
            {"changeType": change, "thread": view, "previousThread": previous},
        )
    ]


def _customer_payloads(state: State, event: Event) -> list[tuple[str, JSON]]:
    name = event.name
    if name == "customer.customer_deleted":
        removed = event.payload.get("previous")
        if not isinstance(removed, dict) or "id" not in removed:
            return []
        from plain_gateway.emulator.families.customers import Customer

        fields = set(Customer.__dataclass_fields__)
        gone = Customer(**{k: v for k, v in removed.items() if k in fields})
        return [(name, {"previousCustomer": customer_view(gone)})]
    customer = state.customers.get(event.payload.get("customer_id", ""))
    if customer is None:
        return []
    view = customer_view(customer)
    if name == "customer.customer_created":
        return [
            (name, {"customer": view}),
            (
                "customer.customer_changed",
                {"changeType": "ADDED", "customer": view, "previousCustomer": None},
            ),
        ]
    if name == "customer.customer_updated":
        before = copy.copy(customer)
        for key, value in (event.payload.get("previous") or {}).items():
            if hasattr(before, key):
                setattr(before, key, value)
        previous = customer_view(before)
        return [
            (name, {"customer": view, "previousCustomer": previous}),
            (
                "customer.customer_changed",
                {"changeType": "UPDATED", "customer": view, "previousCustomer": previous},
            ),
        ]
    return []


_BUILDERS: dict[str, Callable[[State, Event], list[tuple[str, JSON]]]] = {
    "thread": _thread_payloads,
    "customer": _customer_payloads,
}


def payloads(state: State, event: Event) -> list[tuple[str, JSON]]:
    """The webhook payloads (type, payload with its eventType) Plain sends for `event`."""
    builder = _BUILDERS.get(event.name.partition(".")[0])
    if builder is None:
        return []
    return [
        (kind, {"eventType": kind, **payload})
        for kind, payload in builder(state, event)
        if kind in EVENT_TYPES
    ]
