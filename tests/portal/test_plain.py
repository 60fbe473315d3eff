"""portal/plain.py: the embedded emulator reaches the portal in-process, for customer cards too."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_the_embedded_emulator_asks_the_portal_itself_for_customer_cards(plain, emulator_control):
    # A plain-http URL on a host nothing listens on: only the in-process portal can answer it.
    plain.create_customer_card_config(
        title="Probe",
        key="probe",
        default_time_to_live_seconds=60,
        api_url="http://127.0.0.1:9/no-such-card-endpoint/",
    )
    customer, _ = plain.upsert_customer(
        external_id="user-1", email="alice@acme.test", full_name="Alice"
    )
    (loading,) = plain.customer_card_instances(customer_id=customer.id)
    assert loading.state == "loading"

    (request,) = emulator_control.fetch_customer_cards()
    # The portal's own 404 for a path it does not serve: an answer, not a connection error.
    assert (request["status_code"], request["error_code"], request["outcome"]) == (
        404,
        None,
        "failed",
    )
    (card,) = plain.customer_card_instances(customer_id=customer.id)
    assert (card.state, card.error_kind) == ("error", "StatusCode")
