"""Password reset: rate-limited without locking out the real user, and no link in any log.

Through the real view, the default cache store and Django's mail outbox.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.accounts.throttling import RESET_MAILS_PER_ADDRESS, RESET_MAILS_PER_PAIR
from portal.production import production_problems
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
ALICE_AT = "198.51.100.7"
ATTACKERS_AT = [f"203.0.113.{n}" for n in range(1, 6)]
PER_PAIR = int(RESET_MAILS_PER_PAIR.split("/")[0])
PER_ADDRESS = int(RESET_MAILS_PER_ADDRESS.split("/")[0])


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.PORTAL_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1


def reset(client: Client, email: str, *, forwarded_for: str = ALICE_AT):
    return client.post(
        reverse("password_reset"),
        {"email": email},
        REMOTE_ADDR=PROXY,
        headers={"X-Forwarded-For": forwarded_for},
    )


def mails_to(address: str) -> int:
    return sum(address in message.to for message in mail.outbox)


def test_a_burst_of_resets_for_one_address_sends_a_few_mails_and_looks_the_same(client):
    UserFactory(email="alice@acme.test")

    responses = [reset(client, "alice@acme.test", forwarded_for=ATTACKERS_AT[0]) for _ in range(18)]

    assert mails_to("alice@acme.test") == PER_PAIR
    # A limited request gets the very answer of an allowed one: it reveals nothing.
    assert {(r.status_code, r.url) for r in responses} == {(302, reverse("password_reset_done"))}


def test_one_attackers_burst_does_not_stop_the_owners_own_reset(client):
    UserFactory(email="alice@acme.test")
    for _ in range(18):
        reset(client, "Alice@acme.test", forwarded_for=ATTACKERS_AT[0])
    sent = mails_to("alice@acme.test")

    reset(Client(), "alice@acme.test", forwarded_for=ALICE_AT)

    assert mails_to("alice@acme.test") == sent + 1


def test_many_clients_together_cannot_flood_one_mailbox(client):
    UserFactory(email="alice@acme.test")

    for address in ATTACKERS_AT:
        for _ in range(PER_PAIR):
            reset(client, "alice@acme.test", forwarded_for=address)

    assert len(ATTACKERS_AT) * PER_PAIR > PER_ADDRESS
    assert mails_to("alice@acme.test") == PER_ADDRESS


def test_one_client_cannot_mail_many_addresses_without_end(client):
    for n in range(40):
        UserFactory(email=f"user{n}@example.test")

    for n in range(40):
        reset(client, f"user{n}@example.test", forwarded_for=ATTACKERS_AT[0])

    assert 0 < len(mail.outbox) < 40


def test_no_reset_link_or_token_reaches_a_log_or_the_console(client, caplog, capsys):
    UserFactory(email="alice@acme.test")
    caplog.set_level(logging.DEBUG)

    reset(client, "alice@acme.test")

    (message,) = mail.outbox
    link = re.search(r"/accounts/reset/([^/\s]+)/([^/\s]+)/", message.body)
    assert link, message.body
    captured = capsys.readouterr()
    for secret in (link.group(0), link.group(2)):
        assert secret not in caplog.text
        assert secret not in captured.out + captured.err


def test_the_console_backend_prints_the_link_so_production_refuses_it(client, settings, capsys):
    UserFactory(email="alice@acme.test")
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    reset(client, "alice@acme.test")

    assert re.search(r"/accounts/reset/[^/\s]+/[^/\s]+/", capsys.readouterr().out)
    settings.DEBUG = False
    assert "portal.E003" in {code for code, _message in production_problems()}
