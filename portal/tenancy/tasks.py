"""Celery tasks for tenant sync. Thin: they take ids and call a service.

The outbox rows themselves are delivered by the outbox's task (portal/outbox/tasks.py). This one
is idempotent (it reads the current database state), hence acks_late with reject_on_worker_lost.
"""

from __future__ import annotations

from celery import shared_task

from portal.tenancy import services
from portal.tenancy.models import Organization

_COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


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
