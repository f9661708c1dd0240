"""Time for production code: one protocol, so tests can substitute a virtual clock.

Also `RestartWindow`, the schedule of TWS's daily restart and IBKR's nightly reset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo


@runtime_checkable
class Clock(Protocol):
    """What production code asks of time. `VirtualClock` in pytest_tws satisfies it."""

    def now(self) -> datetime:
        """The current time as an aware datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences mean anything."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait until `seconds` have passed on this clock."""
        ...


class SystemClock:
    """The real clock: wall time in UTC, `time.monotonic`, `asyncio.sleep`."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


# --- TWS restart and IBKR reset schedule -------------------------------------------------

_NY = "America/New_York"
_SUNDAY_TO_FRIDAY = frozenset({6, 0, 1, 2, 3, 4})  # datetime.weekday(): Monday is 0


def _require_aware(t: datetime, name: str = "t") -> None:
    if t.tzinfo is None or t.tzinfo.utcoffset(t) is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {t!r}")


def _parse_time(value: dt_time | str, name: str) -> dt_time:
    if isinstance(value, dt_time):
        if value.tzinfo is not None:
            raise ValueError(f"{name} is a wall-clock time; give the zone separately")
        return value
    try:
        return dt_time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a time or 'HH:MM', got {value!r}") from None


def _seconds(value: timedelta | float, name: str) -> timedelta:
    delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if delta < timedelta(0):
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return delta


def _local_instant(day: date, at: dt_time, zone: ZoneInfo) -> datetime:
    # Wall time -> UTC. For a wall time skipped by a DST jump (fold=0) zoneinfo applies the
    # pre-jump offset, so 02:30 on a spring-forward day becomes 03:30 local: when a scheduler
    # driven by the local clock actually fires. In the repeated hour, fold=0 picks the first
    # pass, as TWS (a Java timer on local time) does.
    return datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)


class RestartWindow:
    """When TWS is expected to be away: its daily auto-restart and IBKR's nightly reset.

    Two schedules, each on its own wall clock (DST-correct through zoneinfo):

    - **TWS auto-restart**, set by the user in TWS (Configure → Lock and Exit): every day at
      ``restart_time`` in ``restart_zone``; the process exits, every API socket closes, and TWS
      is expected back after ``restart_downtime`` (an elapsed duration, not a wall time).
    - **IBKR nightly server reset**: ``reset_start``-``reset_end`` wall time in ``reset_zone``
      (default 00:15-01:45 America/New_York) on the days in ``reset_days``, weekday numbers of
      the *start date* in ``reset_zone`` (Monday 0 … Sunday 6; default Sunday-Friday, per
      IBKR's System Status page — Saturday's slot falls in the weekend maintenance). The TWS
      socket stays up during the reset; the client sees 1100 then 1101/1102. An end at or
      before the start means the window runs past midnight.

    All methods take and return aware datetimes (returned ones are in UTC); intervals are
    half-open ``[start, end)``. Naive datetimes raise ``ValueError``.

    Args:
        restart_time: Wall time of the daily TWS restart, a ``time`` or ``"HH:MM"``.
        restart_zone: IANA zone of ``restart_time`` (the TWS machine's setting).
        restart_downtime: How long TWS is expected to be gone, ``timedelta`` or seconds.
        reset_start: Wall time the nightly reset starts.
        reset_end: Wall time the nightly reset ends.
        reset_zone: IANA zone of the reset times.
        reset_days: Weekdays (of the start date) on which a reset happens.
        restart_enabled: False when TWS is set to auto-logoff instead (no restart window).
        reset_enabled: False to ignore the nightly reset.

    Raises:
        ValueError: A bad time, a negative downtime, or an empty reset window.
        zoneinfo.ZoneInfoNotFoundError: An unknown zone name.
    """

    def __init__(
        self,
        *,
        restart_time: dt_time | str = dt_time(23, 45),
        restart_zone: str = _NY,
        restart_downtime: timedelta | float = timedelta(minutes=5),
        reset_start: dt_time | str = dt_time(0, 15),
        reset_end: dt_time | str = dt_time(1, 45),
        reset_zone: str = _NY,
        reset_days: Iterable[int] = _SUNDAY_TO_FRIDAY,
        restart_enabled: bool = True,
        reset_enabled: bool = True,
    ) -> None:
        self.restart_time = _parse_time(restart_time, "restart_time")
        self.restart_zone = ZoneInfo(restart_zone)
        self.restart_downtime = _seconds(restart_downtime, "restart_downtime")
        self.reset_start = _parse_time(reset_start, "reset_start")
        self.reset_end = _parse_time(reset_end, "reset_end")
        self.reset_zone = ZoneInfo(reset_zone)
        self.reset_days = frozenset(reset_days)
        if not self.reset_days <= set(range(7)):
            raise ValueError(f"reset_days must be weekdays 0..6, got {sorted(self.reset_days)}")
        self.restart_enabled = restart_enabled
        self.reset_enabled = reset_enabled and bool(self.reset_days)

    def __repr__(self) -> str:
        return (
            f"RestartWindow(restart_time={self.restart_time.isoformat('minutes')!r}, "
            f"restart_zone={self.restart_zone.key!r}, "
            f"restart_downtime={self.restart_downtime.total_seconds()!r}, "
            f"reset_start={self.reset_start.isoformat('minutes')!r}, "
            f"reset_end={self.reset_end.isoformat('minutes')!r}, "
            f"reset_zone={self.reset_zone.key!r}, reset_days={sorted(self.reset_days)!r}, "
            f"restart_enabled={self.restart_enabled!r}, reset_enabled={self.reset_enabled!r})"
        )

    # -- intervals ------------------------------------------------------------------------

    def _restart_intervals(self, t: datetime, back: int, ahead: int) -> list[_Interval]:
        if not self.restart_enabled:
            return []
        today = t.astimezone(self.restart_zone).date()
        out = []
        for offset in range(-back, ahead + 1):
            start = _local_instant(
                today + timedelta(days=offset), self.restart_time, self.restart_zone
            )
            out.append((start, start + self.restart_downtime))
        return out

    def _reset_intervals(self, t: datetime, back: int, ahead: int) -> list[_Interval]:
        if not self.reset_enabled:
            return []
        today = t.astimezone(self.reset_zone).date()
        crosses_midnight = self.reset_end <= self.reset_start
        out = []
        for offset in range(-back, ahead + 1):
            day = today + timedelta(days=offset)
            if day.weekday() not in self.reset_days:
                continue
            end_day = day + timedelta(days=1) if crosses_midnight else day
            start = _local_instant(day, self.reset_start, self.reset_zone)
            end = _local_instant(end_day, self.reset_end, self.reset_zone)
            if end > start:  # a DST jump could in theory swallow a tiny window
                out.append((start, end))
        return out

    def restart_interval(self, t: datetime) -> tuple[datetime, datetime] | None:
        """The TWS restart downtime ``(start, end)`` that contains ``t``, or None."""
        _require_aware(t)
        return _containing(self._restart_intervals(t, 2, 1), t)

    def reset_interval(self, t: datetime) -> tuple[datetime, datetime] | None:
        """The nightly reset window ``(start, end)`` that contains ``t``, or None."""
        _require_aware(t)
        return _containing(self._reset_intervals(t, 2, 1), t)

    # -- questions --------------------------------------------------------------------------

    def in_restart(self, t: datetime) -> bool:
        """True while TWS is expected to be down for its daily auto-restart."""
        return self.restart_interval(t) is not None

    def in_reset(self, t: datetime) -> bool:
        """True inside IBKR's nightly server reset window."""
        return self.reset_interval(t) is not None

    def contains(self, t: datetime) -> bool:
        """True inside the restart downtime or the nightly reset window."""
        return self.in_restart(t) or self.in_reset(t)

    __contains__ = contains

    def next_restart(self, after: datetime) -> datetime | None:
        """The first TWS restart that starts strictly after ``after``; None if disabled."""
        _require_aware(after, "after")
        return _first_start_after(self._restart_intervals(after, 1, 2), after)

    def next_reset(self, after: datetime) -> datetime | None:
        """The first nightly reset that starts strictly after ``after``; None if disabled."""
        _require_aware(after, "after")
        # Eight days ahead always reaches a reset day, whatever ``reset_days`` holds.
        return _first_start_after(self._reset_intervals(after, 1, 8), after)

    def next_start(self, after: datetime) -> datetime | None:
        """The next restart or reset start strictly after ``after``; None if both disabled."""
        starts = [s for s in (self.next_restart(after), self.next_reset(after)) if s]
        return min(starts, default=None)

    def expected_until(self, t: datetime) -> datetime | None:
        """When the outage expected at ``t`` ends, or None if ``t`` is outside every window.

        Windows that touch or overlap (a restart set inside the reset, say) are joined, so the
        answer is the first moment TWS is expected to be fully back.
        """
        _require_aware(t)
        intervals = self._restart_intervals(t, 2, 2) + self._reset_intervals(t, 2, 2)
        current = _containing(intervals, t)
        if current is None:
            return None
        end = current[1]
        extended = True
        while extended:
            extended = False
            for start, stop in intervals:
                if start <= end < stop:
                    end, extended = stop, True
        return end


_Interval = tuple[datetime, datetime]


def _containing(intervals: list[_Interval], t: datetime) -> _Interval | None:
    hits = [iv for iv in intervals if iv[0] <= t < iv[1]]
    return max(hits, key=lambda iv: iv[1], default=None)


def _first_start_after(intervals: list[_Interval], after: datetime) -> datetime | None:
    return min((s for s, _ in intervals if s > after), default=None)
