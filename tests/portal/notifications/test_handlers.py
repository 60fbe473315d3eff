"""Who is emailed, on what, and once: signed webhooks stored in the inbox, applied by the real
handler path (HandlerContext from the inbox row and the thread read from the emulator), emails
sent by the outbox's task into Django's locmem backend once the batch window has passed."""

from __future__ import annotations

import pytest

from portal.notifications.models import Notification, OrganizationDefault, Preference, Scope
from portal.webhooks.models import InboxEvent
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.plain_gateway import webhook_bodies as bodies
from tests.portal.notifications.conftest import PUBLIC_URL, customer_for

pytestmark = pytest.mark.django_db


def chat(world, text="We have fixed the export.", **fields):
    return bodies.chat_sent(
        text=text, thread_id=world.thread.id, customer_id=world.alice.plain_customer_id, **fields
    )


def status(world, status, *, by=None, detail=None):
    data = bodies.status_transitioned(
        status=status, thread_id=world.thread.id, customer_id=world.alice.plain_customer_id
    )
    if by is not None:
        data["payload"]["thread"]["updatedBy"] = by
    if detail is not None:
        data["payload"]["thread"]["statusDetail"] = {"type": detail}
    return data


def applied(post, data):
    response = post(data)
    assert response.status_code == 200, response.content
    row = InboxEvent.objects.get(event_id=data["id"])
    assert row.status == "done", row.last_error
    return row


def recipients(sent):
    return sorted(address for email in sent() for address in email.to)


# --- the requester, the email, the window -------------------------------------------------------


