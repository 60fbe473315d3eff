"""Events from portal actions land once in Plain's timelines, for agents only (issue 13).

Every action is done as a user or staff member does it (the test client on the portal's views
and the admin, model saves, services); its outbox rows run through the real outbox (eager Celery
tasks on commit, the sweep) against this test's embedded emulator, whose timelines are read
back to see exactly which events arrived.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import checks, mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import portal.plain
from plain_gateway.components import (
    DateTime,
    PlainText,
    Row,
    TextColor,
    components_from_input,
)
from plain_gateway.emulator.families.threads import Threads
from portal.agent_context.handlers import AGENT_EVENTS
from portal.agent_context.services import EVENT_NAMES, KIND_NAME
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.plain import get_plain_client
from portal.support import services as support
from portal.support.models import Submission
from portal.tenancy.models import Membership
from portal.tenancy.services import membership_remove, plain_customer_ensure
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.portal.support.conftest import org_in_plain

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ALICE = "Alice Archer (alice@acme.test)"


# --- fixtures and helpers (named for this file: the cards tests share the folder) ----------------


@pytest.fixture(autouse=True)
def events_isolation(settings, tmp_path):
    """Saved attachments go to a per-test folder; no cached Plain settings outlive the test's
    emulator (as in the support tests)."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme(plain):
    return org_in_plain(plain, name="Acme", slug="acme")


@pytest.fixture
def globex(plain):
    return org_in_plain(plain, name="Globex", slug="globex")


@pytest.fixture
def alice(acme):
    user = UserFactory(email="alice@acme.test", full_name="Alice Archer")
    MembershipFactory(user=user, organization=acme)
    return user


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def make_thread(plain):
    """make_thread(user=..., organization=...): a thread in Plain as the user's customer."""

    def make(*, user, organization):
        return plain.create_thread(
            customer_id=plain_customer_ensure(user=user),
            tenant_external_id=organization.tenant_external_id,
            title="Printer on fire",
            text="It is on fire.",
        )

    return make


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """`with deliver(): action()` runs what the action enqueued on commit (the outbox's eager
    tasks), as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def alice_thread(alice, acme, make_thread):
    """Alice's thread in Plain (where her customer events show). The rows the setup wrote
    (alice joining Acme, never delivered: nothing ran on commit) are not under test: gone."""
    thread = make_thread(user=alice, organization=acme)
    OutboxMessage.objects.filter(kind=KIND_NAME).delete()
    return thread


def _events(thread_id: str) -> list[tuple[str, str, tuple]]:
    """(kind, title, components) of each event entry on the thread in the emulator, oldest
    first: read from the emulator's own state, since the portal never fetches them."""
    get_plain_client()  # builds the embedded emulator
    app = portal.plain._app
    assert app is not None
    entries = app.state.family(Threads).timeline(
        thread_id, kinds=["thread_event", "customer_event"]
    )
    return [
        (
            entry.kind,
            entry.data["title"],
            components_from_input(entry.data["components"], event=True),
        )
        for entry in entries
    ]


def _titles(thread_id: str) -> list[str]:
    return [title for _, title, _ in _events(thread_id)]


def _rows(*events: str) -> list[OutboxMessage]:
    rows = OutboxMessage.objects.filter(kind=KIND_NAME).order_by("pk")
    return [row for row in rows if not events or row.payload["event"] in events]


def _calls(emulator_control, *names: str) -> list[str]:
    return [
        request["operationName"]
        for request in emulator_control.requests()
        if not names or request["operationName"] in names
    ]


def _make_due() -> None:
    past = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(next_attempt_at=past)
    Submission.objects.filter(status=Submission.Status.PENDING).update(next_attempt_at=past)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def _visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())


# --- thread events -------------------------------------------------------------------------------


