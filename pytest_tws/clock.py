"""A virtual clock for tests: time moves only when the test says so (or at a chosen speed).

`VirtualClock` satisfies `tws_core.clock.Clock` structurally, so production code takes it in
place of `SystemClock`. It is shared between threads: the fake TWS runs on its own thread and
event loop, the code under test on another. Every waiter remembers where it came from::

    sleeper on loop A ──┐                     ┌─► A.call_soon_threadsafe(wake)
    sleeper on loop B ──┼─► heap by (deadline, ├─► B.call_soon_threadsafe(wake)
    timer, no loop   ───┘   seq)  ─ advance ─► └─► callback() in the advancing thread

so a test thread calling `advance()` wakes sleepers on any loop, in deadline order.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

__all__ = ["DEFAULT_START", "TimerHandle", "VirtualClock"]

DEFAULT_START = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)
"""Wednesday 2026-11-25 14:30 UTC = 09:30 New York, the US equity open: a trading day, in EST,
weeks away from a DST change and hours away from the restart and reset windows."""


@dataclass(eq=False)
class _Waiter:
    deadline: float
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[None] | None = None
    callback: Callable[[], object] | None = None
    cancelled: bool = False
    fired: bool = False


class TimerHandle:
    """A callback scheduled on a `VirtualClock`; `cancel()` before it fires to drop it."""

    __slots__ = ("_clock", "_waiter")

    def __init__(self, clock: VirtualClock, waiter: _Waiter) -> None:
        self._clock = clock
        self._waiter = waiter

    @property
    def when(self) -> float:
        """The virtual monotonic time at which the callback is due."""
        return self._waiter.deadline

    def cancel(self) -> None:
        """Drop the callback if it has not fired yet; harmless otherwise."""
        self._clock._discard(self._waiter)

    def cancelled(self) -> bool:
        """True once `cancel()` was called before the callback fired."""
        return self._waiter.cancelled


@dataclass
class _State:
    heap: list[tuple[float, int, _Waiter]] = field(default_factory=list)
    live: int = 0
    offset: float = 0.0  # virtual seconds added by advance()/set()
    closed: bool = False


class VirtualClock:
    """A `Clock` whose time moves by `advance()` / `set()`, or by itself at a speed factor.

    Args:
        start: The initial `now()`, an aware datetime. Default `DEFAULT_START`
            (2026-11-25 14:30 UTC). `monotonic()` starts at 0.0.
        auto_advance: If given, virtual time also flows at this many times real time
            (``1.0`` = real speed, ``60.0`` = a minute per second), and due sleepers are woken
            by a daemon thread; `close()` stops it. None (default): time stands still between
            explicit advances.

    Raises:
        ValueError: A naive ``start`` or a non-positive ``auto_advance``.

    Thread-safe: any thread may read the time, sleep (on its own loop) or advance.
    """

    def __init__(self, start: datetime | None = None, *, auto_advance: float | None = None):
        start = DEFAULT_START if start is None else start
        if start.tzinfo is None or start.tzinfo.utcoffset(start) is None:
            raise ValueError(f"start must be an aware datetime, got naive {start!r}")
        if auto_advance is not None and not auto_advance > 0:
            raise ValueError(f"auto_advance must be > 0, got {auto_advance!r}")
        self._start = start
        self._speed = auto_advance
        self._real_start = time.monotonic()
        self._seq = itertools.count()
        self._cond = threading.Condition(threading.RLock())
        self._state = _State()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now().isoformat()}, pending={self.pending()})"

    # -- reading --------------------------------------------------------------------------

    @property
    def auto_advance(self) -> float | None:
        """The speed factor, or None when time moves only on request."""
        return self._speed

    def monotonic(self) -> float:
        """Virtual seconds since the clock was made (plus auto-advanced time)."""
        with self._cond:
            return self._monotonic_locked()

    def _monotonic_locked(self) -> float:
        if self._speed is None:
            return self._state.offset
        return self._state.offset + self._speed * (time.monotonic() - self._real_start)

    def now(self) -> datetime:
        """The virtual wall time, in the zone of ``start``."""
        return self._start + timedelta(seconds=self.monotonic())

    def next_deadline(self) -> float | None:
        """The earliest pending sleeper or timer (virtual monotonic time), or None."""
        with self._cond:
            top = self._peek_locked()
            return None if top is None else top.deadline

    def pending(self) -> int:
        """How many sleepers and timers are waiting."""
        with self._cond:
            return self._state.live

    # -- waiting --------------------------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        """Wait until virtual time has moved ``seconds`` on; ``sleep(0)`` yields once.

        Cancelling the sleeping task removes its sleeper from the clock.
        """
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        waiter = _Waiter(deadline=0.0, loop=loop, future=loop.create_future())
        with self._cond:
            waiter.deadline = self._monotonic_locked() + seconds
            self._push_locked(waiter)
        assert waiter.future is not None
        try:
            await waiter.future
        finally:
            self._discard(waiter)

    def schedule(
        self,
        at: float,
        callback: Callable[[], object],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> TimerHandle:
        """Call ``callback()`` when virtual monotonic time reaches ``at``.

        The callback runs on ``loop`` (via ``call_soon_threadsafe``); by default on the loop
        running in the calling thread, if any, else synchronously in whichever thread moves
        the clock past ``at``. A time already reached fires on the next advance (or at once
        under auto-advance).
        """
        if loop is None:
            with contextlib.suppress(RuntimeError):
                loop = asyncio.get_running_loop()
        waiter = _Waiter(deadline=at, loop=loop, callback=callback)
        with self._cond:
            self._push_locked(waiter)
        return TimerHandle(self, waiter)

    def call_later(
        self,
        delay: float,
        callback: Callable[[], object],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> TimerHandle:
        """`schedule` ``delay`` virtual seconds from now."""
        return self.schedule(self.monotonic() + max(0.0, delay), callback, loop=loop)

    # -- moving time ----------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move virtual time forward, waking what falls due in deadline order.

        Time steps to each deadline in turn, so a timer callback run here sees `now()` equal
        to its own deadline. Sleepers on event loops are woken in order but run when their
        loop next gets control; to let them run before moving further, use `advance_async`.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"cannot go back in time (advance by {seconds!r})")
        # What is left to move is kept here, not as a target time: two threads advancing at
        # once each add their own seconds (a target computed before the other's step would
        # swallow it).
        remaining = seconds
        while True:
            with self._cond:
                now = self._monotonic_locked()
                waiter = self._pop_due_locked(now + remaining)
                if waiter is None:
                    self._state.offset += remaining
                    self._cond.notify_all()
                    return
                step = min(remaining, max(0.0, waiter.deadline - now))
                self._state.offset += step
                remaining -= step
            self._fire(waiter)

    def set(self, when: datetime) -> None:
        """Move virtual time forward to ``when`` (aware), as `advance` does.

        Raises:
            ValueError: ``when`` is naive or earlier than `now()`.
        """
        if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
            raise ValueError(f"when must be an aware datetime, got naive {when!r}")
        delta = (when - self.now()).total_seconds()
        if delta < 0:
            raise ValueError(f"cannot go back in time to {when.isoformat()}")
        self.advance(delta)

    def advance_to_next(self) -> float | None:
        """Jump to the earliest pending deadline and wake what is due there.

        Returns:
            The new virtual monotonic time, or None (time unchanged) if nothing is pending.
        """
        with self._cond:
            deadline = self.next_deadline()
            if deadline is None:
                return None
            step = max(0.0, deadline - self._monotonic_locked())
        self.advance(step)
        return self.monotonic()

    async def advance_async(self, seconds: float, *, settle: int = 5) -> None:
        """Like `advance`, but let woken tasks run before time moves further.

        After each deadline, the calling loop gets ``settle`` turns and every other loop that
        had a waiter woken is waited on for one round trip, so a task that wakes and sleeps
        again is woken again within the same call if its new deadline is still in range.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"cannot go back in time (advance by {seconds!r})")
        with self._cond:
            target = self._monotonic_locked() + seconds
        while True:
            with self._cond:
                due = self._peek_locked()
                if due is None or due.deadline > target:
                    step = max(0.0, target - self._monotonic_locked())
                    self._state.offset += step
                    self._cond.notify_all()
                    break
                deadline = due.deadline
                woken: list[_Waiter] = []
                while (w := self._pop_due_locked(deadline)) is not None:
                    woken.append(w)
                self._state.offset += max(0.0, deadline - self._monotonic_locked())
            for w in woken:
                self._fire(w)
            await self._settle({w.loop for w in woken if w.loop is not None}, settle)
        await self._settle((), settle)

    async def run_until_idle(self, *, limit: float = 86_400.0, settle: int = 5) -> None:
        """`advance_async` from deadline to deadline until nothing is pending (or ``limit``).

        Tasks just created get ``settle`` turns first, so their first sleeps count.
        """
        await self._settle((), settle)
        end = self.monotonic() + limit
        while (deadline := self.next_deadline()) is not None and deadline <= end:
            await self.advance_async(max(0.0, deadline - self.monotonic()), settle=settle)

    async def _settle(self, loops: Iterable[asyncio.AbstractEventLoop], turns: int) -> None:
        here = asyncio.get_running_loop()
        for loop in loops:
            if loop is here or loop.is_closed():
                continue
            # Two round trips: the first runs after the wake-up callback, the second after
            # the woken task's step that the wake-up scheduled.
            for _ in range(2):
                done = threading.Event()
                try:
                    loop.call_soon_threadsafe(done.set)
                except RuntimeError:  # closed meanwhile
                    break
                await here.run_in_executor(None, done.wait, 5.0)
        for _ in range(turns):
            await asyncio.sleep(0)

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the auto-advance thread (if any). Pending sleepers stay pending."""
        with self._cond:
            self._state.closed = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def __enter__(self) -> VirtualClock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _push_locked(self, waiter: _Waiter) -> None:
        heapq.heappush(self._state.heap, (waiter.deadline, next(self._seq), waiter))
        self._state.live += 1
        if self._speed is not None:
            self._ensure_thread_locked()
        self._cond.notify_all()

    def _peek_locked(self) -> _Waiter | None:
        heap = self._state.heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)  # cancelled lazily: removal from the middle costs O(n)
        return heap[0][2] if heap else None

    def _pop_due_locked(self, until: float) -> _Waiter | None:
        top = self._peek_locked()
        if top is None or top.deadline > until:
            return None
        heapq.heappop(self._state.heap)
        top.fired = True
        self._state.live -= 1
        return top

    def _discard(self, waiter: _Waiter) -> None:
        with self._cond:
            if not waiter.fired and not waiter.cancelled:
                waiter.cancelled = True
                self._state.live -= 1

    def _fire(self, waiter: _Waiter) -> None:
        action: Callable[[], object]
        if waiter.future is not None:
            fut = waiter.future
            action = lambda: None if fut.done() else fut.set_result(None)  # noqa: E731
        else:
            assert waiter.callback is not None
            action = waiter.callback
        if waiter.loop is None:
            action()
            return
        # A closed loop raises RuntimeError: nobody is left to wake there.
        with contextlib.suppress(RuntimeError):
            waiter.loop.call_soon_threadsafe(action)

    def _ensure_thread_locked(self) -> None:
        if self._thread is None and not self._state.closed:
            self._thread = threading.Thread(
                target=self._auto_loop, name="VirtualClock-auto", daemon=True
            )
            self._thread.start()

    def _auto_loop(self) -> None:
        assert self._speed is not None
        while True:
            with self._cond:
                while True:
                    if self._state.closed:
                        return
                    top = self._peek_locked()
                    if top is None:
                        self._cond.wait()
                        continue
                    real_wait = (top.deadline - self._monotonic_locked()) / self._speed
                    if real_wait > 0:
                        self._cond.wait(real_wait)
                        continue
                    waiter = self._pop_due_locked(self._monotonic_locked())
                    break
            if waiter is not None:
                self._fire(waiter)
