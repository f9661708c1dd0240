"""Exchange hours as TWS reports them in contract details: the time-zone id, and
``tradingHours``/``liquidHours`` for the following days, holidays and early closes included.

TWS's format (since API 9.72): ``20261125:0930-20261125:1600;20261126:CLOSED`` — one
``;``-separated entry per day, a day with two sessions as two entries
(``20261125:0900-20261125:1130;20261125:1230-20261125:1530``), and an overnight session
from the previous evening (``20261124:1700-20261125:1600``, CME Globex).

A small rules table, not a vendor calendar: exchange_calendars (which has these exchanges) was
measured at 189 MB installed (pandas, numpy, pyluach, toolz...) and 5 s to import on the shared
2-core machine (docs/benchmarks.md), too heavy for a test fake. US days follow
:mod:`pytest_tws.model.calendar_us` (NYSE rules); the UK, German and Japanese tables are
the fixed rules of those exchanges' published calendars (Japan: fixed dates and Monday
holidays, the equinoxes approximated as Mar 20 and Sep 23).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from pytest_tws.model.calendar_us import _easter, _last_weekday, _nth_weekday, market_holidays

#: How many days TWS's hours strings cover, starting today.
HOURS_DAYS = 7

Session = tuple[str, str]
"""(open, close) as HHMM; a close earlier than the open runs from the previous day."""


@dataclass(frozen=True)
class Hours:
    """One exchange's sessions for one kind of contract."""

    time_zone_id: str
    calendar: str
    trading: tuple[Session, ...]
    liquid: tuple[Session, ...]
    early_close: tuple[str, str] = ("", "")
    """(trading, liquid) closes (HHMM) on the calendar's early-close days"""
    weekends: bool = False
    """trades on Saturdays and Sundays too (crypto)"""


_US_STOCK = Hours("US/Eastern", "US", (("0400", "2000"),), (("0930", "1600"),),
                  ("1700", "1300"))
_US_OPTION = Hours("US/Eastern", "US", (("0930", "1600"),), (("0930", "1600"),),
                   ("1300", "1300"))
_CBOE_INDEX = Hours("US/Central", "US", (("0830", "1515"),), (("0830", "1500"),),
                    ("1215", "1200"))
_US_INDEX = Hours("US/Eastern", "US", (("0930", "1600"),), (("0930", "1600"),),
                  ("1300", "1300"))
_GLOBEX = Hours("US/Central", "US", (("1700", "1600"),), (("0830", "1500"),),
                ("1215", "1200"))
_IDEALPRO = Hours("US/Eastern", "FX", (("1715", "1700"),), (("1715", "1700"),))
_PAXOS = Hours("US/Eastern", "NONE", (("0000", "2359"),), (("0000", "2359"),), weekends=True)
_LSE = Hours("Europe/London", "UK", (("0800", "1630"),), (("0800", "1630"),),
               ("1230", "1230"))
_IBIS = Hours("MET", "DE", (("0900", "1730"),), (("0900", "1730"),))
_EUREX_INDEX = Hours("MET", "DE", (("0900", "1730"),), (("0900", "1730"),))
_TSEJ = Hours("Japan", "JP", (("0900", "1130"), ("1230", "1530")),
              (("0900", "1130"), ("1230", "1530")))

#: exchange -> its hours for stocks and indices listed there
EXCHANGE_HOURS: dict[str, Hours] = {
    **dict.fromkeys(("NASDAQ", "NYSE", "ARCA", "AMEX", "BATS", "IEX", "MEXI"), _US_STOCK),
    "CBOE": _CBOE_INDEX, "RUSSELL": _US_INDEX, "EUREX": _EUREX_INDEX,
    **dict.fromkeys(("CME", "CBOT", "NYMEX", "COMEX", "CFE"), _GLOBEX),
    "IDEALPRO": _IDEALPRO, "PAXOS": _PAXOS, "LSE": _LSE, "IBIS": _IBIS, "TSEJ": _TSEJ,
}


def hours_for(sec_type: str, exchange: str) -> Hours:
    """The hours TWS reports for a contract of `sec_type` whose home is `exchange`.

    Raises:
        KeyError: an exchange the table does not know (the message names it).
    """
    if sec_type == "OPT":
        return _US_OPTION
    if sec_type == "IND" and exchange == "NASDAQ":
        return _US_INDEX
    try:
        return EXCHANGE_HOURS[exchange]
    except KeyError:
        raise KeyError(f"no trading hours for exchange {exchange!r}; known: "
                       f"{', '.join(sorted(EXCHANGE_HOURS))}") from None


# -- calendars -------------------------------------------------------------------------------


