"""`manage.py search_index --rebuild [--max-threads N]`: fill the search index from Plain.

The index (portal/support/search.py) keeps itself current from what the portal reads and from
Plain's events; this is for threads from before it listened (a new deployment, a restored
database). Idempotent: a thread indexed again is only brought up to date.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plain_gateway import PlainError
from portal.support.search import REBUILD_MAX_THREADS, search_index_rebuild


class Command(BaseCommand):
    help = "Index the visible content of every organisation's threads for search."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", required=True)
        parser.add_argument(
            "--max-threads",
            type=int,
            default=REBUILD_MAX_THREADS,
            help="At most this many threads per organisation, most recently changed first.",
        )

    def handle(self, *args: Any, max_threads: int, **options: Any) -> None:
        try:
            indexed = search_index_rebuild(max_threads_per_organization=max(1, max_threads))
        except PlainError as error:
            raise CommandError(f"Plain could not be asked: {error}") from error
        self.stdout.write(f"Indexed {indexed} threads.")
