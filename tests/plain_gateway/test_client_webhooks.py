"""The webhook targets API through the real client, against the emulator over WSGITransport."""

from __future__ import annotations

import pytest

from plain_gateway import PlainMutationError
from plain_gateway.types import WebhookDeliveryStatus, WebhookTarget
from plain_gateway.webhooks import SUPPORTED_VERSIONS

URL = "https://portal.example.com/plain/webhooks/"
TYPES = ("thread.chat_sent", "thread.thread_created")


def _create(plain, url: str = URL, **overrides) -> WebhookTarget:
    arguments = {
        "url": url,
        "event_types": TYPES,
        "description": "The portal",
        "version": max(SUPPORTED_VERSIONS),
    } | overrides
    return plain.create_webhook_target(**arguments)


def test_a_target_is_created_listed_read_updated_and_deleted(plain):
    created = _create(plain)
    assert (created.url, created.event_types, created.is_enabled, created.version) == (
        URL,
        frozenset(TYPES),
        True,
        max(SUPPORTED_VERSIONS),
    )
    assert created.id and created.created_at is not None
    assert [target.id for target in plain.webhook_targets().items] == [created.id]
    assert plain.webhook_target(webhook_target_id=created.id) == created

    updated = plain.update_webhook_target(
        webhook_target_id=created.id, event_types=["thread.note_created"], is_enabled=False
    )
    assert (updated.id, updated.url, updated.event_types, updated.is_enabled) == (
        created.id,
        URL,
        frozenset({"thread.note_created"}),
        False,
    )
    assert plain.webhook_target(webhook_target_id=created.id) == updated

    plain.delete_webhook_target(webhook_target_id=created.id)
    assert plain.webhook_targets().items == ()
    assert plain.webhook_target(webhook_target_id=created.id) is None


def test_a_plain_http_url_is_refused_as_plain_refuses_it(plain):
    with pytest.raises(PlainMutationError):
        _create(plain, url="http://portal.example.com/plain/webhooks/")
    assert plain.webhook_targets().items == ()


def test_event_types_are_a_sequence_of_names_not_one_string(plain):
    with pytest.raises(TypeError):
        _create(plain, event_types="thread.chat_sent")


def test_the_event_types_and_versions_plain_offers_include_what_the_portal_subscribes_to(
    plain, settings
):
    offered = {item.event_type for item in plain.subscription_event_types()}
    assert set(settings.PLAIN_WEBHOOK_EVENT_TYPES) <= offered
    versions = {version.version: version for version in plain.webhook_versions().items}
    assert versions.keys() >= SUPPORTED_VERSIONS
    assert [v for v in versions.values() if v.is_latest]


def test_the_workspace_secret_and_the_machine_user_are_read(plain):
    secret = plain.workspace_hmac_secret()
    assert isinstance(secret, str) and len(secret) >= 16
    me = plain.my_machine_user()
    assert me is not None and me.id and me.public_name
    assert plain.my_machine_user() == me
    assert plain.workspace_hmac_secret() == secret


def test_an_unknown_event_has_no_body(plain):
    assert plain.public_event_request_body(event_id="publicEvent_unknown") is None


def test_delivery_attempts_of_a_target_with_none_are_an_empty_page(plain):
    target = _create(plain)
    page = plain.webhook_delivery_attempts(
        webhook_target_id=target.id,
        event_types=["thread.chat_sent"],
        status=WebhookDeliveryStatus.FAILED_RESPONSE,
    )
    assert page.items == ()
    with pytest.raises(ValueError):
        plain.webhook_delivery_attempts(webhook_target_id=target.id, status="NOT_A_STATUS")