def _uk_holidays(year: int) -> frozenset[date]:
    easter = _easter(year)
    new_year = date(year, 1, 1)
    new_year += timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0))
    days = {new_year, easter - timedelta(days=2), easter + timedelta(days=1),
            _nth_weekday(year, 5, calendar.MONDAY, 1), _last_weekday(year, 5, calendar.MONDAY),
            _last_weekday(year, 8, calendar.MONDAY)}
    christmas = date(year, 12, 25)
    # Christmas and Boxing Day move to the next free weekdays (UK substitute days).
    day = christmas
    for _ in range(2):
        while day.weekday() >= 5 or day in days:
            day += timedelta(days=1)
        days.add(day)
        day += timedelta(days=1)
    return frozenset(days)


def _de_holidays(year: int) -> frozenset[date]:
    easter = _easter(year)
    return frozenset({date(year, 1, 1), easter - timedelta(days=2), easter + timedelta(days=1),
                      date(year, 5, 1), date(year, 12, 24), date(year, 12, 25),
                      date(year, 12, 26), date(year, 12, 31)})


def _jp_holidays(year: int) -> frozenset[date]:
    fixed = [(1, 1), (1, 2), (1, 3), (2, 11), (2, 23), (3, 20), (4, 29), (5, 3), (5, 4), (5, 5),
             (8, 11), (9, 23), (11, 3), (11, 23), (12, 31)]
    days = {date(year, m, d) for m, d in fixed}
    days |= {_nth_weekday(year, 1, calendar.MONDAY, 2), _nth_weekday(year, 7, calendar.MONDAY, 3),
             _nth_weekday(year, 9, calendar.MONDAY, 3), _nth_weekday(year, 10, calendar.MONDAY, 2)}
    for day in sorted(days):  # a holiday on a Sunday moves to the next free weekday
        if day.weekday() == 6:
            substitute = day + timedelta(days=1)
            while substitute in days:
                substitute += timedelta(days=1)
            days.add(substitute)
    return frozenset(days)


def _fx_holidays(year: int) -> frozenset[date]:
    return frozenset({date(year, 1, 1), date(year, 12, 25)})


_HOLIDAYS: dict[str, Callable[[int], frozenset[date]]] = {
    "US": market_holidays, "UK": _uk_holidays, "DE": _de_holidays, "JP": _jp_holidays,
    "FX": _fx_holidays,
}


@lru_cache(maxsize=256)
def holidays(calendar_name: str, year: int) -> frozenset[date]:
    rule = _HOLIDAYS.get(calendar_name)
    return rule(year) if rule is not None else frozenset()


def early_closes(calendar_name: str, year: int) -> frozenset[date]:
    """Days the calendar's exchanges close early (US: July 3, the day after Thanksgiving and
    Christmas Eve when they are trading days; UK: Christmas Eve and New Year's Eve)."""
    if calendar_name == "US":
        thanksgiving = _nth_weekday(year, 11, calendar.THURSDAY, 4)
        days = {date(year, 7, 3), thanksgiving + timedelta(days=1), date(year, 12, 24)}
    elif calendar_name == "UK":
        days = {date(year, 12, 24), date(year, 12, 31)}
    else:
        return frozenset()
    return frozenset(d for d in days if is_open(calendar_name, d))


def is_open(calendar_name: str, day: date, weekends: bool = False) -> bool:
    if not weekends and day.weekday() >= 5:
        return False
    return day not in holidays(calendar_name, day.year)


# -- TWS's strings ---------------------------------------------------------------------------


def _day_entries(hours: Hours, kind: int, day: date) -> list[str]:
    if not is_open(hours.calendar, day, hours.weekends):
        return [f"{day:%Y%m%d}:CLOSED"]
    sessions = (hours.trading, hours.liquid)[kind]
    early = hours.early_close[kind] if day in early_closes(hours.calendar, day.year) else ""
    entries = []
    for index, (start, end) in enumerate(sessions):
        if early and index == len(sessions) - 1:
            end = min(end, early) if start < end else early
        first = day - timedelta(days=1) if end < start else day
        entries.append(f"{first:%Y%m%d}:{start}-{day:%Y%m%d}:{end}")
    return entries


@lru_cache(maxsize=512)
def hours_strings(hours: Hours, today: date, days: int = HOURS_DAYS) -> tuple[str, str]:
    """(tradingHours, liquidHours) for `days` days from `today`."""
    result = []
    for kind in (0, 1):
        entries: list[str] = []
        for offset in range(days):
            entries += _day_entries(hours, kind, today + timedelta(days=offset))
        result.append(";".join(entries))
    return result[0], result[1]
