"""VirtualClock: virtual time, ordered wake-ups, several loops and threads, auto-advance."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest

from pytest_tws.clock import DEFAULT_START, VirtualClock
from tws_core.clock import Clock


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with VirtualClock() as c:
        yield c


class _LoopThread:
    """An event loop on its own thread, like the fake TWS runs."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def start_task(self, make: Callable[[], object]) -> None:
        """Create a task on the loop; return once its first step (up to its await) ran."""
        ready = threading.Event()

        def create() -> None:
            self.loop.create_task(make())  # type: ignore[arg-type]
            self.loop.call_soon(ready.set)  # runs after the task's first step

        self.loop.call_soon_threadsafe(create)
        assert ready.wait(5.0)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5.0)
        self.loop.close()


class TestBasics:
    def test_satisfies_clock_protocol(self, clock: VirtualClock) -> None:
        assert isinstance(clock, Clock)

    def test_default_start_and_still_time(self, clock: VirtualClock) -> None:
        assert clock.now() == DEFAULT_START == datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)
        assert clock.monotonic() == 0.0
        assert clock.now() == DEFAULT_START  # no real time leaks in

    def test_advance_and_set(self, clock: VirtualClock) -> None:
        clock.advance(90)
        assert clock.monotonic() == 90
        assert clock.now() == DEFAULT_START + timedelta(seconds=90)
        clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=-5))))
        assert clock.now() == datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)
        assert clock.monotonic() == 1800

    def test_custom_start_keeps_its_zone(self) -> None:
        start = datetime(2026, 3, 8, 1, 59, tzinfo=timezone(timedelta(hours=-5)))
        c = VirtualClock(start)
        c.advance(60)
        assert c.now() == start + timedelta(minutes=1)
        assert c.now().utcoffset() == timedelta(hours=-5)

    def test_going_back_is_an_error(self, clock: VirtualClock) -> None:
        clock.advance(10)
        with pytest.raises(ValueError, match="back"):
            clock.advance(-1)
        with pytest.raises(ValueError, match="back"):
            clock.set(DEFAULT_START)
        assert clock.monotonic() == 10

    def test_naive_datetimes_are_errors(self, clock: VirtualClock) -> None:
        with pytest.raises(ValueError, match="aware"):
            VirtualClock(datetime(2026, 1, 1))
        with pytest.raises(ValueError, match="aware"):
            clock.set(datetime(2027, 1, 1))

    def test_bad_speed(self) -> None:
        with pytest.raises(ValueError):
            VirtualClock(auto_advance=0)


class TestSleep:
    async def test_sleep_waits_for_virtual_time(self, clock: VirtualClock) -> None:
        task = asyncio.create_task(clock.sleep(5))
        await asyncio.sleep(0)
        assert clock.pending() == 1
        assert clock.next_deadline() == 5
        clock.advance(4.999)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert not task.done()
        clock.advance(0.001)
        await asyncio.wait_for(task, 1.0)
        assert clock.pending() == 0

    async def test_sleep_zero_yields_once_and_registers_nothing(self, clock: VirtualClock) -> None:
        order: list[str] = []

        async def other() -> None:
            order.append("other")

        task = asyncio.create_task(other())
        await clock.sleep(0)
        order.append("after sleep(0)")
        assert order == ["other", "after sleep(0)"]
        assert clock.pending() == 0
        await task

    async def test_wakeups_in_deadline_order(self, clock: VirtualClock) -> None:
        woke: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append((name, clock.monotonic()))

        tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("c", 3), ("a", 1), ("b", 2))]
        await asyncio.sleep(0)
        await clock.advance_async(10)
        assert woke == [("a", 1), ("b", 2), ("c", 3)]  # each saw its own deadline
        assert clock.monotonic() == 10
        await asyncio.gather(*tasks)

    async def test_sync_advance_wakes_in_order(self, clock: VirtualClock) -> None:
        woke: list[str] = []

        async def sleeper(name: str, seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append(name)

        tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("late", 2), ("early", 1))]
        await asyncio.sleep(0)
        clock.advance(5)
        await asyncio.wait_for(asyncio.gather(*tasks), 1.0)
        assert woke == ["early", "late"]

    async def test_chained_sleeps_within_one_advance_async(self, clock: VirtualClock) -> None:
        ticks: list[float] = []

        async def ticker() -> None:
            for _ in range(5):
                await clock.sleep(1)
                ticks.append(clock.monotonic())

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        await clock.advance_async(3.5)
        assert ticks == [1, 2, 3]
        assert clock.monotonic() == 3.5
        await clock.run_until_idle()
        assert ticks == [1, 2, 3, 4, 5]
        await task

    async def test_cancelling_a_sleeper_removes_it(self, clock: VirtualClock) -> None:
        task = asyncio.create_task(clock.sleep(5))
        keep = asyncio.create_task(clock.sleep(7))
        await asyncio.sleep(0)
        assert clock.pending() == 2
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert clock.pending() == 1
        assert clock.next_deadline() == 7
        keep.cancel()
        with pytest.raises(asyncio.CancelledError):
            await keep
        assert clock.pending() == 0
        assert clock.next_deadline() is None
        assert clock.advance_to_next() is None

    async def test_wait_for_timeout_uses_real_time_not_virtual(self, clock: VirtualClock) -> None:
        # A virtual sleep of an hour never ends by itself: time stands still.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(clock.sleep(3600), 0.05)
        assert clock.pending() == 0


