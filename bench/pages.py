"""Page benchmark: the thread list and a 100-entry thread page, over an emulator with latency.

For each page, VIEWS views through Django's test client, after a few warm-up views, side by side
with the read cache (portal/support/cache.py) warm and cold: cold, the page's cache scope is
invalidated before each view (outside the timing), as a webhook would, so the view reads Plain.
The emulator adds LATENCY_MS to every request, like the network hop to Plain. Reported per page:
- calls to Plain per view, from the emulator's request log (targets: warm 0, cold 1);
- the time per view, the part of it spent inside the httpx transport (waiting for Plain: the
  emulator, in-process, answers there), and the rest: the portal's own time, as median and p95;
- the portal's own CPU time, measured the same way with the thread's CPU clock. On a busy machine
  wall-clock time includes waiting for a core; CPU time does not, so it says what the code costs,
  and the targets (TARGET_PORTAL_MEDIAN_MS for the page at the median, warm and cold) are judged
  on it.

The emulator runs in this process, so its work lands inside the transport and is not counted as
the portal's; the gateway client's own work (building the request, parsing the answer) is.

Then the emulator's own cost: the warm pages are viewed VIEWS times more with no added latency,
and the time inside the transport per call to Plain (the emulator answering through
httpx.WSGITransport, wall and CPU) is reported beside the page's total time above, as a share of
it, so the page figures show whether the emulator is ever what a page waits for.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench.environment import django_configure

VIEWS = 50
WARMUP_VIEWS = 5
LATENCY_MS = 20
LIST_THREADS = 30
TIMELINE_ENTRIES = 100
# Calls to Plain per view: none with the read cache warm, one with it cold.
TARGET_CALLS_WARM = 0
TARGET_CALLS_COLD = 1
# The portal's own time per view at the median, by page kind (issue 12).
TARGET_PORTAL_MEDIAN_MS = {"list": 5.0, "thread": 10.0}


class _TransportClock:
    """Accumulates wall and CPU seconds spent inside WSGITransport.handle_request."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self._original: Callable | None = None

    def install(self) -> None:
        original = httpx.WSGITransport.handle_request
        self._original = original
        clock = self

        def timed(transport: httpx.WSGITransport, request: httpx.Request) -> httpx.Response:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                response = original(transport, request)
                response.read()  # the emulator may produce its body lazily
                return response
            finally:
                clock.wall += time.perf_counter() - wall
                clock.cpu += time.thread_time() - cpu

        httpx.WSGITransport.handle_request = timed  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            httpx.WSGITransport.handle_request = self._original  # type: ignore[method-assign]

    def reset(self) -> None:
        self.wall = self.cpu = 0.0


@dataclass(frozen=True)
class EmulatorCost:
    """The emulator's own time per call to Plain for one page, with no latency added."""

    name: str
    calls_per_view: float
    call_ms: list[float]
    call_cpu_ms: list[float]
    page_total_ms: float  # the page's median total time in the benchmark above


@dataclass(frozen=True)
class PageResult:
    name: str
    kind: str  # "list" or "thread"
    warm: bool  # the read cache
    views: int
    calls_per_view: float
    total_ms: list[float]
    plain_ms: list[float]
    portal_cpu_ms: list[float]

    @property
    def portal_ms(self) -> list[float]:
        return [total - plain for total, plain in zip(self.total_ms, self.plain_ms, strict=True)]


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _seed() -> tuple[object, str]:
    """An organisation, a member, LIST_THREADS threads and one of TIMELINE_ENTRIES entries."""
    from portal.accounts.models import User
    from portal.plain import get_plain_client
    from portal.tenancy.models import Membership, Organization
    from portal.tenancy.services import plain_customer_ensure

    plain = get_plain_client()
    organization = Organization.objects.create(name="Bench Corp", slug="bench-corp")
    plain.upsert_tenant(external_id=organization.tenant_external_id, name=organization.name)
    user = User.objects.create_user(email="bench@bench.test", full_name="Bench User")
    Membership.objects.create(user=user, organization=organization)
    customer_id = plain_customer_ensure(user=user)
    for i in range(LIST_THREADS - 1):
        plain.create_thread(
            customer_id=customer_id,
            tenant_external_id=organization.tenant_external_id,
            title=f"Request {i}",
            text=f"Request {i}: something is **not** right.",
            priority=i % 4,
        )
    long_thread = plain.create_thread(
        customer_id=customer_id,
        tenant_external_id=organization.tenant_external_id,
        title="A long conversation",
        text="The first message, with a [link](https://example.com) and `code`.",
    )
    # createThread made the first entry; alternate support chats and customer replies.
    for i in range(1, TIMELINE_ENTRIES):
        text = f"Message {i}: a paragraph with *emphasis*, a list\n\n- one\n- two\n"
        if i % 2:
            plain.send_chat(customer_id=customer_id, thread_id=long_thread.id, text=text)
        else:
            plain.reply_to_thread(thread_id=long_thread.id, text=text, as_customer_id=customer_id)
    return user, long_thread.id


