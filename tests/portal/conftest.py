"""Fixtures for every portal test: a fresh in-memory embedded Plain emulator per test.

Each test gets the portal's own client (portal.plain.get_plain_client) over a new emulator that
lives in memory, so tests share nothing and nothing touches var/. The client never really sleeps
between retries. `plain` and `emulator_control` here override the gateway's fixtures of the same
name: in portal tests they reach the very emulator the views talk to.
"""

from __future__ import annotations

import functools

import pytest

import portal.plain
from plain_gateway import PlainClient
from portal.plain import get_emulator_control, get_plain_client, reset_plain_client

TEST_API_KEY = "portal-test-key"


def _no_sleep(seconds: float) -> None:
    """Retries in tests wait for nothing."""


@pytest.fixture(autouse=True)
def wsgi_keeps_the_test_transaction(monkeypatch):
    """In-process requests to the portal's own WSGI app (the embedded emulator delivering a
    webhook, run synchronously by a test) keep the test's database connection, as Django's test
    client does: at the end of each request the WSGI handler closes a connection it finds inside
    a transaction, and with it the test's transaction (on PostgreSQL the test then fails with
    "the connection is closed"). Disconnecting the handler's signal is not enough: the test
    client connects it again after each of its own requests."""
    from django.db import connections

    for connection in connections.all():
        monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)


@pytest.fixture(autouse=True)
def embedded_plain(settings, monkeypatch):
    """A fresh in-memory emulator behind the portal's client, forgotten after the test."""
    settings.PLAIN_API_URL = ""
    settings.PLAIN_API_KEY = TEST_API_KEY
    settings.PLAIN_EMULATOR_DATA = ""  # empty: the emulator keeps its state in memory
    monkeypatch.setattr(
        portal.plain, "PlainClient", functools.partial(PlainClient, sleep=_no_sleep)
    )
    reset_plain_client()
    yield
    reset_plain_client()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("static")


@pytest.fixture(autouse=True)
def test_http_settings(settings, static_root):
    """Test-speed settings: plain HTTP, static files as they are, a fast password hasher.

    The test client speaks http; nothing is collected (and var/ stays untouched); hashing each
    factory user's password with the production hasher would cost most of a second.
    """
    settings.SECURE_SSL_REDIRECT = False
    settings.STATIC_ROOT = str(static_root)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def staff_client(client):
    """The test client, logged in as the staff superuser admin@portal.test."""
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="admin@portal.test", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def plain(embedded_plain) -> PlainClient:
    """The portal's Plain client, over this test's emulator."""
    return get_plain_client()


@pytest.fixture
def emulator_control(embedded_plain):
    """The control API of this test's emulator (fault injection, request log, inbound email)."""
    control = get_emulator_control()
    assert control is not None
    return control
