"""The outbox's rules, once for every kind (portal/outbox/registry.py registers the kinds).

1. A row is written in the transaction of the change it reports (`row_create`, or a kind's own
   code creating its model's rows) and a task is enqueued for it on commit (`enqueue_on_commit`).
   It is due HANDOFF_SECONDS later, so the sweep leaves it to that task meanwhile.
2. `deliver` claims the row (and the pending rows of its group), then runs the kind's handler.
   A claim increments `attempts` and leases the rows for the task's hard time limit before the
   handler runs: under concurrent workers exactly one claim wins, through
   `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and, on SQLite, through the write lock the
   settings' IMMEDIATE transactions take at BEGIN (the re-checked conditional UPDATE cannot
   interleave). A row is claimable while pending and not leased, and, the row asked for, when
   due (never tried, or its retry's time has come).
3. Outcomes: the handler returns (done); raises `Permanent` (failed); raises an error the kind
   calls retriable (pending, retried after `retry_delay`: capped exponential backoff with
   jitter, never before a retry-after Plain gave) until the give-up rule fails it (MAX_ATTEMPTS
   attempts, or GIVE_UP_AFTER since it was written); raises any other error (failed).
4. `sweep` (beat, every minute) enqueues every kind's pending rows that are due and not leased:
   rows whose task was lost, whose retry is due, or whose worker died mid-way (lease over).
   Enqueuing a row twice is harmless: only one claim wins. `prune` deletes delivered rows after
   PRUNE_DONE_AFTER. `retry` (staff) reopens failed rows, resets their attempts and requeues
   exactly the rows it reopened.

Every delay and the lease stay below the broker's visibility timeout
(tests/portal/outbox/test_settings.py checks it for every registered kind).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from portal.outbox.models import OutboxMessage, OutboxRow
from portal.outbox.registry import Attempt, Kind, Permanent, kinds

__all__ = [
    "GIVE_UP_AFTER",
    "MAX_ATTEMPTS",
    "RETRY_BASE_SECONDS",
    "RETRY_MAX_SECONDS",
    "Outcome",
    "attempt",
    "claim",
    "deliver",
    "enqueue",
    "enqueue_on_commit",
    "prune",
    "reopen",
    "requeue_on_commit",
    "retry",
    "retry_delay",
    "row_create",
    "sweep",
]

logger = logging.getLogger(__name__)

# --- the knobs: every delay and the lease stay below the broker's visibility timeout ----------
RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 600.0
# The give-up rule: a row still failing for retriable reasons after this many attempts, or this
# long after it was written, is failed (staff see it and may retry it).
MAX_ATTEMPTS = 450  # about three days of attempts at RETRY_MAX_SECONDS
GIVE_UP_AFTER = timedelta(days=3)
# A row just written is left this long to the task enqueued for it before the sweep takes it.
HANDOFF_SECONDS = 60.0
# A task may claim a row this early (its countdown and our clock may disagree a little).
CLAIM_SLACK = timedelta(seconds=2)
SWEEP_LIMIT = 500
# Delivered rows are kept this long, for staff.
PRUNE_DONE_AFTER = timedelta(days=30)

PENDING, DONE, FAILED = OutboxRow.Status.PENDING, OutboxRow.Status.DONE, OutboxRow.Status.FAILED


def lease() -> timedelta:
    """How long an attempt under way holds its rows: the task's hard time limit."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def retry_delay(*, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before attempt `attempts + 1`: capped exponential backoff with jitter, never
    shorter than the wait Plain asked for, never longer than RETRY_MAX_SECONDS."""
    # A setting may shorten the base (the integration tests' workers do); never the cap.
    base = float(getattr(settings, "OUTBOX_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS))
    delay = min(RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    delay *= 1 + random.uniform(0, 0.2)  # noqa: S311 - spreading retries, not cryptography
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, RETRY_MAX_SECONDS)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt went. `retry_in` is set when the rows stay pending for a retry;
    `exception` is what the handler raised; `result` what it returned; `notes` its notes."""

    status: str  # "done", "pending", "failed" or "skipped" (not claimable: not pending or due)
    retry_in: float | None = None
    error: str = ""
    result: Any = None
    exception: BaseException | None = None
    notes: dict[str, Any] = field(default_factory=dict)


# === writing rows ===============================================================================


def row_create(*, of: Kind, enqueue: bool = True, **fields: Any) -> Any:
    """Write a row of the kind `of` (its model's fields as keyword arguments), due for the
    sweep after HANDOFF_SECONDS, and enqueue its task on commit (unless `enqueue` is False)."""
    if of.model is OutboxMessage:
        fields["kind"] = of.name
    row = of.model._default_manager.create(
        next_attempt_at=timezone.now() + timedelta(seconds=HANDOFF_SECONDS), **fields
    )
    if enqueue:
        enqueue_on_commit(kind=of, row_ids=[row.pk])
    return row


