"""The fake's margin rule, and what-if previews computed with it. No I/O.

The rule (docs/orders.md, "What-if orders"), per position, on its market value
`|quantity| x price x multiplier`:

- stocks and anything not listed below: Reg-T, 50 % initial, 25 % maintenance;
- long options (OPT, FOP): the premium, 100 % initial and maintenance (nothing is lent);
- short options: the premium plus 20 % of the underlying's value (`underlying price` if
  known, else the strike, x multiplier x |quantity|), initial = maintenance;
- futures (FUT): 10 % initial, 8 % maintenance of the notional;
- a combo (BAG) is margined leg by leg with the rules above, no spread offset (strict but
  simple: a real account's risk-based offsets are not modelled).

Equity with loan value is cash plus the positions' signed market value (a short position
subtracts), and so is NetLiquidation; the account's InitMarginReq / MaintMarginReq are this
rule's totals over its positions at their marks, so a what-if's "before" figures equal the
account's (model/accounts.py). A what-if is priced at the
order's limit price when it has one, else at the mark; its commission comes off the equity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pytest_tws.model.contracts import ContractSpec

REG_T_INITIAL = 0.50
REG_T_MAINTENANCE = 0.25
SHORT_OPTION_UNDERLYING_FRACTION = 0.20
FUTURE_INITIAL = 0.10
FUTURE_MAINTENANCE = 0.08
OPTION_TYPES = frozenset({"OPT", "FOP"})


@dataclass(frozen=True)
class Holding:
    """A position (or a change to one): signed quantity at a price per unit."""

    contract: ContractSpec
    quantity: float
    price: float
    underlying_price: float | None = None


@dataclass(frozen=True)
class Margins:
    initial: float
    maintenance: float

    def __add__(self, other: Margins) -> Margins:
        return Margins(self.initial + other.initial, self.maintenance + other.maintenance)


NONE = Margins(0.0, 0.0)


def _multiplier(spec: ContractSpec) -> float:
    try:
        return float(spec.multiplier or 1)
    except ValueError:
        return 1.0


def requirement(holding: Holding) -> Margins:
    """The margin one position needs under the rule above."""
    spec, quantity = holding.contract, holding.quantity
    if not quantity:
        return NONE
    value = abs(quantity) * abs(holding.price) * _multiplier(spec)
    if spec.sec_type in OPTION_TYPES:
        if quantity > 0:
            return Margins(value, value)
        reference = holding.underlying_price or spec.strike or 0.0
        short = value + SHORT_OPTION_UNDERLYING_FRACTION * abs(quantity) * reference * (
            _multiplier(spec))
        return Margins(short, short)
    if spec.sec_type == "FUT":
        return Margins(FUTURE_INITIAL * value, FUTURE_MAINTENANCE * value)
    return Margins(REG_T_INITIAL * value, REG_T_MAINTENANCE * value)


def total(holdings: Iterable[Holding]) -> Margins:
    result = NONE
    for holding in holdings:
        result = result + requirement(holding)
    return result


def market_value(holdings: Iterable[Holding]) -> float:
    """Signed: a short position's value counts against the account."""
    return sum(h.quantity * h.price * _multiplier(h.contract) for h in holdings)


def gross_value(holdings: Iterable[Holding]) -> float:
    """Unsigned: GrossPositionValue, the sum of |market value| over positions."""
    return sum(abs(h.quantity * h.price * _multiplier(h.contract)) for h in holdings)


@dataclass(frozen=True)
class WhatIf:
    """Before / change / after of initial margin, maintenance margin and equity with loan,
    and the order's commission (min = max: the fake's fee schedule is exact)."""

    init_before: float
    maint_before: float
    equity_before: float
    init_after: float
    maint_after: float
    equity_after: float
    commission: float
    currency: str = "USD"

    @property
    def init_change(self) -> float:
        return self.init_after - self.init_before

    @property
    def maint_change(self) -> float:
        return self.maint_after - self.maint_before

    @property
    def equity_change(self) -> float:
        return self.equity_after - self.equity_before


def what_if(cash: float, held: list[Holding], trades: list[Holding], marks: dict[int, float],
            commission: float, currency: str = "USD") -> WhatIf:
    """The account before and after `trades` (signed, at their trade price) fill.

    `held` are the positions now at their marks; `marks` the mark price of each traded
    contract by conId (an unheld contract is valued at its mark after the trade)."""
    before = total(held)
    equity_before = cash + market_value(held)
    after_positions = {h.contract.con_id: h for h in held}
    cash_after = cash - commission
    for trade in trades:
        cash_after -= trade.quantity * trade.price * _multiplier(trade.contract)
        mark = marks.get(trade.contract.con_id, trade.price)
        current = after_positions.get(trade.contract.con_id)
        quantity = trade.quantity + (current.quantity if current else 0.0)
        after_positions[trade.contract.con_id] = Holding(
            trade.contract, quantity, mark, trade.underlying_price)
    after = total(after_positions.values())
    equity_after = cash_after + market_value(after_positions.values())
    return WhatIf(
        init_before=round(before.initial, 2), maint_before=round(before.maintenance, 2),
        equity_before=round(equity_before, 2), init_after=round(after.initial, 2),
        maint_after=round(after.maintenance, 2), equity_after=round(equity_after, 2),
        commission=round(commission, 2), currency=currency,
    )
