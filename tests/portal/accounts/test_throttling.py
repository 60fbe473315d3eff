"""Login throttling: an attacker cannot lock a customer out, and guessing stays slow.

Failed logins lock one (account, client address) pair for a cool-off; a generous per-client cap
slows spraying one password over many accounts. Behind a proxy, the client's address comes from
the configured header (the entry the trusted proxy appended), never from what the client wrote
in it. Through the real login view, middleware and stores.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user
from django.test import Client

from portal.accounts.throttling import LOGIN_FAILURES_PER_CLIENT, client_ip
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
PROXY = "10.0.0.2"  # the proxy's own address: REMOTE_ADDR of every request that comes through it
ALICE_AT = "198.51.100.7"
CAROL_AT = "198.51.100.8"
ATTACKER_AT = "203.0.113.66"
SPRAY_LIMIT = int(LOGIN_FAILURES_PER_CLIENT.split("/")[0])


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    """As deployed behind one proxy that appends the client's address to X-Forwarded-For."""
    settings.PORTAL_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1


def login(client: Client, email: str, password: str, *, forwarded_for: str):
    return client.post(
        LOGIN_URL,
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY,
        headers={"X-Forwarded-For": forwarded_for},
    )


class _Alerts(HTMLParser):
    """The text of each role="alert" element."""

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += 1
        elif ("role", "alert") in attrs:
            self._depth = 1
            self.alerts.append("")

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.alerts[-1] += data


def alerts(response) -> list[str]:
    parser = _Alerts()
    parser.feed(response.content.decode())
    return [" ".join(text.split()) for text in parser.alerts]


def locked_out(response) -> bool:
    return response.status_code == 429 and any("Too many failed" in a for a in alerts(response))


def test_an_attackers_guesses_do_not_lock_the_owner_out(client, settings):
    alice = UserFactory(email="alice@acme.test")
    for _ in range(settings.AXES_FAILURE_LIMIT + 5):
        login(client, "alice@acme.test", "guess", forwarded_for=ATTACKER_AT)

    owner = Client()
    response = login(owner, "alice@acme.test", DEFAULT_PASSWORD, forwarded_for=ALICE_AT)

    assert response.status_code == 302
    assert get_user(owner).pk == alice.pk  # from her own address, through the same proxy
    assert get_user(client).is_anonymous


def test_spraying_many_accounts_does_not_lock_out_a_customer_behind_the_same_proxy(client):
    UserFactory(email="carol@globex.test")
    for n in range(60):
        login(client, f"random{n}@example.test", "guess", forwarded_for=ATTACKER_AT)

    response = login(Client(), "carol@globex.test", DEFAULT_PASSWORD, forwarded_for=CAROL_AT)

    assert response.status_code == 302


def test_failures_lock_the_account_and_client_pair_even_with_the_right_password(client, settings):
    UserFactory(email="alice@acme.test")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            login(client, "alice@acme.test", "guess", forwarded_for=ATTACKER_AT).status_code == 200
        )
    # The failure that reaches the limit is already answered as locked.
    assert locked_out(login(client, "alice@acme.test", "guess", forwarded_for=ATTACKER_AT))

    # The case of the address does not make a new account.
    response = login(client, "Alice@Acme.test", DEFAULT_PASSWORD, forwarded_for=ATTACKER_AT)

    assert locked_out(response)
    assert get_user(client).is_anonymous


def test_the_lock_ends_after_the_cool_off(client, settings):
    UserFactory(email="alice@acme.test")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice@acme.test", "guess", forwarded_for=ALICE_AT)
    assert locked_out(login(client, "alice@acme.test", DEFAULT_PASSWORD, forwarded_for=ALICE_AT))

    # Time passes in the store: the failures are now older than the cool-off.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )

    assert (
        login(client, "alice@acme.test", DEFAULT_PASSWORD, forwarded_for=ALICE_AT).status_code
        == 302
    )


def test_a_success_clears_the_pairs_failures(client, settings):
    UserFactory(email="alice@acme.test")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "alice@acme.test", "typo", forwarded_for=ALICE_AT)
    assert (
        login(client, "alice@acme.test", DEFAULT_PASSWORD, forwarded_for=ALICE_AT).status_code
        == 302
    )
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "alice@acme.test", "typo", forwarded_for=ALICE_AT)

    assert (
        login(client, "alice@acme.test", DEFAULT_PASSWORD, forwarded_for=ALICE_AT).status_code
        == 302
    )


def test_a_forged_forwarded_for_entry_does_not_make_the_attacker_someone_else(client, settings):
    UserFactory(email="alice@acme.test")
    # The attacker writes alice's address into the header; the proxy appends the real one.
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(client, "alice@acme.test", "guess", forwarded_for=f"{ALICE_AT}, {ATTACKER_AT}")

    assert locked_out(
        login(client, "alice@acme.test", DEFAULT_PASSWORD, forwarded_for=f"x, {ATTACKER_AT}")
    )
    assert (
        login(Client(), "alice@acme.test", DEFAULT_PASSWORD, forwarded_for=ALICE_AT).status_code
        == 302
    )


def test_one_client_spraying_many_accounts_is_capped(client):
    UserFactory(email="carol@globex.test")
    for n in range(SPRAY_LIMIT):
        login(client, f"random{n}@example.test", "guess", forwarded_for=ATTACKER_AT)

    assert locked_out(login(client, "carol@globex.test", "guess", forwarded_for=ATTACKER_AT))
    assert (
        login(Client(), "carol@globex.test", DEFAULT_PASSWORD, forwarded_for=CAROL_AT).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("header", "count", "meta", "expected"),
    [
        # No header configured: the connection's address, whatever the client wrote.
        (None, 1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ATTACKER_AT}, PROXY),
        ("X-Forwarded-For", 1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ALICE_AT}, ALICE_AT),
        (
            "X-Forwarded-For",
            1,
            {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{ALICE_AT}, {ATTACKER_AT}"},
            ATTACKER_AT,
        ),
        # Two proxies: the outer one appended the client, the inner one the outer proxy.
        (
            "X-Forwarded-For",
            2,
            {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{ALICE_AT}, {CAROL_AT}, 10.0.0.3"},
            CAROL_AT,
        ),
        ("X-Real-IP", 1, {"REMOTE_ADDR": PROXY, "HTTP_X_REAL_IP": CAROL_AT}, CAROL_AT),
        # Header missing or garbage (a request that did not come through the proxy).
        ("X-Forwarded-For", 1, {"REMOTE_ADDR": ALICE_AT}, ALICE_AT),
        ("X-Forwarded-For", 1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "nonsense"}, PROXY),
    ],
)
def test_the_client_address_comes_from_the_configured_header(
    rf, settings, header, count, meta, expected
):
    settings.PORTAL_CLIENT_IP_HEADER = header
    settings.PORTAL_TRUSTED_PROXY_COUNT = count

    assert client_ip(rf.get("/", **meta)) == expected
