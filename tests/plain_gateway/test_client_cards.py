"""The customer card configs API through the real client, against the emulator over
WSGITransport: every mutation's success and each of Plain's validation errors."""

from __future__ import annotations

import httpx
import pytest

from plain_gateway import PlainClient, PlainMutationError, PlainNotFoundError
from plain_gateway.emulator import create_app
from plain_gateway.types import CustomerCardConfig
from tests.conftest import EMULATOR_KEY, EMULATOR_URL

URL = "https://portal.example.com/plain/customer-cards/"


def _create(plain, **overrides) -> CustomerCardConfig:
    arguments = {
        "title": "Subscription",
        "key": "subscription",
        "default_time_to_live_seconds": 120,
        "api_url": URL,
        "api_headers": {"Authorization": "Bearer s3cret"},
    } | overrides
    return plain.create_customer_card_config(**arguments)


def _refusal(plain, **overrides) -> PlainMutationError:
    with pytest.raises(PlainMutationError) as refused:
        _create(plain, **overrides)
    return refused.value


def test_a_config_is_created_listed_updated_reordered_and_deleted(plain):
    created = _create(plain)
    assert (
        created.key,
        created.title,
        created.default_time_to_live_seconds,
        created.api_url,
        created.api_headers,
        created.order,
        created.is_enabled,
    ) == (
        "subscription",
        "Subscription",
        120,
        URL,
        (("Authorization", "Bearer s3cret"),),
        100_000,
        True,
    )
    assert created.id and created.created_at is not None
    assert plain.customer_card_configs() == (created,)
    assert plain.customer_card_config(customer_card_config_id=created.id) == created

    updated = plain.update_customer_card_config(
        customer_card_config_id=created.id,
        title="Plan",
        key="plan",
        default_time_to_live_seconds=600,
        api_url=URL + "v2",
        api_headers={"X-Api-Key": "k1", "X-Team": "support"},
    )
    assert (updated.id, updated.title, updated.key, updated.default_time_to_live_seconds) == (
        created.id,
        "Plan",
        "plan",
        600,
    )
    assert (updated.api_url, updated.api_headers) == (
        URL + "v2",
        (("X-Api-Key", "k1"), ("X-Team", "support")),
    )
    untouched = plain.update_customer_card_config(customer_card_config_id=created.id)
    assert untouched == updated

    other = _create(plain, key="usage")
    reordered = plain.reorder_customer_card_configs(orders={other.id: 0})
    assert [c.key for c in reordered] == ["usage", "plan"]
    assert [c.key for c in plain.customer_card_configs()] == ["usage", "plan"]

    plain.delete_customer_card_config(customer_card_config_id=created.id)
    assert [c.id for c in plain.customer_card_configs()] == [other.id]
    assert plain.customer_card_config(customer_card_config_id=created.id) is None


def test_headers_are_optional(plain):
    assert _create(plain, api_headers={}).api_headers == ()
    arguments = {"title": "T", "key": "k2", "default_time_to_live_seconds": 15, "api_url": URL}
    assert plain.create_customer_card_config(**arguments).api_headers == ()


@pytest.mark.parametrize(
    ("overrides", "field", "kind"),
    [
        ({"key": "has space"}, "key", "VALIDATION"),
        ({"key": "ümlaut"}, "key", "VALIDATION"),
        ({"key": ""}, "key", "REQUIRED"),
        ({"key": "k" * 501}, "key", "VALIDATION"),
        ({"title": " "}, "title", "REQUIRED"),
        ({"title": "t" * 501}, "title", "VALIDATION"),
        ({"default_time_to_live_seconds": 14}, "defaultTimeToLiveSeconds", "VALIDATION"),
        ({"default_time_to_live_seconds": 31_536_001}, "defaultTimeToLiveSeconds", "VALIDATION"),
        ({"api_url": "http://portal.example.com/cards"}, "apiUrl", "VALIDATION"),
        ({"api_url": "http://127.0.0.1:8000/cards"}, "apiUrl", "VALIDATION"),
        ({"api_url": "/cards"}, "apiUrl", "VALIDATION"),
        ({"api_url": "https://x.test/" + "a" * 600}, "apiUrl", "VALIDATION"),
        ({"api_url": " "}, "apiUrl", "REQUIRED"),
        ({"api_headers": {f"X-H{i}": "v" for i in range(21)}}, "apiHeaders", "VALIDATION"),
        (
            {"api_headers": {"Plain-Request-Signature": "forged"}},
            "apiHeaders[0].name",
            "VALIDATION",
        ),
        ({"api_headers": {"Content-Type": "text/plain"}}, "apiHeaders[0].name", "VALIDATION"),
        ({"api_headers": {"Bad Name": "v"}}, "apiHeaders[0].name", "VALIDATION"),
        ({"api_headers": {"X-A": "1", " x-a ": "2"}}, "apiHeaders[1].name", "VALIDATION"),
        ({"api_headers": {"X-A": ""}}, "apiHeaders[0].value", "VALIDATION"),
        ({"api_headers": {"X-A": "a\r\nX-B: b"}}, "apiHeaders[0].value", "VALIDATION"),
    ],
)
def test_plains_limits_are_refused_naming_the_field(plain, overrides, field, kind):
    error = _refusal(plain, **overrides)
    assert error.code == "input_validation"
    assert [(f.field, f.type) for f in error.fields] == [(field, kind)]
    assert plain.customer_card_configs() == ()


