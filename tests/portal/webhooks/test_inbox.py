"""The inbox: each event stored once and applied once, on the outbox's task; events of tenants
no organisation maps to ignored; the portal's own actions recognised as echoes; an older event
arriving later does not undo a newer one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plain_gateway.webhooks import EventActor
from portal.outbox import services as outbox
from portal.webhooks import services
from portal.webhooks.handlers import handler_register, handler_unregister
from portal.webhooks.models import InboxEvent
from tests.plain_gateway import webhook_bodies as bodies
from tests.portal.webhooks.conftest import MACHINE_USER_ID, Recorder

pytestmark = pytest.mark.django_db


def _sweep_later():
    """Run the retries that are due an hour from now (eager mode does not wait for them)."""
    return outbox.sweep(now=timezone.now() + timedelta(hours=1), only=[services.INBOX])


def test_an_event_is_applied_on_the_outbox_task_with_the_thread_and_organisation(
    post, recorder, acme, acme_thread
):
    data = bodies.chat_sent(thread_id=acme_thread.id)
    assert post(data).status_code == 200

    row = InboxEvent.objects.get()
    assert (row.status, row.outcome, row.attempts) == ("done", "applied", 1)
    assert row.organization == acme
    [context] = recorder.calls
    assert context.event.id == data["id"]
    assert context.organization == acme
    # The thread as Plain has it now, with its tenant (a webhook's thread carries none).
    assert context.thread is not None
    assert context.thread.id == acme_thread.id
    assert context.thread.tenant.external_id == "org-acme"


def test_the_same_event_twice_is_stored_once_and_applied_once(post, recorder, acme_thread):
    data = bodies.chat_sent(thread_id=acme_thread.id)
    first = post(data)
    # A redelivery: same event id, a fresh attempt.
    again = {
        **data,
        "webhookMetadata": {**data["webhookMetadata"], "webhookDeliveryAttemptNumber": 2},
    }
    second = post(again)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    row = InboxEvent.objects.get()
    assert row.received_count == 2
    assert row.attempt_number == 1  # the attempt that brought it first
    assert recorder.event_ids == [data["id"]]


def _ours(handled: list[str]) -> list[str]:
    return [name for name in handled if name.startswith("test.")]


def test_a_redelivery_after_a_handler_failure_applies_each_handler_once(
    only_test_handlers, post, recorder, acme_thread
):
    steady = Recorder()
    handler_register(event_types=["thread.chat_sent"], func=steady, name="test.steady")
    flaky = Recorder(fail_times=1)
    handler_register(event_types=["thread.chat_sent"], func=flaky, name="test.flaky")
    try:
        data = bodies.chat_sent(thread_id=acme_thread.id)
        assert post(data).status_code == 200
        row = InboxEvent.objects.get()
        assert (row.status, row.outcome) == ("pending", "received")
        assert "handler hiccup" in row.last_error
        # (The apps' own handlers, such as portal.activity's, run too; these are the test's.)
        assert _ours(row.handled) == ["test.recorder", "test.steady"]

        # Plain delivers it again meanwhile: still one row, not applied a second time.
        assert post(data).json()["duplicate"] is True
        assert _sweep_later() == 1

        row.refresh_from_db()
        assert (row.status, row.outcome, row.attempts) == ("done", "applied", 2)
        assert _ours(row.handled) == ["test.recorder", "test.steady", "test.flaky"]
        assert recorder.event_ids == steady.event_ids == flaky.event_ids == [data["id"]]
        assert _sweep_later() == 0
    finally:
        handler_unregister("test.steady")
        handler_unregister("test.flaky")


def test_an_older_event_arriving_second_does_not_undo_a_newer_one(post, acme_thread):
    state: dict[str, str] = {}

    def status_keep(context):
        if context.supersedes("status"):
            state[context.event.thread_id] = context.event.payload["thread"]["status"]

    handler_register(
        event_types=["thread.thread_status_transitioned"], func=status_keep, name="test.status"
    )
    try:
        at = bodies.now()
        newer = bodies.status_transitioned(status="DONE", thread_id=acme_thread.id, at=at)
        older = bodies.status_transitioned(
            status="TODO", previous="DONE", thread_id=acme_thread.id, at=at - timedelta(minutes=1)
        )
        post(newer)
        post(older)
        assert state == {acme_thread.id: "DONE"}
        assert set(InboxEvent.objects.values_list("outcome", flat=True)) == {"applied"}

        # A yet newer one still moves it on.
        newest = bodies.status_transitioned(
            status="TODO", previous="DONE", thread_id=acme_thread.id, at=at + timedelta(minutes=1)
        )
        post(newest)
        assert state == {acme_thread.id: "TODO"}
    finally:
        handler_unregister("test.status")


def test_a_handler_that_fails_does_not_move_the_watermark(post, acme_thread):
    seen: list[bool] = []
    attempts = iter([True, False])

    def guarded(context):
        seen.append(context.supersedes("unread"))
        if next(attempts):
            raise RuntimeError("after the mark")

    handler_register(event_types=["thread.chat_sent"], func=guarded, name="test.guarded")
    try:
        at = bodies.now()
        post(bodies.chat_sent(thread_id=acme_thread.id, at=at))
        _sweep_later()
        # The retry still sees its event as the newest: the failed attempt's mark rolled back.
        assert seen == [True, True]
    finally:
        handler_unregister("test.guarded")


def test_an_event_of_a_tenant_no_organisation_maps_to_is_recorded_and_ignored(
    post, recorder, stray_thread
):
    assert post(bodies.chat_sent(thread_id=stray_thread.id)).status_code == 200
    row = InboxEvent.objects.get()
    assert (row.status, row.outcome) == ("done", "ignored")
    assert "not-ours" in row.outcome_detail
    assert row.organization is None
    assert recorder.calls == []


def test_an_event_of_a_thread_plain_no_longer_has_is_ignored(post, recorder, db):
    assert post(bodies.chat_sent(thread_id=bodies.new_id("th"))).status_code == 200
    row = InboxEvent.objects.get()
    assert (row.outcome, row.outcome_detail) == ("ignored", "the thread no longer exists")
    assert recorder.calls == []


def test_the_portals_own_action_is_an_echo(post, recorder, settings, acme_thread):
    settings.PLAIN_MACHINE_USER_ID = MACHINE_USER_ID
    echoes = Recorder()
    handler_register(event_types=["thread.chat_sent"], func=echoes, name="test.echoes", echoes=True)
    try:
        ours = bodies.chat_sent(
            thread_id=acme_thread.id, by=bodies.machine_user_actor(MACHINE_USER_ID)
        )
        theirs = bodies.chat_sent(
            thread_id=acme_thread.id,
            by=bodies.machine_user_actor("machineUser_01J5Z7Q8W9X0Y1Z2A3B4C5D6E8"),
        )
        post(ours)
        post(theirs)
        outcomes = dict(InboxEvent.objects.values_list("event_id", "outcome"))
        assert outcomes == {ours["id"]: "echo", theirs["id"]: "applied"}
        # Only handlers that asked for echoes see them.
        assert recorder.event_ids == [theirs["id"]]
        assert echoes.event_ids == [ours["id"], theirs["id"]]
    finally:
        handler_unregister("test.echoes")


def test_echo_detection_compares_the_actor_with_the_machine_user_id(settings):
    machine = EventActor(type="machineUser", id=MACHINE_USER_ID)
    assert services.event_is_echo(actor=machine, machine_user_id=MACHINE_USER_ID)
    assert not services.event_is_echo(actor=machine, machine_user_id=None)
    assert not services.event_is_echo(actor=machine, machine_user_id="machineUser_other")
    assert not services.event_is_echo(
        actor=EventActor(type="user", id=MACHINE_USER_ID), machine_user_id=MACHINE_USER_ID
    )
    assert not services.event_is_echo(actor=None, machine_user_id=MACHINE_USER_ID)

    settings.PLAIN_MACHINE_USER_ID = ""
    services.machine_user_id_remember(MACHINE_USER_ID)
    assert services.machine_user_id() == MACHINE_USER_ID
    settings.PLAIN_MACHINE_USER_ID = "machineUser_configured"
    assert services.machine_user_id() == "machineUser_configured"


def test_a_customer_event_reaches_its_handlers_without_a_thread(post, recorder, db):
    data = bodies.customer_updated()
    post(data)
    row = InboxEvent.objects.get()
    assert (row.outcome, row.customer_id) == ("applied", data["payload"]["customer"]["id"])
    [context] = recorder.calls
    assert (context.thread, context.organization) == (None, None)
    assert context.supersedes("anything") is True


def test_an_event_no_handler_takes_is_applied_with_a_note(only_test_handlers, post, acme_thread):
    post(bodies.thread_created(thread_id=acme_thread.id))
    row = InboxEvent.objects.get()
    assert (row.outcome, row.outcome_detail) == ("applied", "no handler for this event type")


def test_receiving_never_calls_plain(client, emulator_control, django_capture_on_commit_callbacks):
    from tests.plain_gateway.webhook_bodies import encode, signed_headers

    emulator_control.clear_requests()
    raw = encode(bodies.chat_sent())
    # Without running the on-commit task: the request itself only stores.
    response = client.post(
        "/plain/webhooks/", data=raw, content_type="application/json", headers=signed_headers(raw)
    )
    assert response.status_code == 200
    assert emulator_control.requests() == []
    assert InboxEvent.objects.get().status == "pending"