def enqueue_on_commit(
    *, kind: Kind, row_ids: Iterable[int], countdown: float | None = None
) -> None:
    """Enqueue one delivery task per row once the current transaction commits."""
    for row_id in row_ids:
        transaction.on_commit(partial(enqueue, kind=kind, row_id=row_id, countdown=countdown))


def enqueue(*, kind: Kind, row_id: int, countdown: float | None = None) -> None:
    from portal.outbox import tasks  # tasks imports this module

    try:
        tasks.deliver.apply_async(args=[kind.name, row_id], countdown=countdown)
    except Exception:
        # Broker down, or (eager mode) the task itself blew up: the row is durable and the sweep
        # enqueues it again. The request that wrote it must not fail because of it.
        logger.exception("Could not run or enqueue outbox row %s #%s", kind.name, row_id)


# === claiming and delivering ===================================================================


def _unleased(now: datetime, owner: str = "") -> Q:
    free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    # The holder itself, redelivered by the broker after its worker died, takes its rows back.
    return free | Q(lease_owner=owner) if owner else free


def _due(now: datetime) -> Q:
    return Q(attempts=0) | Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _claimable(now: datetime, owner: str) -> Q:
    """The row asked for: unleased and due, or leased to this very task (redelivered)."""
    mine = Q(lease_owner=owner, lease_until__gt=now) if owner else Q(pk__in=[])
    return (_unleased(now) & _due(now + CLAIM_SLACK)) | mine


def _locking(queryset: QuerySet[Any]) -> QuerySet[Any]:
    connection = connections[router.db_for_write(queryset.model)]
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    # SQLite: the transaction's IMMEDIATE BEGIN already holds the database's write lock.
    return queryset


def claim(*, kind: Kind, row_id: int, owner: str = "", now: datetime | None = None) -> list[Any]:
    """Claim the row, and the pending unleased rows of its group, for one attempt by `owner`
    (a Celery task id; rows leased by that same owner count as unleased).

    Returns them in id order (empty when the row is not claimable): their attempts counted,
    leased to `owner` until the task's time limit ends.
    """
    now = now or timezone.now()
    rows = kind.rows()
    with transaction.atomic(using=router.db_for_write(kind.model)):
        primary = (
            _locking(rows.filter(pk=row_id, status=PENDING)).filter(_claimable(now, owner)).first()
        )
        if primary is None:
            return []
        ids = [primary.pk]
        field = kind.group_field
        group = getattr(primary, field) if field else None
        if field and group not in (None, ""):  # an empty group is no group: the row goes alone
            ids += list(
                _locking(
                    rows.filter(status=PENDING, **{field: group})
                    .filter(_unleased(now, owner))
                    .exclude(pk=primary.pk)
                    .order_by("pk")
                ).values_list("pk", flat=True)[: kind.batch_size - 1]
            )
        until = now + lease()
        rows.filter(pk__in=ids, status=PENDING).filter(_unleased(now, owner)).update(
            attempts=F("attempts") + 1,
            lease_until=until,
            lease_owner=owner,
            next_attempt_at=until,
            updated_at=now,
        )
        return list(rows.filter(pk__in=ids).order_by("pk"))


def deliver(*, kind: Kind, row_id: int, owner: str = "") -> Outcome:
    """Claim and deliver the row (with its group). Idempotent: "skipped" when not claimable."""
    claimed = claim(kind=kind, row_id=row_id, owner=owner)
    if not claimed:
        return Outcome("skipped")
    return attempt(kind=kind, rows=claimed, row_id=row_id)


def attempt(*, kind: Kind, rows: Sequence[Any], row_id: int) -> Outcome:
    """Run the handler on claimed `rows` (`row_id` the row asked for) and record how it went."""
    current = Attempt(kind=kind, rows=rows, row_id=row_id)
    ids = [row.pk for row in rows]
    try:
        result = kind.handler(current)
    except Permanent as error:
        return _fail(kind, ids, str(error), error, current.notes)
    except Exception as error:
        if not hasattr(error, "retriable"):
            # Not Plain's doing (storage, database, a bug): retried like any hiccup, loudly.
            logger.exception("Outbox row %s #%s failed unexpectedly", kind.name, row_id)
        return _retry_or_give_up(kind, current, ids, error)
    now = timezone.now()
    with transaction.atomic(using=router.db_for_write(kind.model)):
        kind.rows().filter(pk__in=ids, status=PENDING).update(
            status=DONE,
            done_at=now,
            next_attempt_at=None,
            lease_until=None,
            lease_owner="",
            last_error="",
            updated_at=now,
        )
        if kind.on_done is not None:
            kind.on_done(current)
    return Outcome("done", result=result, notes=current.notes)


