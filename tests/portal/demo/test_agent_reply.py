"""`manage.py agent_reply`: an agent's reply made through the emulator's API reaches the portal's
inbox as a webhook, with no page viewed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from portal.plain import get_plain_client, reset_plain_client
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import target_ensure
from tests.factories import OrganizationFactory
from tests.portal.tenancy import test_integration as tenancy_itest
from tests.portal.webhooks.test_end_to_end import _mapped_thread
from tests.processes import serving_env

ROOT = tenancy_itest.ROOT
shared_database = tenancy_itest.shared_database


@pytest.mark.django_db
def test_an_agent_reply_from_the_command_is_delivered_and_applied(
    settings, emulator_control, django_capture_on_commit_callbacks
):
    settings.PLAIN_HMAC_SECRET = ""
    target_ensure()
    acme = OrganizationFactory(name="Acme", slug="acme")
    thread = _mapped_thread(get_plain_client(), acme)

    call_command("agent_reply", thread.id, "We are on it.")
    with django_capture_on_commit_callbacks(execute=True):
        emulator_control.deliver_webhooks()

    row = InboxEvent.objects.get(event_type="thread.chat_sent")
    assert (row.status, row.outcome, row.organization_id) == ("done", "applied", acme.pk)
    assert row.payload["chat"]["text"] == "We are on it."


@pytest.mark.django_db
def test_an_unknown_thread_is_refused():
    with pytest.raises(CommandError, match="no thread"):
        call_command("agent_reply", "th_01J00000000000000000000000", "Hello")


@pytest.mark.django_db
def test_over_real_plain_the_command_refuses(settings):
    settings.PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"
    settings.PLAIN_API_KEY = "not-a-real-key"
    reset_plain_client()
    try:
        with pytest.raises(CommandError, match="control API"):
            call_command("agent_reply", "th_01J00000000000000000000000", "Hello")
    finally:
        reset_plain_client()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_short_lived_command_sends_what_it_claimed_before_it_exits(
    shared_database, settings, tmp_path
):
    """`make run`'s embedded emulator runs a delivery thread in every process that talks to it,
    the one-off `agent_reply` process included. That thread must finish the webhook it claimed
    before the process exits: killed mid-send, the delivery stayed leased for a minute and the
    open thread page showed the reply a minute late (found trying the demo by hand)."""
    data = tmp_path / "plain-emulator.sqlite3"
    settings.PLAIN_EMULATOR_DATA = str(data)
    settings.PLAIN_HMAC_SECRET = ""
    reset_plain_client()
    try:
        target_ensure()
        acme = OrganizationFactory(name="Acme", slug="acme")
        thread = _mapped_thread(get_plain_client(), acme)
        reset_plain_client()  # this process holds no delivery thread while the command runs

        env = serving_env(
            DATABASE_URL=shared_database,
            DJANGO_DEBUG="true",
            PLAIN_EMULATOR_DATA=str(data),
            PLAIN_EMULATOR_DELIVER_IN_BACKGROUND="true",
            CELERY_BROKER_URL="",
            CELERY_FILESYSTEM_FOLDER=str(tmp_path / "celery"),
        )
        done = subprocess.run(
            [sys.executable, "manage.py", "agent_reply", thread.id, "We are on it."],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]

        # This process delivers nothing (the test settings run no delivery thread): every
        # attempt recorded is the command's, the thread's creation (queued here) included.
        client = get_plain_client()
        [target] = client.webhook_targets().items
        attempts = client.webhook_delivery_attempts(webhook_target_id=target.id).items
        assert sorted((a.event_type, a.status) for a in attempts) == [
            ("thread.chat_sent", "SUCCESSFUL_RESPONSE"),
            ("thread.thread_created", "SUCCESSFUL_RESPONSE"),
        ]
        row = InboxEvent.objects.get(event_type="thread.chat_sent")
        assert row.payload["chat"]["text"] == "We are on it."
    finally:
        reset_plain_client()
