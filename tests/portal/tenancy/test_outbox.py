"""The outbox's delivery rules: replays converge, failures retry or fail loudly, the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.outbox import services as outbox
from portal.outbox import tasks as outbox_tasks
from portal.plain import get_plain_client
from portal.tenancy import services
from portal.tenancy.models import Membership, Organization, RetiredTenant, SyncEvent
from tests.factories import UserFactory
from tests.portal.tenancy.conftest import plain_memberships, tenants_of, writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(sync):
    with sync():
        return services.organization_create(name="Acme", slug="acme")


@pytest.fixture
def alice(acme, sync):
    user = UserFactory(email="alice@acme.test")
    with sync():
        services.membership_add(user=user, organization=acme)
    user.refresh_from_db()
    return user


def _replay(event_ids):
    """Deliver rows again as if their tasks ran late or twice."""
    SyncEvent.objects.filter(pk__in=event_ids).update(status="pending")
    for event_id in event_ids:
        services.sync_event_process(event_id=event_id)


def test_a_task_for_a_delivered_row_does_nothing(alice, emulator_control):
    row = SyncEvent.objects.get(user=alice)
    emulator_control.clear_requests()

    assert services.sync_event_process(event_id=row.pk).status == "skipped"
    assert outbox_tasks.deliver.delay("tenancy.sync", row.pk).get() == "skipped"
    assert services.sync_event_process(event_id=987654).status == "skipped"
    assert writes(emulator_control) == {}


def test_replayed_rows_in_any_order_converge_on_the_database(alice, acme, plain):
    # add, remove, add again: Plain must end with alice in the tenant, whatever the order.
    services.membership_remove(user=alice, organization=acme)
    services.membership_add(user=alice, organization=acme)
    rows = list(SyncEvent.objects.filter(user=alice).order_by("pk").values_list("pk", flat=True))
    assert len(rows) == 3

    for order in (rows, rows[::-1], [rows[1], rows[0], rows[2], rows[1]]):
        _replay(order)
        assert tenants_of(plain, "alice@acme.test") == {"org-acme"}

    services.membership_remove(user=alice, organization=acme)
    rows = list(SyncEvent.objects.filter(user=alice).order_by("pk").values_list("pk", flat=True))
    for order in (rows, rows[::-1]):
        _replay(order)
        assert tenants_of(plain, "alice@acme.test") == set()


def test_rows_of_one_customer_are_delivered_together(acme, sync, emulator_control):
    user = UserFactory(email="dora@acme.test")
    emulator_control.clear_requests()
    with sync():
        # One transaction, three rows of the same customer (added, removed, added).
        services.membership_add(user=user, organization=acme)
        services.membership_remove(user=user, organization=acme)
        services.membership_add(user=user, organization=acme)

    assert set(SyncEvent.objects.filter(user=user).values_list("status", flat=True)) == {"done"}
    # The new customer joins the tenant in the upsert that creates it.
    assert writes(emulator_control) == {"upsertCustomer": 1}


def test_a_change_racing_the_write_is_caught_by_the_second_look(alice, acme, plain, monkeypatch):
    """The task adds alice; meanwhile (after it read the database) she is removed, and the task
    for that removal ran before the add landed. The add is stale: the task must notice."""
    services.membership_remove(user=alice, organization=acme)
    services.membership_add(user=alice, organization=acme)
    add_row = SyncEvent.objects.filter(user=alice).latest("pk")
    client = get_plain_client()
    real_add = client.add_customer_to_tenants

    def add_then_race(**kwargs):
        real_add(**kwargs)
        Membership.objects.filter(user=alice).delete()  # writes its own (pending) row

    monkeypatch.setattr(client, "add_customer_to_tenants", add_then_race)
    SyncEvent.objects.filter(user=alice).exclude(pk=add_row.pk).update(status="done")

    outcome = services.sync_event_process(event_id=add_row.pk)

    assert outcome.status == "done"
    assert tenants_of(plain, "alice@acme.test") == set()


def test_server_errors_leave_the_row_pending_with_backoff_then_the_sweep_delivers(
    acme, sync, plain, emulator_control
):
    user = UserFactory(email="dora@acme.test")
    emulator_control.fail_next(count=50, status=503)
    with sync():
        services.membership_add(user=user, organization=acme)

    row = SyncEvent.objects.get(user=user)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "PlainServerError" in row.last_error and "503" in row.last_error
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=outbox.RETRY_BASE_SECONDS)

    emulator_control.clear_faults()
    with sync():
        assert services.sync_events_sweep() == 0  # not due yet
        later = timezone.now() + timedelta(seconds=outbox.RETRY_MAX_SECONDS * 2)
        assert services.sync_events_sweep(now=later) == 1

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("done", 2, "")
    assert tenants_of(plain, "dora@acme.test") == {"org-acme"}


def test_a_rate_limit_waits_at_least_as_long_as_plain_asks(acme, sync, emulator_control):
    user = UserFactory(email="dora@acme.test")
    emulator_control.fail_next(count=50, status=429, retry_after_seconds=120)
    before = timezone.now()
    with sync():
        services.membership_add(user=user, organization=acme)

    row = SyncEvent.objects.get(user=user)
    assert row.status == "pending"
    assert "PlainRateLimitError" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=120)


def test_retry_delays_grow_and_are_capped():
    delays = [outbox.retry_delay(attempts=n) for n in range(1, 12)]
    assert delays[0] >= outbox.RETRY_BASE_SECONDS
    assert delays[3] >= 8 * outbox.RETRY_BASE_SECONDS
    assert max(delays) <= outbox.RETRY_MAX_SECONDS
    assert outbox.retry_delay(attempts=1, retry_after=5000) == outbox.RETRY_MAX_SECONDS
    assert outbox.retry_delay(attempts=1, retry_after=90) >= 90


def test_a_worker_task_schedules_its_retry_with_the_rows_delay(acme, emulator_control, monkeypatch):
    user = UserFactory(email="dora@acme.test")
    services.membership_add(user=user, organization=acme)
    row = SyncEvent.objects.get(user=user)
    emulator_control.fail_next(count=50, status=429, retry_after_seconds=90)
    asked = {}

    class Scheduled(Exception):
        pass

    def fake_retry(**kwargs):
        asked.update(kwargs)
        return Scheduled()

    monkeypatch.setattr(outbox_tasks.deliver, "retry", fake_retry)
    outbox_tasks.deliver.push_request(is_eager=False, id="t-1", retries=0)
    try:
        with pytest.raises(Scheduled):
            outbox_tasks.deliver("tenancy.sync", row.pk)
    finally:
        outbox_tasks.deliver.pop_request()

    assert 90 <= asked["countdown"] <= outbox.RETRY_MAX_SECONDS
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1


def test_an_eager_task_leaves_a_retriable_row_pending_instead_of_blocking(acme, emulator_control):
    user = UserFactory(email="dora@acme.test")
    services.membership_add(user=user, organization=acme)
    row = SyncEvent.objects.get(user=user)
    emulator_control.fail_next(count=50, status=502)

    assert outbox_tasks.deliver.delay("tenancy.sync", row.pk).get() == "pending"


def test_permanent_errors_mark_the_row_failed_with_the_error(acme, sync, plain):
    # Plain already has a customer with this email under another externalId: upsertCustomer
    # answers customer_already_exists_with_email, which no retry will fix.
    plain.upsert_customer(external_id="crm-1", email="dora@acme.test", full_name="Dora (CRM)")
    user = UserFactory(email="dora@acme.test")
    with sync():
        services.membership_add(user=user, organization=acme)

    row = SyncEvent.objects.get(user=user)
    assert row.status == "failed"
    assert "customer_already_exists_with_email" in row.last_error
    assert row.done_at is not None


def test_a_rejected_api_key_fails_rows_without_leaking_it(acme, sync, monkeypatch):
    import portal.plain
    from plain_gateway import PlainClient

    user = UserFactory(email="dora@acme.test")
    wrong = PlainClient(
        api_key="wrong-key-SECRET",
        url=portal.plain.EMBEDDED_URL,
        transport=portal.plain._embedded_transport(),
    )
    monkeypatch.setattr(services, "get_plain_client", lambda: wrong)
    with sync():
        services.membership_add(user=user, organization=acme)

    row = SyncEvent.objects.get(user=user)
    assert row.status == "failed"
    assert "PlainAuthenticationError" in row.last_error
    assert "SECRET" not in row.last_error


def test_retriable_failures_give_up_after_max_attempts(acme, emulator_control):
    user = UserFactory(email="dora@acme.test")
    services.membership_add(user=user, organization=acme)
    row = SyncEvent.objects.get(user=user)
    # Its 449th attempt failed a moment ago and the retry is due now.
    SyncEvent.objects.filter(pk=row.pk).update(
        attempts=outbox.MAX_ATTEMPTS - 1, next_attempt_at=timezone.now()
    )
    emulator_control.fail_next(count=50, status=500)

    assert services.sync_event_process(event_id=row.pk).status == "failed"
    row.refresh_from_db()
    assert row.status == "failed"
    assert row.last_error.startswith(f"gave up after {outbox.MAX_ATTEMPTS} attempts")


def test_failed_rows_can_be_retried(acme, sync, plain):
    plain.upsert_customer(external_id="crm-1", email="dora@acme.test", full_name="Dora (CRM)")
    user = UserFactory(email="dora@acme.test")
    with sync():
        services.membership_add(user=user, organization=acme)
    row = SyncEvent.objects.get(user=user)
    assert row.status == "failed"
    # Staff fix the clash in Plain (the CRM customer gets another email), then retry.
    plain.upsert_customer(external_id="crm-1", email="dora@crm.test", full_name="Dora (CRM)")

    with sync():
        assert services.sync_event_retry(event_ids=[row.pk]) == 1

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("done", 1)
    assert tenants_of(plain, "dora@acme.test") == {"org-acme"}


def test_retry_and_sync_now_enqueue_one_task_per_subject_and_only_what_they_reopen(
    acme, monkeypatch, django_capture_on_commit_callbacks
):
    user = UserFactory(email="dora@acme.test")
    services.membership_add(user=user, organization=acme)
    services.membership_remove(user=user, organization=acme)
    rows = list(SyncEvent.objects.filter(user=user).order_by("pk"))
    assert len(rows) == 2  # one subject, two rows
    SyncEvent.objects.filter(pk__in=[r.pk for r in rows]).update(status="failed")
    done = SyncEvent.objects.create(
        kind="membership_added", subject="user:0", organization=acme, status="done"
    )
    enqueued: list[int] = []
    monkeypatch.setattr(outbox, "enqueue", lambda *, kind, row_id, **_: enqueued.append(row_id))

    with django_capture_on_commit_callbacks(execute=True):
        reopened = services.sync_event_retry(event_ids=[rows[0].pk, rows[1].pk, done.pk])

    assert reopened == 2
    assert enqueued == [rows[0].pk]  # the task takes every pending row of its subject
    done.refresh_from_db()
    assert done.status == "done"

    enqueued.clear()
    SyncEvent.objects.filter(pk=rows[1].pk).update(status="failed")
    monkeypatch.setattr(services, "tenants_reconcile", lambda **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        services.organization_sync_now(organization=acme)

    assert enqueued == [rows[0].pk]


def test_the_sweep_skips_leased_rows_and_takes_one_row_per_subject(acme, monkeypatch):
    user = UserFactory(email="dora@acme.test")
    services.membership_add(user=user, organization=acme)
    services.membership_remove(user=user, organization=acme)
    services.organization_create(name="Globex", slug="globex")
    enqueued = []
    monkeypatch.setattr(outbox, "enqueue", lambda *, kind, row_id, **_: enqueued.append(row_id))
    assert services.sync_events_sweep() == 0  # just written: their tasks are on their way
    now = timezone.now() + timedelta(seconds=outbox.HANDOFF_SECONDS + 1)
    dora_rows = list(SyncEvent.objects.filter(user=user).order_by("pk"))
    globex_row = SyncEvent.objects.get(organization_name="Globex")

    assert services.sync_events_sweep(now=now) == 2
    assert enqueued == [dora_rows[0].pk, globex_row.pk]
    # A task claims dora's rows: they are leased for the task's time limit.
    SyncEvent.objects.filter(user=user).update(next_attempt_at=now + timedelta(seconds=300))
    enqueued.clear()
    assert services.sync_events_sweep(now=now) == 1
    assert enqueued == [globex_row.pk]
    later = now + timedelta(seconds=300 + outbox.HANDOFF_SECONDS)
    assert services.sync_events_sweep(now=later) == 2


def test_a_task_killed_mid_way_is_redone_once_its_lease_runs_out(acme, sync, plain, monkeypatch):
    user = UserFactory(email="dora@acme.test")
    services.membership_add(user=user, organization=acme)
    row = SyncEvent.objects.filter(user=user).get()
    client = get_plain_client()

    class Killed(BaseException):
        """Stands in for SIGKILL: nothing after it runs, not even except clauses."""

    upsert = client.upsert_customer

    def die(**kwargs):
        upsert(**kwargs)  # Plain has the customer, in the tenant; the portal never hears back
        raise Killed

    monkeypatch.setattr(client, "upsert_customer", die)
    with pytest.raises(Killed):
        services.sync_event_process(event_id=row.pk)
    monkeypatch.undo()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    user.refresh_from_db()
    assert not user.plain_customer_id

    with sync():
        lease_over = row.next_attempt_at + timedelta(seconds=outbox.HANDOFF_SECONDS + 1)
        assert services.sync_events_sweep(now=lease_over) == 1

    row.refresh_from_db()
    assert row.status == "done"
    assert tenants_of(plain, "dora@acme.test") == {"org-acme"}
    user.refresh_from_db()
    assert user.plain_customer_id


def test_pruning_keeps_undelivered_rows(acme, alice):
    old = timezone.now() - timedelta(days=31)
    SyncEvent.objects.update(done_at=old)
    SyncEvent.objects.filter(user=alice).update(status="failed")

    assert services.sync_events_prune() == 1  # acme's delivered tenant row
    assert list(SyncEvent.objects.values_list("status", flat=True)) == ["failed"]


def test_plain_state_matches_after_a_burst_of_changes(acme, sync, plain):
    users = [UserFactory(email=f"u{n}@acme.test") for n in range(6)]
    with sync():
        for user in users:
            services.membership_add(user=user, organization=acme)
        for user in users[::2]:
            services.membership_remove(user=user, organization=acme)

    memberships = plain_memberships(plain)
    assert {email for email, tenants in memberships.items() if tenants} == {
        user.email for user in users[1::2]
    }


def test_a_member_added_while_its_organisation_is_remapped_lands_in_the_new_tenant(
    acme, sync, plain
):
    """The membership's transaction read the old tenant; the re-map's transaction did not see
    the uncommitted membership. The membership's row names only the old tenant."""
    user = UserFactory(email="dora@acme.test")
    services.membership_add(user=user, organization=acme)  # its row: org-acme, not delivered
    row = SyncEvent.objects.get(user=user)
    # The concurrent re-map, as it committed (its own member rows did not include dora).
    Organization.objects.filter(pk=acme.pk).update(tenant_external_id="acme-eu", plain_tenant_id="")
    RetiredTenant.objects.create(external_id="org-acme", organization_id=acme.pk)

    with sync():
        assert services.sync_event_process(event_id=row.pk).status == "done"

    assert tenants_of(plain, "dora@acme.test") == {"acme-eu"}
