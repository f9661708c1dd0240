"""The market simulator: seeded stock quotes and Black-Scholes option quotes, no clock, no I/O.

Time is passed in. The simulator owns no clock: the fake calls :meth:`MarketSimulator.advance_to`
with its (real or virtual) clock's time in seconds, and every quote is a function of that time.

How prices move
---------------
Each underlying follows geometric Brownian motion (zero drift, annual volatility ``vol`` on a
365-day calendar-time basis) on a **fixed step grid**: step ``k`` is simulation time
``start + k * STEP_SECONDS``. The Brownian path of a symbol is a pure function of
``(seed, symbol, k)`` (see ``_noise``), so:

- the price at a given time does not depend on how often, or in which order, it is sampled,
  and jumping a virtual clock by a day costs microseconds, not a 345,600-step walk;
- adding a symbol never changes another symbol's path;
- the same seed and the same sequence of control calls give identical quotes.

Controls (:meth:`~MarketSimulator.set_price`, :meth:`~MarketSimulator.move`,
:meth:`~MarketSimulator.set_volatility`, un-halting) re-anchor the path at the current step:
from there the price continues from the new level with the same future shocks, and a trade
prints at the anchor.

Microstructure at step ``k`` (also pure functions of the step): bid/ask straddle the model
price on the symbol's tick grid, 1 tick wide for liquid ETFs, 2-3 ticks otherwise; sizes are
shares in round lots; a trade prints at the bid or the ask on a random subset of steps (every
64th step at least, so the last trade is never far back).

Session statistics (high, low, volume) accumulate the trades of the steps walked: exact when
each :meth:`~MarketSimulator.quote` of a symbol is at most :data:`MAX_WALK_STEPS` steps after
its previous one, sampled on a stride (and volume scaled) across longer gaps.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from types import MappingProxyType

from pytest_tws.model import _noise
from pytest_tws.model._underlying import (
    MAX_WALK_STEPS,
    P_ASK_SIZE,
    P_BID_SIZE,
    STEP_SECONDS,
    Underlying,
    on_grid,
)
from pytest_tws.model.options import (
    TICK_ASK_OPTION,
    TICK_BID_OPTION,
    TICK_LAST_OPTION,
    TICK_MODEL_OPTION,
    OptionComputation,
    OptionQuote,
    option_tick_size,
    price_option,
    years_to_expiry,
)
from pytest_tws.model.pricing import DEFAULT_SMILE, SmileParams, normalize_right

__all__ = [
    "DEFAULT_UNDERLYINGS",
    "LIQUID_SYMBOLS",
    "MAX_WALK_STEPS",
    "STEP_SECONDS",
    "TICK_ASK_OPTION",
    "TICK_BID_OPTION",
    "TICK_LAST_OPTION",
    "TICK_MODEL_OPTION",
    "MarketSimulator",
    "OptionComputation",
    "OptionQuote",
    "Quote",
    "UnderlyingParams",
    "UnknownSymbolError",
    "option_tick_size",
    "years_to_expiry",
]

LIQUID_SYMBOLS = frozenset({"SPY", "QQQ", "IWM", "DIA"})
"""Quoted 1 tick wide with deep books; their options trade in pennies at every price."""


@dataclass(frozen=True)
class UnderlyingParams:
    """Starting point of an underlying: previous close, annual vol, continuous dividend yield."""

    spot: float
    vol: float
    dividend_yield: float = 0.0


DEFAULT_UNDERLYINGS: Mapping[str, UnderlyingParams] = MappingProxyType(
    {
        "SPY": UnderlyingParams(500.0, 0.15, 0.013),
        "QQQ": UnderlyingParams(430.0, 0.20, 0.006),
        "IWM": UnderlyingParams(200.0, 0.22, 0.012),
        "DIA": UnderlyingParams(390.0, 0.14, 0.017),
        "AAPL": UnderlyingParams(190.0, 0.25, 0.005),
        "MSFT": UnderlyingParams(410.0, 0.23, 0.007),
        "AMZN": UnderlyingParams(180.0, 0.30),
        "GOOGL": UnderlyingParams(170.0, 0.28, 0.005),
        "META": UnderlyingParams(480.0, 0.33, 0.004),
        "NVDA": UnderlyingParams(120.0, 0.50, 0.0003),
        "TSLA": UnderlyingParams(240.0, 0.55),
    }
)
"""Underlyings a simulator starts with unless ``defaults=False``."""

_P_OPT_BID_SIZE = 0x2001
_P_OPT_ASK_SIZE = 0x2002
_P_OPT_LAST_SIZE = 0x2003


class UnknownSymbolError(KeyError):
    """The simulator has no underlying of that name (TWS would answer error 200)."""


@dataclass(frozen=True)
class Quote:
    """Top of book and session statistics of an underlying at one time.

    Prices are on the symbol's tick grid; sizes are shares (multiples of the lot, 100).
    ``close`` is the previous session's close, ``open`` this session's first price.
    """

    symbol: str
    time: float
    bid: float
    ask: float
    last: float
    bid_size: int
    ask_size: int
    last_size: int
    high: float
    low: float
    close: float
    open: float
    volume: int
    halted: bool

    @property
    def mid(self) -> float:
        """Midpoint of bid and ask."""
        return 0.5 * (self.bid + self.ask)


class MarketSimulator:
    """Seeded market for the fake: underlyings on a fixed time grid, options priced off them.

    Args:
        seed: drives every path and every size; the same seed gives the same market.
        start: simulation time (seconds, on the caller's clock, e.g. epoch) of grid step 0.
        defaults: start with :data:`DEFAULT_UNDERLYINGS`.
        rate: continuously compounded risk-free rate for option pricing.
        smile: shape of the implied-volatility smile over each symbol's ATM vol.
        session_start: maps a time to the start of its trading session; when
            :meth:`advance_to` crosses into a new session, every symbol rolls (previous close =
            last, volume 0). ``None``: one session until :meth:`new_session` is called.

    Not thread-safe: the fake calls it from its own event loop.
    """

    def __init__(
        self,
        seed: int = 0,
        start: float = 0.0,
        *,
        defaults: bool = True,
        rate: float = 0.04,
        smile: SmileParams = DEFAULT_SMILE,
        session_start: Callable[[float], float] | None = None,
    ) -> None:
        self.seed = seed
        self.start = start
        self.rate = rate
        self.smile = smile
        self._session_start = session_start
        self._now = start
        self._k = 0
        self._underlyings: dict[str, Underlying] = {}
        """symbol -> state"""
        if defaults:
            for symbol, p in DEFAULT_UNDERLYINGS.items():
                self.add_underlying(symbol, p.spot, p.vol, dividend_yield=p.dividend_yield)

    # -- time -------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Current simulation time (seconds)."""
        return self._now

    def step_at(self, t: float) -> int:
        """Grid step shown at time ``t`` (the last step at or before it; 0 before ``start``)."""
        # The epsilon keeps t = start + k*STEP on step k despite float division.
        return max(0, math.floor((t - self.start) / STEP_SECONDS + 1e-9))

    def advance_to(self, t: float) -> None:
        """Move simulation time to ``t``; an earlier ``t`` is ignored (time never runs back)."""
        if t <= self._now:
            return
        if self._session_start is not None:
            boundary = self._session_start(t)
            if boundary > self._session_start(self._now) and boundary > self._now:
                self._now, self._k = boundary, self.step_at(boundary)
                self.new_session()
        self._now, self._k = t, self.step_at(t)

    def new_session(self) -> None:
        """Start a new trading session now: close := last, open/high/low := last, volume := 0."""
        for u in self._underlyings.values():
            u.roll_session(self._k)

    # -- underlyings ------------------------------------------------------------------------

    def add_underlying(
        self,
        symbol: str,
        spot: float,
        vol: float,
        tick: float = 0.01,
        *,
        dividend_yield: float = 0.0,
        liquid: bool | None = None,
        lot: int = 100,
    ) -> None:
        """Add (or replace) an underlying at price ``spot`` (also its previous close) now.

        Args:
            symbol: the TWS symbol, e.g. ``"SPY"``.
            spot: starting price, > 0.
            vol: annual volatility as a decimal (0.15 is 15 %), >= 0.
            tick: price increment of the stock.
            dividend_yield: continuous yield used for option prices.
            liquid: 1-tick spread, deeper book, penny options; default: symbol in
                :data:`LIQUID_SYMBOLS`.
            lot: round-lot size in shares; book and trade sizes are multiples of it.

        Raises:
            ValueError: for a non-positive spot, tick or lot, or a negative vol.
        """
        if spot <= 0 or tick <= 0 or lot <= 0 or vol < 0:
            raise ValueError(f"bad parameters for {symbol}: spot={spot} vol={vol} tick={tick}")
        self._underlyings[symbol] = Underlying(
            seed=self.seed,
            symbol=symbol,
            spot=spot,
            vol=vol,
            tick=tick,
            lot=lot,
            liquid=symbol in LIQUID_SYMBOLS if liquid is None else liquid,
            dividend_yield=dividend_yield,
            k=self._k,
        )

    def ensure_underlying(self, symbol: str) -> None:
        """Add ``symbol`` with a made-up but stable price ($20-$300) and 30 % vol if unknown."""
        if symbol not in self._underlyings:
            spot = 20.0 + (zlib.crc32(symbol.encode("utf-8")) % 28_000) / 100.0
            self.add_underlying(symbol, spot, 0.30)

    def has_underlying(self, symbol: str) -> bool:
        """Whether ``symbol`` is simulated."""
        return symbol in self._underlyings

    @property
    def symbols(self) -> tuple[str, ...]:
        """Simulated symbols, in the order they were added."""
        return tuple(self._underlyings)

    def _get(self, symbol: str) -> Underlying:
        try:
            u = self._underlyings[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol) from None
        u.walk_to(self._k)
        return u

    # -- controls ---------------------------------------------------------------------------

    def set_price(self, symbol: str, price: float) -> None:
        """Move ``symbol`` to ``price`` now; the path continues from there. A trade prints."""
        if price <= 0:
            raise ValueError(f"price must be positive, got {price}")
        self._reanchor(self._get(symbol), math.log(price))

    def move(self, symbol: str, pct: float) -> None:
        """Move ``symbol`` by ``pct`` **percent** of its current price (``-5`` drops 5 %)."""
        u = self._get(symbol)
        self.set_price(symbol, math.exp(u.log_price(u.effective(self._k))) * (1 + pct / 100.0))

    def set_volatility(self, symbol: str, vol: float) -> None:
        """Change the annual volatility of ``symbol`` from now on."""
        if vol < 0:
            raise ValueError(f"volatility must be >= 0, got {vol}")
        u = self._get(symbol)
        log_price = u.log_price(u.effective(self._k))
        u.vol = vol
        self._reanchor(u, log_price)

    def volatility(self, symbol: str) -> float:
        """Annual volatility of ``symbol`` (its ATM implied vol before the smile)."""
        return self._get(symbol).vol

    def halt(self, symbol: str, halted: bool = True) -> None:
        """Halt (or resume) ``symbol``: while halted its quote does not change at all."""
        u = self._get(symbol)
        if halted == u.halted:
            return
        if halted:
            u.halted, u.halt_k = True, self._k
        else:
            log_price = u.log_price(u.halt_k)
            u.halted = False
            self._reanchor(u, log_price)

    def _reanchor(self, u: Underlying, log_price: float) -> None:
        u.reanchor(self._k, log_price)
        if u.halted:
            # A halted symbol shows the new level but stays frozen at it.
            u.halt_k = self._k
        else:
            # Re-walk this step so the anchor's print reaches high/low/volume.
            u.walked_k = self._k - 1
            u.walk_to(self._k)

    # -- quotes -----------------------------------------------------------------------------

    def quote(self, symbol: str) -> Quote:
        """Quote of ``symbol`` at the current time.

        Raises:
            UnknownSymbolError: if the symbol is not simulated.
        """
        u = self._get(symbol)
        k = u.effective(self._k)
        bid, ask = u.book(k)
        last, last_size = u.trade(u.last_trade_step(k))
        return Quote(
            symbol=symbol,
            time=self._now,
            bid=on_grid(bid, u.tick),
            ask=on_grid(ask, u.tick),
            last=last,
            bid_size=u.book_size(P_BID_SIZE, k),
            ask_size=u.book_size(P_ASK_SIZE, k),
            last_size=last_size,
            high=u.high,
            low=u.low,
            close=u.close,
            open=u.open,
            volume=u.volume,
            halted=u.halted,
        )

    def option_quote(
        self,
        symbol: str,
        expiry: date,
        strike: float,
        right: str,
        now: datetime | None = None,
    ) -> OptionQuote:
        """Quote of a European option on ``symbol`` priced off the underlying's mid.

        The model price is Black-Scholes at the smile vol (``pricing.smile_vol`` over the
        symbol's vol, with :attr:`rate` and the dividend yield). Bid/ask straddle it, rounded
        outwards to the option tick (:func:`option_tick_size`), at least 2 cents wide for liquid
        underlyings and 5 cents otherwise, and ~3 % (liquid) or ~6 % of the price where that is
        wider. The last trade is at the model price rounded to the tick, inside the book.
        Bid/ask/last computations carry the vol implied by their own price.

        Args:
            symbol: underlying symbol.
            expiry: last trading day.
            strike: strike price.
            right: ``C``/``P``/``CALL``/``PUT``.
            now: time for time-to-expiry, ideally exchange-local; default: the simulation
                time as UTC.

        Raises:
            UnknownSymbolError: if the underlying is not simulated.
            ValueError: for a bad right or a non-positive strike.
        """
        uq = self.quote(symbol)
        u = self._underlyings[symbol]
        if now is None:
            now = datetime.fromtimestamp(self._now, tz=timezone.utc)
        contract = f"{expiry.isoformat()}|{strike:.6f}|{normalize_right(right)}"
        key = _noise.mix64(u.key ^ zlib.crc32(contract.encode("utf-8")))
        k = u.effective(self._k)
        max_size = 100 if u.liquid else 30
        sizes = tuple(
            1 + int(_noise.uniform(key, purpose, k) * max_size)
            for purpose in (_P_OPT_BID_SIZE, _P_OPT_ASK_SIZE, _P_OPT_LAST_SIZE)
        )
        return price_option(
            symbol=symbol,
            expiry=expiry,
            strike=strike,
            right=right,
            spot=uq.mid,
            t=years_to_expiry(expiry, now),
            atm_vol=u.vol,
            rate=self.rate,
            dividend_yield=u.dividend_yield,
            liquid=u.liquid,
            sizes=(sizes[0], sizes[1], sizes[2]),
            smile=self.smile,
        )
