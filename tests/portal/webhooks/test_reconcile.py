"""Missed events: the reconciliation records the thread changes no webhook told of; the task is
on beat; the admin lists the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from portal.celery import app
from portal.outbox.registry import kind_get
from portal.webhooks import services, tasks
from portal.webhooks.handlers import RECONCILED
from portal.webhooks.models import InboxCursor, InboxEvent
from tests.plain_gateway import webhook_bodies as bodies

pytestmark = pytest.mark.django_db


def test_a_changed_thread_no_webhook_covered_is_recorded_once(
    acme_thread, stray_thread, recorder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.inbox_reconcile() == 1
    row = InboxEvent.objects.get()
    assert (row.source, row.event_type, row.thread_id) == ("reconciled", RECONCILED, acme_thread.id)
    assert row.event_timestamp == acme_thread.updated_at
    # Applied like any event: routed through the thread's tenant to its handlers.
    assert (row.status, row.outcome) == ("done", "applied")
    [context] = recorder.calls
    assert context.thread.id == acme_thread.id

    # A second run (the cursor moved on, or the same window again) adds nothing.
    assert services.inbox_reconcile() == 0
    InboxCursor.objects.all().delete()
    assert services.inbox_reconcile() == 0
    assert InboxEvent.objects.count() == 1


def test_a_thread_a_webhook_already_told_of_is_not_recorded_again(post, acme_thread):
    # The event is as recent as the thread's last change. Not the wall clock: the emulator's clock
    # is strictly increasing per write, so after a burst of writes it runs a few ms ahead of it.
    post(bodies.chat_sent(thread_id=acme_thread.id, at=acme_thread.updated_at))
    assert services.inbox_reconcile() == 0
    assert list(InboxEvent.objects.values_list("source", flat=True)) == ["webhook"]


def test_a_change_after_the_last_event_seen_is_recorded(post, plain, acme_thread):
    post(bodies.chat_sent(thread_id=acme_thread.id, at=bodies.now() - timedelta(minutes=30)))
    # The thread changed in Plain after that event, and its webhook was lost.
    plain.mark_thread_as_done(thread_id=acme_thread.id)
    assert services.inbox_reconcile() == 1
    assert InboxEvent.objects.filter(source="reconciled", thread_id=acme_thread.id).exists()


def test_changes_before_the_last_run_are_not_looked_at_again(acme_thread):
    InboxCursor.objects.create(name="reconcile", at=timezone.now() + timedelta(minutes=10))
    assert services.inbox_reconcile() == 0


def test_thread_changes_since_reads_only_the_tenants_asked_for(plain, acme_thread, stray_thread):
    since = timezone.now() - timedelta(hours=1)
    found = services.thread_changes_since(
        client=plain, tenant_external_ids=["org-acme"], since=since
    )
    assert [thread.id for thread in found] == [acme_thread.id]
    assert services.thread_changes_since(client=plain, tenant_external_ids=[], since=since) == []
    later = timezone.now() + timedelta(minutes=1)
    assert (
        services.thread_changes_since(client=plain, tenant_external_ids=["org-acme"], since=later)
        == []
    )


def test_the_reconciliation_is_on_beat_and_the_inbox_is_an_outbox_kind():
    schedule = settings.CELERY_BEAT_SCHEDULE["webhooks-reconcile"]
    assert schedule["task"] == tasks.inbox_reconcile.name
    assert tasks.inbox_reconcile.name in app.tasks
    assert tasks.inbox_reconcile.acks_late is True
    assert kind_get("webhooks.inbox").model is InboxEvent


def test_the_admin_lists_the_inbox_with_its_filters(staff_client, post, acme_thread, stray_thread):
    post(bodies.chat_sent(thread_id=acme_thread.id))
    post(bodies.chat_sent(thread_id=stray_thread.id))
    url = reverse("admin:webhooks_inboxevent_changelist")

    page = staff_client.get(url)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 2
    ignored = staff_client.get(url, {"outcome__exact": "ignored"})
    assert [row.thread_id for row in ignored.context["cl"].result_list] == [stray_thread.id]
    chats = staff_client.get(url, {"event_type__exact": "thread.chat_sent"})
    assert chats.context["cl"].result_count == 2
    created = staff_client.get(url, {"event_type__exact": "thread.thread_created"})
    assert created.context["cl"].result_count == 0
    failed = staff_client.get(url, {"status__exact": "failed"})
    assert failed.context["cl"].result_count == 0


def test_the_admin_shows_a_failed_row_with_its_error(staff_client, post, acme_thread):
    post(bodies.chat_sent(thread_id=acme_thread.id))
    InboxEvent.objects.update(status="failed", last_error="RuntimeError: handler broke")
    page = staff_client.get(
        reverse("admin:webhooks_inboxevent_changelist"), {"status__exact": "failed"}
    )
    assert page.context["cl"].result_count == 1
    assert b"RuntimeError: handler broke" in page.content
    model_admin = admin.site._registry[InboxEvent]
    assert model_admin.state(InboxEvent.objects.get()) == "failed"
    InboxEvent.objects.update(status="done", outcome="ignored", outcome_detail="no organisation")
    assert model_admin.state(InboxEvent.objects.get()) == "Ignored: no organisation"


def test_refetching_an_event_plain_does_not_know_says_so_and_changes_nothing(
    staff_client, post, acme_thread
):
    post(bodies.chat_sent(thread_id=acme_thread.id))
    row = InboxEvent.objects.get()
    before = (row.status, row.outcome, row.payload)
    response = staff_client.post(
        reverse("admin:webhooks_inboxevent_changelist"),
        {"action": "refetch_body", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["0 events re-fetched from Plain.", f"Plain has no event {row.event_id}."]
    row.refresh_from_db()
    assert (row.status, row.outcome, row.payload) == before
