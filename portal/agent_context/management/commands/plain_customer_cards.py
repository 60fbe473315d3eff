"""`manage.py plain_customer_cards --ensure | --check`: the portal's customer card configs in Plain.

`--ensure` creates the configs settings.PLAIN_CUSTOMER_CARDS names and repairs drifted titles,
TTLs and URLs (idempotent: in sync, it writes nothing); `--check` prints the drift and exits with
status 1 if there is any. Configs with other keys are never touched
(portal/agent_context/card_configs.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from plain_gateway import PlainError
from portal.agent_context.card_configs import (
    CardConfigReport,
    card_configs_drift,
    card_configs_ensure,
)


class Command(BaseCommand):
    help = "Keep the portal's customer card configs in Plain matching the settings."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--ensure", action="store_true", help="Create or repair the configs.")
        mode.add_argument(
            "--check", action="store_true", help="Report drift; exit 1 if there is any."
        )

    def handle(self, *args: Any, ensure: bool, check: bool, **options: Any) -> None:
        try:
            report = card_configs_ensure() if ensure else card_configs_drift()
        except ImproperlyConfigured as error:
            raise CommandError(f"The card settings are invalid: {error}") from error
        except PlainError as error:
            raise CommandError(f"Plain could not be asked: {error}") from error
        self._summary(report)
        if check and not report.in_sync:
            raise SystemExit(1)

    def _summary(self, report: CardConfigReport) -> None:
        keys = ", ".join(card.key for card in report.wanted)
        self.stdout.write(f"Wanted: {len(report.wanted)} cards ({keys}) at {report.url}")
        for line in report.drift:
            self.stdout.write(f"drift: {line}")
        for line in report.actions:
            self.stdout.write(line)
        if not report.drift and not report.actions:
            self.stdout.write("In sync.")
