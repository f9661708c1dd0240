"""The vocabulary of `tws_core.orders`: its errors, status-change events and spreads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ib_async import IB, Bag, ComboLeg, Contract, Option, TagValue, Trade

from tws_core.errors import TwsCoreError

__all__ = [
    "NON_GUARANTEED",
    "OrderError",
    "OrderLostError",
    "OrderRefusedError",
    "OrderStatusChange",
    "OrderTimeoutError",
    "VerticalSpread",
    "is_paper_account",
    "qualify_vertical_spread",
]

#: What users of SMART-routed spreads set so IB may fill the legs separately (TWS asks for it).
NON_GUARANTEED = TagValue("NonGuaranteed", "1")


class OrderError(TwsCoreError):
    """An order did not do what the caller waited for."""


class OrderRefusedError(OrderError):
    """The manager refused to place an order; nothing was sent."""


class OrderTimeoutError(OrderError):
    """The awaited status did not come within the timeout (on the manager's clock)."""


class OrderLostError(OrderError):
    """TWS cannot account for an order the manager sent: it acknowledged the order once but
    reports it no more, or the order never got there and may not be sent again."""


def is_paper_account(account: str) -> bool:
    """IB paper accounts start with D (DU…, DF…)."""
    return account.upper().startswith("D")


@dataclass(frozen=True)
class OrderStatusChange:
    """One status change of an order the manager placed or reconciled."""

    order_ref: str
    old: str
    new: str
    trade: Trade = field(compare=False)
    at: datetime


@dataclass(frozen=True)
class VerticalSpread:
    """A vertical spread: a BAG of two qualified options, one bought and one sold."""

    contract: Contract
    long_leg: Option
    short_leg: Option

    @property
    def right(self) -> str:
        return self.long_leg.right

    @property
    def kind(self) -> str:
        """``debit`` when the bought leg is worth more (lower call / higher put strike)."""
        cheaper_long = (self.long_leg.strike > self.short_leg.strike) == (self.right == "C")
        return "credit" if cheaper_long else "debit"


async def qualify_vertical_spread(
    ib: IB,
    symbol: str,
    expiry: str,
    right: str,
    long_strike: float,
    short_strike: float,
    *,
    exchange: str = "SMART",
    currency: str = "USD",
) -> VerticalSpread:
    """`OrderManager.build_vertical_spread` on a given ib_async ``IB``."""
    if long_strike == short_strike:
        raise OrderError("a vertical spread needs two different strikes")
    right = right.upper()[:1]
    legs = [Option(symbol, expiry, strike, right, exchange, currency=currency)
            for strike in (long_strike, short_strike)]
    qualified = await ib.qualifyContractsAsync(*legs)
    if len(qualified) != 2 or not all(getattr(c, "conId", 0) for c in qualified):
        raise OrderError(f"cannot qualify both legs of {symbol} {expiry} {right} "
                         f"{long_strike}/{short_strike}")
    long_leg, short_leg = legs
    bag = Bag(symbol=symbol, exchange=exchange, currency=currency, comboLegs=[
        ComboLeg(conId=long_leg.conId, ratio=1, action="BUY", exchange=exchange),
        ComboLeg(conId=short_leg.conId, ratio=1, action="SELL", exchange=exchange),
    ])
    return VerticalSpread(bag, long_leg, short_leg)
