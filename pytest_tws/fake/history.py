"""Historical bars and TWS's historical-data pacing, for reqHistoricalData.

The simulator moves forward only, so history is made up: a seeded random walk *backwards*
from the contract's current price, so the last bar closes where the market is now. The same
seed, contract, bar size and end time give the same bars.

Pacing follows TWS (PROTOCOL §5, error 162): at most 60 requests in 10 minutes; no identical
request within 15 s; fewer than 6 requests for one contract, exchange and tick type within
2 s. A request counts as recent only if *both* the fake's clock and real time say so, so a
frozen virtual clock does not turn ib_async's periodic watchdog probe into a violation, and a
test that advances a virtual clock past a window is not held back by real time.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pytest_tws.fake.market_layouts import Bar
from pytest_tws.model.calendar_us import EASTERN, is_trading_day

#: The zone name TWS appends to intraday bar times (ib_async parses it with zoneinfo).
BAR_ZONE_NAME = "US/Eastern"
MAX_BARS = 5000
_MAX_STEPS = 200_000  # bounds the walk over closed hours of a long, fine-grained request

_UNITS = {"sec": 1, "secs": 1, "min": 60, "mins": 60, "hour": 3600, "hours": 3600,
          "day": 86400, "days": 86400, "week": 7 * 86400, "weeks": 7 * 86400,
          "month": 30 * 86400, "months": 30 * 86400}
_DURATION_UNITS = {"S": 1, "D": 86400, "W": 7 * 86400, "M": 30 * 86400, "Y": 365 * 86400}


class HistoryRequestError(ValueError):
    """A bar size, duration or end time TWS would reject (error 321)."""


def parse_bar_size(text: str) -> int:
    """`"5 secs"`, `"1 min"`, `"1 hour"`, `"1 day"` … -> seconds."""
    match = re.fullmatch(r"\s*(\d+)\s+([a-zA-Z]+)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise HistoryRequestError(f"Invalid bar size: {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_duration(text: str) -> int:
    """`"30 S"`, `"1 D"`, `"2 W"`, `"1 M"`, `"1 Y"` -> seconds."""
    match = re.fullmatch(r"\s*(\d+)\s+([SDWMY])\s*", text)
    if not match:
        raise HistoryRequestError(f"Invalid duration: {text!r}")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_end(text: str, now: datetime) -> datetime:
    """endDateTime: empty for now, `yyyymmdd hh:mm:ss[ zone]` or `yyyymmdd-hh:mm:ss` (UTC)."""
    text = text.strip()
    if not text:
        return now
    try:
        if "-" in text[:9]:
            return datetime.strptime(text, "%Y%m%d-%H:%M:%S").replace(tzinfo=ZoneInfo("UTC"))
        date_part, _, rest = text.partition(" ")
        clock_part, _, zone = rest.partition(" ")
        naive = datetime.strptime(f"{date_part} {clock_part}", "%Y%m%d %H:%M:%S")
        return naive.replace(tzinfo=ZoneInfo(zone) if zone else now.tzinfo)
    except (ValueError, KeyError) as exc:
        raise HistoryRequestError(f"Invalid end date/time: {text!r}") from exc


def _in_session(t: datetime, rth: bool, around_the_clock: bool) -> bool:
    local = t.astimezone(EASTERN)
    if around_the_clock:
        return local.weekday() < 5 or (local.weekday() == 6 and local.time() >= time(17))
    if not is_trading_day(local.date()):
        return False
    start, end = (time(9, 30), time(16)) if rth else (time(4), time(20))
    return start <= local.time() < end


@dataclass(frozen=True)
class BarRequest:
    symbol: str
    end: datetime
    duration: int
    bar_seconds: int
    use_rth: bool
    format_date: int
    around_the_clock: bool
    """FX and the like trade Sunday 17:00 to Friday 17:00 New York time"""


def make_bars(req: BarRequest, last_price: float, vol: float, seed: int, tick: float) -> list[Bar]:
    """Bars ending at `req.end`, oldest first, the newest closing at `last_price`."""
    times: list[datetime] = []
    daily = req.bar_seconds >= 86400
    step = timedelta(seconds=req.bar_seconds)
    epoch = math.floor(req.end.timestamp() / req.bar_seconds) * req.bar_seconds
    t = datetime.fromtimestamp(epoch, tz=req.end.tzinfo)
    if daily:
        t = datetime.combine(req.end.astimezone(EASTERN).date(), time(0), tzinfo=EASTERN)
    start = req.end - timedelta(seconds=req.duration)
    for _ in range(_MAX_STEPS):
        if t < start or len(times) >= MAX_BARS:
            break
        probe = t.replace(hour=12) if daily else t
        if _in_session(probe, req.use_rth and not daily, req.around_the_clock or daily) and (
            not daily or is_trading_day(t.date())
        ):
            times.append(t)
        t -= step
    key = f"{seed}|{req.symbol}|{req.bar_seconds}|{int(req.end.timestamp())}"
    rng = random.Random(zlib.crc32(key.encode("utf-8")))
    sigma = vol * math.sqrt(req.bar_seconds / (365.0 * 86400.0))
    bars: list[Bar] = []
    close = last_price
    for when in times:  # newest first
        open_ = close * math.exp(-rng.gauss(0.0, sigma))
        wiggle = abs(rng.gauss(0.0, sigma)) * 0.5
        high = max(open_, close) * (1 + wiggle)
        low = min(open_, close) * (1 - wiggle)
        o, h, lo, c = (_tick(x, tick) for x in (open_, high, low, close))
        volume = 0 if req.around_the_clock else int(rng.uniform(0.5, 1.5) * req.bar_seconds * 40)
        count = 0 if req.around_the_clock else max(1, volume // 300)
        bars.append(Bar(_format(when, daily, req.format_date), o, h, lo, c, volume,
                        _tick((o + h + lo + c) / 4, tick / 10), count))
        close = open_
    bars.reverse()
    return bars


def _tick(price: float, tick: float) -> float:
    return round(round(max(price, tick) / tick) * tick, 8)


def _format(t: datetime, daily: bool, format_date: int) -> str:
    if daily:
        return f"{t:%Y%m%d}"
    if format_date == 2:
        return str(int(t.timestamp()))
    return f"{t.astimezone(EASTERN):%Y%m%d %H:%M:%S} {BAR_ZONE_NAME}"


def header_time(t: datetime) -> str:
    """The start/end dates historicalData carries, e.g. `20261125 09:30:00`."""
    return f"{t.astimezone(EASTERN):%Y%m%d %H:%M:%S}"


class HistoricalPacing:
    """TWS's three historical-data pacing rules (see the module docstring)."""

    def __init__(self) -> None:
        self._recent: deque[tuple[float, float, tuple[object, ...], tuple[object, ...]]] = deque()

    def admit(
        self, clock_t: float, wall_t: float, identical: tuple[object, ...],
        contract: tuple[object, ...],
    ) -> bool:
        """Record a request and say whether TWS would serve it (False: error 162)."""

        def within(entry: tuple[float, float, object, object], seconds: float) -> bool:
            return clock_t - entry[0] < seconds and wall_t - entry[1] < seconds

        while self._recent and not within(self._recent[0], 600.0):
            self._recent.popleft()
        recent = list(self._recent)
        violation = (
            len(recent) >= 60
            or any(e[2] == identical and within(e, 15.0) for e in recent)
            or sum(1 for e in recent if e[3] == contract and within(e, 2.0)) >= 5
        )
        if not violation:
            self._recent.append((clock_t, wall_t, identical, contract))
        return not violation
