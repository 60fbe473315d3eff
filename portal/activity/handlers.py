"""The webhook handlers of pages that stay live (registered from ActivityConfig.ready).

`activity_stamp` bumps the thread's activity stamp for every event that changes what the thread
page or the list shows, the portal's own writes (echoes) included: another member's open page
shows a reply sent from the portal too. `unread_mark` marks the thread unread for the members of
its organisation, never for an echo (the portal acting for a user) and never for the customer
whose own message it is. Internal notes change nothing a customer sees, so neither runs for them.
"""

from __future__ import annotations

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


@handles(*NEWS, name="activity.unread")
def unread_mark(context: HandlerContext) -> None:
    if not context.event.thread_id or context.organization is None:
        return
    actor = context.event.actor
    live.thread_unread_mark(
        thread_id=context.event.thread_id,
        organization=context.organization,
        actor_customer_id=actor.id if actor is not None and actor.type == "customer" else None,
    )
