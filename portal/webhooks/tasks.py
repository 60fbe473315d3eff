"""The inbox's periodic task. Thin: it calls a service. Inbox rows themselves are applied by
the outbox's task (portal/outbox/tasks.py, kind "webhooks.inbox")."""

from __future__ import annotations

from celery import shared_task

from portal.webhooks import services

_COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="webhooks.inbox_reconcile", **_COMMON)
def inbox_reconcile() -> int:
    """Periodic: record the thread changes no webhook told us of. Returns how many."""
    return services.inbox_reconcile()
