"""Orders and executions: placeOrder (new and modify), cancelOrder, reqGlobalCancel, open and
completed orders, executions. Parsing and validation here; the lifecycle is `fake/trading.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pytest_tws.fake import layouts, order_layouts, trading
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.contracts import ContractQuery, ContractSpec
from pytest_tws.model.errors import NO_REQUEST_ID, Code, TwsError, error_text
from pytest_tws.model.orders import (
    BAG_CON_ID,
    ComboLeg,
    Execution,
    Order,
    OrderTicket,
    ResolvedLeg,
)
from pytest_tws.wire.fields import UNSET_DOUBLE, FieldReader
from pytest_tws.wire.messages import In

AUTO_BIND = "auto_bind"

#: Order types TWS knows; the fake matches MKT and LMT and lets the others rest.
KNOWN_ORDER_TYPES = frozenset({
    "MKT", "LMT", "STP", "STP LMT", "MOC", "LOC", "MIT", "LIT", "TRAIL", "TRAIL LIMIT",
    "REL", "MTL", "PEG MKT", "PEG MID", "PEG BEST", "PEG BENCH", "SNAP MID", "SNAP MKT",
    "SNAP PRIM", "VOL", "BOX TOP", "MIDPRICE", "PEG PRIM", "PASSV REL", "REL + LMT", "REL + MKT",
    "LMT + MKT", "PEG STK", "AUC",
})


@dataclass(frozen=True)
class PlacedOrder:
    """A placeOrder message: the contract as sent, and the ticket."""

    contract: ContractQuery
    ticket: OrderTicket


def _read_contract(r: FieldReader) -> ContractQuery:
    con_id = r.read_int("conId")
    symbol = r.read_str("symbol")
    sec_type = r.read_str("secType").upper()
    last_trade_date = r.read_str("lastTradeDateOrContractMonth")
    strike = r.read_optional_float("strike")
    right = r.read_str("right")
    multiplier = r.read_str("multiplier")
    exchange = r.read_str("exchange")
    primary_exchange = r.read_str("primaryExchange")
    currency = r.read_str("currency")
    local_symbol = r.read_str("localSymbol")
    trading_class = r.read_str("tradingClass")
    sec_id_type = r.read_str("secIdType")
    sec_id = r.read_str("secId")
    return ContractQuery(
        con_id=con_id, symbol=symbol, sec_type=sec_type, last_trade_date=last_trade_date,
        strike=strike or None, right=right, multiplier=multiplier, exchange=exchange,
        primary_exchange=primary_exchange, currency=currency, local_symbol=local_symbol,
        trading_class=trading_class, sec_id_type=sec_id_type, sec_id=sec_id,
    )


def read_place_order(r: FieldReader, client_id: int) -> PlacedOrder:
    """placeOrder at sv 178 (PROTOCOL.md §4d) up to the fields the fake acts on."""
    order_id = r.read_int("orderId")
    contract = _read_contract(r)
    action = r.read_str("action").upper()
    total_quantity = r.read_float("totalQuantity")
    order_type = r.read_str("orderType").upper()
    limit_price = r.read_optional_float("lmtPrice")
    aux_price = r.read_optional_float("auxPrice")
    tif = r.read_str("tif") or "DAY"
    oca_group = r.read_str("ocaGroup")
    account = r.read_str("account")
    open_close = r.read_str("openClose")
    origin = r.read_int("origin")
    order_ref = r.read_str("orderRef")
    transmit = r.read_bool("transmit") if r.remaining else True
    parent_id = r.read_int("parentId")
    r.skip(4)  # blockOrder, sweepToFill, displaySize, triggerMethod
    outside_rth = r.read_bool("outsideRth")
    hidden = r.read_bool("hidden")
    legs: list[ComboLeg] = []
    leg_prices: list[float | None] = []
    params: list[tuple[str, str]] = []
    if contract.sec_type == "BAG":
        for _ in range(r.read_int("comboLegsCount")):
            legs.append(ComboLeg(
                con_id=r.read_int("leg.conId"), ratio=r.read_int("leg.ratio"),
                action=r.read_str("leg.action").upper(), exchange=r.read_str("leg.exchange"),
                open_close=r.read_int("leg.openClose"),
                short_sale_slot=r.read_int("leg.shortSaleSlot"),
                designated_location=r.read_str("leg.designatedLocation"),
                exempt_code=r.read_int("leg.exemptCode", default=-1),
            ))
        for _ in range(r.read_int("orderComboLegsCount")):
            leg_prices.append(r.read_optional_float("orderComboLeg.price"))
        for _ in range(r.read_int("smartComboRoutingParamsCount")):
            params.append((r.read_str("tag"), r.read_str("value")))
    r.skip(2)  # sharesAllocation, discretionaryAmt
    good_after_time = r.read_str("goodAfterTime")
    good_till_date = r.read_str("goodTillDate")
    r.skip(22)  # faGroup … volatilityType
    delta_neutral_type = r.read_str("deltaNeutralOrderType")
    r.skip(1)
    if delta_neutral_type and delta_neutral_type != "None":
        r.skip(8)
    r.skip(6)  # continuousUpdate … scaleSubsLevelSize
    increment = r.read_optional_float("scalePriceIncrement")
    if increment is not None and 0 < increment < UNSET_DOUBLE:
        r.skip(7)
    r.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if r.read_str("hedgeType"):
        r.skip(1)
    r.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if r.read_bool("deltaNeutralContractPresent"):
        r.skip(3)
    algo_strategy = r.read_str("algoStrategy")
    if algo_strategy:
        r.skip(2 * r.read_int("algoParamsCount"))
    r.skip(1)  # algoId
    what_if = r.read_bool("whatIf")
    ticket = OrderTicket(
        order_id=order_id, client_id=client_id, action=action, total_quantity=total_quantity,
        order_type=order_type, limit_price=limit_price, aux_price=aux_price, tif=tif.upper(),
        account=account, order_ref=order_ref, oca_group=oca_group, open_close=open_close,
        origin=origin, transmit=transmit, parent_id=parent_id, outside_rth=outside_rth,
        hidden=hidden, good_after_time=good_after_time, good_till_date=good_till_date,
        what_if=what_if, algo_strategy=algo_strategy, legs=tuple(legs),
        leg_prices=tuple(leg_prices), combo_params=tuple(params),
    )
    return PlacedOrder(contract, ticket)


def _invalid(order_id: int, tag: str, cause: str) -> TwsError:
    return TwsError(Code.MISSING_OR_INVALID, error_text(Code.MISSING_OR_INVALID, tag, cause),
                    order_id)


def _resolve(session: Session, placed: PlacedOrder) -> tuple[ContractSpec, tuple[ResolvedLeg, ...]]:
    """The contract the order trades (a BAG spec for a combo) and the combo's legs."""
    catalog = session.backend.catalog
    query, ticket = placed.contract, placed.ticket
    if query.sec_type != "BAG":
        matches = catalog.find(replace(query, exchange="")) if query.is_specific else []
        if len(matches) != 1:
            raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=ticket.order_id)
        return matches[0].with_exchange(query.exchange or "SMART"), ()
    if not ticket.legs:
        raise _invalid(ticket.order_id, "bN", "Security type 'BAG' requires combo leg details.")
    legs: list[ResolvedLeg] = []
    for leg in ticket.legs:
        spec = catalog.by_con_id(leg.con_id)
        if spec is None:
            raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=ticket.order_id)
        legs.append(ResolvedLeg(leg, spec.with_exchange(leg.exchange or "SMART")))
    bag = ContractSpec(
        con_id=BAG_CON_ID, symbol=query.symbol or legs[0].contract.symbol, sec_type="BAG",
        currency=query.currency or "USD", exchange=query.exchange or "SMART",
    )
    return bag, tuple(legs)


