"""The trading desk: moves orders through their lifecycle and tells the clients, as TWS does.

    placeOrder ─► validate ─► PreSubmitted ─► match ─┬─► fill(s) ─► Filled
                                                     └─► Submitted (rests) ◄─ market step / timer
    cancelOrder ─► PendingCancel ─► Cancelled ─► error 202

Runs on the fake's loop thread only (handlers, timers, and `FakeTWS.call`). The decisions
(prices, quantities, commissions) are the model's: `model/matching.py`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pytest_tws.fake import layouts, order_layouts
from pytest_tws.fake.handlers.account import ACCOUNT_UPDATES, POSITIONS, send_account_updates
from pytest_tws.model import triggers
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.errors import Code, error_text
from pytest_tws.model.matching import (
    BookQuote,
    FillPolicy,
    QuotedLeg,
    combo_quote,
    commissions,
    fill_quantity,
    leg_prices,
    marketable_price,
)
from pytest_tws.model.orders import (
    CANCELLED,
    FILLED,
    INACTIVE,
    PENDING_CANCEL,
    PRE_SUBMITTED,
    SUBMITTED,
    Execution,
    Order,
    OrderBook,
)

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend
    from pytest_tws.fake.session import Session

log = logging.getLogger("pytest_tws.fake")

SEEN = "orders_seen"
"""session.state key: permIds of other clients' orders this session was shown"""
LISTENER = "orders_market_listener"
"""backend.extensions key: removes the resting-order listener from the market feed"""


def book(backend: Backend) -> OrderBook:
    return backend.broker.order_book


# -- prices ---------------------------------------------------------------------------------


def quote_of(backend: Backend, spec: ContractSpec) -> BookQuote:
    """The contract's book now, from the fake's market simulator at the clock's time."""
    try:
        q = backend.quote(spec)
    except (KeyError, ValueError) as exc:
        raise LookupError(f"no price for {spec.symbol} {spec.sec_type}") from exc
    return BookQuote(q.bid, q.ask, q.last)


def quoted_legs(backend: Backend, order: Order) -> list[QuotedLeg]:
    """The combo's legs with their quotes, signed as the order trades them."""
    direction = 1 if order.ticket.action.upper() == "BUY" else -1
    return [
        QuotedLeg(direction * leg.leg.sign, leg.leg.ratio, quote_of(backend, leg.contract))
        for leg in order.legs
    ]


def order_quote(backend: Backend, order: Order) -> BookQuote:
    """The order's instrument quoted for BUY: a combo's net bid/ask from its legs."""
    if not order.is_combo:
        return quote_of(backend, order.contract)
    as_bought = [
        QuotedLeg(leg.leg.sign, leg.leg.ratio, quote_of(backend, leg.contract))
        for leg in order.legs
    ]
    return combo_quote(as_bought)


# -- telling the clients --------------------------------------------------------------------


def audience(backend: Backend, order: Order) -> list[Session]:
    """Sessions that hear about the order: its owner and whoever was shown it."""
    found: list[Session] = []
    for session in backend.ready_sessions():
        if session.client_id == order.client_id or order.perm_id in session.state.get(SEEN, ()):
            found.append(session)
    return found


def mark_seen(session: Session, order: Order) -> None:
    if order.client_id != session.client_id:
        session.state.setdefault(SEEN, set()).add(order.perm_id)


def announce(backend: Backend, order: Order, with_open_order: bool = True) -> None:
    for session in audience(backend, order):
        if with_open_order:
            session.send(order_layouts.open_order(order))
        session.send(order_layouts.order_status(order))


def _advance(backend: Backend, order: Order, status: str, with_open_order: bool = True) -> None:
    order.move_to(status)
    announce(backend, order, with_open_order)


# -- lifecycle ------------------------------------------------------------------------------


def submit(backend: Backend, order: Order) -> None:
    """A validated new order: acknowledge it, then fill what is marketable, rest the rest."""
    book(backend).add(order)
    order.placed_at = backend.now()
    _advance(backend, order, PRE_SUBMITTED)
    match(backend, order)
    if order.is_active and order.status == PRE_SUBMITTED:
        _advance(backend, order, SUBMITTED)
    watch_resting(backend)


def modify(backend: Backend, order: Order) -> None:
    """A modification was applied to the ticket: confirm it, then re-match."""
    announce(backend, order)
    match(backend, order)
    watch_resting(backend)


