"""`manage.py plain_webhooks --ensure | --check | --delete`: the portal's webhook target in Plain.

`--ensure` creates or updates the one target at PORTAL_PUBLIC_URL + the webhook path and deletes
any second one there (idempotent: in sync, it writes nothing); `--check` prints the drift and exits
with status 1 if there is any; `--delete` removes every target at our URL. Targets at other URLs
are never touched (portal/webhooks/target.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plain_gateway import PlainError
from portal.webhooks.target import TargetReport, target_delete, target_drift, target_ensure


class Command(BaseCommand):
    help = "Keep the portal's webhook target in Plain matching the settings."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--ensure", action="store_true", help="Create or repair the target.")
        mode.add_argument(
            "--check", action="store_true", help="Report drift; exit 1 if there is any."
        )
        mode.add_argument("--delete", action="store_true", help="Delete the target(s) at our URL.")

    def handle(self, *args: Any, ensure: bool, check: bool, delete: bool, **options: Any) -> None:
        try:
            if delete:
                report = target_delete()
            elif ensure:
                report = target_ensure()
            else:
                report = target_drift()
        except PlainError as error:
            raise CommandError(f"Plain could not be asked: {error}") from error
        self._summary(report)
        if check and not report.in_sync:
            raise SystemExit(1)

    def _summary(self, report: TargetReport) -> None:
        desired = report.desired
        self.stdout.write(
            f"Wanted: {desired.url} (version {desired.version}, "
            f"{len(desired.event_types)} event types, enabled)"
        )
        for line in report.drift:
            self.stdout.write(f"drift: {line}")
        for line in report.actions:
            self.stdout.write(line)
        if report.target is not None:
            self.stdout.write(f"Target: {report.target.id}")
        if not report.drift and not report.actions:
            self.stdout.write("In sync." if report.target is not None else "No target.")
