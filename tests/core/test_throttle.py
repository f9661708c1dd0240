"""tws_core.throttle on a VirtualClock: exact waits, no real time."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from ib_async import IB

from pytest_tws.clock import VirtualClock
from tws_core.clock import SystemClock
from tws_core.errors import TwsCoreError
from tws_core.throttle import (
    HistoricalPacer,
    LineBudget,
    MarketDataLimitError,
    Throttle,
    configure_client_pacing,
)


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with VirtualClock() as c:
        yield c


class TestClientPacing:
    def test_sets_ib_async_client_fields(self) -> None:
        ib = IB()
        configure_client_pacing(ib, max_requests=40, interval=2.0)
        assert (ib.client.MaxRequests, ib.client.RequestsInterval) == (40, 2.0)
        configure_client_pacing(ib, max_requests=0)
        assert ib.client.MaxRequests == 0

    def test_defaults_match_ib_async(self) -> None:
        ib = IB()
        ib.client.MaxRequests = 1
        configure_client_pacing(ib)
        assert (ib.client.MaxRequests, ib.client.RequestsInterval) == (45, 1.0)

    def test_rejects_bad_values(self) -> None:
        with pytest.raises(ValueError):
            configure_client_pacing(IB(), max_requests=-1)
        with pytest.raises(ValueError):
            configure_client_pacing(IB(), interval=0)


class _LateClock:
    """A Clock whose sleeps return ``lag`` seconds late, like a busy event loop's timers."""

    def __init__(self, lag: float) -> None:
        self.lag = lag
        self.t = 0.0

    def now(self) -> datetime:
        return datetime(2026, 11, 25, tzinfo=timezone.utc) + timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds) + self.lag
        await asyncio.sleep(0)


class TestThrottle:
    async def test_even_spacing(self, clock: VirtualClock) -> None:
        throttle = Throttle(rate=10, clock=clock)
        times: list[float] = []

        async def run() -> None:
            for _ in range(5):
                await throttle.acquire()
                times.append(clock.monotonic())

        task = asyncio.create_task(run())
        await clock.run_until_idle()
        await asyncio.wait_for(task, 1.0)
        assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])

    async def test_burst_then_rate(self, clock: VirtualClock) -> None:
        throttle = Throttle(rate=2, burst=3, clock=clock)
        times: list[float] = []

        async def run() -> None:
            for _ in range(5):
                await throttle.acquire()
                times.append(clock.monotonic())

        task = asyncio.create_task(run())
        await clock.run_until_idle()
        await asyncio.wait_for(task, 1.0)
        assert times == pytest.approx([0, 0, 0, 0.5, 1.0])

    async def test_idle_time_refills_only_up_to_burst(self, clock: VirtualClock) -> None:
        throttle = Throttle(rate=1, burst=2, clock=clock)
        assert throttle.try_acquire(2)
        clock.advance(100)
        assert throttle.tokens == 2
        assert throttle.try_acquire(2)
        assert not throttle.try_acquire()

    def test_try_acquire(self, clock: VirtualClock) -> None:
        throttle = Throttle(rate=4, clock=clock)
        assert throttle.try_acquire()
        assert not throttle.try_acquire()
        clock.advance(0.2)
        assert not throttle.try_acquire()  # 0.8 tokens
        clock.advance(0.05)
        assert throttle.try_acquire()

    async def test_fifo_and_try_acquire_does_not_jump_the_queue(self, clock: VirtualClock) -> None:
        throttle = Throttle(rate=1, clock=clock)
        order: list[str] = []

        async def take(name: str) -> None:
            await throttle.acquire()
            order.append(name)

        tasks = [asyncio.create_task(take(n)) for n in "abc"]
        await asyncio.sleep(0)
        assert order == ["a"]
        clock.advance(5)  # tokens would be there, but b and c are queued
        assert not throttle.try_acquire()
        await clock.run_until_idle()
        await asyncio.gather(*tasks)
        assert order == ["a", "b", "c"]

    async def test_cancelled_waiter_lets_the_next_through(self, clock: VirtualClock) -> None:
        throttle = Throttle(rate=1, clock=clock)
        await throttle.acquire()
        first = asyncio.create_task(throttle.acquire())
        second = asyncio.create_task(throttle.acquire())
        await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await clock.advance_async(1.0)
        await asyncio.wait_for(second, 1.0)
        assert clock.monotonic() == 1.0

    async def test_late_timers_do_not_erode_the_rate(self) -> None:
        clock = _LateClock(lag=0.004)
        throttle = Throttle(rate=10, clock=clock)
        times = []
        for _ in range(11):
            await throttle.acquire()
            times.append(clock.monotonic())
        # Charged from the schedule: 10 intervals take 1.004 s, not 10 x 0.104 s.
        assert times[-1] == pytest.approx(1.004)
        assert all(b - a >= 0.1 - 1e-9 for a, b in itertools.pairwise(times))

    async def test_stalled_loop_gets_at_most_one_catch_up(self) -> None:
        clock = _LateClock(lag=0.0)
        throttle = Throttle(rate=10, clock=clock)
        await throttle.acquire()
        clock.lag = 5.0  # the next sleep returns 5 s late
        await throttle.acquire()
        clock.lag = 0.0
        assert throttle.try_acquire()  # one interval of credit
        assert not throttle.try_acquire()  # and no more

    def test_bad_arguments(self, clock: VirtualClock) -> None:
        with pytest.raises(ValueError):
            Throttle(rate=0, clock=clock)
        with pytest.raises(ValueError):
            Throttle(rate=1, burst=0.5, clock=clock)
        throttle = Throttle(rate=1, burst=2, clock=clock)
        with pytest.raises(ValueError):
            throttle.try_acquire(3)
        with pytest.raises(ValueError):
            throttle.try_acquire(0)

    async def test_system_clock_never_runs_faster_than_rate(self) -> None:
        throttle = Throttle(rate=1000, clock=SystemClock())
        start = time.monotonic()
        for _ in range(21):
            await throttle.acquire()
        # 20 waits of 1 ms: a lower bound holds on any machine, however slow.
        assert time.monotonic() - start >= 0.015