def _validate(session: Session, ticket: OrderTicket) -> OrderTicket:
    broker = session.backend.broker
    if ticket.order_type not in KNOWN_ORDER_TYPES:
        raise _invalid(ticket.order_id, "bF", "Invalid order type was entered")
    if ticket.action not in ("BUY", "SELL", "SSHORT"):
        raise _invalid(ticket.order_id, "bA", "Invalid side")
    if ticket.total_quantity <= 0:
        raise TwsError(Code.ORDER_SIZE_ZERO, req_id=ticket.order_id)
    account = ticket.account
    if not account and len(broker.accounts) == 1:
        account = broker.account_names[0]
    if account not in broker.accounts:
        raise _invalid(ticket.order_id, "ke", "You must specify an account.")
    return replace(ticket, account=account)


def place_order(session: Session, r: FieldReader) -> None:
    assert session.client_id is not None
    placed = read_place_order(r, session.client_id)
    backend = session.backend
    book = trading.book(backend)
    ticket = _validate(session, placed.ticket)
    existing = book.find(ticket.client_id, ticket.order_id)
    if existing is not None:
        _modify(session, existing, ticket)
        return
    if ticket.order_id <= book.highest_order_id.get(ticket.client_id, 0):
        raise TwsError(Code.DUPLICATE_ORDER_ID, req_id=ticket.order_id)
    contract, legs = _resolve(session, replace(placed, ticket=ticket))
    backend.broker.use_order_id(ticket.order_id)
    order = Order(ticket, backend.broker.new_perm_id(), contract, legs)
    trading.submit(backend, order)