def test_resolving_and_reopening_from_the_portal_each_land_once_naming_who(
    alice_client, alice_thread, deliver
):
    with deliver():
        alice_client.post(reverse("support:thread_resolve", args=[alice_thread.id]))
        # A stale page's second click changes nothing in Plain, and says nothing.
        alice_client.post(reverse("support:thread_resolve", args=[alice_thread.id]))
        alice_client.post(reverse("support:thread_reopen", args=[alice_thread.id]))

    events = _events(alice_thread.id)
    assert [(kind, title) for kind, title, _ in events] == [
        ("thread_event", f"{ALICE} resolved this request in the support portal"),
        ("thread_event", f"{ALICE} reopened this request in the support portal"),
    ]
    first_text, when = events[0][2]
    assert first_text == PlainText(text=f"{ALICE} resolved this request in the support portal.")
    assert isinstance(when, Row) and isinstance(when.aside[0], DateTime)
    assert [row.status for row in _rows()] == ["done", "done"]
    assert {row.payload["external_id"].rsplit(":", 1)[0] for row in _rows()} == {
        "portal:thread_resolved",
        "portal:thread_reopened",
    }


def test_a_reply_written_while_plain_was_down_says_when_it_was_written_and_when_it_arrived(
    alice_client, alice_thread, emulator_control, deliver
):
    emulator_control.fail_next(count=100, status=503)
    with deliver():
        alice_client.post(
            reverse("support:thread_reply", args=[alice_thread.id]), {"text": "Late words"}
        )
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.PENDING
    assert _events(alice_thread.id) == []

    emulator_control.clear_faults()
    _make_due()
    with deliver():
        support.submissions_sweep()

    submission.refresh_from_db()
    assert submission.status == Submission.Status.DONE
    ((kind, title, components),) = _events(alice_thread.id)
    assert kind == "thread_event"
    assert re.fullmatch(rf"This reply from {re.escape(ALICE)} reached Plain \d+ s late", title)
    text, written, arrived = components
    assert "after 2 attempts" in text.text
    assert written.main == (PlainText(text="Written", color=TextColor.MUTED),)
    assert arrived.main == (PlainText(text="Arrived", color=TextColor.MUTED),)
    written_at, arrived_at = written.aside[0].moment, arrived.aside[0].moment
    assert abs(written_at - submission.created_at) < timedelta(milliseconds=1)
    assert written_at <= arrived_at <= timezone.now()
    (row,) = _rows()
    assert row.payload["external_id"] == f"portal:message_delayed:{submission.key}"


def test_a_reply_that_arrives_at_once_says_nothing(alice_client, alice_thread, deliver):
    with deliver():
        alice_client.post(
            reverse("support:thread_reply", args=[alice_thread.id]), {"text": "On time"}, **HTMX
        )

    assert Submission.objects.get().status == Submission.Status.DONE
    assert _events(alice_thread.id) == []
    assert _rows() == []


def test_files_on_a_new_request_are_listed_with_their_sizes(alice_client, acme, deliver):
    files = [
        SimpleUploadedFile("crash.log", b"x" * 2048, content_type="text/plain"),
        SimpleUploadedFile("**bold**.png", b"png", content_type="image/png"),
    ]
    with deliver():
        alice_client.post(
            reverse("support:thread_create"),
            {"title": "Crash", "message": "See attached", "attachments": files},
        )

    submission = Submission.objects.get()
    ((kind, title, components),) = _events(submission.thread_id)
    assert (kind, title) == (
        "thread_event",
        f"{ALICE} attached 2 files to a request in the support portal",
    )
    # File names are the user's text: plain text, never markdown.
    assert components == (
        Row(
            main=(PlainText(text="crash.log"),),
            aside=(PlainText(text="2.0 KB", color=TextColor.MUTED),),
        ),
        Row(
            main=(PlainText(text="**bold**.png"),),
            aside=(PlainText(text="3 bytes", color=TextColor.MUTED),),
        ),
    )


# --- customer events -----------------------------------------------------------------------------


def test_joining_and_leaving_organisations_reach_every_thread_of_the_customer(
    alice, acme, globex, alice_thread, make_thread, deliver
):
    other_thread = make_thread(user=alice, organization=acme)

    with deliver():
        MembershipFactory(user=alice, organization=globex)  # a model save (shell, admin)
    with deliver():
        membership_remove(user=alice, organization=acme)  # the tenancy service

    expected = [f"{ALICE} joined Globex", f"{ALICE} left Acme"]
    assert _titles(alice_thread.id) == expected
    assert _titles(other_thread.id) == expected
    assert [row.payload["event"] for row in _rows() if row.status == "done"] == [
        "organization_joined",
        "organization_left",
    ]