class TestHistoricalPacer:
    @staticmethod
    def key(symbol: str, end: str = "", what: str = "TRADES") -> tuple[str, ...]:
        return (symbol, "SMART", what, end, "1 D", "1 min")

    def test_sixty_per_ten_minutes(self, clock: VirtualClock) -> None:
        pacer = HistoricalPacer(clock)
        for i in range(60):
            assert not pacer.would_violate(self.key(f"S{i}"))
            pacer.record(self.key(f"S{i}"))
            clock.advance(1)
        assert pacer.would_violate(self.key("NEW"))
        assert pacer.delay(self.key("NEW")) == pytest.approx(540)  # first one ages out at 600
        clock.advance(540)
        assert not pacer.would_violate(self.key("NEW"))

    def test_identical_request_within_15_seconds(self, clock: VirtualClock) -> None:
        pacer = HistoricalPacer(clock)
        pacer.record(self.key("SPY"))
        clock.advance(10)
        assert pacer.delay(self.key("SPY")) == pytest.approx(5)
        assert not pacer.would_violate(self.key("SPY", end="20261124 16:00:00"))
        clock.advance(5)
        assert not pacer.would_violate(self.key("SPY"))

    def test_five_per_contract_in_two_seconds_not_six(self, clock: VirtualClock) -> None:
        pacer = HistoricalPacer(clock)
        for i in range(5):
            assert not pacer.would_violate(self.key("SPY", end=str(i)))
            pacer.record(self.key("SPY", end=str(i)))
            clock.advance(0.1)
        assert pacer.delay(self.key("SPY", end="5")) == pytest.approx(1.5)
        assert not pacer.would_violate(self.key("SPY", end="5", what="BID"))  # other tick type
        assert not pacer.would_violate(self.key("QQQ"))

    def test_explicit_group(self, clock: VirtualClock) -> None:
        pacer = HistoricalPacer(clock, same_contract_max=1)
        pacer.record(("a",), group="SPY")
        assert pacer.would_violate(("b",), group="SPY")
        assert not pacer.would_violate(("b",), group="QQQ")

    async def test_acquire_waits_out_every_rule(self, clock: VirtualClock) -> None:
        pacer = HistoricalPacer(clock)
        done: list[float] = []

        async def run() -> None:
            for _ in range(3):
                await pacer.acquire(self.key("SPY"))
                done.append(clock.monotonic())

        task = asyncio.create_task(run())
        await clock.run_until_idle()
        await asyncio.wait_for(task, 1.0)
        assert done == pytest.approx([0, 15, 30])

    async def test_burst_of_distinct_requests(self, clock: VirtualClock) -> None:
        pacer = HistoricalPacer(clock)
        done: list[float] = []

        async def run() -> None:
            for i in range(7):
                await pacer.acquire(self.key("SPY", end=str(i)))
                done.append(clock.monotonic())

        task = asyncio.create_task(run())
        await clock.run_until_idle()
        await asyncio.wait_for(task, 1.0)
        assert done == pytest.approx([0, 0, 0, 0, 0, 2, 2])


class TestLineBudget:
    def test_reserve_release(self) -> None:
        budget = LineBudget(limit=2)
        assert budget.reserve("SPY")
        assert not budget.reserve("SPY")  # idempotent
        assert budget.reserve("QQQ")
        assert (budget.used, budget.available) == (2, 0)
        with pytest.raises(MarketDataLimitError) as excinfo:
            budget.reserve("IWM")
        assert isinstance(excinfo.value, TwsCoreError)
        assert (excinfo.value.key, excinfo.value.limit) == ("IWM", 2)
        assert "IWM" not in budget
        assert budget.release("SPY")
        assert not budget.release("SPY")
        assert budget.reserve("IWM")
        assert "IWM" in budget and "SPY" not in budget

    def test_default_limit_and_clear(self) -> None:
        budget = LineBudget()
        for i in range(100):
            budget.reserve(i)
        with pytest.raises(MarketDataLimitError):
            budget.reserve(100)
        budget.clear()
        assert (budget.used, budget.available) == (0, 100)

    def test_bad_limit(self) -> None:
        with pytest.raises(ValueError):
            LineBudget(limit=-1)
