"""Celery tasks for tenant and membership sync. Thin: they take ids and call a service.

All are idempotent (the services read the current database state), hence acks_late with
reject_on_worker_lost: a task whose worker dies is delivered again rather than lost. Retry delays
(services.RETRY_MAX_SECONDS) and time limits stay below the broker's visibility timeout, so
Redis never hands a task still running, or still waiting for its retry, to a second worker.
"""

from __future__ import annotations

from celery import shared_task

from portal.tenancy import services
from portal.tenancy.models import Organization

_COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(bind=True, name="tenancy.sync_event_process", max_retries=None, **_COMMON)
def sync_event_process(self, event_id: int) -> str:  # type: ignore[no-untyped-def]
    """Deliver one outbox row (and the other pending rows of its subject)."""
    outcome = services.sync_event_process(event_id=event_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # Eager mode (no broker) does not wait in-process: the row stays pending with its due
        # time, for the sweep or `sync_tenants`.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="tenancy.sync_events_sweep", **_COMMON)
def sync_events_sweep() -> int:
    """Periodic: enqueue pending rows whose retry is due or whose task died mid-way, and prune
    delivered rows older than a month."""
    services.sync_events_prune()
    return services.sync_events_sweep()


@shared_task(name="tenancy.tenants_reconcile", **_COMMON)
def tenants_reconcile(organization_id: int | None = None) -> int:
    """Periodic: repair drift between Plain's memberships and the database (through the outbox).

    Returns the number of drifted customers found.
    """
    organization = None
    if organization_id is not None:
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            return 0
    report = services.tenants_reconcile(organization=organization, apply=True, inline=False)
    return len(report.drift)