def _modify(session: Session, order: Order, ticket: OrderTicket) -> None:
    if not order.is_active:
        code = Code.CANNOT_MODIFY_FILLED if order.filled else Code.DUPLICATE_ORDER_ID
        raise TwsError(code, req_id=ticket.order_id)
    if not order.ticket.same_instrument(ticket):
        raise TwsError(Code.ORDER_MODIFY_MISMATCH, req_id=ticket.order_id)
    if ticket.total_quantity < order.filled:
        raise _invalid(ticket.order_id, "bQ", "Order quantity is below the filled quantity.")
    order.modified(ticket)
    trading.modify(session.backend, order)


def cancel_order(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    order_id = r.read_int("orderId")
    if r.remaining:
        r.read_str("manualOrderCancelTime")
    book = trading.book(session.backend)
    assert session.client_id is not None
    order = book.find(session.client_id, order_id) or book.find_any(order_id)
    if order is None:
        raise TwsError(Code.ORDER_ID_NOT_FOUND, error_text(Code.ORDER_ID_NOT_FOUND, order_id),
                       order_id)
    if not order.is_active:
        text = error_text(Code.NOT_CANCELLABLE, order.perm_id)
        raise TwsError(Code.NOT_CANCELLABLE, text, order_id)
    trading.cancel(session.backend, order, session)


def req_global_cancel(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    trading.global_cancel(session.backend)


def _send_open(session: Session, orders: list[Order]) -> None:
    for order in orders:
        trading.mark_seen(session, order)
        session.send(order_layouts.open_order(order))
        session.send(order_layouts.order_status(order))
    session.send(layouts.open_order_end())


def req_open_orders(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    _send_open(session, trading.book(session.backend).open_orders(session.client_id))


def req_all_open_orders(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    _send_open(session, trading.book(session.backend).open_orders())


def req_auto_open_orders(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    auto_bind = r.read_bool("bAutoBind")
    if session.client_id != 0:
        session.send_error(NO_REQUEST_ID, Code.AUTO_OPEN_ORDERS_NEEDS_CLIENT0)
        return
    session.state[AUTO_BIND] = auto_bind


def req_completed_orders(session: Session, r: FieldReader) -> None:
    api_only = r.read_bool("apiOnly")
    for order in trading.book(session.backend).completed_orders():
        if api_only and order.ticket.origin != 0:
            continue
        session.send(order_layouts.completed_order(order))
    session.send(layouts.completed_orders_end())


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

    def matches(self, e: Execution) -> bool:
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


def req_executions(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    req_id = r.read_int("reqId")
    wanted = ExecutionFilter(
        client_id=r.read_int("clientId"), account=r.read_str("acctCode"),
        time=r.read_str("time").replace("-", " "), symbol=r.read_str("symbol"),
        sec_type=r.read_str("secType"), exchange=r.read_str("exchange"),
        side=r.read_str("side"),
    )
    everyone = session.client_id == 0
    for execution in trading.book(session.backend).executions:
        if (everyone or execution.client_id == session.client_id) and wanted.matches(execution):
            session.send(order_layouts.exec_details(req_id, execution))
            if execution.commission is not None:
                session.send(order_layouts.commission_report(execution))
    session.send(layouts.exec_details_end(req_id))


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
