"""Read-cache benchmark: requests per second under CLIENTS concurrent clients, warm vs uncached.

CLIENTS threads, each with its own Django test client (and database connection), view the thread
list and the 100-entry thread page of bench/pages.py's data, VIEWS_PER_CLIENT times each, with the
in-process emulator adding LATENCY_MS to every call to Plain. Two configurations, side by side:
- warm: the read cache as shipped; every view after the first is answered from the cache;
- one call per view: SUPPORT_READ_CACHE_TTL_SECONDS = 0, so nothing is kept and every view asks
  Plain, as the portal did before the read cache.
Reported: requests per second, median latency, and calls to Plain per view (emulator's log).

All in one process, under one interpreter lock: the warm figure is bounded by one core running
the portal's own work. The uncached one also pays the emulator's own work on every call (it
answers in this process: about 12 ms of CPU per list call, see bench/pages.py), which against
real Plain would be a network wait that overlaps; so it understates what the uncached design
manages against real Plain, though not its one call per view. Under gunicorn with several
workers the warm figure scales with the workers.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

from bench.environment import django_configure

CLIENTS = 8
VIEWS_PER_CLIENT = 25
LATENCY_MS = 20


@dataclass(frozen=True)
class RunResult:
    page: str
    config: str
    views: int
    seconds: float
    latencies_ms: list[float]
    calls: int

    @property
    def rps(self) -> float:
        return self.views / self.seconds

    @property
    def calls_per_view(self) -> float:
        return self.calls / self.views


def _hammer(user, url: str, control, *, page: str, config: str) -> RunResult:
    from django.db import connection
    from django.test import Client

    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []
    start = threading.Barrier(CLIENTS + 1)

    def client_loop() -> None:
        client = Client()
        client.force_login(user)
        client.get(url)  # a session in this thread, and the cache as the config leaves it
        start.wait()
        mine: list[float] = []
        for _ in range(VIEWS_PER_CLIENT):
            began = time.perf_counter()
            status = client.get(url).status_code
            mine.append((time.perf_counter() - began) * 1000)
            if status != 200:
                failures.append(f"{url} answered {status}")
        with lock:
            latencies.extend(mine)
        connection.close()

    threads = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    control.clear_requests()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise RuntimeError(failures[0])
    calls = len(control.requests())
    return RunResult(page, config, CLIENTS * VIEWS_PER_CLIENT, seconds, latencies, calls)


def run() -> bool:
    """Print the table; False when a warm view asked Plain or an uncached one did not once."""
    django_configure()
    from django.core.cache import cache
    from django.test.utils import override_settings
    from django.urls import reverse

    from bench.pages import _seed
    from portal.plain import get_emulator_control, reset_plain_client

    reset_plain_client()
    try:
        user, long_thread_id = _seed()
        control = get_emulator_control()
        control.set_latency(ms=LATENCY_MS)
        pages = {
            "thread list (25 rows)": reverse("support:thread_list"),
            "thread (100 entries)": reverse("support:thread_detail", args=[long_thread_id]),
        }
        results: list[RunResult] = []
        for page, url in pages.items():
            results.append(_hammer(user, url, control, page=page, config="warm cache"))
            with override_settings(SUPPORT_READ_CACHE_TTL_SECONDS=0):
                cache.clear()  # what the warm run stored would still be found
                results.append(_hammer(user, url, control, page=page, config="1 call per view"))
    finally:
        reset_plain_client()

    print(
        f"\nRead cache: {CLIENTS} concurrent clients x {VIEWS_PER_CLIENT} views, in one "
        f"process; the emulator adds {LATENCY_MS} ms to every call to Plain.\n"
    )
    header = f"{'page':<24} {'config':<16} {'calls/view':>10} {'req/s':>8} {'median ms':>10}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.page:<24} {r.config:<16} {r.calls_per_view:>10.2f} {r.rps:>8.1f} "
            f"{statistics.median(r.latencies_ms):>10.1f}"
        )
    ok = all(r.calls_per_view == (0.0 if r.config == "warm cache" else 1.0) for r in results)
    print(f"\ntarget: warm views make no call to Plain: {'met' if ok else 'MISSED'}\n")
    return ok
