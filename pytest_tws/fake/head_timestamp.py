"""The head timestamp: when the fake's history of an instrument begins (reqHeadTimeStamp).

TWS answers reqHeadTimeStamp with the time of the first bar it holds for the contract and
`whatToShow` (for AAPL TRADES, `19801212-14:30:00`: the regular open of its first trading day,
in UTC; /work/shared/captures' head_timestamp record). The fake's rule, the same on every run:

- a stock, ETF or index: its first trading day (a few well-known listings below are the real
  ones; any other symbol gets a trading day between `SEEDED_FROM` and `SEEDED_UNTIL` fixed by
  the crc32 of its symbol), at the regular open, 09:30 New York;
- quotes (MIDPOINT, BID, ASK, BID_ASK) begin no earlier than `QUOTES_FROM`: the fake keeps trade
  history further back than quote history, as IB's data farms do;
- forex and crypto: `FOREX_FROM` for every `whatToShow`;
- an option, future option or future: `DERIVATIVE_LISTING` before its last trade date, but not
  before its underlying's head;
- never after the clock's current time (a clock set before a listing sees history from now).

`useRTH` does not move it: the first bar is at the regular open either way. formatDate 1
gives `yyyymmdd-hh:mm:ss` in UTC (as the capture), 2 the epoch seconds.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, time, timedelta, timezone

from pytest_tws.model.calendar_us import EASTERN, is_trading_day
from pytest_tws.model.contracts import ContractSpec

#: real first trading days of a few listings users ask about most
LISTINGS: dict[str, date] = {
    "AAPL": date(1980, 12, 12), "MSFT": date(1986, 3, 13), "SPY": date(1993, 1, 29),
    "QQQ": date(1999, 3, 10), "AMZN": date(1997, 5, 15), "IBM": date(1962, 1, 2),
    "NVDA": date(1999, 1, 22), "TSLA": date(2010, 6, 29), "GOOGL": date(2004, 8, 19),
    "META": date(2012, 5, 18), "IWM": date(2000, 5, 26), "DIA": date(1998, 1, 20),
}
SEEDED_FROM = date(1985, 1, 2)
SEEDED_UNTIL = date(2005, 12, 30)
QUOTES_FROM = date(2004, 1, 2)
FOREX_FROM = datetime(2005, 1, 3, 0, 0, tzinfo=timezone.utc)
DERIVATIVE_LISTING = timedelta(days=2 * 365)
#: the whatToShow values TWS accepts for historical data (TWS API "Historical Data Types")
WHAT_TO_SHOW = frozenset({
    "TRADES", "MIDPOINT", "BID", "ASK", "BID_ASK", "ADJUSTED_LAST", "HISTORICAL_VOLATILITY",
    "OPTION_IMPLIED_VOLATILITY", "FEE_RATE", "SCHEDULE", "AGGTRADES",
})
QUOTES = frozenset({"MIDPOINT", "BID", "ASK", "BID_ASK"})
DERIVATIVES = frozenset({"OPT", "FOP", "FUT", "WAR"})
AROUND_THE_CLOCK = frozenset({"CASH", "CRYPTO"})
REGULAR_OPEN = time(9, 30)
UTC_TEXT = "%Y%m%d-%H:%M:%S"


def _trading_day_on_or_after(day: date) -> date:
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def listing_day(symbol: str) -> date:
    """The first trading day of a stock, ETF or index (see the module docstring)."""
    known = LISTINGS.get(symbol.upper())
    if known is not None:
        return known
    span = (SEEDED_UNTIL - SEEDED_FROM).days
    offset = zlib.crc32(symbol.upper().encode("utf-8")) % span
    return _trading_day_on_or_after(SEEDED_FROM + timedelta(days=offset))


def _open(day: date) -> datetime:
    return datetime.combine(day, REGULAR_OPEN, tzinfo=EASTERN).astimezone(timezone.utc)


def head_time(spec: ContractSpec | None, sec_type: str, symbol: str, what_to_show: str,
              now: datetime) -> datetime:
    """When the fake's history of the contract begins, in UTC."""
    kind = (spec.sec_type if spec is not None else sec_type).upper()
    if kind in AROUND_THE_CLOCK:
        head = FOREX_FROM
    elif spec is not None and kind in DERIVATIVES:
        underlying = _open(listing_day(spec.under_symbol or spec.symbol))
        expiry = datetime.strptime(spec.last_trade_date[:8], "%Y%m%d").date()
        listed = _open(_trading_day_on_or_after(expiry - DERIVATIVE_LISTING))
        head = max(underlying, listed)
    else:
        day = listing_day(spec.symbol if spec is not None else symbol)
        if what_to_show in QUOTES:
            day = max(day, QUOTES_FROM)
        head = _open(day)
    return min(head, now.astimezone(timezone.utc).replace(microsecond=0))


def format_head(head: datetime, format_date: int) -> str:
    """headTimestamp's text: `yyyymmdd-hh:mm:ss` (UTC) or, for formatDate 2, epoch seconds."""
    if format_date == 2:
        return str(int(head.timestamp()))
    return head.astimezone(timezone.utc).strftime(UTC_TEXT)
