"""The Celery settings the outbox relies on, checked against each other for every kind."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app
from portal.outbox import services, tasks
from portal.outbox.registry import kinds
from portal.tenancy import tasks as tenancy_tasks


def test_every_kind_is_registered_and_delivered_by_the_outbox_task():
    names = {kind.name for kind in kinds()}
    assert {"support.submission", "tenancy.sync"} <= names
    assert tasks.deliver.name in app.tasks


def test_time_limits_and_retry_delays_stay_below_the_visibility_timeout_for_every_kind():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert app.conf.broker_transport_options["visibility_timeout"] == visibility
    # A task waiting for its retry (countdown) is held unacknowledged by a worker, and a running
    # task is unacknowledged until it ends (acks_late): either outliving the visibility timeout
    # would make Redis hand it to a second worker.
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    for kind in kinds():
        # Every kind's rows are delivered by the one task, with the one backoff and lease.
        longest_hold = settings.CELERY_TASK_TIME_LIMIT + services.RETRY_MAX_SECONDS
        assert longest_hold < visibility, kind.name
        assert services.lease().total_seconds() < visibility, kind.name
        assert services.retry_delay(attempts=100, retry_after=10 * visibility) < visibility


def test_tasks_ack_late_and_are_redelivered_when_a_worker_dies():
    for task in (tasks.deliver, tasks.sweep, tenancy_tasks.tenants_reconcile):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_the_beat_schedule_names_registered_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    names = {entry["task"] for entry in schedule.values()}
    assert {"outbox.sweep", "tenancy.tenants_reconcile"} <= names
    # What a worker does at start (autodiscovery is lazy): without it the test depended on
    # other tests having imported every app's tasks module first.
    app.loader.import_default_modules()
    assert names <= set(app.tasks)
    # The sweep runs well within the shortest retry delay's order of magnitude.
    assert schedule["outbox-sweep"]["schedule"] <= 120
