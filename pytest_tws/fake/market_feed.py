"""The tick feed: moves the simulator along the fake's clock and tells who cares.

One asyncio task on the fake's loop sleeps on the fake's `Clock` for one tick interval, brings
the simulator to the clock's time and then calls, in order, the step listeners (orders that
rest until the market crosses them) and the publishers (market-data subscriptions sending
ticks). With a `SystemClock` that is a real-time tick rate; with a `VirtualClock` the task is
a sleeper on that clock, so ticks happen exactly when virtual time passes and never otherwise.

The task runs only while something listens or subscribes: an idle fake leaves no sleeper on a
virtual clock (so `run_until_idle` and long `advance_async` jumps stay cheap).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend

log = logging.getLogger("pytest_tws.fake")

#: Ticks per second of clock time. The simulator's price grid is 0.25 s, so 4/s shows every step.
DEFAULT_TICK_RATE = 4.0

StepListener = Callable[["Backend"], None]
Publisher = Callable[[], None]


class MarketFeed:
    """Drives the backend's market on the backend's clock. Lives on the fake's loop thread."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.tick_rate = DEFAULT_TICK_RATE
        self.step_listeners: list[StepListener] = []
        """called with the backend after each market step (and after each control change)"""
        self.publishers: list[Publisher] = []
        """called after the listeners on each tick; market data registers here"""
        self.paused = False
        """connectivity lost (1100): the market still moves, nothing is published"""
        self.ticks = 0
        """feed ticks run so far (for tests and benchmarks)"""
        self._wanted: Callable[[], bool] = lambda: False
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # -- who keeps the feed running ---------------------------------------------------------

    def add_step_listener(self, listener: StepListener) -> Callable[[], None]:
        """Call `listener(backend)` after every market step; returns a function removing it.

        Register only while there is something to react to (a resting order): the feed runs,
        and keeps a sleeper on a virtual clock, as long as any listener is registered.
        """
        self.step_listeners.append(listener)
        self.ensure_running()

        def remove() -> None:
            if listener in self.step_listeners:
                self.step_listeners.remove(listener)

        return remove

    def set_demand(self, wanted: Callable[[], bool]) -> None:
        """Tell the feed how to know whether subscribers need it (market data does)."""
        self._wanted = wanted

    def needed(self) -> bool:
        return not self._closed and (bool(self.step_listeners) or self._wanted())

    def set_tick_rate(self, per_second: float) -> None:
        if not per_second > 0:
            raise ValueError(f"tick rate must be > 0, got {per_second!r}")
        self.tick_rate = per_second

    # -- running ----------------------------------------------------------------------------

    def ensure_running(self) -> None:
        """Start the task if it is needed and not running (call on the fake's loop)."""
        if self._closed or (self._task is not None and not self._task.done()):
            return
        if not self.needed():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not on a loop (a backend used without a server): ticks on demand only
        self._task = loop.create_task(self._run(), name="pytest-tws market feed")

    def close(self) -> None:
        """Stop for good (the backend was rebuilt)."""
        self._closed = True
        self.cancel_task()

    def cancel_task(self) -> None:
        """Stop the task (its loop is ending); `ensure_running` may start another later."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    def step(self) -> None:
        """One tick now: bring the market to the clock, then listeners, then publishers."""
        self.ticks += 1
        self.backend.sync_market()
        self.notify()

    def notify(self) -> None:
        """Run listeners and publishers without moving time (after a control change)."""
        for listener in list(self.step_listeners):
            try:
                listener(self.backend)
            except Exception:
                log.exception("market step listener %r failed", listener)
                self.backend.transcript.fail("market listener", repr(listener), None)
        if self.paused:
            return
        for publish in list(self.publishers):
            publish()

    async def _run(self) -> None:
        clock = self.backend.clock
        try:
            while self.needed():
                await clock.sleep(1.0 / self.tick_rate)
                if self._closed:
                    return
                self.step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("market feed failed")
            self.backend.transcript.fail("market feed", "the tick task failed", None)