def match(backend: Backend, order: Order) -> None:
    """One matching round for `order` under the book's fill policy."""
    if not order.is_active or order.status == PENDING_CANCEL or order.ticket.what_if:
        return
    quantity = fill_quantity(book(backend).fill_policy, order.remaining)
    if quantity <= 0:
        return
    try:
        quote = order_quote(backend, order)
    except LookupError:
        return
    if order.ticket.order_type in triggers.AT_THE_CLOSE:
        placed = order.placed_at or backend.now()
        close_price = triggers.at_the_close(order.trigger_spec, placed, backend.now(), quote)
        if close_price is not None:
            execute(backend, order, quantity, close_price)
        return
    works_as = triggers.working(order.trigger_spec, order.trigger, quote)
    if works_as is None:
        return  # a stop / if-touched / trailing order waiting for its trigger
    price = marketable_price(order.ticket.action, works_as[0], works_as[1], quote)
    if price is not None:
        execute(backend, order, quantity, price)


def match_resting(backend: Backend) -> None:
    """Re-check every working order against the market (after a step, or on the timer)."""
    for order in book(backend).open_orders():
        if order.status == SUBMITTED:
            match(backend, order)


def execute(backend: Backend, order: Order, quantity: float, price: float) -> list[Execution]:
    """Fill `quantity` of `order` at `price` (a combo's net price) and report it all.

    Sends, in live TWS's order: execDetails (reqId -1), for a combo the BAG's first and then
    each leg's; openOrder if now Filled; orderStatus; then a commissionReport per leg.
    """
    order.record_fill(quantity, price)
    now = backend.now()
    epoch = int(now.timestamp())
    ticket = order.ticket
    account = ticket.account or backend.broker.account_names[0]
    executions: list[Execution] = []
    cum = {"q": order.filled, "p": order.avg_fill_price}

    def new_execution(spec: ContractSpec, side: str, shares: float, px: float, leg: int,
                      cum_qty: float, avg: float) -> Execution:
        return Execution(
            exec_id=book(backend).new_exec_id(epoch, leg), order_id=ticket.order_id,
            client_id=ticket.client_id, perm_id=order.perm_id, contract=spec, account=account,
            side=side, shares=shares, price=px, time=now, cum_qty=cum_qty, avg_price=avg,
            order_ref=ticket.order_ref,
        )

    if order.is_combo:
        combo_side = "BOT" if ticket.action.upper() == "BUY" else "SLD"
        executions.append(new_execution(order.contract, combo_side, quantity, price, 0,
                                        cum["q"], cum["p"]))
        legs = quoted_legs(backend, order)
        signed_price = price if ticket.action.upper() == "BUY" else -price
        prices = leg_prices(signed_price, legs)
        priced = zip(order.legs, legs, prices, strict=True)
        for number, (leg, quoted, px) in enumerate(priced, start=1):
            shares = quantity * leg.leg.ratio
            side = "BOT" if quoted.sign > 0 else "SLD"
            prior = [e for e in order.executions if e.contract.con_id == leg.contract.con_id]
            leg_cum = sum(e.shares for e in prior) + shares
            leg_avg = round((sum(e.shares * e.price for e in prior) + shares * px) / leg_cum, 8)
            executions.append(new_execution(leg.contract, side, shares, px, number,
                                            leg_cum, leg_avg))
    else:
        side = "BOT" if ticket.action.upper() == "BUY" else "SLD"
        executions.append(new_execution(order.contract, side, quantity, price, 1,
                                        cum["q"], cum["p"]))
    booked = [e for e in executions if e.contract.sec_type != "BAG"]
    fees = commissions([(e.contract, e.shares, e.price) for e in booked],
                       order.commission_charged)
    for execution, fee in zip(booked, fees, strict=True):
        _book_execution(backend, order, execution, fee)
    order.executions.extend(executions)
    book(backend).executions.extend(executions)
    if order.remaining <= 1e-9:
        order.move_to(FILLED)
        order.completed_time = order_layouts.execution_time(now)
        order.completed_status = FILLED
    for session in audience(backend, order):
        for execution in executions:
            session.send(order_layouts.exec_details(-1, execution))
        if order.status == FILLED:
            session.send(order_layouts.open_order(order))
        session.send(order_layouts.order_status(order))
        for execution in executions:
            if execution.commission is not None:
                session.send(order_layouts.commission_report(execution))
    _publish_portfolio(backend, account, [e.contract for e in executions])
    return executions


def _book_execution(backend: Backend, order: Order, execution: Execution, fee: float) -> None:
    """Commission, realized P&L, position and cash of one (leg) execution."""
    broker = backend.broker
    spec = execution.contract
    multiplier = float(spec.multiplier or 1)
    signed = execution.shares if execution.side == "BOT" else -execution.shares
    order.commission_charged += fee
    execution.commission = fee
    held = broker.positions.get((execution.account, spec.con_id))
    if held is not None and held.quantity and (held.quantity > 0) != (signed > 0):
        closed = min(abs(signed), abs(held.quantity))
        per_unit = execution.price * multiplier - held.avg_cost
        direction = 1 if held.quantity > 0 else -1
        execution.realized_pnl = round(closed * per_unit * direction - fee, 2)
    broker.add_position(execution.account, spec, signed, execution.price)
    account = broker.accounts[execution.account]
    account.cash -= signed * execution.price * multiplier + fee
    if execution.realized_pnl is not None:
        account.realized_pnl += execution.realized_pnl


