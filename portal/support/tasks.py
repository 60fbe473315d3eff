"""Celery tasks delivering customers' saved requests and replies. Thin: ids in, a service call.

Both are idempotent (a delivery claims its row first, and a row that is not pending or not due is
skipped), hence acks_late with reject_on_worker_lost: a task whose worker dies is delivered again
rather than lost. Retry delays (services.RETRY_MAX_SECONDS, RATE_LIMIT_MAX_WAIT_SECONDS) and time
limits stay below the broker's visibility timeout.
"""

from __future__ import annotations

from celery import shared_task

from portal.support import services

_COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(bind=True, name="support.submission_deliver", max_retries=None, **_COMMON)
def submission_deliver(self, submission_id: int) -> str:  # type: ignore[no-untyped-def]
    """Deliver one saved submission; on a retriable failure, try again when it is due."""
    outcome = services.submission_deliver(submission_id=submission_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # Eager mode (no broker) does not wait in-process: the row stays pending with its due
        # time, for the sweep or the user's next page view.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="support.submissions_sweep", **_COMMON)
def submissions_sweep() -> int:
    """Periodic: enqueue pending rows whose retry is due or whose attempt died mid-way, and prune
    rows delivered more than a month ago."""
    services.submissions_prune()
    return services.submissions_sweep()
