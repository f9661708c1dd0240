"""Matching: when an order fills, how much, at what price, and what it costs. No I/O.

Prices come in as `BookQuote`s (whoever owns the market supplies them); this module only
decides. A BAG (combo) is quoted from its legs and filled as one:

    legs' quotes ──► combo_quote ──► marketable_price ──► fill_quantity ──► leg_prices
                                                                           └► commission
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from pytest_tws.model.contracts import ContractSpec

#: IBKR Pro fixed pricing (ibkr.com commissions page, US stocks and options).
STOCK_PER_SHARE = 0.005
STOCK_MIN_PER_ORDER = 1.00
STOCK_MAX_FRACTION = 0.01
OPTION_MIN_PER_ORDER = 1.00
# IBKR Pro fixed rates for the other classes (interactivebrokers.com commissions pages):
FUTURE_PER_CONTRACT = 0.85
FOREX_RATE = 0.00002  # 0.20 basis points of the trade value
FOREX_MIN_PER_ORDER = 2.00
CRYPTO_RATE = 0.0018  # 0.18 % of the trade value (PAXOS)
CRYPTO_MIN_PER_ORDER = 1.75
_MINIMUMS = {"CASH": FOREX_MIN_PER_ORDER, "CRYPTO": CRYPTO_MIN_PER_ORDER, "FUT": 0.0,
             "FOP": 0.0}


class FillPolicy(str, Enum):
    """How the fake fills marketable orders (after moto's state progression).

    immediate: a marketable order fills completely at once.
    partial: each matching round fills half of what remains (at least one unit).
    manual: nothing fills by itself; the test calls `FakeTWS.fill()`.
    """

    IMMEDIATE = "immediate"
    PARTIAL = "partial"
    MANUAL = "manual"


@dataclass(frozen=True)
class BookQuote:
    """Top of book of one contract (or of a combo, built from its legs)."""

    bid: float
    ask: float
    last: float

    @property
    def mid(self) -> float:
        return 0.5 * (self.bid + self.ask)


@dataclass(frozen=True)
class QuotedLeg:
    """One leg of a combo as matching sees it: bought (+1) or sold (-1), ratio, quote."""

    sign: int
    ratio: int
    quote: BookQuote


def combo_quote(legs: Sequence[QuotedLeg]) -> BookQuote:
    """The combo's bid/ask: buying it lifts the bought legs' asks and hits the sold legs' bids.

    A debit combo quotes positive, a credit combo negative, as TWS shows BAG prices.
    """
    bid = ask = last = 0.0
    for leg in legs:
        if leg.sign > 0:
            bid += leg.ratio * leg.quote.bid
            ask += leg.ratio * leg.quote.ask
        else:
            bid -= leg.ratio * leg.quote.ask
            ask -= leg.ratio * leg.quote.bid
        last += leg.sign * leg.ratio * leg.quote.last
    return BookQuote(round(bid, 6), round(ask, 6), round(last, 6))


def marketable_price(
    action: str, order_type: str, limit_price: float | None, quote: BookQuote
) -> float | None:
    """The price an order executes at against `quote` now, or None if it must rest.

    MKT takes the ask (BUY) or the bid (SELL). LMT executes when it reaches the other side,
    at that side's price (the better of limit and market), otherwise rests.
    """
    buying = action.upper() == "BUY"
    touch = quote.ask if buying else quote.bid
    if order_type.upper() == "MKT":
        return touch
    if limit_price is None:
        return None
    if buying and limit_price >= touch - 1e-9:
        return touch
    if not buying and limit_price <= touch + 1e-9:
        return touch
    return None


def fill_quantity(policy: FillPolicy, remaining: float) -> float:
    """How much of `remaining` one matching round fills under `policy`."""
    if remaining <= 0 or policy is FillPolicy.MANUAL:
        return 0.0
    if policy is FillPolicy.PARTIAL and remaining > 1:
        return float(max(1, math.floor(remaining / 2)))
    return remaining


def leg_prices(combo_price: float, legs: Sequence[QuotedLeg], tick: float = 0.01) -> list[float]:
    """Per-leg execution prices whose signed, ratio-weighted sum is `combo_price`.

    Legs start at their natural side (bought at the ask, sold at the bid); any difference from
    that natural combo price (a better limit, a price forced by a test) goes to the first leg
    that can absorb it without going below one tick.
    """
    prices = [leg.quote.ask if leg.sign > 0 else leg.quote.bid for leg in legs]
    natural = sum(leg.sign * leg.ratio * p for leg, p in zip(legs, prices, strict=True))
    diff = combo_price - natural
    for i, leg in enumerate(legs):
        if abs(diff) < 1e-9:
            break
        wanted = prices[i] + diff / (leg.sign * leg.ratio)
        adjusted = max(tick, wanted)
        diff -= leg.sign * leg.ratio * (adjusted - prices[i])
        prices[i] = adjusted
    return [round(p, 6) for p in prices]


def option_rate(premium: float) -> float:
    """IBKR Pro fixed per-contract rate, by premium."""
    if premium >= 0.10:
        return 0.65
    if premium >= 0.05:
        return 0.50
    return 0.25


def commission(
    spec: ContractSpec, quantity: float, price: float, charged_on_order: float = 0.0
) -> float:
    """The commission of one execution, given what its order was already charged."""
    return commissions([(spec, quantity, price)], charged_on_order)[0]


def commissions(
    executions: Sequence[tuple[ContractSpec, float, float]], charged_on_order: float = 0.0
) -> list[float]:
    """Commissions of executions that happen together (a combo's legs), as (spec, qty, price).

    Each pays its per-share or per-contract rate (stocks capped at 1 % of their value); if the
    order has not yet paid its $1.00 minimum, the first execution is topped up to it.
    """
    fees: list[float] = []
    for spec, quantity, price in executions:
        quantity = abs(quantity)
        if spec.sec_type in ("FUT", "FOP"):
            fee = FUTURE_PER_CONTRACT * quantity
        elif spec.sec_type == "CASH":
            fee = FOREX_RATE * quantity * abs(price)
        elif spec.sec_type == "CRYPTO":
            fee = CRYPTO_RATE * quantity * abs(price)
        elif spec.is_option:
            fee = option_rate(abs(price)) * quantity
        else:
            fee = STOCK_PER_SHARE * quantity
            cap = STOCK_MAX_FRACTION * quantity * abs(price) * float(spec.multiplier or 1)
            if cap > 0:
                fee = min(fee, cap)
        fees.append(fee)
    minimum = OPTION_MIN_PER_ORDER if any(s.is_option for s, _, _ in executions) else (
        STOCK_MIN_PER_ORDER)
    if executions:
        minimum = _MINIMUMS.get(executions[0][0].sec_type, minimum)
    shortfall = minimum - charged_on_order - sum(fees)
    if fees and shortfall > 0:
        fees[0] += shortfall
    return [round(fee, 4) for fee in fees]
