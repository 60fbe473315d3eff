"""The customer-card endpoint: what it refuses (having read nothing), what it answers, and that it
never redirects, needs no CSRF token, and never shows the signing secret or the body in logs."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from plain_gateway.webhooks import SIGNATURE_HEADER, sign
from portal.plain import reset_plain_client
from tests.factories import MembershipFactory, UserFactory
from tests.plain_gateway.webhook_bodies import SECRET
from tests.portal.agent_context.conftest import ALL_KEYS, CARDS_PATH, card_body, encode

pytestmark = pytest.mark.django_db

MARKER = "zebra-marker-in-the-body"


@pytest.fixture
def member():
    return MembershipFactory(
        user=UserFactory(email="alice@acme.test", full_name="Alice"),
        organization__name="Acme",
    ).user


def _refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == reason
    assert isinstance(body["detail"], str) and body["detail"]
    assert "cards" not in body


def test_a_signed_request_is_answered_with_every_card(post_cards, member):
    response = post_cards(card_body(user=member))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    cards = response.json()["cards"]
    assert [card["key"] for card in cards] == list(ALL_KEYS)
    assert all(isinstance(card["components"], list) and card["components"] for card in cards)


@pytest.mark.parametrize(
    "headers",
    [
        {SIGNATURE_HEADER: sign(encode(card_body(email="alice@acme.test")), "not-the-secret")},
        {},
        {SIGNATURE_HEADER: ""},
        {SIGNATURE_HEADER: "zz" * 32},
    ],
    ids=["forged", "missing", "empty", "not hex"],
)
def test_a_bad_signature_is_refused_401_with_nothing_read(
    post_cards, member, headers, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = post_cards(encode(card_body(email="alice@acme.test")), headers=headers)
    _refused(response, 401, "bad_signature")


def test_a_changed_body_is_refused_401_with_nothing_read(
    post_cards, member, django_assert_num_queries
):
    raw = encode(card_body(email="alice@acme.test"))
    changed = raw.replace(b"alice@acme.test", b"carol@acme.test")
    assert changed != raw
    with django_assert_num_queries(0):
        response = post_cards(changed, headers={SIGNATURE_HEADER: sign(raw, SECRET)})
    _refused(response, 401, "bad_signature")


def test_the_signature_is_checked_before_the_body_is_parsed(post_cards):
    # Unsigned garbage is a 401, not a 400: nothing of an unverified body is read.
    _refused(post_cards(b"{not json", headers={}), 401, "bad_signature")


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "the body must be an object"),
        (encode({"customer": {"id": "c_1"}}), "cardKeys"),
        (encode({"cardKeys": ["a", 1], "customer": {"id": "c_1"}}), "cardKeys"),
        (encode({"cardKeys": ["a"]}), "customer must be an object"),
        (encode({"cardKeys": ["a"], "customer": {"email": "a@b.test"}}), "customer.id"),
        (encode({"cardKeys": ["a"], "customer": {"id": "c_1", "email": 5}}), "customer.email"),
        (
            encode({"cardKeys": ["a"], "customer": {"id": "c_1", "externalId": ["x"]}}),
            "customer.externalId",
        ),
        (encode({"cardKeys": ["a"], "customer": {"id": "c_1"}, "thread": "t"}), "thread"),
        (encode({"cardKeys": ["a"], "customer": {"id": "c_1"}, "thread": {}}), "thread.id"),
        (encode({"cardKeys": ["k"] * 101, "customer": {"id": "c_1"}}), "more than 100"),
        (b'{"cardKeys": ["\xff"]}', "not JSON"),
    ],
)
def test_a_malformed_body_is_refused_400_with_a_clear_message(post_cards, raw, detail):
    response = post_cards(raw)
    _refused(response, 400, "malformed")
    assert detail in response.json()["detail"]


def test_a_body_over_the_limit_is_refused_413(post_cards, settings, member):
    raw = encode(card_body(user=member, thread={"id": "th_1", "externalId": "x" * 2000}))
    settings.PLAIN_CUSTOMER_CARDS_MAX_BYTES = len(raw) - 1
    _refused(post_cards(raw), 413, "too_large")
    settings.PLAIN_CUSTOMER_CARDS_MAX_BYTES = len(raw)
    assert post_cards(raw).status_code == 200


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(client, settings):
    settings.PLAIN_CUSTOMER_CARDS_MAX_BYTES = 1024
    raw = encode(card_body(email="alice@acme.test"))
    # The test client's payload raises if read past what it holds: a view that trusted this
    # Content-Length and read would fail, not answer 413.
    response = client.generic(
        "POST",
        CARDS_PATH,
        data=raw,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(raw, SECRET)},
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    _refused(response, 413, "too_large")


def test_without_a_secret_every_request_is_refused_503(post_cards, settings):
    settings.PLAIN_HMAC_SECRET = ""
    settings.PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"
    reset_plain_client()
    _refused(post_cards(card_body(email="alice@acme.test")), 503, "not_configured")


def test_over_the_emulator_an_unset_secret_is_the_emulators_own(post_cards, settings, plain):
    settings.PLAIN_HMAC_SECRET = ""
    secret = plain.workspace_hmac_secret()
    assert secret
    raw = encode(card_body(email="nobody@example.test"))
    _refused(post_cards(raw), 401, "bad_signature")  # signed with the test's secret
    assert post_cards(raw, headers={SIGNATURE_HEADER: sign(raw, secret)}).status_code == 200


def test_invalid_card_settings_are_refused_503_not_a_500(post_cards, settings):
    settings.PLAIN_CUSTOMER_CARDS = [
        {"kind": "nonsense", "key": "k", "title": "T", "ttl_seconds": 60}
    ]
    response = post_cards(card_body(email="alice@acme.test"))
    _refused(response, 503, "not_configured")
    assert "nonsense" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/plain/customer-cards/", "/plain/customer-cards"])
def test_both_slash_forms_are_served_without_a_redirect(post_cards, path, member):
    response = post_cards(card_body(user=member), path=path)
    assert response.status_code == 200
    assert len(response.json()["cards"]) == len(ALL_KEYS)


@pytest.mark.parametrize("path", ["/plain/customer-cards/", "/plain/customer-cards"])
def test_other_methods_are_405_not_a_redirect(client, path):
    for method in (client.get, client.put, client.delete, client.patch):
        assert method(path).status_code == 405


def test_the_ssl_redirect_spares_the_card_path(post_cards, client, settings, member):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301  # everything else is redirected
    for path in ("/plain/customer-cards/", "/plain/customer-cards"):
        assert post_cards(card_body(user=member), path=path).status_code == 200


def test_no_csrf_token_is_needed(member):
    strict = Client(enforce_csrf_checks=True)
    raw = encode(card_body(user=member))
    response = strict.post(
        CARDS_PATH,
        data=raw,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(raw, SECRET)},
    )
    assert response.status_code == 200


def test_each_refusal_logs_one_line_without_the_body_or_the_secret(post_cards, caplog):
    raw = encode(card_body(email=f"{MARKER}@example.test"))
    garbage = b"{" + MARKER.encode()
    with caplog.at_level(logging.INFO):
        post_cards(raw, headers={SIGNATURE_HEADER: sign(raw, "wrong")})
        post_cards(raw, headers={})
        post_cards(garbage, headers={SIGNATURE_HEADER: sign(garbage, SECRET)})
    refusals = [r for r in caplog.records if r.name == "portal.agent_context.views"]
    assert [r.levelno for r in refusals] == [logging.WARNING] * 3
    reasons = [r.getMessage().split("(")[1].split(",")[0] for r in refusals]
    assert reasons == ["bad_signature", "bad_signature", "malformed"]
    for record in caplog.records:
        text = record.getMessage() + str(record.args)
        assert SECRET not in text
        assert MARKER not in text


def test_answering_reads_our_database_only(post_cards, member, emulator_control):
    before = len(emulator_control.requests())
    assert post_cards(card_body(user=member)).status_code == 200
    assert len(emulator_control.requests()) == before
