"""Option quotes: Black-Scholes model value, a realistic book around it, and the four
``tickOptionComputation`` records (bid 10, ask 11, last 12, model 13). Pure, no I/O.

Book conventions (documented approximations of US listed options):

- tick: Penny Interval Program classes quote $0.01 below $3.00 and $0.05 from $3.00; the most
  active ETFs quote $0.01 at every price (:func:`option_tick_size`);
- width: ``max(min_width, pct * model)`` with 2 cents / 3 % for liquid underlyings and
  5 cents / 6 % otherwise, bid rounded down and ask rounded up to the tick;
- a bid that would be below zero is 0.0 with size 0 (nobody bids far out of the money);
- the last trade is the model price rounded to the tick, inside the book.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time

from pytest_tws.model.pricing import (
    DAYS_PER_YEAR,
    DEFAULT_SMILE,
    Greeks,
    Right,
    SmileParams,
    bs_greeks,
    implied_volatility,
    intrinsic_value,
    normalize_right,
    pv_dividend,
    smile_vol,
)

__all__ = [
    "EXPIRY_CLOSE",
    "TICK_ASK_OPTION",
    "TICK_BID_OPTION",
    "TICK_LAST_OPTION",
    "TICK_MODEL_OPTION",
    "OptionComputation",
    "OptionQuote",
    "option_book",
    "option_tick_size",
    "price_option",
    "years_to_expiry",
]

# tickOptionComputation tick types.
TICK_BID_OPTION = 10
TICK_ASK_OPTION = 11
TICK_LAST_OPTION = 12
TICK_MODEL_OPTION = 13

EXPIRY_CLOSE = time(16, 0)
"""Options stop trading at 16:00 exchange time on their expiry date."""

_SECONDS_PER_YEAR = DAYS_PER_YEAR * 86400.0


@dataclass(frozen=True)
class OptionComputation:
    """One ``tickOptionComputation``, fields in wire order after ``tickAttrib``.

    ``None`` means "not computed" (TWS sends -1 for the implied vol, -2 for the others).
    Vega is per vol point, theta per calendar day (see ``pricing``).
    """

    tick_type: int
    implied_vol: float | None
    delta: float | None
    opt_price: float | None
    pv_dividend: float | None
    gamma: float | None
    vega: float | None
    theta: float | None
    und_price: float | None


@dataclass(frozen=True)
class OptionQuote:
    """Quote of one option: book, theoretical value and the four option computations.

    ``bid`` is 0.0 with ``bid_size`` 0 when nobody bids (far out-of-the-money options).
    ``implied_vol`` is the smile vol the model price uses (``None`` at or past expiry).
    """

    symbol: str
    expiry: date
    strike: float
    right: Right
    bid: float
    ask: float
    last: float
    bid_size: int
    ask_size: int
    last_size: int
    model_price: float
    implied_vol: float | None
    und_price: float
    time_to_expiry: float
    """Years (calendar, 365-day) until the 16:00 close on the expiry date."""
    bid_computation: OptionComputation
    ask_computation: OptionComputation
    last_computation: OptionComputation
    model_computation: OptionComputation

    @property
    def computations(self) -> tuple[OptionComputation, ...]:
        """The computations in tick-type order: bid (10), ask (11), last (12), model (13)."""
        return (
            self.bid_computation,
            self.ask_computation,
            self.last_computation,
            self.model_computation,
        )


def option_tick_size(price: float, penny_everywhere: bool = False) -> float:
    """Minimum price increment of an option quote.

    Penny Pilot / Penny Interval Program classes quote in $0.01 below $3.00 and $0.05 from
    $3.00; the most active ETFs (SPY, QQQ, IWM) quote in $0.01 at every price.
    """
    return 0.01 if penny_everywhere or price < 3.0 else 0.05


def years_to_expiry(expiry: date, now: datetime) -> float:
    """Calendar years from ``now`` until 16:00 on ``expiry`` in ``now``'s timezone (>= 0).

    Pass ``now`` in exchange time (America/New_York): a UTC ``now`` shifts the close by the ET
    offset, a few hours of time value.
    """
    close = datetime.combine(expiry, EXPIRY_CLOSE, tzinfo=now.tzinfo)
    return max((close - now).total_seconds(), 0.0) / _SECONDS_PER_YEAR


def option_book(theo: float, liquid: bool) -> tuple[float, float, float]:
    """Bid, ask and last around the model price ``theo`` (see the module docstring)."""
    tick = option_tick_size(theo, penny_everywhere=liquid)
    width = max(0.02 if liquid else 0.05, (0.03 if liquid else 0.06) * theo)
    # 1e-9 absorbs float noise so a price already on the grid is not pushed a tick out.
    bid_n = max(math.floor((theo - 0.5 * width) / tick + 1e-9), 0)
    ask_n = max(math.ceil((theo + 0.5 * width) / tick - 1e-9), bid_n + 1)
    last_n = min(max(round(theo / tick), bid_n), ask_n)
    if last_n == 0:
        last_n = ask_n
    return _on_grid(bid_n, tick), _on_grid(ask_n, tick), _on_grid(last_n, tick)


def price_option(
    *,
    symbol: str,
    expiry: date,
    strike: float,
    right: str,
    spot: float,
    t: float,
    atm_vol: float,
    rate: float,
    dividend_yield: float,
    liquid: bool,
    sizes: tuple[int, int, int],
    smile: SmileParams = DEFAULT_SMILE,
) -> OptionQuote:
    """Quote a European option on an underlying at ``spot`` with ``t`` years left.

    The model price is Black-Scholes at ``smile_vol(atm_vol, ...)``; at or past expiry it is
    the intrinsic value and no vol is computed. Bid/ask/last computations carry the vol implied
    by their own price (``None`` when it has none, e.g. a zero bid).

    Args:
        sizes: bid, ask and last sizes in contracts (the bid size is forced to 0 with no bid).

    Raises:
        ValueError: for a bad right or a non-positive strike.
    """
    rt = normalize_right(right)
    if strike <= 0:
        raise ValueError(f"strike must be positive, got {strike}")
    q = dividend_yield
    pv_div = pv_dividend(spot, t, q)
    iv: float | None = None
    if t > 0:
        iv = smile_vol(atm_vol, spot, strike, t, rate, q, smile)
        g = bs_greeks(spot, strike, t, iv, rate, q, rt)
        theo = g.price
    else:
        g = bs_greeks(spot, strike, 0.0, 0.0, rate, q, rt)
        theo = intrinsic_value(spot, strike, rt)
    bid, ask, last = option_book(theo, liquid)

    def computation(tick_type: int, price: float) -> OptionComputation:
        vol = implied_volatility(price, spot, strike, t, rate, q, rt) if price > 0 else None
        if vol is None:
            return OptionComputation(tick_type, None, None, price, pv_div, None, None, None, spot)
        greeks = bs_greeks(spot, strike, t, vol, rate, q, rt)
        return _computation(tick_type, vol, price, pv_div, spot, greeks)

    bid_size, ask_size, last_size = sizes
    return OptionQuote(
        symbol=symbol,
        expiry=expiry,
        strike=strike,
        right=rt,
        bid=bid,
        ask=ask,
        last=last,
        bid_size=bid_size if bid > 0 else 0,
        ask_size=ask_size,
        last_size=last_size,
        model_price=theo,
        implied_vol=iv,
        und_price=spot,
        time_to_expiry=t,
        bid_computation=computation(TICK_BID_OPTION, bid),
        ask_computation=computation(TICK_ASK_OPTION, ask),
        last_computation=computation(TICK_LAST_OPTION, last),
        model_computation=_computation(TICK_MODEL_OPTION, iv, theo, pv_div, spot, g),
    )


def _on_grid(n: int, tick: float) -> float:
    # Rounding the product cancels float noise (50012 * 0.01 is 500.12000000000006).
    return round(n * tick, 8)


def _computation(
    tick_type: int, vol: float | None, price: float, pv_div: float, spot: float, g: Greeks
) -> OptionComputation:
    return OptionComputation(
        tick_type=tick_type,
        implied_vol=vol,
        delta=g.delta,
        opt_price=price,
        pv_dividend=pv_div,
        gamma=g.gamma,
        vega=g.vega,
        theta=g.theta,
        und_price=spot,
    )
