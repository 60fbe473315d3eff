"""The outbox's Celery tasks: one delivers a row of any kind, one sweeps. Thin: ids in.

Delivery is idempotent (a claim wins once; a row that is not claimable is skipped), hence
acks_late with reject_on_worker_lost: a task whose worker dies is delivered again rather than
lost. Retry delays (services.RETRY_MAX_SECONDS) and time limits stay below the broker's
visibility timeout.
"""

from __future__ import annotations

from celery import shared_task

from portal.outbox import services
from portal.outbox.registry import kind_get

_COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(bind=True, name="outbox.deliver", max_retries=None, **_COMMON)
def deliver(self, kind: str, row_id: int) -> str:
    """Deliver one row (with its group); on a retriable failure, try again when it is due."""
    # The task's id owns the lease: should its worker die, the broker's redelivery of this
    # same task takes the rows back at once instead of waiting for the lease to end.
    outcome = services.deliver(kind=kind_get(kind), row_id=row_id, owner=self.request.id or "")
    if outcome.retry_in is not None and not self.request.is_eager:
        # Eager mode (the tests) does not wait in-process: the row stays pending with its due
        # time, for the sweep.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="outbox.sweep", **_COMMON)
def sweep() -> int:
    """Periodic: prune delivered rows, enqueue every kind's due rows. Returns how many."""
    services.prune()
    return services.sweep()