def test_an_agent_reply_emails_the_requester_once_the_window_has_passed(world, post, later, sent):
    applied(post, chat(world, text="**Fixed** now, see <https://example.test/status>"))
    assert later(minutes=1) == 0  # inside the window: nothing yet
    assert sent() == []

    assert later(minutes=4) == 1
    [email] = sent()
    assert email.to == ["alice@acme.test"]
    assert "Cannot export invoices" in email.subject
    # The agent's message, rendered by the portal's sanitiser, quoted in the HTML part.
    assert email.html.blockquotes[0].strip().startswith("Fixed now")
    assert "strong" in email.html.tag_names()
    thread_url = f"{PUBLIC_URL}/threads/{world.thread.id}/"
    assert thread_url in email.html.links()
    assert thread_url in email.text.split()
    assert "**Fixed** now" in email.text
    # One-click unsubscribe: a signed https link, and the RFC 8058 POST header.
    unsubscribe = str(email.headers["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith(f"<{PUBLIC_URL}/notifications/unsubscribe/")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in email.html.links()

    assert later(minutes=10) == 0  # nothing sent twice
    assert len(sent()) == 1


def test_an_agent_message_with_markup_is_sanitised_in_the_email(world, post, later, sent):
    applied(post, chat(world, text="Hi <script>alert(1)</script><img src=x onerror=alert(2)>"))
    later()
    [email] = sent()
    names = email.html.tag_names()
    assert "script" not in names and "img" not in names
    assert not any(key.startswith("on") for _, attrs in email.html.tags for key in attrs)


def test_several_agent_messages_in_the_window_become_one_email(world, post, later, sent):
    applied(post, chat(world, text="Looking into it."))
    applied(post, chat(world, text="Found the cause."))
    assert Notification.objects.count() == 1
    later()
    [email] = sent()
    assert [quote.strip() for quote in email.html.blockquotes] == [
        "Looking into it.",
        "Found the cause.",
    ]
    # After that email went, the next message starts a new one.
    applied(post, chat(world, text="Deployed."))
    later()
    assert [quote.strip() for quote in sent()[1].html.blockquotes] == ["Deployed."]


def test_a_redelivered_event_adds_nothing(world, post, later, sent):
    data = chat(world, text="Once")
    applied(post, data)
    post(data)  # Plain retries the same event
    later()
    [email] = sent()
    assert len(email.html.blockquotes) == 1


def test_a_resolve_and_a_wait_for_the_customer_are_emailed(world, post, later, sent):
    world.plain.mark_thread_as_done(thread_id=world.thread.id)
    applied(post, status(world, "DONE"))
    later()
    [resolved] = sent()
    assert resolved.subject.startswith("Resolved:")
    assert resolved.to == ["alice@acme.test"]

    world.plain.snooze_thread(thread_id=world.thread.id, duration_seconds=3600)
    applied(post, status(world, "SNOOZED", detail="WAITING_FOR_CUSTOMER"))
    later()
    assert sent()[1].subject.startswith("Waiting for your answer:")


def test_a_stale_status_event_and_a_snooze_for_a_duration_are_not_emailed(world, post, later, sent):
    # Plain says DONE in the event, but the thread is open again by the time it is applied.
    applied(post, status(world, "DONE"))
    world.plain.snooze_thread(thread_id=world.thread.id, duration_seconds=3600)
    applied(post, status(world, "SNOOZED", detail="WAITING_FOR_DURATION"))
    later()
    assert sent() == []


# --- who else is, and who never is ------------------------------------------------------------


def test_followers_of_the_organisation_are_emailed_and_others_are_not(world, post, later, sent):
    Preference.objects.create(user=world.bob, scope=Scope.ALL)
    carol = world.member("carol@acme.test")  # default scope: only her own requests
    applied(post, chat(world))
    later()
    assert recipients(sent) == ["alice@acme.test", "bob@acme.test"]
    assert carol.email not in recipients(sent)


def test_the_organisation_default_applies_until_a_member_chooses(world, post, later, sent):
    OrganizationDefault.objects.create(organization=world.organization, scope=Scope.ALL)
    Preference.objects.create(user=world.alice, scope=Scope.MINE)
    dave = world.member("dave@acme.test")
    Preference.objects.create(user=dave, scope=Scope.NONE)
    applied(post, chat(world))
    later()
    assert recipients(sent) == ["alice@acme.test", "bob@acme.test"]


def test_a_requester_who_chose_none_is_not_emailed(world, post, later, sent):
    Preference.objects.create(user=world.alice, scope=Scope.NONE)
    applied(post, chat(world))
    later()
    assert sent() == []


def test_the_customer_who_acted_is_never_emailed(world, post, later, sent):
    Preference.objects.create(user=world.bob, scope=Scope.ALL)
    world.plain.mark_thread_as_done(thread_id=world.thread.id)
    # Alice resolved it herself (through Plain, not the portal): only Bob hears of it.
    applied(post, status(world, "DONE", by=bodies.customer_actor(world.alice.plain_customer_id)))
    later()
    assert recipients(sent) == ["bob@acme.test"]


def test_a_customers_own_message_is_not_an_agent_reply(world, post, later, sent):
    Preference.objects.create(user=world.bob, scope=Scope.ALL)
    applied(post, chat(world, by=bodies.customer_actor(world.alice.plain_customer_id)))
    later()
    assert sent() == []


def test_nobody_who_left_or_is_inactive_or_outside_is_emailed(world, post, later, sent):
    for user in (world.alice, world.bob):
        Preference.objects.create(user=user, scope=Scope.ALL)
    gone = world.member("gone@acme.test")
    Preference.objects.create(user=gone, scope=Scope.ALL)
    inactive = world.member("inactive@acme.test")
    inactive.is_active = False
    inactive.save()
    outsider = UserFactory(email="eve@globex.test")
    MembershipFactory(user=outsider, organization=OrganizationFactory(name="Globex"))
    Preference.objects.create(user=outsider, scope=Scope.ALL)

    applied(post, chat(world))
    # Bob leaves after the event was applied but before the email goes: not emailed either.
    world.bob.memberships.all().delete()
    gone.memberships.all().delete()
    later()
    assert recipients(sent) == ["alice@acme.test"]


def test_a_leaver_before_the_event_is_not_even_queued(world, post, later, sent):
    Preference.objects.create(user=world.bob, scope=Scope.ALL)
    world.bob.memberships.all().delete()
    applied(post, chat(world))
    assert not Notification.objects.filter(user=world.bob).exists()


def test_an_unmapped_tenant_emails_nobody(world, post, later, sent, plain):
    plain.upsert_tenant(external_id="not-ours", name="Not ours")
    customer_for(plain, world.alice, "not-ours")
    stray = plain.create_thread(
        customer_id=world.alice.plain_customer_id,
        tenant_external_id="not-ours",
        title="Elsewhere",
        text="Hi",
    )
    data = bodies.chat_sent(thread_id=stray.id, customer_id=world.alice.plain_customer_id)
    row = applied(post, data)
    assert row.outcome == "ignored"
    later()
    assert sent() == []
    assert not Notification.objects.exists()


def test_a_note_is_never_emailed(world, post, later, sent):
    note = bodies.body(
        "thread.note_created",
        {
            "thread": bodies.thread(
                thread_id=world.thread.id, customer_id=world.alice.plain_customer_id
            ),
            "note": {"id": bodies.new_id("note"), "text": "Internal: customer is grumpy"},
        },
    )
    applied(post, note)
    later()
    assert sent() == []


def test_threads_on_the_email_channel_are_left_to_plain(
    world, post, later, sent, emulator_control, settings
):
    delivered = emulator_control.inbound_email(
        from_email=world.alice.email,
        subject="By email",
        text="Hello",
        tenant_external_id=world.organization.tenant_external_id,
    )
    world.alice.plain_customer_id = delivered["customer_id"]
    world.alice.save()
    data = bodies.chat_sent(thread_id=delivered["thread_id"], customer_id=delivered["customer_id"])
    applied(post, data)
    later()
    assert sent() == []
    # Told to notify EMAIL threads too, the portal does.
    settings.PORTAL_NOTIFY_CHANNELS = [*settings.PORTAL_NOTIFY_CHANNELS, "EMAIL"]
    data = bodies.chat_sent(thread_id=delivered["thread_id"], customer_id=delivered["customer_id"])
    applied(post, data)
    later()
    assert recipients(sent) == ["alice@acme.test"]


def test_the_channels_setting_decides(world, post, later, sent, settings):
    settings.PORTAL_NOTIFY_CHANNELS = ["CHAT"]  # the thread is an API thread
    applied(post, chat(world))
    later()
    assert sent() == []
    settings.PORTAL_NOTIFY_CHANNELS = ["API"]
    applied(post, chat(world))
    later()
    assert recipients(sent) == ["alice@acme.test"]


def test_a_follower_who_narrows_their_choice_before_the_email_goes_is_not_told(
    world, post, later, sent
):
    Preference.objects.create(user=world.bob, scope=Scope.ALL)
    Preference.objects.create(user=world.alice, scope=Scope.ALL)
    applied(post, chat(world))
    Preference.objects.filter(user__in=[world.alice, world.bob]).update(scope=Scope.MINE)
    later()
    assert recipients(sent) == ["alice@acme.test"]  # still her own request
