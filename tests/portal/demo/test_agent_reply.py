"""`manage.py agent_reply`: an agent's reply made through the emulator's API reaches the portal's
inbox as a webhook, with no page viewed."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from portal.plain import get_plain_client, reset_plain_client
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import target_ensure
from tests.factories import OrganizationFactory
from tests.portal.webhooks.test_end_to_end import _mapped_thread


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
