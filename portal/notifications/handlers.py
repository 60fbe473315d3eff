"""The webhook handlers that turn Plain's events into emails (portal/notifications/services.py).

- An agent's message: each `*_sent` event whose timeline entry type the timeline shows
  (plain_gateway.types.CUSTOMER_VISIBLE_ENTRY_TYPES; a note is not, so `thread.note_created`
  never reaches this module), made by a person or a machine user on support's side. Plain has no
  webhook for custom timeline entries, so those are not emailed.
- A resolve: `thread.thread_status_transitioned` to DONE; a wait for the customer: to SNOOZED
  with the WAITING_FOR_CUSTOMER detail. Both only when the thread Plain has now agrees (events
  come out of order) and no later status event was applied before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plain_gateway.types import CUSTOMER_VISIBLE_ENTRY_TYPES
from portal.notifications.services import Item, notification_queue
from portal.webhooks.handlers import HandlerContext, handler_register

__all__ = ["MESSAGE_EVENTS", "STATUS_EVENT", "message_notify", "register", "status_notify"]

# Plain's event for an agent's message, and the timeline entry type it becomes.
MESSAGE_EVENTS: Mapping[str, str] = {
    "thread.chat_sent": "ChatEntry",
    "thread.email_sent": "EmailEntry",
    "thread.slack_message_sent": "SlackMessageEntry",
    "thread.ms_teams_message_sent": "MSTeamsMessageEntry",
    "thread.discord_message_sent": "DiscordMessageEntry",
    "thread.note_created": "NoteEntry",
}
STATUS_EVENT = "thread.thread_status_transitioned"
# Who speaks for support: Plain's actorType of a human agent or a machine user (an AI agent,
# an integration). The portal's own machine user's events are echoes and never arrive here.
AGENT_ACTORS = frozenset({"user", "machineUser"})


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _body(event_type: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """(body, format) of the message an event carries."""
    if event_type == "thread.chat_sent":
        return _text(_object(payload, "chat").get("text")), "markdown"
    if event_type == "thread.email_sent":
        email = _object(payload, "email")
        markdown = _text(email.get("markdownContent"))
        if markdown:
            return markdown, "markdown"
        return _text(email.get("textContent")), "text"
    for key, field in (
        ("slackMessage", "resolvedText"),
        ("msTeamsMessage", "text"),
        ("discordMessage", "textContent"),
    ):
        message = _object(payload, key)
        if message:
            return _text(message.get(field) or message.get("text")), "text"
    return "", "text"


def _actor_customer(context: HandlerContext) -> str | None:
    actor = context.event.actor
    return actor.id if actor is not None and actor.type == "customer" else None


def message_notify(context: HandlerContext) -> None:
    event, thread, organization = context.event, context.thread, context.organization
    if thread is None or organization is None:
        return
    if MESSAGE_EVENTS.get(event.type) not in CUSTOMER_VISIBLE_ENTRY_TYPES:
        return
    if event.actor is None or event.actor.type not in AGENT_ACTORS:
        return
    body, format_ = _body(event.type, event.payload)
    if not body.strip():
        return
    notification_queue(
        organization=organization,
        thread=thread,
        item=Item(event_id=event.id, kind="message", author="Support", body=body, format=format_),
        actor_customer_id=_actor_customer(context),
    )


def status_notify(context: HandlerContext) -> None:
    event, thread, organization = context.event, context.thread, context.organization
    if thread is None or organization is None:
        return
    told = _object(event.payload, "thread")
    status = _text(told.get("status"))
    detail = _text(_object(told, "statusDetail").get("type"))
    if status == "DONE":
        kind = "resolved"
    elif status == "SNOOZED" and detail == "WAITING_FOR_CUSTOMER":
        kind = "waiting"
    else:
        return
    # Out of order: a status the thread has left since, or older than one already applied.
    if thread.status != status or not context.supersedes("notifications.status"):
        return
    notification_queue(
        organization=organization,
        thread=thread,
        item=Item(event_id=event.id, kind=kind),
        actor_customer_id=_actor_customer(context),
    )


def register() -> None:
    handler_register(event_types=MESSAGE_EVENTS, func=message_notify, name="notifications.message")
    handler_register(event_types=(STATUS_EVENT,), func=status_notify, name="notifications.status")
