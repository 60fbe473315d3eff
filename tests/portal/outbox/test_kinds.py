"""Adding a kind is a handler and a registration: a throwaway kind, through the real machinery
(rows, the Celery task, backoff, the sweep, staff's retry action, pruning)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.outbox import services, tasks
from portal.outbox.models import OutboxMessage
from portal.outbox.registry import Kind, Permanent, kind_get, register, unregister
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Flaky(Exception):
    retriable = True
    retry_after = 42.0


@pytest.fixture
def echo():
    """A kind whose handler records what it delivered; `failures` makes the next calls fail."""
    delivered: list[list[str]] = []
    failures: list[BaseException] = []

    def handler(attempt):
        if failures:
            raise failures.pop(0)
        delivered.append([row.payload["text"] for row in attempt.rows])
        return len(attempt.rows)

    kind = register(Kind(name="tests.echo", handler=handler))
    yield kind, delivered, failures
    unregister(kind.name)


def _make_due(**filters) -> None:
    OutboxMessage.objects.filter(**filters).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_registered_kind_is_delivered_by_the_outbox_task_on_commit(
    echo, django_capture_on_commit_callbacks
):
    kind, delivered, _ = echo

    with django_capture_on_commit_callbacks(execute=True):
        row = services.row_create(of=kind, payload={"text": "hello"})

    row.refresh_from_db()
    assert (row.kind, row.status, row.attempts, row.done_at is not None) == (
        "tests.echo",
        "done",
        1,
        True,
    )
    assert delivered == [["hello"]]
    # Delivered once, however often its task comes again.
    assert tasks.deliver.delay("tests.echo", row.pk).get() == "skipped"
    assert delivered == [["hello"]]


def test_rows_of_one_group_go_together_and_in_order(echo):
    kind, delivered, _ = echo
    rows = [
        services.row_create(of=kind, enqueue=False, group_key="g", payload={"text": text})
        for text in ("a", "b", "c")
    ]
    other = services.row_create(of=kind, enqueue=False, group_key="h", payload={"text": "x"})

    assert services.deliver(kind=kind, row_id=rows[1].pk).status == "done"

    assert delivered == [["a", "b", "c"]]
    other.refresh_from_db()
    assert other.status == "pending"


def test_a_retriable_failure_backs_off_honours_retry_after_then_the_sweep_delivers(echo):
    kind, delivered, failures = echo
    row = services.row_create(of=kind, enqueue=False, payload={"text": "later"})
    failures.append(Flaky("Plain is busy"))
    before = timezone.now()

    outcome = services.deliver(kind=kind, row_id=row.pk)

    assert outcome.status == "pending" and outcome.retry_in >= 42
    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease_until) == ("pending", 1, None)
    assert row.next_attempt_at >= before + timedelta(seconds=42)
    assert "Flaky: Plain is busy" in row.last_error
    assert services.sweep(only=[kind]) == 0  # not due yet
    assert services.deliver(kind=kind, row_id=row.pk).status == "skipped"

    _make_due(pk=row.pk)
    assert services.sweep(only=[kind]) == 1  # eager: the task runs now

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("done", 2, "")
    assert delivered == [["later"]]


def test_a_permanent_failure_fails_the_row_and_staff_retry_reopens_exactly_it(
    echo, client, django_capture_on_commit_callbacks
):
    kind, delivered, failures = echo
    failed = services.row_create(of=kind, enqueue=False, payload={"text": "refused"})
    done = services.row_create(of=kind, enqueue=False, payload={"text": "fine"})
    failures.append(Permanent("no such recipient"))
    assert services.deliver(kind=kind, row_id=failed.pk).status == "failed"
    assert services.deliver(kind=kind, row_id=done.pk).status == "done"
    failed.refresh_from_db()
    assert (failed.status, failed.last_error) == ("failed", "no such recipient")
    client.force_login(UserFactory(email="staff@portal.test", is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:outbox_outboxmessage_changelist"),
            {"action": "retry", "_selected_action": [failed.pk, done.pk]},
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    done.refresh_from_db()
    # Reopened with its attempts reset, and delivered by the task requeued for it alone.
    assert (failed.status, failed.attempts) == ("done", 1)
    assert (done.status, done.attempts) == ("done", 1)
    assert delivered == [["fine"], ["refused"]]


def test_retriable_failures_are_given_up_after_max_attempts_or_days(echo):
    kind, _, failures = echo
    young = services.row_create(of=kind, enqueue=False, payload={"text": "many"})
    old = services.row_create(of=kind, enqueue=False, payload={"text": "old"})
    OutboxMessage.objects.filter(pk=young.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    OutboxMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - services.GIVE_UP_AFTER - timedelta(minutes=1)
    )
    _make_due()
    failures.extend([Flaky("down"), Flaky("down")])

    for row in (young, old):
        assert services.deliver(kind=kind, row_id=row.pk).status == "failed"
        row.refresh_from_db()
        assert row.last_error.startswith("gave up after ")


def test_a_crashed_workers_rows_come_back_once_their_lease_ends(echo):
    kind, delivered, failures = echo
    row = services.row_create(of=kind, enqueue=False, payload={"text": "again"})

    class Killed(BaseException):
        """Stands in for SIGKILL: nothing after it runs."""

    failures.append(Killed())
    with pytest.raises(Killed):
        services.deliver(kind=kind, row_id=row.pk)
    row.refresh_from_db()
    assert row.status == "pending" and row.lease_until > timezone.now()
    assert services.deliver(kind=kind, row_id=row.pk).status == "skipped"  # leased
    assert services.sweep(only=[kind]) == 0

    assert services.sweep(only=[kind], now=row.lease_until + timedelta(seconds=1)) == 1

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("done", 2)
    assert delivered == [["again"]]


def test_the_brokers_redelivery_of_a_killed_task_takes_its_rows_back_at_once(echo):
    kind, delivered, failures = echo
    row = services.row_create(of=kind, enqueue=False, payload={"text": "mine"})

    class Killed(BaseException):
        pass

    failures.append(Killed())
    with pytest.raises(Killed):
        services.deliver(kind=kind, row_id=row.pk, owner="task-1")

    # Another task (a duplicate, the sweep's) waits for the lease; task-1 itself does not.
    assert services.deliver(kind=kind, row_id=row.pk, owner="task-2").status == "skipped"
    assert services.deliver(kind=kind, row_id=row.pk, owner="task-1").status == "done"
    assert delivered == [["mine"]]


def test_pruning_deletes_only_old_delivered_rows(echo):
    kind, _, failures = echo
    rows = [services.row_create(of=kind, enqueue=False, payload={"text": t}) for t in "ab"]
    failures.append(Permanent("no"))
    services.deliver(kind=kind, row_id=rows[0].pk)
    services.deliver(kind=kind, row_id=rows[1].pk)
    OutboxMessage.objects.update(done_at=timezone.now() - timedelta(days=31))

    assert services.prune(only=[kind]) == 1
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["failed"]


def test_an_unknown_kind_is_refused_loudly():
    with pytest.raises(LookupError):
        kind_get("tests.nobody")
