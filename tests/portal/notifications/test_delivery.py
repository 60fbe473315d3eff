"""Sending as an outbox kind: an SMTP outage loses nothing and a retry sends nothing twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal.notifications import services
from portal.notifications.models import Notification
from portal.outbox import services as outbox
from tests.portal.notifications.backends import FlakyBackend
from tests.portal.notifications.test_handlers import applied, chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.portal.notifications.backends.FlakyBackend"
    yield FlakyBackend
    FlakyBackend.down_for = 0


def test_an_smtp_failure_then_success_sends_one_email(world, post, later, sent, flaky):
    flaky.down_for = 1
    applied(post, chat(world))
    assert later() == 1
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert "SMTPServerDisconnected" in row.last_error
    assert sent() == []

    assert later(minutes=10) == 1  # the retry, once due
    [email] = sent()
    assert email.to == ["alice@acme.test"]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("done", 2)
    assert later(minutes=60) == 0
    assert len(sent()) == 1


def test_a_row_whose_email_left_before_its_worker_died_is_not_sent_again(world, post, later, sent):
    applied(post, chat(world))
    later()
    assert len(sent()) == 1
    # The state a worker that died between sending and marking the row done leaves behind
    # (its lease since run out): pending again, but the email is recorded as gone.
    Notification.objects.update(status="pending", done_at=None, lease_until=None)
    assert later(minutes=30) == 1
    assert len(sent()) == 1
    assert Notification.objects.get().status == "done"


def test_delivering_the_same_row_twice_sends_once(world, post, sent):
    applied(post, chat(world))
    row = Notification.objects.get()
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    first = outbox.deliver(kind=services.EMAILS, row_id=row.pk)
    second = outbox.deliver(kind=services.EMAILS, row_id=row.pk)
    assert (first.status, second.status) == ("done", "skipped")
    assert len(sent()) == 1


def test_an_event_while_the_email_is_being_sent_starts_a_new_one(world, post, later, sent):
    applied(post, chat(world, text="First"))
    row = Notification.objects.get()
    [claimed] = outbox.claim(kind=services.EMAILS, row_id=row.pk, owner="worker-1")
    applied(post, chat(world, text="Second"))  # arrives while the first is leased
    assert Notification.objects.count() == 2
    outbox.attempt(kind=services.EMAILS, rows=[claimed], row_id=claimed.pk)
    later()
    assert [[quote.strip() for quote in email.html.blockquotes] for email in sent()] == [
        ["First"],
        ["Second"],
    ]
