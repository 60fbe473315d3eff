"""plain_budget: the Plain calls inside one block share a total time, on a fake clock.

The network is the real client against the emulator, behind a transport that adds latency on a
fake clock: an answer slower than the request's read timeout is a ReadTimeout after exactly that
timeout, which is what a real socket does. Nothing sleeps.
"""

from __future__ import annotations

import httpx
import pytest

from plain_gateway import (
    PlainBudgetExceededError,
    PlainClient,
    PlainServerError,
    PlainTimeoutError,
    budget_remaining,
    plain_budget,
)

API_KEY = "test-key"
URL = "http://plain-emulator.test/graphql/v1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class SlowNetwork(httpx.BaseTransport):
    """The emulator, `latency` seconds away on `clock`; records each request's read timeout."""

    def __init__(self, inner: httpx.BaseTransport, clock: FakeClock, latency: float) -> None:
        self.inner, self.clock, self.latency = inner, clock, latency
        self.read_timeouts: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        read_timeout = request.extensions["timeout"]["read"]
        self.read_timeouts.append(read_timeout)
        if read_timeout is not None and self.latency > read_timeout:
            self.clock.now += read_timeout
            raise httpx.ReadTimeout("timed out", request=request)
        self.clock.now += self.latency
        return self.inner.handle_request(request)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_over(network: SlowNetwork, clock: FakeClock, **options) -> PlainClient:
    return PlainClient(
        api_key=API_KEY, url=URL, transport=network, sleep=clock.sleep, timeout=10.0, **options
    )


def test_a_slow_plain_is_given_up_at_the_budgets_end_not_after_every_retry(
    emulator_transport, clock
):
    network = SlowNetwork(emulator_transport, clock, latency=11.0)
    client = client_over(network, clock)
    started = clock.now

    with plain_budget(8.0, clock=clock), pytest.raises(PlainBudgetExceededError) as raised:
        client.label_types()

    assert clock.now - started == pytest.approx(8.0)
    assert network.read_timeouts == [pytest.approx(8.0)]
    assert raised.value.retriable
    assert isinstance(raised.value, PlainTimeoutError)


def test_without_a_budget_the_same_call_retries_with_the_per_attempt_timeout(
    emulator_transport, clock
):
    network = SlowNetwork(emulator_transport, clock, latency=11.0)
    client = client_over(network, clock)
    started = clock.now

    with pytest.raises(PlainTimeoutError) as raised:
        client.label_types()

    assert not isinstance(raised.value, PlainBudgetExceededError)
    assert network.read_timeouts == [10.0] * 4
    assert clock.now - started > 40


def test_each_attempt_gets_only_the_time_left(emulator_transport, clock):
    network = SlowNetwork(emulator_transport, clock, latency=4.0)
    client = client_over(network, clock)

    with plain_budget(9.0, clock=clock):
        client.label_types()
        client.label_types()
        with pytest.raises(PlainBudgetExceededError):
            client.label_types()

    assert network.read_timeouts == [pytest.approx(9.0), pytest.approx(5.0), pytest.approx(1.0)]


def test_no_retry_waits_past_the_deadline(emulator_transport, emulator_control, clock):
    network = SlowNetwork(emulator_transport, clock, latency=0.1)
    client = client_over(network, clock)
    emulator_control.fail_next(count=10, status=503)

    with plain_budget(1.0, clock=clock), pytest.raises(PlainServerError):
        client.label_types()

    # Backoff waits 0.5 s (+ jitter) after the first failure, then 1 s: the second wait would
    # end past the deadline, so the error is raised instead.
    assert clock.now - 1000.0 <= 1.0
    assert len(network.read_timeouts) == 2


def test_with_no_time_left_nothing_is_sent(emulator_transport, emulator_control, clock):
    network = SlowNetwork(emulator_transport, clock, latency=0.0)
    client = client_over(network, clock)

    with plain_budget(2.0, clock=clock):
        clock.now += 2.0
        with pytest.raises(PlainBudgetExceededError) as raised:
            client.reply_to_thread(thread_id="th_01JZZZZZZZZZZZZZZZZZZZZZZZ", text="hi")

    assert raised.value.request_sent is False
    assert network.read_timeouts == []


def test_a_nested_budget_never_extends_the_outer_one(clock):
    with plain_budget(5.0, clock=clock):
        with plain_budget(60.0, clock=clock):
            assert budget_remaining() == pytest.approx(5.0)
        with plain_budget(2.0, clock=clock):
            assert budget_remaining() == pytest.approx(2.0)
        assert budget_remaining() == pytest.approx(5.0)
    assert budget_remaining() is None


def test_no_budget_or_a_non_positive_one_bounds_nothing(clock):
    with plain_budget(None, clock=clock):
        assert budget_remaining() is None
    with plain_budget(0, clock=clock):
        assert budget_remaining() is None


class TricklingStorage(httpx.BaseTransport):
    """Attachment storage that sends a chunk a second (on the fake clock)."""

    def __init__(self, clock: FakeClock, chunks: int) -> None:
        self.clock, self.chunks = clock, chunks

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        clock, chunks = self.clock, self.chunks

        class Trickle(httpx.SyncByteStream):
            def __iter__(self):
                for _ in range(chunks):
                    clock.now += 1.0
                    yield b"x" * 10

        return httpx.Response(200, stream=Trickle())


def test_a_trickling_download_stops_at_the_budgets_end(clock):
    client = PlainClient(api_key=API_KEY, url=URL, transport=TricklingStorage(clock, chunks=10))

    assert client.download_attachment(url="http://storage.test/f") == b"x" * 100
    started = clock.now
    with plain_budget(3.5, clock=clock), pytest.raises(PlainBudgetExceededError):
        client.download_attachment(url="http://storage.test/f")
    assert clock.now - started == pytest.approx(4.0)