def _publish_portfolio(backend: Backend, account: str, contracts: list[ContractSpec]) -> None:
    """Stream the changed positions and account values to whoever subscribed to them."""
    changed = {c.con_id for c in contracts if c.sec_type != "BAG"}
    for session in backend.ready_sessions():
        if session.state.get(POSITIONS):
            for position in backend.broker.positions_of(account):
                if position.contract.con_id in changed:
                    session.send(layouts.position(
                        account, position.contract, position.quantity, position.avg_cost))
        if session.state.get(ACCOUNT_UPDATES) == account:
            send_account_updates(session, account)


def cancel(backend: Backend, order: Order, requester: Session | None = None) -> None:
    """PendingCancel, Cancelled, then error 202 with the order id (live TWS's sequence)."""
    if requester is not None:
        mark_seen(requester, order)
    _advance(backend, order, PENDING_CANCEL, with_open_order=False)
    _finish_cancel(backend, order)


def _finish_cancel(backend: Backend, order: Order, reason: str = "") -> None:
    _advance(backend, order, CANCELLED, with_open_order=False)
    order.completed_time = order_layouts.execution_time(backend.now())
    order.completed_status = f"Cancelled by Trader{reason}"
    for session in audience(backend, order):
        session.send_error(order.order_id, Code.ORDER_CANCELLED,
                           error_text(Code.ORDER_CANCELLED, reason))


def global_cancel(backend: Backend) -> None:
    """reqGlobalCancel: every working order of every client is cancelled."""
    for order in book(backend).open_orders():
        _finish_cancel(backend, order)


def reject(backend: Backend, order: Order, reason: str) -> None:
    """TWS rejects a working order: error 201 with the reason; the order is Inactive."""
    order.move_to(INACTIVE)
    order.completed_time = order_layouts.execution_time(backend.now())
    order.completed_status = f"Rejected: {reason}"
    for session in audience(backend, order):
        session.send_error(order.order_id, Code.ORDER_REJECTED,
                           error_text(Code.ORDER_REJECTED, reason))


# -- resting orders meet a moving market ----------------------------------------------------


def watch_resting(backend: Backend) -> None:
    """While any order rests, re-check resting orders after every market step.

    The feed moves on the fake's clock: with a VirtualClock a resting order fills only when
    the test moves time and the market has crossed it, never behind the test's back.
    """
    resting = any(o.status == SUBMITTED for o in book(backend).open_orders())
    remove = backend.extensions.get(LISTENER)
    if resting and remove is None:
        backend.extensions[LISTENER] = backend.add_market_listener(_on_market_step)
    elif not resting and remove is not None:
        del backend.extensions[LISTENER]
        remove()


def _on_market_step(backend: Backend) -> None:
    match_resting(backend)
    watch_resting(backend)


def set_fill_policy(backend: Backend, policy: FillPolicy | str) -> None:
    book(backend).fill_policy = FillPolicy(policy)
    if book(backend).fill_policy is not FillPolicy.MANUAL:
        match_resting(backend)


# -- test control (FakeTWS methods run these on the fake's loop) ----------------------------


def order_for_control(backend: Backend, order_id: int, client_id: int | None = None) -> Order:
    """The order a test means by `order_id`: of `client_id` if given, else the only one."""
    candidates = [o for o in book(backend) if o.order_id == order_id
                  and client_id in (None, o.client_id)]
    active = [o for o in candidates if o.is_active]
    chosen = active or candidates
    if len(chosen) != 1:
        raise LookupError(f"{len(chosen)} orders with id {order_id}; pass client_id")
    return chosen[0]


def control_fill(
    backend: Backend, order: Order, quantity: float | None = None, price: float | None = None
) -> list[Execution]:
    """Fill `order` now, whatever the policy: all that remains unless `quantity` is given, at
    `price` or else where the market would fill it (its limit if the market has not crossed)."""
    if not order.is_active:
        raise ValueError(f"order {order.key} is {order.status}; it cannot fill")
    quantity = order.remaining if quantity is None else quantity
    if price is None:
        ticket = order.ticket
        quote = order_quote(backend, order)
        price = marketable_price(ticket.action, ticket.order_type, ticket.limit_price, quote)
        if price is None:
            price = ticket.limit_price if ticket.limit_price is not None else quote.mid
    if order.status == PRE_SUBMITTED:
        _advance(backend, order, SUBMITTED)
    return execute(backend, order, quantity, price)
