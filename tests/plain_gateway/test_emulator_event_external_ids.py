"""Thread and customer events are idempotent by externalId: a repeat is refused with the
(assumed) code `event_already_exists_with_external_id`, which the gateway raises as
PlainAlreadyExistsError, and the timeline keeps one entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plain_gateway import PlainAlreadyExistsError, PlainMutationError, PlainNotFoundError
from plain_gateway.components import PlainText
from plain_gateway.emulator.families.events import DUPLICATE_EXTERNAL_ID_CODE
from plain_gateway.emulator.families.threads import Threads

THREAD_EVENT = """mutation m($i: CreateThreadEventInput!) { createThreadEvent(input: $i) {
  threadEvent { id } error { code type fields { field type } } } }"""
CUSTOMER_EVENT = """mutation m($i: CreateCustomerEventInput!) { createCustomerEvent(input: $i) {
  customerEvent { id } error { code type fields { field type } } } }"""
COMPONENTS = [{"componentPlainText": {"plainText": "Resolved from the portal"}}]


def _event_entries(emulator_app, thread_id: str, kind: str) -> list:
    return emulator_app.state.family(Threads).timeline(thread_id, kinds=[kind])


def test_a_repeated_thread_event_external_id_is_refused_with_its_code_and_kept_once(
    graphql, emulator_factory, emulator_app
):
    thread = emulator_factory.thread()
    event = {"threadId": thread["id"], "title": "Resolved", "components": COMPONENTS}

    first = graphql(THREAD_EVENT, i={**event, "externalId": "portal:x:1"})["data"]
    again = graphql(THREAD_EVENT, i={**event, "externalId": "portal:x:1"})["data"]
    other = graphql(THREAD_EVENT, i={**event, "externalId": "portal:x:2"})["data"]

    assert first["createThreadEvent"]["error"] is None
    assert other["createThreadEvent"]["error"] is None
    assert again["createThreadEvent"] == {
        "threadEvent": None,
        "error": {
            "code": DUPLICATE_EXTERNAL_ID_CODE,
            "type": "VALIDATION",
            "fields": [{"field": "externalId", "type": "VALIDATION"}],
        },
    }
    entries = _event_entries(emulator_app, thread["id"], "thread_event")
    assert [e.data["external_id"] for e in entries] == ["portal:x:1", "portal:x:2"]


def test_a_repeated_customer_event_external_id_is_refused_on_every_thread_it_reached(
    graphql, emulator_factory, emulator_app
):
    customer = emulator_factory.customer()
    first_thread = emulator_factory.thread(customer_id=customer["id"])
    second_thread = emulator_factory.thread(customer_id=customer["id"])
    event = {
        "customerIdentifier": {"customerId": customer["id"]},
        "title": "Left Acme",
        "components": COMPONENTS,
        "externalId": "portal:left:1",
    }

    first = graphql(CUSTOMER_EVENT, i=event)["data"]["createCustomerEvent"]
    again = graphql(CUSTOMER_EVENT, i=event)["data"]["createCustomerEvent"]

    assert first["error"] is None
    assert again["error"]["code"] == DUPLICATE_EXTERNAL_ID_CODE
    for thread in (first_thread, second_thread):
        assert len(_event_entries(emulator_app, thread["id"], "customer_event")) == 1


def test_events_without_an_external_id_are_never_refused_as_repeats(
    graphql, emulator_factory, emulator_app
):
    thread = emulator_factory.thread()
    event = {"threadId": thread["id"], "title": "Ping", "components": COMPONENTS}

    for _ in range(2):
        assert graphql(THREAD_EVENT, i=event)["data"]["createThreadEvent"]["error"] is None

    assert len(_event_entries(emulator_app, thread["id"], "thread_event")) == 2


def test_the_client_raises_already_exists_for_a_repeat_and_returns_the_event_id_otherwise(
    plain, emulator_factory, emulator_app
):
    thread = emulator_factory.thread()
    at = datetime(2024, 10, 28, 18, 30, tzinfo=UTC)

    event_id = plain.create_thread_event(
        thread_id=thread["id"],
        title="Reopened",
        components=[PlainText(text="by Ann")],
        external_id="portal:reopened:1",
        timestamp=at,
    )
    with pytest.raises(PlainAlreadyExistsError) as raised:
        plain.create_thread_event(
            thread_id=thread["id"],
            title="Reopened",
            components=[PlainText(text="by Ann")],
            external_id="portal:reopened:1",
        )

    assert isinstance(raised.value, PlainMutationError)
    assert raised.value.retriable is False
    (entry,) = _event_entries(emulator_app, thread["id"], "thread_event")
    assert entry.data["event_id"] == event_id
    assert entry.timestamp == int(at.timestamp() * 1000)


def test_a_customer_event_names_the_customer_by_our_external_id_or_is_not_found(
    plain, emulator_factory, emulator_app
):
    customer, _ = plain.upsert_customer(
        external_id="user-7", email="ann@example.test", full_name="Ann"
    )
    thread = emulator_factory.thread(customer_id=customer.id)

    plain.create_customer_event(
        customer_external_id="user-7", title="Joined Acme", components=[PlainText(text="Ann")]
    )
    with pytest.raises(PlainNotFoundError):
        plain.create_customer_event(
            customer_external_id="user-8", title="Joined", components=[PlainText(text="x")]
        )
    with pytest.raises(ValueError, match="by one of"):
        plain.create_customer_event(title="Joined", components=[PlainText(text="x")])

    (entry,) = _event_entries(emulator_app, thread["id"], "customer_event")
    assert entry.data["title"] == "Joined Acme"
