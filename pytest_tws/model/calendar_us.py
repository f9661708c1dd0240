"""US equity-market holidays (NYSE rules), so listed expirations are real trading days."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

#: US exchange time: sessions, expirations and TWS's account-update times are in it
EASTERN = ZoneInfo("America/New_York")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> date:
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def market_holidays(year: int) -> frozenset[date]:
    days = {
        _observed(date(year, 1, 1)),
        _nth_weekday(year, 1, calendar.MONDAY, 3),
        _nth_weekday(year, 2, calendar.MONDAY, 3),
        _easter(year) - timedelta(days=2),
        _last_weekday(year, 5, calendar.MONDAY),
        _observed(date(year, 6, 19)),
        _observed(date(year, 7, 4)),
        _nth_weekday(year, 9, calendar.MONDAY, 1),
        _nth_weekday(year, 11, calendar.THURSDAY, 4),
        _observed(date(year, 12, 25)),
    }
    return frozenset(days)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in market_holidays(day.year)


def previous_trading_day(day: date) -> date:
    """`day` itself if the market is open then, else the last trading day before it."""
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def hours_string(start: date, days: int, open_hhmm: str, close_hhmm: str) -> str:
    """TWS's tradingHours/liquidHours: `20261125:0930-20261125:1600;20261126:CLOSED;…`."""
    parts = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if is_trading_day(day):
            parts.append(f"{day:%Y%m%d}:{open_hhmm}-{day:%Y%m%d}:{close_hhmm}")
        else:
            parts.append(f"{day:%Y%m%d}:CLOSED")
    return ";".join(parts)
