"""End to end in-process: an agent replies through the emulator's API, the emulator delivers
its webhook to the portal's endpoint, the inbox applies it, and after the batch window the
requester has an email (like tests/portal/webhooks/test_end_to_end.py's embedded test)."""

from __future__ import annotations

import pytest
from django.core import mail

from plain_gateway import PlainClient
from portal.plain import get_plain_client
from portal.webhooks.models import InboxEvent
from portal.webhooks.target import target_ensure
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.portal.notifications.conftest import customer_for

PORTAL = "http://127.0.0.1:8000"


def _embedded_transport():
    import portal.plain

    return portal.plain._embedded_transport()


@pytest.mark.django_db
def test_an_agent_reply_made_in_plain_emails_the_requester(
    settings, emulator_control, django_capture_on_commit_callbacks, later, sent
):
    settings.PLAIN_HMAC_SECRET = ""  # read from the emulator's workspaceHmac
    settings.PORTAL_PUBLIC_URL = PORTAL  # where the embedded emulator delivers in-process
    plain = get_plain_client()
    target_ensure()
    acme = OrganizationFactory(name="Acme", slug="acme")
    plain.upsert_tenant(external_id=acme.tenant_external_id, name="Acme")
    alice = UserFactory(email="alice@acme.test")
    MembershipFactory(user=alice, organization=acme)
    customer_for(plain, alice, acme.tenant_external_id)
    thread = plain.create_thread(
        customer_id=alice.plain_customer_id,
        tenant_external_id=acme.tenant_external_id,
        title="Export fails",
        text="The CSV export times out.",
    )
    agent_key = emulator_control.add_agent(full_name="Sam Agent", public_name="Sam")
    with PlainClient(api_key=agent_key, url=plain.url, transport=_embedded_transport()) as agent:
        agent.send_chat(customer_id=thread.customer.id, thread_id=thread.id, text="*Found* it")
    with django_capture_on_commit_callbacks(execute=True):
        delivered = emulator_control.deliver_webhooks()
    assert {(a["status"], a["http_status_code"]) for a in delivered} == {
        ("SUCCESSFUL_RESPONSE", 200)
    }
    row = InboxEvent.objects.get(event_type="thread.chat_sent")
    assert (row.status, row.outcome) == ("done", "applied")
    assert "notifications.message" in row.handled
    assert mail.outbox == []  # the batch window is still open

    later()
    [email] = sent()
    assert email.to == ["alice@acme.test"]
    assert "Export fails" in email.subject
    assert [quote.strip() for quote in email.html.blockquotes] == ["Found it"]
    assert "em" in email.html.tag_names()
    assert f"{PORTAL}/threads/{thread.id}/" in email.html.links()
    # The portal's own opening of the thread came back as an echo, and emailed nobody.
    assert InboxEvent.objects.get(event_type="thread.thread_created").outcome == "echo"
