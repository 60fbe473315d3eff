"""The webhook handlers of pages that stay live (registered from ActivityConfig.ready).

`activity_stamp` bumps the thread's activity stamp for every event that changes what the thread
page or the list shows, the portal's own writes (echoes) included: another member's open page
shows a reply sent from the portal too. `unread_mark` marks the thread unread for the members of
its organisation, never for the customer whose own message it is (sent from the portal, where it
is an echo, or by email or chat), and not for the portal's other own actions (a resolve or a
reopen from the portal names no customer). Internal notes change nothing a customer sees, so
neither handler runs for them.
"""

from __future__ import annotations

from plain_gateway.webhooks import WebhookEvent
from portal.support import live
from portal.webhooks.handlers import RECONCILED, HandlerContext, handles

# Events that change what a customer sees on a thread page or in the list.
STAMPED = (
    "thread.thread_created",
    "thread.chat_sent",
    "thread.chat_received",
    "thread.email_sent",
    "thread.email_received",
    "thread.slack_message_sent",
    "thread.slack_message_received",
    "thread.slack_message_updated",
    "thread.ms_teams_message_sent",
    "thread.ms_teams_message_received",
    "thread.discord_message_sent",
    "thread.discord_message_received",
    "thread.discord_message_updated",
    "thread.thread_status_transitioned",
    "thread.thread_priority_changed",
    "thread.thread_labels_changed",
    "thread.thread_tenant_updated",
    RECONCILED,
)
# Of those, the ones that are news to the organisation's members.
NEWS = (
    "thread.chat_sent",
    "thread.chat_received",
    "thread.email_sent",
    "thread.email_received",
    "thread.slack_message_sent",
    "thread.slack_message_received",
    "thread.ms_teams_message_sent",
    "thread.ms_teams_message_received",
    "thread.discord_message_sent",
    "thread.discord_message_received",
    "thread.thread_status_transitioned",
    RECONCILED,
)


@handles(*STAMPED, name="activity.stamp", echoes=True)
def activity_stamp(context: HandlerContext) -> None:
    if context.event.thread_id:
        live.thread_news_record(
            thread_id=context.event.thread_id, organization=context.organization
        )


MESSAGES = tuple(t for t in NEWS if t.endswith(("_sent", "_received")))
# The payload fields that hold the message of a message event.
_MESSAGE_FIELDS = ("chat", "email", "slackMessage", "msTeamsMessage", "discordMessage")


def _author_customer_id(event: WebhookEvent) -> str | None:
    """The Plain customer who wrote the event's message (its `createdBy`), or who caused the
    event; None when that was not a customer. (The event's own customer_id is the thread's
    customer, who need not be the author.)"""
    for name in _MESSAGE_FIELDS:
        message = event.payload.get(name)
        created_by = message.get("createdBy") if isinstance(message, dict) else None
        if isinstance(created_by, dict):
            if created_by.get("actorType") == "customer":
                return str(created_by.get("customerId") or "") or None
            return None
    actor = event.actor
    return actor.id if actor is not None and actor.type == "customer" else None


@handles(*NEWS, name="activity.unread", echoes=True)
def unread_mark(context: HandlerContext) -> None:
    event = context.event
    if not event.thread_id:
        return
    author = _author_customer_id(event)
    organization = context.organization
    if organization is None:
        # An echo: the portal wrote for one of its users. A message it sent as a customer is
        # news to that customer's colleagues; anything else it did (a resolve, a reopen) names
        # no one, and marks no one.
        if event.type not in MESSAGES or author is None:
            return
        organization = live.thread_organization_recorded(thread_id=event.thread_id)
        if organization is None:
            return
    live.thread_unread_mark(
        thread_id=event.thread_id, organization=organization, actor_customer_id=author
    )
