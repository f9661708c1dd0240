"""The `restart_window` fixture: one `VirtualClock` for the fake and the code under test, placed
shortly before TWS's daily restart, with helpers to cross the restart and the nightly reset.

    async def test_survives_the_night(restart_window, fake_tws):
        dog = Watchdog(conn, clock=restart_window.clock, restart_window=restart_window.window)
        end = await restart_window.cross_restart()      # 23:45 ET: every socket drops
        await restart_window.finish_restart()           # +5 min: the fake listens again
        await restart_window.cross_reset()              # 00:15 ET: 1100 to every client
        await restart_window.finish_reset()             # +2 min: 1102

The fixture puts the session's fake on the virtual clock (`FakeTWS.use_clock`) for the test
and back on the system clock afterwards. The restart time, zone, downtime, reset window, the
outage inside it and the start time can be set per test with a marker::

    @pytest.mark.restart_window(restart_time="23:00", restart_downtime=120, reset_outage=30,
                                reset_data_lost=True, start=datetime(..., tzinfo=...))

(other keyword arguments go to `tws_core.clock.RestartWindow`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from pytest_tws.clock import DEFAULT_START, VirtualClock
from pytest_tws.fake import FakeTWS
from pytest_tws.fake.faults import DEFAULT_RESET_OUTAGE
from tws_core.clock import RestartWindow

__all__ = ["BEFORE_RESTART", "RestartWindowControl", "advance_until", "restart_window"]

#: Where the clock starts by default: this long before the first restart after DEFAULT_START.
BEFORE_RESTART = timedelta(minutes=5)

#: Real seconds a helper waits for the fake (or the code under test) to react.
REACTION_TIMEOUT = 10.0

#: Virtual seconds added when stepping onto a scheduled instant, so float rounding of the
#: clock's deadlines cannot leave that instant's timers unfired.
_PAST = 0.001


class RestartWindowControl:
    """What the `restart_window` fixture gives a test.

    Attributes:
        clock: The `VirtualClock` shared by the fake and the code under test.
        window: The `RestartWindow` the fake follows (hand it to the code under test too).
        tws: The fake on that clock.
        reset_outage: Seconds of clock time the nightly reset's outage lasts.
    """

    def __init__(
        self,
        clock: VirtualClock,
        window: RestartWindow,
        tws: FakeTWS,
        reset_outage: float = DEFAULT_RESET_OUTAGE,
    ) -> None:
        self.clock = clock
        self.window = window
        self.tws = tws
        self.reset_outage = reset_outage

    def __repr__(self) -> str:
        return f"RestartWindowControl(now={self.clock.now().isoformat()}, window={self.window})"

    # where we are

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def in_window(self) -> bool:
        """True inside the restart downtime or the nightly reset window."""
        return self.window.contains(self.clock.now())

    def next_restart(self) -> datetime:
        start = self.window.next_restart(self.clock.now())
        if start is None:
            raise RuntimeError("the restart window has no TWS restart enabled")
        return start

    def next_reset(self) -> datetime:
        start = self.window.next_reset(self.clock.now())
        if start is None:
            raise RuntimeError("the restart window has no nightly reset enabled")
        return start

    # moving the clock

    async def advance(self, seconds: float) -> None:
        """Move virtual time on, letting woken tasks run at each deadline on the way."""
        await self.clock.advance_async(seconds)

    async def advance_to(self, when: datetime) -> None:
        """Move virtual time on to ``when`` (no-op if already there)."""
        await self.advance(max(0.0, (when - self.clock.now()).total_seconds()))

    async def advance_until(
        self,
        predicate: Callable[[], bool],
        *,
        within: float,
        idle: Callable[[], bool] | None = None,
        timeout: float = REACTION_TIMEOUT,
    ) -> float:
        """`advance_until` on this fixture's clock."""
        return await advance_until(self.clock, predicate, within=within, idle=idle,
                                   timeout=timeout)

    # crossing the restart and the reset

    async def cross_restart(self) -> datetime:
        """Move the clock onto the next TWS restart; returns once the fake has gone down.

        Returns:
            When the downtime is expected to end.
        """
        start = self.next_restart()
        restarts = self._faults("restarts")
        await self.advance_to(start + timedelta(seconds=_PAST))
        await self._wait(lambda: self._faults("restarts") > restarts, "the fake to restart")
        return start + self.window.restart_downtime

    async def finish_restart(self) -> None:
        """Move the clock to the end of the restart's downtime; returns once the fake listens."""
        interval = self.window.restart_interval(self.clock.now())
        if interval is not None:
            await self.advance_to(interval[1] + timedelta(seconds=_PAST))
        await self._wait(lambda: self.tws.listening, "the fake to listen again")

    async def cross_reset(self) -> datetime:
        """Move the clock onto the next nightly reset; returns once the fake has sent 1100.

        Returns:
            When the reset's outage is to end (1101/1102).
        """
        start = self.next_reset()
        resets = self._faults("resets")
        await self.advance_to(start + timedelta(seconds=_PAST))
        await self._wait(lambda: self._faults("resets") > resets, "the nightly reset to start")
        return start + timedelta(seconds=self.reset_outage)

    async def finish_reset(self) -> None:
        """Move the clock past the reset's outage; returns once the fake sent 1101/1102."""
        interval = self.window.reset_interval(self.clock.now())
        if interval is not None:
            await self.advance_to(interval[0] + timedelta(seconds=self.reset_outage + _PAST))
        await self._wait(
            lambda: not self._faults("connectivity_is_lost"), "connectivity to come back"
        )

    # internals

    def _faults(self, name: str) -> Any:
        return self.tws.call(lambda: getattr(self.tws.faults, name))

    async def _wait(self, condition: Callable[[], bool], what: str) -> None:
        await _until(condition, REACTION_TIMEOUT, what)