def _measure(
    name: str,
    client,
    url: str,
    control,
    clock: _TransportClock,
    *,
    kind: str,
    warm: bool,
    before_each: Callable[[], object] | None = None,
) -> PageResult:
    for _ in range(WARMUP_VIEWS):
        assert client.get(url).status_code == 200
    control.clear_requests()
    total_ms: list[float] = []
    plain_ms: list[float] = []
    portal_cpu_ms: list[float] = []
    for _ in range(VIEWS):
        if before_each is not None:
            before_each()
        clock.reset()
        wall, cpu = time.perf_counter(), time.thread_time()
        response = client.get(url)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {url} answered {response.status_code}")
        total_ms.append(wall * 1000)
        plain_ms.append(clock.wall * 1000)
        portal_cpu_ms.append((cpu - clock.cpu) * 1000)
    calls = len(control.requests())
    return PageResult(name, kind, warm, VIEWS, calls / VIEWS, total_ms, plain_ms, portal_cpu_ms)


def _measure_emulator(
    page: PageResult,
    client,
    url: str,
    control,
    clock: _TransportClock,
    *,
    before_each: Callable[[], object],
) -> EmulatorCost:
    """VIEWS more cold views of `url` (latency must be off): the transport's time per call."""
    control.clear_requests()
    wall_ms: list[float] = []
    cpu_ms: list[float] = []
    for _ in range(VIEWS):
        before_each()
        clock.reset()
        if client.get(url).status_code != 200:
            raise RuntimeError(f"{page.name}: {url} failed")
        wall_ms.append(clock.wall * 1000)
        cpu_ms.append(clock.cpu * 1000)
    calls = len(control.requests()) / VIEWS
    return EmulatorCost(
        page.name,
        calls,
        [ms / calls for ms in wall_ms],
        [ms / calls for ms in cpu_ms],
        _median(page.total_ms),
    )


def _emulator_table(costs: list[EmulatorCost]) -> str:
    header = (
        f"{'page':<29} {'calls/view':>10}  {'emulator ms/call':>16}  "
        f"{'emulator CPU ms':>16}  {'page total ms':>13}  {'emulator/page':>13}"
    )
    under = (
        f"{'':<29} {'':>10}  {'median /  p95':>16}  {'median /  p95':>16}  "
        f"{'(median)':>13}  {'(median)':>13}"
    )
    lines = [header, under, "-" * len(header)]
    for c in costs:
        per_view = _median(c.call_ms) * c.calls_per_view
        lines.append(
            f"{c.name:<29} {c.calls_per_view:>10.2f}  {_pair(c.call_ms):>16}  "
            f"{_pair(c.call_cpu_ms):>16}  {c.page_total_ms:>13.1f}  "
            f"{per_view / c.page_total_ms:>13.0%}"
        )
    return "\n".join(lines)


def _pair(values: list[float]) -> str:
    return f"{_median(values):6.1f} /{_p95(values):6.1f}"


def _table(results: list[PageResult]) -> str:
    header = (
        f"{'page':<29} {'calls/view':>10}  {'total ms':>14}  {'Plain ms':>14}  "
        f"{'portal ms':>14}  {'portal CPU ms':>14}  {'portal/total':>12}"
    )
    under = (
        f"{'':<29} {'':>10}  {'median /  p95':>14}  {'median /  p95':>14}  "
        f"{'median /  p95':>14}  {'median /  p95':>14}  {'(median)':>12}"
    )
    lines = [header, under, "-" * len(header)]
    for r in results:
        share = _median(r.portal_ms) / _median(r.total_ms) if _median(r.total_ms) else 0.0
        lines.append(
            f"{r.name:<29} {r.calls_per_view:>10.2f}  {_pair(r.total_ms):>14}  "
            f"{_pair(r.plain_ms):>14}  {_pair(r.portal_ms):>14}  {_pair(r.portal_cpu_ms):>14}  "
            f"{share:>12.0%}"
        )
    return "\n".join(lines)