class TestTimers:
    def test_loopless_timers_run_in_advancing_thread_at_their_time(
        self, clock: VirtualClock
    ) -> None:
        seen: list[tuple[str, float, int]] = []

        def record(name: str) -> Callable[[], None]:
            return lambda: seen.append((name, clock.monotonic(), threading.get_ident()))

        clock.schedule(2, record("b"))
        clock.schedule(1, record("a1"))
        clock.schedule(1, record("a2"))  # same deadline: first scheduled, first run
        dropped = clock.call_later(1.5, record("dropped"))
        dropped.cancel()
        assert dropped.cancelled()
        assert clock.pending() == 3
        clock.advance(3)
        me = threading.get_ident()
        assert seen == [("a1", 1, me), ("a2", 1, me), ("b", 2, me)]
        assert clock.pending() == 0

    def test_timer_may_schedule_another(self, clock: VirtualClock) -> None:
        seen: list[float] = []

        def again() -> None:
            seen.append(clock.monotonic())
            if len(seen) < 3:
                clock.call_later(1, again)

        clock.call_later(1, again)
        clock.advance(10)
        assert seen == [1, 2, 3]

    def test_advance_to_next(self, clock: VirtualClock) -> None:
        fired: list[float] = []
        clock.schedule(42.5, lambda: fired.append(clock.monotonic()))
        assert clock.advance_to_next() == 42.5
        assert fired == [42.5]
        assert clock.advance_to_next() is None
        assert clock.monotonic() == 42.5

    def test_past_deadline_fires_on_next_advance(self, clock: VirtualClock) -> None:
        clock.advance(10)
        fired: list[float] = []
        clock.schedule(5, lambda: fired.append(clock.monotonic()))
        clock.advance(0)
        assert fired == [10]


class TestThreads:
    def test_sleepers_on_several_loops_in_several_threads(self, clock: VirtualClock) -> None:
        threads = [_LoopThread(), _LoopThread()]
        woke: list[tuple[int, int, float]] = []
        done = threading.Barrier(3)

        def sleeper(index: int, seconds: float) -> Callable[[], object]:
            async def run() -> None:
                await clock.sleep(seconds)
                woke.append((index, threading.get_ident(), clock.monotonic()))
                await asyncio.get_running_loop().run_in_executor(None, done.wait, 5.0)

            return run

        try:
            threads[0].start_task(sleeper(0, 2))
            threads[1].start_task(sleeper(1, 1))
            assert clock.pending() == 2
            clock.advance(0.5)
            assert clock.pending() == 2
            clock.advance(5)
            done.wait(5.0)
            # Each task ran on its own loop's thread, no earlier than its deadline.
            assert sorted((i, ident) for i, ident, _ in woke) == [
                (0, threads[0].thread.ident),
                (1, threads[1].thread.ident),
            ]
            assert all(at >= (2, 1)[i] for i, _, at in woke)
        finally:
            for t in threads:
                t.close()

    async def test_advance_async_waits_for_other_loops(self, clock: VirtualClock) -> None:
        other = _LoopThread()
        ticks: list[float] = []

        async def ticker() -> None:
            for _ in range(3):
                await clock.sleep(1)
                ticks.append(clock.monotonic())

        try:
            other.start_task(ticker)
            await clock.advance_async(2.5)
            assert ticks == [1, 2]
        finally:
            other.close()

    def test_timer_with_loop_runs_on_that_loop(self, clock: VirtualClock) -> None:
        other = _LoopThread()
        ran = threading.Event()
        where: list[int] = []

        def callback() -> None:
            where.append(threading.get_ident())
            ran.set()

        try:
            clock.schedule(1, callback, loop=other.loop)
            clock.advance(1)
            assert ran.wait(5.0)
            assert where == [other.thread.ident]
        finally:
            other.close()

    def test_concurrent_advances_are_consistent(self, clock: VirtualClock) -> None:
        def work() -> None:
            for _ in range(1000):
                clock.advance(0.001)

        workers = [threading.Thread(target=work) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert clock.monotonic() == pytest.approx(4.0)


class TestAutoAdvance:
    async def test_time_flows_and_sleepers_wake(self) -> None:
        with VirtualClock(auto_advance=1000.0) as clock:
            assert clock.auto_advance == 1000.0
            before = clock.monotonic()
            await asyncio.wait_for(clock.sleep(20), 5.0)  # ~20 ms of real time
            assert clock.monotonic() - before >= 20
            assert clock.pending() == 0

    async def test_manual_advance_still_works(self) -> None:
        # Slow enough that the sleeper could not be woken by the flow alone within the test.
        with VirtualClock(auto_advance=0.001) as clock:
            task = asyncio.create_task(clock.sleep(3600))
            await asyncio.sleep(0)
            clock.advance(3600)
            await asyncio.wait_for(task, 5.0)
            assert clock.monotonic() >= 3600

    def test_loopless_timer_fires_on_the_clock_thread(self) -> None:
        with VirtualClock(auto_advance=1000.0) as clock:
            fired = threading.Event()
            where: list[int] = []
            clock.call_later(5, lambda: (where.append(threading.get_ident()), fired.set()))
            assert fired.wait(5.0)
            assert where and where[0] != threading.get_ident()
