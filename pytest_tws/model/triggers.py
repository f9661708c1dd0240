"""Trigger rules of the conditional order types on the fake's market. No I/O.

The trigger price is the quote's last trade (IB's "Default" trigger method is the last price
for US stocks, ibkr.com "Trigger Methods"), or its midpoint while nothing has traded:

- STP: BUY triggers when the price rises to auxPrice (>=), SELL when it falls to it (<=);
  then it works as MKT.
- STP LMT: the STP trigger, then a LMT at lmtPrice.
- MIT: BUY triggers when the price falls to auxPrice (<=), SELL when it rises to it (>=);
  then MKT.
- LIT: the MIT trigger, then a LMT at lmtPrice.
- TRAIL: a stop that follows the price by auxPrice (an amount) or trailingPercent: for a SELL
  the stop is max(stop, price - trail), for a BUY min(stop, price + trail). It starts at
  trailStopPrice when the order gives one, else at the price at placement -/+ the trail. It
  triggers as STP does, then MKT.
- TRAIL LIMIT: the TRAIL stop and trigger, then a LMT at stop - lmtPriceOffset (SELL) or
  stop + lmtPriceOffset (BUY); without an offset, at lmtPrice.

- MOC / LOC: wait for the close (16:00 New York time of the trading day they were placed on,
  or of the next trading day when placed after it; early closes are not modelled); from then
  a MOC fills at the last price (the closing print) and a LOC at it if its limit allows.

Once triggered an order stays triggered: it keeps working as its MKT or LMT.
Other types (MKT, LMT and those the fake lets rest) are passed through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pytest_tws.model.calendar_us import EASTERN, is_trading_day
from pytest_tws.model.matching import BookQuote

STOP, STOP_LIMIT = "STP", "STP LMT"
MARKET_IF_TOUCHED, LIMIT_IF_TOUCHED = "MIT", "LIT"
TRAIL, TRAIL_LIMIT = "TRAIL", "TRAIL LIMIT"
MARKET, LIMIT = "MKT", "LMT"
_STOP_LIKE = frozenset({STOP, STOP_LIMIT, TRAIL, TRAIL_LIMIT})
_TOUCHED = frozenset({MARKET_IF_TOUCHED, LIMIT_IF_TOUCHED})
_TRAILING = frozenset({TRAIL, TRAIL_LIMIT})
_BECOMES_LIMIT = frozenset({STOP_LIMIT, LIMIT_IF_TOUCHED, TRAIL_LIMIT})
TRIGGERED_TYPES = _STOP_LIKE | _TOUCHED
MARKET_ON_CLOSE, LIMIT_ON_CLOSE = "MOC", "LOC"
AT_THE_CLOSE = frozenset({MARKET_ON_CLOSE, LIMIT_ON_CLOSE})
#: the regular session's close, New York time
CLOSE = time(16, 0)


def closing_time(placed: datetime) -> datetime:
    """The close a MOC/LOC placed at `placed` (aware) executes at."""
    local = placed.astimezone(EASTERN)
    day = local.date()
    if local.time() >= CLOSE:
        day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, CLOSE, tzinfo=EASTERN)


def at_the_close(spec: TriggerSpec, placed: datetime, now: datetime,
                 quote: BookQuote) -> float | None:
    """A MOC/LOC's execution price at `now`, or None while it waits (or its limit is not
    met at the close)."""
    if now < closing_time(placed):
        return None
    price = trigger_price(quote)
    if spec.order_type.upper() == MARKET_ON_CLOSE or spec.limit_price is None:
        return price
    buying = spec.action.upper() == "BUY"
    meets = price <= spec.limit_price + 1e-9 if buying else price >= spec.limit_price - 1e-9
    return price if meets else None


@dataclass(frozen=True)
class TriggerSpec:
    """What of an order its trigger reads (IBKR's field names in the comments)."""

    action: str
    order_type: str
    limit_price: float | None = None  # lmtPrice
    aux_price: float | None = None  # auxPrice: the stop/touch price, or a trail amount
    trailing_percent: float | None = None  # trailingPercent
    trail_stop_price: float | None = None  # trailStopPrice
    limit_offset: float | None = None  # lmtPriceOffset


@dataclass
class TriggerState:
    """Per order: whether it has triggered and a trailing order's current stop."""

    triggered: bool = False
    stop: float | None = None


def trigger_price(quote: BookQuote) -> float:
    return quote.last or quote.mid


def _trail(spec: TriggerSpec, price: float) -> float:
    if spec.trailing_percent is not None:
        return price * spec.trailing_percent / 100.0
    return spec.aux_price or 0.0


def _follow(spec: TriggerSpec, state: TriggerState, price: float) -> float:
    """Move a trailing order's stop with `price` (only ever in the order's favour)."""
    buying = spec.action.upper() == "BUY"
    trail = _trail(spec, price)
    candidate = price + trail if buying else price - trail
    if state.stop is None:
        state.stop = spec.trail_stop_price if spec.trail_stop_price is not None else candidate
    state.stop = min(state.stop, candidate) if buying else max(state.stop, candidate)
    return state.stop


def working(spec: TriggerSpec, state: TriggerState,
            quote: BookQuote) -> tuple[str, float | None] | None:
    """The (order type, limit price) the order works as now, or None while it waits for its
    trigger. Updates `state` (the trailing stop; triggered once the trigger is met)."""
    kind = spec.order_type.upper()
    if kind not in TRIGGERED_TYPES:
        return kind, spec.limit_price
    buying = spec.action.upper() == "BUY"
    price = trigger_price(quote)
    if kind in _TRAILING and not state.triggered:
        stop: float | None = _follow(spec, state, price)
    elif kind in _TRAILING:
        stop = state.stop
    else:
        stop = spec.aux_price
    if not state.triggered and stop is not None:
        if kind in _STOP_LIKE:
            state.triggered = price >= stop - 1e-9 if buying else price <= stop + 1e-9
        else:
            state.triggered = price <= stop + 1e-9 if buying else price >= stop - 1e-9
    if not state.triggered:
        return None
    if kind not in _BECOMES_LIMIT:
        return MARKET, None
    if kind == TRAIL_LIMIT and spec.limit_offset is not None and stop is not None:
        offset = spec.limit_offset
        return LIMIT, round(stop + offset if buying else stop - offset, 6)
    return LIMIT, spec.limit_price
