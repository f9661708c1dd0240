"""The fake's market: a seeded simulator built from the catalog, and quotes for a ContractSpec.

The simulator (pytest_tws.model.market) knows symbols and times; this module maps the fake's
contracts and clock onto it. Pure functions of their arguments: the backend passes the time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from pytest_tws.model.calendar_us import EASTERN
from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.market import MarketSimulator, OptionQuote, Quote
from pytest_tws.model.price_processes import (
    CRYPTO_SIZE_UNIT,
    QUOTED_DIRECTLY,
    WITHOUT_BOOK,
    price_processes,
)

#: Sessions roll (previous close := last, volume 0) at the start of US pre-market trading.
SESSION_ROLL = time(4, 0)


def session_start(t: float) -> float:
    """The latest 04:00 New York time at or before epoch second `t` (DST-correct)."""
    local = datetime.fromtimestamp(t, tz=EASTERN)
    day = local.date() if local.time() >= SESSION_ROLL else local.date() - timedelta(days=1)
    return datetime.combine(day, SESSION_ROLL, tzinfo=EASTERN).timestamp()


def build_simulator(catalog: Catalog, seed: int, start: datetime) -> MarketSimulator:
    """A simulator with every catalog underlying at its reference price and volatility."""
    market = MarketSimulator(
        seed=seed, start=start.timestamp(), defaults=False, session_start=session_start
    )
    for process in price_processes(catalog):
        market.add_underlying(process.key, process.price, process.vol, process.tick,
                              dividend_yield=process.dividend_yield, lot=process.lot,
                              liquid=process.liquid)
    return market


@dataclass(frozen=True)
class SpecQuote:
    """Top of book of one contract, stock or option, with the model's full record of it."""

    bid: float
    ask: float
    last: float
    bid_size: float
    ask_size: float
    last_size: float
    """shares, contracts, base-currency units, or (fractional) coins"""
    stock: Quote | None = None
    option: OptionQuote | None = None

    @property
    def mid(self) -> float:
        if self.bid > 0 and self.ask > 0:
            return 0.5 * (self.bid + self.ask)
        return self.last


def option_expiry(spec: ContractSpec) -> date:
    text = spec.last_trade_date
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def with_basis(q: Quote, spec: ContractSpec) -> Quote:
    """`q` moved to a later futures month's level: every price shifted by the same whole
    number of ticks (the carry over the front month), so the book keeps its one-tick spread."""
    if spec.basis == 1.0 or spec.min_tick <= 0:
        return q
    tick = spec.min_tick
    shift = round(q.mid * (spec.basis - 1.0) / tick) * tick

    def moved(price: float) -> float:
        return round(price + shift, 10) if price > 0 else price

    return replace(q, bid=moved(q.bid), ask=moved(q.ask), last=moved(q.last),
                   high=moved(q.high), low=moved(q.low), close=moved(q.close),
                   open=moved(q.open))


def quote_spec(market: MarketSimulator, spec: ContractSpec, now: datetime) -> SpecQuote:
    """The quote of a stock or an option at the market's current time.

    Raises:
        UnknownSymbolError: the underlying is not simulated.
        ValueError: a security type other than STK or OPT.
    """
    if spec.sec_type in QUOTED_DIRECTLY:
        q = with_basis(market.quote(spec.sim_key), spec)
        if spec.sec_type in WITHOUT_BOOK:
            return SpecQuote(0.0, 0.0, q.last, 0, 0, 0, stock=q)
        if spec.sec_type == "CRYPTO":
            unit = CRYPTO_SIZE_UNIT
            return SpecQuote(q.bid, q.ask, q.last, round(q.bid_size * unit, 8),
                             round(q.ask_size * unit, 8), round(q.last_size * unit, 8), stock=q)
        return SpecQuote(q.bid, q.ask, q.last, q.bid_size, q.ask_size, q.last_size, stock=q)
    if spec.sec_type in ("OPT", "FOP"):
        o = market.option_quote(
            spec.sim_key,
            option_expiry(spec),
            spec.strike,
            spec.right,
            now=now.astimezone(EASTERN),
        )
        return SpecQuote(o.bid, o.ask, o.last, o.bid_size, o.ask_size, o.last_size, option=o)
    raise ValueError(f"no simulated quotes for secType {spec.sec_type!r}")


@dataclass(frozen=True)
class ComboLeg:
    spec: ContractSpec
    ratio: int
    action: str
    """BUY or SELL"""


def combine(legs: list[tuple[ComboLeg, SpecQuote]]) -> SpecQuote:
    """A combo's book from its legs': buying it buys the BUY legs at their ask and sells the
    SELL legs at their bid; its size is what the thinnest leg allows."""
    bid = ask = last = 0.0
    bid_size: float = 10**9
    ask_size: float = 10**9
    for leg, q in legs:
        if leg.action.upper() == "BUY":
            bid += leg.ratio * q.bid
            ask += leg.ratio * q.ask
            last += leg.ratio * q.last
            bid_size = min(bid_size, q.bid_size // leg.ratio)
            ask_size = min(ask_size, q.ask_size // leg.ratio)
        else:
            bid -= leg.ratio * q.ask
            ask -= leg.ratio * q.bid
            last -= leg.ratio * q.last
            bid_size = min(bid_size, q.ask_size // leg.ratio)
            ask_size = min(ask_size, q.bid_size // leg.ratio)
    return SpecQuote(round(bid, 8), round(ask, 8), round(last, 8), bid_size, ask_size, 1)