def test_a_role_change_is_no_membership_event(alice, acme, alice_thread, deliver):
    membership = Membership.objects.get(user=alice, organization=acme)
    with deliver():
        membership.role = Membership.Role.ADMIN
        membership.save()

    assert _rows() == []
    assert _titles(alice_thread.id) == []


def test_staff_changing_the_email_and_deactivating_in_the_admin_are_told_once_each(
    staff_client, alice, alice_thread, deliver
):
    def change(**fields):
        return staff_client.post(
            reverse("admin:accounts_user_change", args=[alice.pk]),
            {
                "email": "alice@acme.test",
                "full_name": "Alice Archer",
                "is_active": "on",
                "date_joined_0": "2024-01-01",
                "date_joined_1": "00:00:00",
                **fields,
            },
        )

    with deliver():
        assert change(email="alice.archer@acme.test").status_code == 302
    with deliver():
        del_active = {"email": "alice.archer@acme.test"}
        response = staff_client.post(
            reverse("admin:accounts_user_change", args=[alice.pk]),
            {
                **del_active,
                "full_name": "Alice Archer",
                "date_joined_0": "2024-01-01",
                "date_joined_1": "00:00:00",
            },
        )
        assert response.status_code == 302

    events = _events(alice_thread.id)
    assert [(kind, title) for kind, title, _ in events] == [
        (
            "customer_event",
            "Alice Archer changed their email from alice@acme.test to alice.archer@acme.test",
        ),
        (
            "customer_event",
            "Alice Archer (alice.archer@acme.test)'s portal account was deactivated",
        ),
    ]
    assert events[0][2] == (
        Row(
            main=(PlainText(text="Before", color=TextColor.MUTED),),
            aside=(PlainText(text="alice@acme.test"),),
        ),
        Row(
            main=(PlainText(text="Now", color=TextColor.MUTED),),
            aside=(PlainText(text="alice.archer@acme.test"),),
        ),
    )


def _reset_password(client, email: str) -> None:
    client.post(reverse("password_reset"), {"email": email})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[-1].body)
    assert link
    form_page = client.get(link.group(1), follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset-to-something-new-7", "new_password2": "reset-to-something-new-7"},
    )
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")


def test_a_completed_password_reset_is_told_once(client, alice, alice_thread, deliver):
    with deliver():
        _reset_password(client, "alice@acme.test")

    assert _titles(alice_thread.id) == [f"{ALICE} reset their portal password"]


def test_a_customer_plain_does_not_know_yet_is_upserted_first(client, emulator_control, deliver):
    user = UserFactory(email="dana@initech.test", full_name="Dana Dunn")
    assert not user.plain_customer_id
    emulator_control.clear_requests()

    with deliver():
        _reset_password(client, "dana@initech.test")

    assert _calls(emulator_control, "createCustomerEvent", "upsertCustomer") == [
        "createCustomerEvent",
        "upsertCustomer",
        "createCustomerEvent",
    ]
    user.refresh_from_db()
    assert user.plain_customer_id
    (row,) = _rows("password_reset")
    assert row.status == "done"


