"""Plain's events keep the read cache (portal/support/cache.py) current.

An event about a thread invalidates exactly what it touched: that thread's timeline, and the
lists of its tenant (the organisation its current tenant maps to, plus any tenant the payload
names: a thread moved by thread.thread_tenant_updated leaves its previous tenant's lists too).
Invalidating is writing new versions in our database, so it needs no ordering guard: a late
or repeated event costs one extra read from Plain, never a wrong page. Events about no thread
(customers, tenants) touch nothing cached; the TTL bounds what they change (a customer's name).

Echoes (the portal's own writes coming back) run this too: the write already invalidated what
it changed (services), and the echo catches what Plain changed along with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plain_gateway.webhooks import WebhookEvent
from portal.support import cache as read_cache
from portal.support import search
from portal.webhooks.handlers import ANY, RECONCILED, HandlerContext, handles

if TYPE_CHECKING:
    from portal.tenancy.models import Organization

__all__ = [
    "SEARCH_INDEX_EVENTS",
    "event_scopes",
    "read_cache_event_invalidate",
    "read_cache_invalidate",
    "search_index_update",
]

# The events that add visible content to a thread or move it: the search index reads the
# thread's newest page again for each (one call to Plain, on the worker). Others (labels,
# priority, assignment, fields) change nothing the index holds.
SEARCH_INDEX_EVENTS = (
    "thread.thread_created",
    "thread.chat_sent",
    "thread.chat_received",
    "thread.email_sent",
    "thread.email_received",
    "thread.thread_tenant_updated",
    RECONCILED,
)


def _external_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        external_id = value.get("externalId")
        if isinstance(external_id, str) and external_id:
            return external_id
    return None


def event_scopes(*, event: WebhookEvent, organization: Organization | None) -> set[str]:
    """The read-cache scopes `event` touched (none for an event about no thread)."""
    if not event.thread_id:
        return set()
    scopes = {read_cache.thread_scope(event.thread_id)}
    tenants = {
        _external_id(event.payload.get("tenant")),
        _external_id(event.payload.get("previousTenant")),
        organization.tenant_external_id if organization is not None else None,
    }
    scopes.update(read_cache.tenant_scope(tenant) for tenant in tenants if tenant)
    return scopes


def read_cache_event_invalidate(
    *, event: WebhookEvent, organization: Organization | None = None
) -> None:
    """Invalidate what `event` touched. Also for events the inbox ignores (a thread moved to a
    tenant no organisation maps to, or deleted), so no cached copy outlives its access."""
    read_cache.scopes_invalidate(event_scopes(event=event, organization=organization))


@handles(ANY, name="support.read_cache_invalidate", echoes=True)
def read_cache_invalidate(context: HandlerContext) -> None:
    read_cache_event_invalidate(event=context.event, organization=context.organization)


@handles(*SEARCH_INDEX_EVENTS, name="support.search_index_update", echoes=True)
def search_index_update(context: HandlerContext) -> None:
    if context.event.thread_id:
        search.search_index_refresh(thread_id=context.event.thread_id)
