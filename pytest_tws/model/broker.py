"""Broker state that lives on IB's servers, not in TWS: accounts, positions, ids.

It survives a TWS restart (FakeTWS.restart keeps it) and is rebuilt by FakeTWS.reset().
Orders and executions are added by the trading part of the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pytest_tws.model.accounts import Account
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.orders import Execution, Order, OrderBook


@dataclass
class Position:
    account: str
    contract: ContractSpec
    quantity: float
    avg_cost: float
    """Per unit including the multiplier, as TWS reports averageCost."""


class Broker:
    """Accounts, positions and the id counters of one fake IB back end."""

    def __init__(self, accounts: Iterable[str], first_order_id: int = 1) -> None:
        self.accounts: dict[str, Account] = {name: Account(name) for name in accounts}
        """account name -> Account"""
        if not self.accounts:
            raise ValueError("a broker needs at least one account")
        self.positions: dict[tuple[str, int], Position] = {}
        """(account, conId) -> Position; a closed position stays with quantity 0, as in TWS"""
        self.next_order_id = first_order_id
        """the lowest order id not used yet; nextValidId reports it"""
        self._next_perm_id = 1_000_000_001
        self.order_book = OrderBook()
        """orders and executions of every client"""

    @property
    def account_names(self) -> list[str]:
        return list(self.accounts)

    @property
    def orders(self) -> list[Order]:
        """Every order ever placed, open or done, in placement order."""
        return list(self.order_book)

    @property
    def executions(self) -> list[Execution]:
        return list(self.order_book.executions)

    def use_order_id(self, order_id: int) -> None:
        """Ids only go up: after an order with `order_id`, nextValidId is above it."""
        self.next_order_id = max(self.next_order_id, order_id + 1)

    def new_perm_id(self) -> int:
        perm_id = self._next_perm_id
        self._next_perm_id += 1
        return perm_id

    def positions_of(self, account: str | None = None) -> list[Position]:
        return [p for p in self.positions.values() if account in (None, p.account)]

    def add_position(
        self, account: str, contract: ContractSpec, quantity: float, price: float
    ) -> Position:
        """Book a fill of `quantity` (signed) at `price`; returns the updated position."""
        multiplier = float(contract.multiplier or 1)
        key = (account, contract.con_id)
        position = self.positions.get(key) or Position(account, contract, 0.0, 0.0)
        new_quantity = position.quantity + quantity
        if position.quantity == 0 or (position.quantity > 0) == (quantity > 0):
            cost = position.avg_cost * abs(position.quantity) + price * multiplier * abs(quantity)
            position.avg_cost = cost / abs(new_quantity) if new_quantity else 0.0
        elif new_quantity == 0:
            position.avg_cost = 0.0
        elif (new_quantity > 0) != (position.quantity > 0):
            position.avg_cost = price * multiplier
        position.quantity = new_quantity
        self.positions[key] = position
        return position
