"""Customer cards end to end, embedded: the portal's own emulator, asked for a customer's cards
the way Plain's UI asks (`customerCardInstances`), requests them from the portal's endpoint
in-process, signed with the workspace's secret, and holds what the portal answered. The card
configs are made the way staff make them (`plain_customer_cards --ensure`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from plain_gateway.components import PlainText, Row
from portal.plain import get_plain_client
from portal.tenancy.services import plain_customer_ensure
from tests.factories import MembershipFactory, UserFactory
from tests.portal.agent_context.conftest import ALL_KEYS

pytestmark = pytest.mark.django_db


def _texts(components) -> list[str]:
    found = []
    for component in components:
        leaves = (*component.main, *component.aside) if isinstance(component, Row) else (component,)
        found += [leaf.text for leaf in leaves if isinstance(leaf, PlainText)]
    return found


def test_the_emulator_loads_every_card_from_the_portal(settings, emulator_control):
    settings.PLAIN_HMAC_SECRET = ""  # the endpoint reads the emulator's own (workspaceHmac)
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    call_command("plain_customer_cards", "--ensure", stdout=StringIO())
    alice = UserFactory(email="alice@acme.test", full_name="Alice Example")
    MembershipFactory(user=alice, organization__name="Acme")
    MembershipFactory(user=UserFactory(email="carol@globex.test"), organization__name="Globex")
    customer_id = plain_customer_ensure(user=alice)
    plain = get_plain_client()

    first = plain.customer_card_instances(customer_id=customer_id)
    assert {instance.state for instance in first} == {"loading"}
    emulator_control.fetch_customer_cards()
    cards = {i.config.key: i for i in plain.customer_card_instances(customer_id=customer_id)}

    assert sorted(cards) == sorted(ALL_KEYS)
    assert {key: card.state for key, card in cards.items()} == dict.fromkeys(ALL_KEYS, "loaded")
    assert "Acme" in _texts(cards["portal-organisations"].components)
    members = _texts(cards["portal-members"].components)
    assert "alice@acme.test" in members and "carol@globex.test" not in members
    # One request for the four cards: they share the URL and the (empty) headers.
    requests = emulator_control.customer_card_requests()
    assert [(sorted(r["card_keys"]), r["status_code"]) for r in requests] == [
        (sorted(ALL_KEYS), 200)
    ]