async def advance_until(
    clock: VirtualClock,
    predicate: Callable[[], bool],
    *,
    within: float,
    idle: Callable[[], bool] | None = None,
    timeout: float = REACTION_TIMEOUT,
) -> float:
    """Step virtual time from deadline to deadline until ``predicate()`` holds.

    Before each step, waits (in real time, up to ``timeout``) until ``idle()`` says the code
    under test is waiting on the clock rather than on I/O, so no clock timeout fires while a
    real socket operation is still under way (e.g. ``idle=watchdog.is_waiting``). Without
    ``idle``, the loop gets a few turns.

    Returns:
        The virtual seconds that passed.

    Raises:
        TimeoutError: ``predicate`` still false after ``within`` virtual seconds (or nothing
            is pending on the clock), or not idle within ``timeout`` real seconds.
    """
    started = clock.monotonic()
    limit = started + within
    while True:
        for _ in range(5):
            await asyncio.sleep(0)
        if idle is not None:
            await _until(lambda: predicate() or idle(), timeout, "the code under test to idle")
        if predicate():
            return clock.monotonic() - started
        deadline = clock.next_deadline()
        if deadline is None or deadline > limit:
            raise TimeoutError(
                f"condition not reached within {within} virtual seconds "
                f"(now {clock.now().isoformat()}, next deadline {deadline})"
            )
        await clock.advance_async(max(0.0, deadline - clock.monotonic()))


async def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait (real time) for a reaction to something that already happened, polling briefly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.001)


def _control_from_marker(
    request: pytest.FixtureRequest, tws: FakeTWS
) -> tuple[RestartWindowControl, datetime]:
    marker = request.node.get_closest_marker("restart_window")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    start: datetime | None = options.pop("start", None)
    reset_outage = float(options.pop("reset_outage", DEFAULT_RESET_OUTAGE))
    reset_data_lost = bool(options.pop("reset_data_lost", False))
    window = RestartWindow(**options)
    if start is None:
        first = window.next_restart(DEFAULT_START) or window.next_reset(DEFAULT_START)
        start = DEFAULT_START if first is None else first - BEFORE_RESTART
    clock = VirtualClock(start)
    tws.use_clock(clock, window)
    tws.call(lambda: tws.faults.follow(window, reset_outage=reset_outage,
                                       reset_data_lost=reset_data_lost))
    return RestartWindowControl(clock, window, tws, reset_outage), start


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "restart_window(**kwargs): restart_window fixture settings (RestartWindow arguments, "
        "start, reset_outage, reset_data_lost)",
    )


@pytest.fixture
def restart_window(
    request: pytest.FixtureRequest, fake_tws: FakeTWS
) -> Iterator[RestartWindowControl]:
    """A `VirtualClock` shared by the fake and the code under test, placed 5 minutes before
    TWS's daily restart (23:45 America/New_York by default); see `RestartWindowControl`."""
    control, _ = _control_from_marker(request, fake_tws)
    try:
        yield control
    finally:
        fake_tws.use_clock(None)
        control.clock.close()
