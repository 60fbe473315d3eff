"""The portal's customer card configs in Plain: what settings say they must be, the drift, the
repair.

Each card of settings.PLAIN_CUSTOMER_CARDS must have a config in Plain with its key, its title,
its TTL as the default time to live, and the portal's card endpoint (PORTAL_PUBLIC_URL + its
path) as the API URL. Configs are matched by key (unique in a workspace); configs with other
keys belong to other integrations and are never touched, and a config's API headers are left as
they are (the endpoint authenticates Plain by the request signature, not by a header).
`manage.py plain_customer_cards` calls `card_configs_drift` and `card_configs_ensure`; the
embedded start (`run_embedded`) calls `card_configs_ensure_on_start`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from plain_gateway import PlainClient
from plain_gateway.types import CustomerCardConfig
from portal.agent_context.cards import CardDefinition, card_definitions
from portal.plain import get_plain_client

__all__ = [
    "CardConfigReport",
    "card_configs_drift",
    "card_configs_ensure",
    "card_configs_ensure_on_start",
    "card_configs_url",
]


def card_configs_url() -> str:
    """The API URL every card config of ours names."""
    return str(settings.PORTAL_PUBLIC_URL).rstrip("/") + reverse(
        "agent_context:plain_customer_cards"
    )


@dataclass(frozen=True, slots=True)
class CardConfigReport:
    """What was wanted, found and done. `configs` holds our configs after any repair."""

    url: str
    wanted: tuple[CardDefinition, ...]
    configs: tuple[CustomerCardConfig, ...]
    drift: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()

    @property
    def in_sync(self) -> bool:
        return not self.drift


def _differences(config: CustomerCardConfig, card: CardDefinition, url: str) -> list[str]:
    found: list[str] = []
    if config.title != card.title:
        found.append(f"title is {config.title!r}, not {card.title!r}")
    if config.default_time_to_live_seconds != card.ttl_seconds:
        found.append(
            f"time to live is {config.default_time_to_live_seconds} s, not {card.ttl_seconds} s"
        )
    # Plain trims the URL before it compares two (its request deduplication); so do we.
    if config.api_url.strip() != url:
        found.append(f"API URL is {config.api_url!r}, not {url!r}")
    return found


def _by_key(
    configs: Sequence[CustomerCardConfig], wanted: Sequence[CardDefinition]
) -> dict[str, CustomerCardConfig]:
    keys = {card.key for card in wanted}
    return {config.key: config for config in configs if config.key in keys}


def card_configs_drift(*, client: PlainClient | None = None) -> CardConfigReport:
    """Compare Plain's card configs with the settings; changes nothing. Raises
    ImproperlyConfigured when the card settings are invalid, PlainError when Plain cannot say."""
    wanted = card_definitions()
    client = client or get_plain_client()
    url = card_configs_url()
    ours = _by_key(client.customer_card_configs(), wanted)
    drift: list[str] = []
    for card in wanted:
        config = ours.get(card.key)
        if config is None:
            drift.append(f"no card config with the key {card.key!r}")
            continue
        drift += [f"card {card.key!r}: {d}" for d in _differences(config, card, url)]
    found = tuple(ours[card.key] for card in wanted if card.key in ours)
    return CardConfigReport(url=url, wanted=wanted, configs=found, drift=tuple(drift))


def card_configs_ensure(*, client: PlainClient | None = None) -> CardConfigReport:
    """Create the missing configs and update the drifted ones (only what drifted). Idempotent:
    in sync, it writes nothing."""
    client = client or get_plain_client()
    report = card_configs_drift(client=client)
    ours = {config.key: config for config in report.configs}
    actions: list[str] = []
    configs: list[CustomerCardConfig] = []
    for card in report.wanted:
        config = ours.get(card.key)
        if config is None:
            config = client.create_customer_card_config(
                title=card.title,
                key=card.key,
                default_time_to_live_seconds=card.ttl_seconds,
                api_url=report.url,
            )
            actions.append(f"created card config {config.id} ({card.key})")
        elif _differences(config, card, report.url):
            config = client.update_customer_card_config(
                customer_card_config_id=config.id,
                title=card.title if config.title != card.title else None,
                default_time_to_live_seconds=(
                    card.ttl_seconds
                    if config.default_time_to_live_seconds != card.ttl_seconds
                    else None
                ),
                api_url=report.url if config.api_url.strip() != report.url else None,
            )
            actions.append(f"updated card config {config.id} ({card.key})")
        configs.append(config)
    return CardConfigReport(
        url=report.url,
        wanted=report.wanted,
        configs=tuple(configs),
        drift=report.drift,
        actions=tuple(actions),
    )


def card_configs_ensure_on_start() -> str:
    """`make run`'s start (manage.py run_embedded): ensure the card configs when the portal
    talks to an emulator and PLAIN_CUSTOMER_CARDS_ENSURE_ON_START is on. Against real Plain it
    does nothing (that is `plain_customer_cards --ensure`'s job, run on purpose). Returns a line
    for the console; a failure is reported there, never raised: the portal still starts."""
    from django.core.exceptions import ImproperlyConfigured

    from plain_gateway import PlainError
    from portal.plain import is_emulator

    if not settings.PLAIN_CUSTOMER_CARDS_ENSURE_ON_START or not is_emulator():
        return ""
    try:
        report = card_configs_ensure()
    except (PlainError, ImproperlyConfigured) as error:
        return f"Customer cards: the configs could not be ensured ({type(error).__name__})."
    done = "; ".join(report.actions) or "in sync"
    return (
        f"Customer cards: the emulator asks {report.url} for {len(report.wanted)} cards ({done})."
    )
