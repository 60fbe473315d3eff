"""The Celery settings the sync relies on, checked against each other."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app
from portal.tenancy import services, tasks


def test_time_limits_and_retry_delays_stay_below_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    # A task waiting for its retry (countdown) is held unacknowledged by a worker, and a running
    # task is unacknowledged until it ends (acks_late): either outliving the visibility timeout
    # would make Redis hand it to a second worker.
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    longest_hold = settings.CELERY_TASK_TIME_LIMIT + services.RETRY_MAX_SECONDS
    assert longest_hold < visibility
    assert services.retry_delay(attempts=100, retry_after=10 * visibility) < visibility
    assert app.conf.broker_transport_options["visibility_timeout"] == visibility


def test_sync_tasks_ack_late_and_are_redelivered_when_a_worker_dies():
    for task in (tasks.sync_event_process, tasks.sync_events_sweep, tasks.tenants_reconcile):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_the_beat_schedule_names_registered_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    names = {entry["task"] for entry in schedule.values()}
    assert {"tenancy.sync_events_sweep", "tenancy.tenants_reconcile"} <= names
    assert {name for name in names if name.startswith("tenancy.")} <= set(app.tasks)
    sweep = schedule["tenancy-sweep-outbox"]["schedule"]
    # The sweep runs well within the shortest retry delay's order of magnitude.
    assert sweep <= 120