def test_twenty_headers_and_a_url_of_600_characters_are_allowed(plain):
    url = "https://x.test/" + "a" * (600 - len("https://x.test/"))
    created = _create(plain, api_url=url, api_headers={f"X-H{i}": "v" for i in range(20)})
    assert (len(created.api_url), len(created.api_headers)) == (600, 20)


def test_keys_are_unique_and_a_workspace_holds_at_most_25_cards(plain):
    first = _create(plain, key="k0")
    error = _refusal(plain, key="k0")
    assert [f.field for f in error.fields] == ["key"]
    for i in range(1, 25):
        _create(plain, key=f"k{i}")
    error = _refusal(plain, key="k25")
    assert (error.code, error.fields) == ("max_customer_card_configs_reached", ())
    assert len(plain.customer_card_configs()) == 25
    # An update may keep its own key, but not take another's.
    assert plain.update_customer_card_config(customer_card_config_id=first.id, key="k0") == first
    with pytest.raises(PlainMutationError) as refused:
        plain.update_customer_card_config(customer_card_config_id=first.id, key="k1")
    assert [f.field for f in refused.value.fields] == ["key"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"default_time_to_live_seconds": 31_536_001}, "defaultTimeToLiveSeconds"),
        ({"api_url": "ftp://x.test/"}, "apiUrl"),
        ({"order": 100_001}, "order"),
        ({"api_headers": {"User-Agent": "me"}}, "apiHeaders[0].name"),
    ],
)
def test_an_update_is_validated_like_a_create_and_changes_nothing_when_refused(
    plain, change, field
):
    created = _create(plain)
    with pytest.raises(PlainMutationError) as refused:
        plain.update_customer_card_config(customer_card_config_id=created.id, **change)
    assert [f.field for f in refused.value.fields] == [field]
    assert plain.customer_card_configs() == (created,)


def test_an_unknown_config_is_not_found(plain):
    with pytest.raises(PlainNotFoundError) as refused:
        plain.update_customer_card_config(customer_card_config_id="cc_nope", title="T")
    assert [f.field for f in refused.value.fields] == ["customerCardConfigId"]
    with pytest.raises(PlainNotFoundError):
        plain.delete_customer_card_config(customer_card_config_id="cc_nope")
    with pytest.raises(PlainMutationError) as refused:
        plain.reorder_customer_card_configs(orders={"cc_nope": 1})
    assert [f.field for f in refused.value.fields] == [
        "customerCardConfigOrders[0].customerCardConfigId"
    ]


def test_reloading_an_unknown_card_or_for_an_unknown_customer_is_not_found(plain):
    created = _create(plain)
    with pytest.raises(PlainNotFoundError):
        plain.reload_customer_card_instance(
            customer_id="c_nope", customer_card_config_id=created.id
        )
    customer, _ = plain.upsert_customer(external_id="u1", email="ada@acme.test", full_name="Ada")
    with pytest.raises(PlainNotFoundError):
        plain.reload_customer_card_instance(customer_id=customer.id, customer_card_config_id="cc_x")


def test_api_headers_are_a_mapping_not_pairs(plain):
    with pytest.raises(TypeError):
        _create(plain, api_headers=[("Authorization", "Bearer x")])


def test_http_on_loopback_is_allowed_where_webhook_targets_may_be_http():
    app = create_app(api_key=EMULATOR_KEY, allow_http_targets=True)
    transport = httpx.WSGITransport(app=app)
    with PlainClient(api_key=EMULATOR_KEY, url=EMULATOR_URL, transport=transport) as plain:
        assert _create(plain, api_url="http://127.0.0.1:8000/cards").api_url.startswith("http:")
        assert _create(plain, key="k2", api_url="http://localhost/cards")
        error = _refusal(plain, key="k3", api_url="http://portal.example.com/cards")
        assert [f.field for f in error.fields] == ["apiUrl"]
    app.close()


def test_with_a_card_transport_http_may_name_any_host_as_the_embedded_portal_does():
    app = create_app(
        api_key=EMULATOR_KEY,
        allow_http_targets=True,
        card_transport=httpx.MockTransport(lambda request: httpx.Response(500)),
    )
    transport = httpx.WSGITransport(app=app)
    with PlainClient(api_key=EMULATOR_KEY, url=EMULATOR_URL, transport=transport) as plain:
        assert _create(plain, api_url="http://portal.internal/cards").api_url
    app.close()
