"""`manage.py seed_demo`: the demo accounts, organisations and conversations, idempotently."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from plain_gateway import PlainClient
from portal import plain
from portal.demo.data import DEMO_PASSWORD
from portal.demo.services import SeedSummary, demo_seed
from portal.support.search import search_index_rebuild


def _agent_client(api_key: str) -> PlainClient:
    """A client for an agent's key, reaching the same Plain as the portal's own client."""
    # portal.plain builds clients for the portal's key only; the embedded emulator's in-process
    # transport is shared so the agent talks to the very same emulator.
    if plain.is_embedded():
        return plain.PlainClient(
            api_key=api_key,
            url=plain.EMBEDDED_URL,
            transport=plain._embedded_transport(),
            timeout=settings.PLAIN_TIMEOUT_SECONDS,
        )
    return plain.PlainClient(
        api_key=api_key, url=settings.PLAIN_API_URL, timeout=settings.PLAIN_TIMEOUT_SECONDS
    )


class Command(BaseCommand):
    help = (
        "Create the demo accounts and organisations and fill Plain (or the emulator) with demo "
        "threads. Running it again creates only what is missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        control = plain.get_emulator_control()
        try:
            summary = demo_seed(
                client=plain.get_plain_client(), control=control, agent_client=_agent_client
            )
        finally:
            if control is not None:
                control.close()
        if summary.changed:
            # Written through Plain's API, so no page has read it yet: make it searchable now.
            search_index_rebuild()
        self._report(summary)

    def _report(self, summary: SeedSummary) -> None:
        write = self.stdout.write
        if not summary.changed:
            write(
                f"Demo data already in place ({len(summary.threads_present)} threads); "
                "nothing changed."
            )
        else:
            for label, items in (
                ("Users created", summary.users_created),
                ("Organisations created", summary.organizations_created),
                ("Memberships created", summary.memberships_created),
                ("Restored in Plain, which had lost them", summary.restored_in_plain),
                ("Threads created", summary.threads_created),
                ("Help articles created", summary.help_articles_created),
            ):
                if items:
                    write(f"{label} ({len(items)}): {', '.join(items)}")
            if summary.threads_present:
                write(f"Threads already present: {len(summary.threads_present)}")
        if summary.threads_skipped:
            write(f"Threads skipped: {', '.join(summary.threads_skipped)}")
        for note in summary.notes:
            write(note)
        write(self.style.SUCCESS(f"Demo logins use the password {DEMO_PASSWORD!r}."))
