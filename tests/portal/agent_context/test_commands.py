"""`manage.py plain_customer_cards` against the emulator: ensuring, then checking, finds no drift;
drift is reported and repaired; configs with other keys are never touched."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.portal.agent_context.conftest import ALL_KEYS

pytestmark = pytest.mark.django_db

CARDS_URL = "https://portal.example.test/plain/customer-cards/"


def _run(*args: str) -> tuple[int, list[str]]:
    out = StringIO()
    try:
        call_command("plain_customer_cards", *args, stdout=out)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, out.getvalue().splitlines()


def _configs(plain) -> dict[str, object]:
    return {config.key: config for config in plain.customer_card_configs()}


def _writes(emulator_control) -> list[str]:
    return [
        request["operationName"]
        for request in emulator_control.requests()
        if request.get("operationName")
        in {"createCustomerCardConfig", "updateCustomerCardConfig", "deleteCustomerCardConfig"}
    ]


def test_check_reports_every_missing_card_and_exits_1(plain):
    status, lines = _run("--check")
    assert status == 1
    assert [line for line in lines if line.startswith("drift:")] == [
        f"drift: no card config with the key {key!r}" for key in ALL_KEYS
    ]
    assert _configs(plain) == {}


def test_ensure_then_check_finds_no_drift(plain, settings):
    status, lines = _run("--ensure")
    assert status == 0
    assert len([line for line in lines if line.startswith("created card config")]) == 4
    configs = _configs(plain)
    assert sorted(configs) == sorted(ALL_KEYS)
    for card in settings.PLAIN_CUSTOMER_CARDS:
        config = configs[card["key"]]
        assert (config.title, config.default_time_to_live_seconds, config.api_url) == (
            card["title"],
            card["ttl_seconds"],
            CARDS_URL,
        )
    assert _run("--check") == (0, [lines[0], "In sync."])


def test_ensure_in_sync_writes_nothing(plain, emulator_control):
    _run("--ensure")
    emulator_control.clear_requests()
    status, lines = _run("--ensure")
    assert (status, lines[-1]) == (0, "In sync.")
    assert _writes(emulator_control) == []
    assert len(emulator_control.requests()) == 1  # the one read


def test_drift_is_reported_and_only_the_drifted_config_is_repaired(plain, settings):
    _run("--ensure")
    members = _configs(plain)["portal-members"]
    plain.update_customer_card_config(
        customer_card_config_id=members.id, title="Renamed by hand", api_url="https://x.test/"
    )
    settings.PLAIN_CUSTOMER_CARDS = [
        {**card, "ttl_seconds": 120} if card["key"] == "portal-activity" else card
        for card in settings.PLAIN_CUSTOMER_CARDS
    ]
    status, lines = _run("--check")
    assert status == 1
    assert [line for line in lines if line.startswith("drift:")] == [
        "drift: card 'portal-members': title is 'Renamed by hand', not 'Organisation members'",
        f"drift: card 'portal-members': API URL is 'https://x.test/', not '{CARDS_URL}'",
        "drift: card 'portal-activity': time to live is 60 s, not 120 s",
    ]
    status, lines = _run("--ensure")
    updated = sorted(line for line in lines if line.startswith("updated card config"))
    assert len(updated) == 2 and not [line for line in lines if line.startswith("created")]
    configs = _configs(plain)
    assert configs["portal-members"].title == "Organisation members"
    assert configs["portal-members"].api_url == CARDS_URL
    assert configs["portal-activity"].default_time_to_live_seconds == 120
    assert _run("--check")[0] == 0


def test_configs_with_other_keys_are_left_alone(plain):
    other = plain.create_customer_card_config(
        title="Billing",
        key="billing",
        default_time_to_live_seconds=900,
        api_url="https://billing.example.test/cards",
        api_headers={"Authorization": "Bearer other"},
    )
    _run("--ensure")
    assert _run("--check")[0] == 0
    assert _configs(plain)["billing"] == other


def test_invalid_settings_are_a_clear_command_error(settings):
    settings.PLAIN_CUSTOMER_CARDS = [
        {"kind": "weather", "key": "k", "title": "T", "ttl_seconds": 60}
    ]
    with pytest.raises(CommandError, match="unknown kind 'weather'"):
        call_command("plain_customer_cards", "--check", stdout=StringIO())


def test_a_mode_is_required():
    with pytest.raises(CommandError):
        call_command("plain_customer_cards", stdout=StringIO())


def test_the_embedded_start_ensures_the_configs_over_an_emulator_only(plain, settings):
    from portal.agent_context.card_configs import card_configs_ensure_on_start
    from portal.plain import reset_plain_client

    first = card_configs_ensure_on_start()
    assert first.startswith(f"Customer cards: the emulator asks {CARDS_URL} for 4 cards (created")
    assert sorted(_configs(plain)) == sorted(ALL_KEYS)
    assert card_configs_ensure_on_start() == (
        f"Customer cards: the emulator asks {CARDS_URL} for 4 cards (in sync)."
    )
    settings.PLAIN_CUSTOMER_CARDS_ENSURE_ON_START = False
    assert card_configs_ensure_on_start() == ""
    settings.PLAIN_CUSTOMER_CARDS_ENSURE_ON_START = True
    settings.PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"  # real Plain: never
    reset_plain_client()
    assert card_configs_ensure_on_start() == ""
