"""What-if orders (whatIf=True), as TWS answers them: no order, execution or position, one
openOrder with the margins and commission (the rule: model/margin.py, docs/orders.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tws.fake import order_layouts, trading
from pytest_tws.fake.handlers.account import holdings_of
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.margin import Holding, what_if
from pytest_tws.model.matching import commissions
from pytest_tws.model.orders import PRE_SUBMITTED, Order

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend
    from pytest_tws.fake.session import Session


def _mark(backend: Backend, spec: ContractSpec, fallback: float) -> float:
    """A contract's price now (mid, else last), or `fallback` when it has no quote."""
    try:
        quote = trading.quote_of(backend, spec)
    except LookupError:
        return fallback
    if quote.bid > 0 and quote.ask > 0:
        return quote.mid
    return quote.last or fallback


def preview(session: Session, order: Order) -> None:
    """A what-if (whatIf=True): TWS creates no order, execution or position and answers one
    openOrder, status PreSubmitted, with the margins and commission the order would cost
    (the rule: model/margin.py). Only the asking session hears it."""
    backend = session.backend
    broker = backend.broker
    ticket = order.ticket
    account = broker.accounts[ticket.account]
    # the same holdings, at the same marks, as the account's values: before == account
    held = holdings_of(backend, account.name)
    direction = 1 if ticket.action == "BUY" else -1
    trades: list[Holding] = []
    marks: dict[int, float] = {}
    if order.is_combo:
        for leg in order.legs:
            mark = _mark(backend, leg.contract, 0.0)
            marks[leg.contract.con_id] = mark
            trades.append(Holding(leg.contract,
                                  direction * leg.leg.sign * leg.leg.ratio * ticket.total_quantity,
                                  mark))
    else:
        mark = _mark(backend, order.contract, ticket.limit_price or 0.0)
        price = ticket.limit_price if ticket.limit_price is not None else mark
        marks[order.contract.con_id] = price  # the rule prices a what-if at its limit
        trades.append(Holding(order.contract, direction * ticket.total_quantity, price))
    fee = sum(commissions([(t.contract, t.quantity, t.price) for t in trades]))
    result = what_if(account.cash, held, trades, marks, fee, order.contract.currency or "USD")
    session.send(order_layouts.open_order(order, PRE_SUBMITTED, result))