def _retry_or_give_up(kind: Kind, current: Attempt, ids: list[int], error: Exception) -> Outcome:
    message = describe(error)
    if not kind.retriable(error):
        return _fail(kind, ids, message, error, current.notes)
    now = timezone.now()
    row = current.row
    if row.attempts >= MAX_ATTEMPTS or now - row.created_at > GIVE_UP_AFTER:
        return _fail(
            kind, ids, f"gave up after {row.attempts} attempts: {message}", error, current.notes
        )
    delay = retry_delay(attempts=row.attempts, retry_after=getattr(error, "retry_after", None))
    kind.rows().filter(pk__in=ids, status=PENDING).update(
        last_error=message,
        next_attempt_at=now + timedelta(seconds=delay),
        lease_until=None,
        lease_owner="",
        updated_at=now,
    )
    logger.warning(
        "Outbox rows %s %s stay pending; next attempt in %.0fs: %s", kind.name, ids, delay, message
    )
    return Outcome("pending", retry_in=delay, error=message, exception=error, notes=current.notes)


def _fail(
    kind: Kind, ids: list[int], message: str, error: BaseException, notes: dict[str, Any]
) -> Outcome:
    now = timezone.now()
    kind.rows().filter(pk__in=ids, status=PENDING).update(
        status=FAILED,
        last_error=message[:2000],
        next_attempt_at=None,
        lease_until=None,
        lease_owner="",
        done_at=now,
        updated_at=now,
    )
    logger.error("Outbox rows %s %s failed: %s", kind.name, ids, message)
    return Outcome("failed", error=message[:2000], exception=error, notes=notes)


def describe(error: BaseException) -> str:
    """The error as stored and logged. PlainError's str() carries operation, status, code and
    request id, and never the API key."""
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:2000]


# === the sweep, pruning, staff's retry ==========================================================


def _first_of_each_group(
    rows: Iterable[tuple[int, object]], *, limit: int | None = None
) -> list[int]:
    """The id of the first row of each group, in order, at most `limit` of them (a row with no
    group is a group of its own)."""
    seen: set[object] = set()
    chosen: list[int] = []
    for pk, group in rows:
        key = group if group not in (None, "") else ("#", pk)
        if key not in seen:
            seen.add(key)
            chosen.append(pk)
            if limit is not None and len(chosen) >= limit:
                break
    return chosen


def _group_pairs(kind: Kind, rows: QuerySet[Any]) -> QuerySet[Any]:
    """(id, group) of `rows`, in id order; a kind without groups gives each row its own."""
    if kind.group_field:
        return rows.order_by("pk").values_list("pk", kind.group_field)
    return rows.order_by("pk").values_list("pk", "pk")


def sweep(
    *, now: datetime | None = None, limit: int = SWEEP_LIMIT, only: Sequence[Kind] | None = None
) -> int:
    """Enqueue each kind's due, unleased pending rows (one per group). Returns how many.

    The sweep is the clock's authority: rows it finds due at `now` (a lease run out, a retry
    time passed) are released (lease cleared, due now) before their task is enqueued, so the
    task's claim agrees with it.
    """
    real_now = timezone.now()
    now = now or real_now
    count = 0
    for kind in kinds() if only is None else only:
        due = (
            kind.rows()
            .filter(status=PENDING)
            .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
            .filter(_unleased(now))
        )
        found = list(_group_pairs(kind, due)[: limit * 5])
        chosen = _first_of_each_group(found, limit=limit)
        due.filter(pk__in=[pk for pk, _ in found]).update(
            lease_until=None, lease_owner="", next_attempt_at=real_now
        )
        for row_id in chosen:
            enqueue(kind=kind, row_id=row_id)
        count += len(chosen)
    return count


def prune(*, older_than: timedelta = PRUNE_DONE_AFTER, only: Sequence[Kind] | None = None) -> int:
    """Delete delivered rows done longer ago than `older_than` (pending and failed rows stay)."""
    cutoff = timezone.now() - older_than
    deleted = 0
    for kind in kinds() if only is None else only:
        count, _ = kind.rows().filter(status=DONE, done_at__lt=cutoff).delete()
        deleted += count
    return deleted


def reopen(*, kind: Kind, rows: QuerySet[Any]) -> list[int]:
    """Make the failed ones among `rows` pending again, attempts reset, due now; their ids."""
    reopened = list(rows.filter(status=FAILED).values_list("pk", flat=True))
    now = timezone.now()
    kind.rows().filter(pk__in=reopened, status=FAILED).update(
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        lease_owner="",
        done_at=None,
        updated_at=now,
    )
    return reopened


def requeue_on_commit(*, kind: Kind, rows: QuerySet[Any]) -> None:
    """Enqueue, on commit, one task per group among the pending ones of `rows` (a task takes
    every pending row of its group)."""
    enqueue_on_commit(
        kind=kind, row_ids=_first_of_each_group(_group_pairs(kind, rows.filter(status=PENDING)))
    )


def retry(*, kind: Kind, row_ids: Sequence[int]) -> int:
    """Staff's retry: reopen the failed rows among `row_ids` and requeue exactly those.

    Rows that were not failed are left alone. Returns how many rows were reopened.
    """
    with transaction.atomic(using=router.db_for_write(kind.model)):
        reopened = reopen(kind=kind, rows=kind.rows().filter(pk__in=row_ids))
        requeue_on_commit(kind=kind, rows=kind.rows().filter(pk__in=reopened))
    return len(reopened)
