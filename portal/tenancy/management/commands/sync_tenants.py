"""`manage.py sync_tenants [--org SLUG] [--check] [--dry-run]`: reconcile Plain with the database.

Reads Plain's memberships of every managed tenant (customers by tenant, in pages of 100) and
compares them with the organisations' members. By default it repairs the drift with the fewest
writes, there and then; `--dry-run` prints the writes it would make; `--check` prints the drift
and exits with status 1 if there is any (for monitoring and CI).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plain_gateway import PlainError
from portal.tenancy.models import Organization
from portal.tenancy.services import ReconcileReport, tenants_reconcile


class Command(BaseCommand):
    help = "Compare Plain's tenant memberships with the database and repair the drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation's tenant.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--check", action="store_true", help="Report drift; exit 1 if there is any."
        )
        mode.add_argument(
            "--dry-run", action="store_true", help="Print the writes it would make, make none."
        )

    def handle(self, *args: Any, org: str | None, check: bool, dry_run: bool, **options: Any):
        organization = None
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organisation with the slug {org!r}.")
        apply = not (check or dry_run)
        try:
            report = tenants_reconcile(organization=organization, apply=apply, inline=True)
        except PlainError as error:
            raise CommandError(f"Plain could not be read: {error}") from error

        self._print_summary(report)
        if check:
            self._print_drift(report, prefix="drift")
            if not report.in_sync:
                raise SystemExit(1)
            return
        if dry_run:
            self._print_drift(report, prefix="would")
            self.stdout.write(f"{report.planned_writes()} writes would be made.")
            return
        self._print_drift(report, prefix="repaired")
        self.stdout.write(f"{report.writes} writes made.")
        if report.failed:
            for failure in report.failed:
                self.stderr.write(f"failed: {failure}")
            raise CommandError(f"{len(report.failed)} repairs failed (see the outbox rows).")

    def _print_summary(self, report: ReconcileReport) -> None:
        state = "in sync" if report.in_sync else f"{len(report.drift)} customers drifted"
        self.stdout.write(
            f"{report.organizations} organisations, {report.tenants} managed tenants, "
            f"{report.reads} pages read from Plain: {state}."
        )

    def _print_drift(self, report: ReconcileReport, *, prefix: str) -> None:
        for external_id in report.missing_tenants:
            self.stdout.write(f"{prefix}: upsert tenant {external_id} (missing in Plain)")
        for item in report.drift:
            who = item.label + (f" ({item.customer_id})" if item.customer_id else " (new customer)")
            if item.add:
                self.stdout.write(f"{prefix}: add {who} to {', '.join(item.add)}")
            if item.remove:
                self.stdout.write(f"{prefix}: remove {who} from {', '.join(item.remove)}")