def run() -> bool:
    """Run the page benchmark and print its table; False when a page needs more than one call."""
    django_configure()
    from django.test import Client
    from django.urls import reverse

    from portal.plain import get_emulator_control, reset_plain_client
    from portal.support.cache import scopes_invalidate, tenant_scope, thread_scope
    from portal.support.markdown import markdown_cache_clear
    from portal.tenancy.models import Organization

    clock = _TransportClock()
    clock.install()
    try:
        reset_plain_client()
        user, long_thread_id = _seed()
        control = get_emulator_control()
        control.set_latency(ms=LATENCY_MS)
        client = Client()
        client.force_login(user)
        list_url = reverse("support:thread_list")
        thread_url = reverse("support:thread_detail", args=[long_thread_id])
        tenant = Organization.objects.get(slug="bench-corp").tenant_external_id

        def list_cold() -> None:
            scopes_invalidate([tenant_scope(tenant)])

        def thread_cold() -> None:
            scopes_invalidate([thread_scope(long_thread_id)])

        entries = f"{TIMELINE_ENTRIES} entries"
        list_warm_r = _measure(
            "list (25 rows), warm", client, list_url, control, clock, kind="list", warm=True
        )
        list_cold_r = _measure(
            "list (25 rows), cold",
            *(client, list_url, control, clock),
            kind="list",
            warm=False,
            before_each=list_cold,
        )
        thread_warm_r = _measure(
            f"thread ({entries}), warm",
            client,
            thread_url,
            control,
            clock,
            kind="thread",
            warm=True,
        )
        thread_cold_r = _measure(
            f"thread ({entries}), cold",
            *(client, thread_url, control, clock),
            kind="thread",
            warm=False,
            before_each=thread_cold,
        )
        results = [
            list_warm_r,
            list_cold_r,
            thread_warm_r,
            thread_cold_r,
            # Every message rendered afresh, as on the first view of a thread in a process.
            _measure(
                f"thread ({TIMELINE_ENTRIES}), cold, cold md",
                *(client, thread_url, control, clock),
                kind="thread",
                warm=False,
                before_each=lambda: (thread_cold(), markdown_cache_clear()),
            ),
        ]
        control.set_latency(ms=0)
        costs = [
            _measure_emulator(list_cold_r, client, list_url, control, clock, before_each=list_cold),
            _measure_emulator(
                thread_cold_r, client, thread_url, control, clock, before_each=thread_cold
            ),
        ]
    finally:
        clock.uninstall()
        reset_plain_client()

    print(
        f"\nPages: {VIEWS} views each after {WARMUP_VIEWS} warm-up views; the emulator adds "
        f"{LATENCY_MS} ms to every request to Plain.\n"
    )
    print(_table(results))
    print(
        "\nThe emulator's own cost per call (in-process through httpx.WSGITransport, no added "
        f"latency, {VIEWS} more views of each warm page), against the page's total time above:\n"
    )
    print(_emulator_table(costs))
    calls_ok = all(
        r.calls_per_view == (TARGET_CALLS_WARM if r.warm else TARGET_CALLS_COLD) for r in results
    )
    # Issue 12's targets are the portal's own CPU time (wall time on a shared machine also
    # holds waiting for a core), for the four pages warm and cold; the row with the markdown
    # cache cold too (the first view of a thread in a process) is reported, not judged.
    judged = results[:4]
    print(
        f"\ntarget: {TARGET_CALLS_WARM} calls to Plain per warm view, {TARGET_CALLS_COLD} per cold "
        f"view: {'met' if calls_ok else 'MISSED'}"
    )
    print(
        f"target: portal's own CPU time at the median at most "
        f"{TARGET_PORTAL_MEDIAN_MS['list']:.0f} ms (list) and "
        f"{TARGET_PORTAL_MEDIAN_MS['thread']:.0f} ms (thread), warm and cold:"
    )
    for r in judged:
        cpu, target = _median(r.portal_cpu_ms), TARGET_PORTAL_MEDIAN_MS[r.kind]
        print(
            f"  {r.name:<29} {cpu:5.1f} ms CPU (wall {_median(r.portal_ms):5.1f}) "
            f"of {target:.0f}: {'met' if cpu <= target else 'MISSED'}"
        )
    print(
        "(times depend on the machine and its load; the count of calls does not, so only a "
        "missed call target fails the run)\n"
    )
    return calls_ok
