"""Customer-card benchmark: the card endpoint over 10,000 members in 1,000 organisations.

In a throwaway environment (bench.environment: temp SQLite), ORGS organisations of
MEMBERS_PER_ORG members each are bulk-created, plus submissions for a tenth of the members and
one customer in MULTI_ORGS organisations. Then, through Django's test client, signed requests for
all four cards (as Plain batches them: one request, every key) are timed for:
- a member of one organisation (a different one each request, spread over the data);
- the customer in MULTI_ORGS organisations (every card listing the most it lists);
- a customer the portal does not know (every card null).
Reported per case, over REQUESTS requests after WARMUP requests: wall time (median, p99) and the
thread's CPU time (median), and the database queries per request, which must not grow with the
data (target: at most TARGET_QUERIES, and a miss fails the run; times depend on the machine).

`python -m bench cards` runs it through the bench runner; `python -m bench.cards` directly.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORGS = int(os.environ.get("BENCH_CARDS_ORGS", "1000"))
MEMBERS_PER_ORG = int(os.environ.get("BENCH_CARDS_MEMBERS_PER_ORG", "10"))
MULTI_ORGS = 10
REQUESTS = int(os.environ.get("BENCH_CARDS_REQUESTS", "500"))
WARMUP = 20
SECRET = "bench-cards-secret"
# Find the user, their organisations, the members shown, their submissions (counts, latest).
TARGET_QUERIES = 5


def run() -> bool:
    """Run the benchmark in a child process and print its table; False when a target is missed."""
    return (
        subprocess.run([sys.executable, "-m", "bench.cards"], cwd=ROOT, check=False).returncode == 0
    )


@dataclass
class Result:
    case: str
    wall_ms: list[float]
    cpu_ms: list[float]
    queries: list[int]


def _seed() -> tuple[list[object], object]:
    """The organisations, members and submissions; (one member per organisation, the customer
    of MULTI_ORGS organisations)."""
    from portal.accounts.models import User
    from portal.support.models import Submission
    from portal.tenancy.models import Membership, Organization

    # bulk_create skips save() and the signals, so no outbox row is written for Plain.
    Organization.objects.bulk_create(
        [
            Organization(
                name=f"Org {n:04d}", slug=f"org-{n:04d}", tenant_external_id=f"org-{n:04d}"
            )
            for n in range(ORGS)
        ],
        batch_size=1000,
    )
    organizations = list(Organization.objects.order_by("pk"))
    User.objects.bulk_create(
        [
            User(email=f"member{n}@bench.test", full_name=f"Member {n}", password="!")
            for n in range(ORGS * MEMBERS_PER_ORG)
        ],
        batch_size=2000,
    )
    users = list(User.objects.filter(email__endswith="@bench.test").order_by("pk"))
    Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                organization=organizations[n // MEMBERS_PER_ORG],
                role=Membership.Role.ADMIN if n % MEMBERS_PER_ORG == 0 else Membership.Role.MEMBER,
            )
            for n, user in enumerate(users)
        ],
        batch_size=2000,
    )
    Submission.objects.bulk_create(
        [
            Submission(
                user=user,
                kind=Submission.Kind.THREAD if k % 2 else Submission.Kind.REPLY,
                status=Submission.Status.DONE if k % 3 else Submission.Status.PENDING,
                payload={"title": f"Request {k}", "text": "text " * 50},
            )
            for user in users[::10]
            for k in range(8)
        ],
        batch_size=2000,
    )
    multi = User.objects.create(email="multi@bench.test", full_name="Multi Org", password="!")
    Membership.objects.bulk_create(
        [
            Membership(user=multi, organization=org)
            for org in organizations[:: max(1, ORGS // MULTI_ORGS)][:MULTI_ORGS]
        ]
    )
    spread = [users[n * MEMBERS_PER_ORG + n % MEMBERS_PER_ORG] for n in range(ORGS)]
    return spread, multi


def _measure(case: str, client, bodies: Callable[[int], bytes]) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plain_gateway.webhooks import SIGNATURE_HEADER, sign

    def post(raw: bytes) -> dict:
        response = client.post(
            "/plain/customer-cards/",
            data=raw,
            content_type="application/json",
            headers={SIGNATURE_HEADER: sign(raw, SECRET)},
        )
        if response.status_code != 200:
            raise RuntimeError(f"{case}: answered {response.status_code}: {response.content!r}")
        return response.json()

    for n in range(WARMUP):
        post(bodies(n))
    result = Result(case, [], [], [])
    for n in range(REQUESTS):
        raw = bodies(n)
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.thread_time()
            post(raw)
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        result.wall_ms.append(wall * 1000)
        result.cpu_ms.append(cpu * 1000)
        result.queries.append(len(queries))
    return result


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def _table(results: list[Result]) -> str:
    header = f"{'case':<34} {'wall ms':>16}  {'CPU ms':>8}  {'queries':>8}"
    under = f"{'':<34} {'median /    p99':>16}  {'median':>8}  {'max':>8}"
    lines = [header, under, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.case:<34} {statistics.median(r.wall_ms):6.2f} / {_p99(r.wall_ms):6.2f}  "
            f"{statistics.median(r.cpu_ms):8.2f}  {max(r.queries):>8}"
        )
    return "\n".join(lines)


def main() -> int:
    from bench.environment import django_configure

    django_configure()
    from django.conf import settings
    from django.test import Client

    from portal.agent_context.cards import card_definitions

    settings.PLAIN_HMAC_SECRET = SECRET
    started = time.perf_counter()
    spread, multi = _seed()
    seeded = time.perf_counter() - started
    keys = [card.key for card in card_definitions()]

    def body(email: str, external_id: str | None) -> bytes:
        return json.dumps(
            {
                "cardKeys": keys,
                "customer": {"id": "c_bench", "email": email, "externalId": external_id},
                "thread": {"id": "th_bench", "externalId": None},
            }
        ).encode()

    one = [body(user.email, user.plain_external_id) for user in spread]  # type: ignore[attr-defined]
    client = Client()
    results = [
        _measure("member of 1 organisation", client, lambda n: one[(n * 7) % len(one)]),
        _measure(
            f"member of {MULTI_ORGS} organisations",
            client,
            lambda n: body(multi.email, multi.plain_external_id),  # type: ignore[attr-defined]
        ),
        _measure("unknown customer", client, lambda n: body(f"nobody{n}@else.test", None)),
    ]
    members = ORGS * MEMBERS_PER_ORG
    print(
        f"\nCustomer cards: {REQUESTS} signed requests per case for all {len(keys)} cards after "
        f"{WARMUP} warm-up requests; {members:,} members in {ORGS:,} organisations "
        f"(seeded in {seeded:.1f} s), SQLite, Django's test client in process.\n"
    )
    print(_table(results))
    queries_ok = all(max(r.queries) <= TARGET_QUERIES for r in results)
    print(
        f"\ntarget: at most {TARGET_QUERIES} database queries per request, whatever the data: "
        f"{'met' if queries_ok else 'MISSED'}"
    )
    print("(times depend on the machine and its load; the query count does not)\n")
    return 0 if queries_ok else 1


if __name__ == "__main__":
    sys.exit(main())
