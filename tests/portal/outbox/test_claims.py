"""Claiming under concurrent workers: every row is claimed by exactly one of them.

On PostgreSQL the claim is SELECT ... FOR UPDATE SKIP LOCKED; on SQLite the IMMEDIATE
transaction's write lock (portal/settings.py) serialises claims. Run this file with
DATABASE_URL=postgres://... for the former.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connections

from portal.outbox import services
from portal.outbox.models import OutboxMessage
from portal.outbox.registry import Kind, register, unregister

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4
ROWS = 30


@pytest.fixture
def kind():
    kind = register(Kind(name="tests.claims", handler=lambda attempt: None))
    yield kind
    unregister(kind.name)


def test_concurrent_claims_take_each_row_once(kind, shared_database):
    # shared_database: on SQLite, a file in WAL mode with IMMEDIATE transactions, as the
    # portal's settings make it (the in-memory test database locks whole tables instead).
    ids = [services.row_create(of=kind, enqueue=False, payload={"n": n}).pk for n in range(ROWS)]
    start = threading.Barrier(WORKERS)
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        order = ids[:]
        random.Random(seed).shuffle(order)
        try:
            start.wait()
            for row_id in order:
                rows = services.claim(kind=kind, row_id=row_id)
                with lock:
                    claimed.extend(row.pk for row in rows)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert Counter(claimed) == Counter(ids)  # each exactly once
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