def test_a_login_lockout_is_told_once_per_lockout_and_never_for_a_stranger(
    client, settings, alice, alice_thread, deliver
):
    settings.AXES_FAILURE_LIMIT = 3

    def fail(email: str) -> None:
        client.post(
            reverse("login"),
            {"username": email, "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
        )

    with deliver():
        for _ in range(6):  # the lock starts at the third; axes signals each refusal after
            fail("alice@acme.test")
            fail("nobody@acme.test")

    ((kind, title, (text,)),) = _events(alice_thread.id)
    assert (kind, title) == (
        "customer_event",
        f"Sign-in locked for {ALICE} after repeated failed attempts",
    )
    assert "from 198.51.100.7" in text.text
    assert [row.payload["event"] for row in _rows()] == ["login_locked_out"]
    # The lock is real: her own password is refused from that address meanwhile.
    refused = client.post(
        reverse("login"),
        {"username": "alice@acme.test", "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert refused.status_code != 302


# --- exactly once --------------------------------------------------------------------------------


def test_an_event_whose_answer_plain_lost_is_not_written_twice(
    alice_client, alice_thread, emulator_control, deliver
):
    # Plain writes the event, then its answer is lost on the way back.
    emulator_control.fail_after_apply(operation="createThreadEvent", count=1, status=504)
    with deliver():
        alice_client.post(reverse("support:thread_resolve", args=[alice_thread.id]))

    (row,) = _rows()
    assert row.status == "pending"
    assert "PlainServerError" in row.last_error
    assert len(_events(alice_thread.id)) == 1

    _make_due()
    with deliver():
        assert outbox.sweep(only=[AGENT_EVENTS]) == 1

    row.refresh_from_db()
    assert row.status == "done"
    assert row.attempts == 2
    assert len(_events(alice_thread.id)) == 1
    assert _calls(emulator_control, "createThreadEvent") == ["createThreadEvent"] * 2


def test_a_second_delivery_of_a_delivered_row_counts_as_done_and_writes_nothing(
    alice, acme, alice_thread, deliver
):
    with deliver():
        membership_remove(user=alice, organization=acme)
    (row,) = _rows()
    assert row.status == "done"

    # A late duplicate task, or a worker that ran it again after losing the outcome.
    outcome = outbox.attempt(kind=AGENT_EVENTS, rows=[row], row_id=row.pk)

    assert outcome.status == "done"
    assert outcome.notes == {"already_existed": True}
    assert _titles(alice_thread.id) == [f"{ALICE} left Acme"]


# --- settings ------------------------------------------------------------------------------------


def test_a_turned_off_event_writes_no_row(alice_client, alice_thread, settings, deliver):
    settings.PORTAL_AGENT_EVENTS = [name for name in EVENT_NAMES if name != "thread_resolved"]

    with deliver():
        alice_client.post(reverse("support:thread_resolve", args=[alice_thread.id]))
        alice_client.post(reverse("support:thread_reopen", args=[alice_thread.id]))

    assert [row.payload["event"] for row in _rows()] == ["thread_reopened"]
    assert _titles(alice_thread.id) == [f"{ALICE} reopened this request in the support portal"]


def test_an_unknown_event_name_in_the_setting_is_warned_about(settings):
    settings.PORTAL_AGENT_EVENTS = ["thread_resolved", "thread_resolve"]

    warnings = [m for m in checks.run_checks() if m.id == "agent_context.W001"]

    assert [m.msg for m in warnings] == ["PORTAL_AGENT_EVENTS names unknown events: thread_resolve"]


# --- default-deny --------------------------------------------------------------------------------


def test_the_customers_page_shows_none_of_the_events(
    alice_client, alice, acme, globex, alice_thread, deliver
):
    with deliver():
        alice_client.post(reverse("support:thread_resolve", args=[alice_thread.id]))
        MembershipFactory(user=alice, organization=globex)
    titles = _titles(alice_thread.id)
    assert len(titles) == 2

    response = alice_client.get(reverse("support:thread_detail", args=[alice_thread.id]))

    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    assert "Printer on fire" in text  # the page is the thread's
    for title in titles:
        assert title not in text
    assert "support portal" not in text and "joined Globex" not in text


def test_events_name_the_customer_by_our_external_id(alice, alice_thread, deliver):
    with deliver():
        membership_remove(user=alice, organization=Membership.objects.get(user=alice).organization)

    (row,) = _rows()
    assert row.payload["customer"] == {"external_id": alice.plain_external_id, "user_id": alice.pk}
    assert plain_customer_ensure(user=alice) == alice.plain_customer_id


def test_an_event_about_a_user_deleted_before_plain_knew_them_is_dropped_quietly(
    emulator_control,
):
    from portal.agent_context.services import account_deactivated_record

    user = UserFactory(email="gone@initech.test", full_name="Gus Gone")
    row = account_deactivated_record(user=user)
    assert row is not None
    user.delete()
    emulator_control.clear_requests()

    outcome = outbox.deliver(kind=AGENT_EVENTS, row_id=row.pk)

    assert (outcome.status, outcome.notes) == ("done", {"customer_gone": True})
    assert _calls(emulator_control) == ["createCustomerEvent"]
