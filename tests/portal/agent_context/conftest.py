"""Fixtures for the customer-card tests: the signing secret, a signed poster and request bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from portal.accounts.models import User
from tests.plain_gateway.webhook_bodies import SECRET, signed_headers

CARDS_PATH = "/plain/customer-cards/"
ALL_KEYS = ("portal-organisations", "portal-members", "portal-activity", "portal-staff-links")


@pytest.fixture(autouse=True)
def hmac_secret(settings):
    settings.PLAIN_HMAC_SECRET = SECRET
    settings.PORTAL_PUBLIC_URL = "https://portal.example.test"
    return SECRET


def card_body(
    keys: tuple[str, ...] | list[str] = ALL_KEYS,
    *,
    user: User | None = None,
    customer_id: str = "c_01JCARDS0000000000000000",
    email: str | None = None,
    external_id: str | None = None,
    thread: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A request body as Plain sends it, for `user` (their externalId and address) unless the
    customer's fields are given."""
    if user is not None:
        email = email if email is not None else user.email
        external_id = external_id if external_id is not None else user.plain_external_id
    body: dict[str, Any] = {
        "cardKeys": list(keys),
        "customer": {"id": customer_id, "email": email, "externalId": external_id},
    }
    if thread is not None:
        body["thread"] = thread
    return body


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


@pytest.fixture
def post_cards(client):
    """post_cards(body_dict_or_bytes, headers=None, path=CARDS_PATH): a signed POST."""

    def run(data: Any, *, headers: dict[str, str] | None = None, path: str = CARDS_PATH):
        raw = data if isinstance(data, bytes) else encode(data)
        return client.post(
            path,
            data=raw,
            content_type="application/json",
            headers=signed_headers(raw) if headers is None else headers,
        )

    return run


@pytest.fixture
def ask(post_cards):
    """ask(keys, **card_body kwargs) -> {key: card} from a signed request answered 200."""

    def run(keys: tuple[str, ...] | list[str] = ALL_KEYS, **kwargs: Any) -> dict[str, Any]:
        response = post_cards(card_body(keys, **kwargs))
        assert response.status_code == 200, response.content
        cards = response.json()["cards"]
        assert [card["key"] for card in cards] == list(dict.fromkeys(keys))
        return {card["key"]: card for card in cards}

    return run
