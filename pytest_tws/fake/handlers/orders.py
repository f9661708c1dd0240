"""Orders and executions: placeOrder (new, modify, what-if), cancelOrder, reqGlobalCancel, open
and completed orders, executions. Short translators: the schemas decode the requests
(pytest_tws/wire/schemas/orders.py), the model checks them (model/order_rules.py) and prices
what-ifs (model/margin.py); the lifecycle is `fake/trading.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pytest_tws.fake import order_layouts, trading, what_if
from pytest_tws.fake.convert import contract_query
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model import order_rules
from pytest_tws.model.calendar_us import EASTERN
from pytest_tws.model.errors import NO_REQUEST_ID, Code
from pytest_tws.model.orders import ComboLeg, Execution, Order, OrderTicket
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Values

AUTO_BIND = "auto_bind"
#: re-exported: the order types TWS knows (the rule lives in the model)
KNOWN_ORDER_TYPES = order_rules.KNOWN_ORDER_TYPES


def _leg(values: Mapping[str, Any]) -> ComboLeg:
    return ComboLeg(
        con_id=values.get("conId", 0), ratio=values.get("ratio", 0),
        action=str(values.get("action", "")).upper(), exchange=values.get("exchange", ""),
        open_close=values.get("openClose", 0), short_sale_slot=values.get("shortSaleSlot", 0),
        designated_location=values.get("designatedLocation", ""),
        exempt_code=values.get("exemptCode", -1),
    )


def ticket_from_values(values: Values, client_id: int) -> OrderTicket:
    """placeOrder's values (IBKR's names) as the model's ticket. Every field is kept in
    `ticket.fields` (placeholders aside) so openOrder gives the order back as it was sent."""
    contract = values.get("contract") or {}
    kept = {k: v for k, v in values.items()
            if k not in ("contract", "version") and not k.startswith("_")}
    quantity = values.get("totalQuantity")
    return OrderTicket(
        order_id=values["orderId"], client_id=client_id,
        action=str(values.get("action", "")).upper(),
        total_quantity=float(quantity) if quantity is not None else 0.0,
        order_type=str(values.get("orderType", "")).upper(),
        limit_price=values.get("lmtPrice"), aux_price=values.get("auxPrice"),
        tif=str(values.get("tif") or "DAY").upper(), account=values.get("account", ""),
        order_ref=values.get("orderRef", ""), oca_group=values.get("ocaGroup", ""),
        open_close=values.get("openClose", ""), origin=values.get("origin", 0),
        transmit=values.get("transmit", True), parent_id=values.get("parentId", 0),
        outside_rth=values.get("outsideRth", False), hidden=values.get("hidden", False),
        good_after_time=values.get("goodAfterTime", ""),
        good_till_date=values.get("goodTillDate", ""), what_if=values.get("whatIf", False),
        algo_strategy=values.get("algoStrategy", ""),
        legs=tuple(_leg(leg) for leg in contract.get("comboLegs") or ()),
        leg_prices=tuple(leg.get("price") for leg in values.get("orderComboLegs") or ()),
        combo_params=tuple((p["tag"], p["value"])
                           for p in values.get("smartComboRoutingParams") or ()),
        fields=kept,
        contract_fields={k: contract[k] for k in ("comboLegs", "deltaNeutralContract")
                         if contract.get(k)},
    )


def place_order(session: Session, values: Values) -> None:
    assert session.client_id is not None
    backend = session.backend
    broker = backend.broker
    book = trading.book(backend)
    query = contract_query(values.get("contract") or {})
    ticket = order_rules.validate(ticket_from_values(values, session.client_id), query,
                                  broker.account_names)
    existing = book.find(ticket.client_id, ticket.order_id)
    if existing is not None and not ticket.what_if:
        order_rules.check_modify(existing, ticket)
        existing.modified(ticket)
        trading.modify(backend, existing)
        return
    if existing is None:
        order_rules.check_new_id(book, ticket)
    contract, legs = order_rules.resolve(backend.catalog, query, ticket)
    if ticket.what_if:
        # TWS: a what-if creates no order, execution or position; it answers one openOrder
        what_if.preview(session, Order(ticket, 0, contract, legs))
        return
    broker.use_order_id(ticket.order_id)
    trading.submit(backend, Order(ticket, broker.new_perm_id(), contract, legs))


def cancel_order(session: Session, values: Values) -> None:
    assert session.client_id is not None
    order = order_rules.cancellable(trading.book(session.backend), session.client_id,
                                    values["orderId"])
    trading.cancel(session.backend, order, session)


def req_global_cancel(session: Session, values: Values) -> None:
    trading.global_cancel(session.backend)


def _send_open(session: Session, orders: list[Order]) -> None:
    for order in orders:
        trading.mark_seen(session, order)
        session.send(order_layouts.open_order(order))
        session.send(order_layouts.order_status(order))
    session.send(order_layouts.open_order_end())


def req_open_orders(session: Session, values: Values) -> None:
    _send_open(session, trading.book(session.backend).open_orders(session.client_id))


def req_all_open_orders(session: Session, values: Values) -> None:
    _send_open(session, trading.book(session.backend).open_orders())


def req_auto_open_orders(session: Session, values: Values) -> None:
    if session.client_id != 0:
        session.send_error(NO_REQUEST_ID, Code.AUTO_OPEN_ORDERS_NEEDS_CLIENT0)
        return
    session.state[AUTO_BIND] = values["bAutoBind"]


def req_completed_orders(session: Session, values: Values) -> None:
    api_only = values["apiOnly"]
    for order in trading.book(session.backend).completed_orders():
        if api_only and order.ticket.origin != 0:
            continue
        session.send(order_layouts.completed_order(order))
    session.send(order_layouts.completed_orders_end())


@dataclass(frozen=True)
class ExecutionFilter:
    """reqExecutions' filter: every field given must match (TWS's rule); time is inclusive."""

    client_id: int = 0
    account: str = ""
    time: str = ""
    symbol: str = ""
    sec_type: str = ""
    exchange: str = ""
    side: str = ""
    last_n_days: int | None = None
    """executions of the last N days, today included (MIN_SERVER_VER_PARAMETRIZED_DAYS_...)"""
    specific_dates: tuple[int, ...] = ()
    """executions on these days (yyyymmdd, exchange time)"""

    @classmethod
    def from_values(cls, values: Values) -> ExecutionFilter:
        return cls(client_id=values.get("clientId", 0), account=values.get("acctCode", ""),
                   time=str(values.get("time", "")).replace("-", " "),
                   symbol=values.get("symbol", ""), sec_type=values.get("secType", ""),
                   exchange=values.get("exchange", ""), side=values.get("side", ""),
                   last_n_days=values.get("lastNDays"),
                   specific_dates=tuple(d["date"] for d in values.get("specificDates") or ()))

    def matches(self, e: Execution, today: date) -> bool:
        day = e.time.astimezone(EASTERN).date()
        if self.last_n_days and (today - day).days >= self.last_n_days:
            return False
        if self.specific_dates and int(f"{day:%Y%m%d}") not in self.specific_dates:
            return False
        if self.client_id and self.client_id != e.client_id:
            return False
        if self.account and self.account != e.account:
            return False
        if self.symbol and self.symbol.upper() != e.contract.symbol:
            return False
        if self.sec_type and self.sec_type.upper() != e.contract.sec_type:
            return False
        if self.exchange and self.exchange.upper() not in (e.exchange, e.contract.exchange):
            return False
        side = {"BUY": "BOT", "SELL": "SLD"}.get(self.side.upper(), self.side.upper())
        if side and side != e.side:
            return False
        return not self.time or order_layouts.execution_time(e.time)[:17] >= self.time[:17]


def req_executions(session: Session, values: Values) -> None:
    req_id = values.get("reqId", NO_REQUEST_ID)
    wanted = ExecutionFilter.from_values(values)
    everyone = session.client_id == 0
    today = session.backend.now().astimezone(EASTERN).date()
    for execution in trading.book(session.backend).executions:
        mine = everyone or execution.client_id == session.client_id
        if mine and wanted.matches(execution, today):
            session.send(order_layouts.exec_details(req_id, execution))
            if execution.commission is not None:
                session.send(order_layouts.commission_report(execution))
    session.send(order_layouts.exec_details_end(req_id))


HANDLERS: dict[In, Handler] = {
    In.PLACE_ORDER: place_order,
    In.CANCEL_ORDER: cancel_order,
    In.REQ_GLOBAL_CANCEL: req_global_cancel,
    In.REQ_OPEN_ORDERS: req_open_orders,
    In.REQ_ALL_OPEN_ORDERS: req_all_open_orders,
    In.REQ_AUTO_OPEN_ORDERS: req_auto_open_orders,
    In.REQ_COMPLETED_ORDERS: req_completed_orders,
    In.REQ_EXECUTIONS: req_executions,
}
