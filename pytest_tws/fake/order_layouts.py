"""Order messages at server version 178: openOrder, orderStatus, execDetails, commissionReport,
completedOrder (PROTOCOL.md §4a/§4c). Layout only; the trading desk decides what to send.

Unset values are written as real TWS writes them (UNSET_DOUBLE, UNSET_INTEGER), so every
client's "unset" parsing sees what it would see from TWS. Checked by decoding each message in
ib_async 2.1 and ibapi (tests/fake/test_order_layouts.py).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pytest_tws.fake.layouts import Fields, _size
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.orders import Execution, Order
from pytest_tws.wire.fields import UNSET_DOUBLE, UNSET_INTEGER
from pytest_tws.wire.messages import Out

EASTERN = ZoneInfo("America/New_York")


def _contract(spec: ContractSpec, exchange: str) -> Fields:
    return [
        spec.con_id, spec.symbol, spec.sec_type, spec.last_trade_date, spec.strike, spec.right,
        spec.multiplier, exchange, spec.currency, spec.local_symbol, spec.trading_class,
    ]


def _price(value: float | None) -> float:
    return 0.0 if value is None else value


def _combo_description(order: Order) -> str:
    return ",".join(f"{leg.leg.con_id}|{leg.leg.sign * leg.leg.ratio}" for leg in order.legs)


def _combo_legs(order: Order) -> Fields:
    ticket = order.ticket
    fields: Fields = [_combo_description(order), len(ticket.legs)]
    for leg in ticket.legs:
        fields += [
            leg.con_id, leg.ratio, leg.action, leg.exchange, leg.open_close,
            leg.short_sale_slot, leg.designated_location, leg.exempt_code,
        ]
    fields.append(len(ticket.leg_prices))
    fields += [UNSET_DOUBLE if p is None else p for p in ticket.leg_prices]
    fields.append(len(ticket.combo_params))
    for tag, value in ticket.combo_params:
        fields += [tag, value]
    return fields


def open_order(order: Order, status: str | None = None) -> Fields:
    """openOrder (5): no version field at sv >= 145; `status` defaults to the order's."""
    t = order.ticket
    exchange = order.contract.exchange or "SMART"
    fields: Fields = [
        Out.OPEN_ORDER, t.order_id, *_contract(order.contract, exchange),
        t.action, _size(t.total_quantity), t.order_type, _price(t.limit_price),
        _price(t.aux_price), t.tif, t.oca_group, t.account, t.open_close, t.origin,
        t.order_ref, t.client_id, order.perm_id, t.outside_rth, t.hidden, 0.0,
        t.good_after_time, "", "", "", "",  # sharesAllocation, faGroup, faMethod, faPercentage
        "", t.good_till_date, "", UNSET_DOUBLE, "", 0, "", -1,  # modelCode … exemptCode
        0, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE,
        UNSET_INTEGER, 0, 0, 0, UNSET_INTEGER, 3, 0, 0, UNSET_DOUBLE, t.parent_id, 0,
        # volatility, volatilityType, deltaNeutralOrderType (none: no 8-field block), aux
        UNSET_DOUBLE, 0, "", UNSET_DOUBLE,
        0, 0, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_INTEGER,  # … basisPointsType
        *_combo_legs(order),
        UNSET_INTEGER, UNSET_INTEGER, UNSET_DOUBLE,  # scale: no 7-field block
        "",  # hedgeType
        0, "", "IB", 0, 0,  # optOutSmartRouting, clearingAccount/Intent, notHeld, dnc
        t.algo_strategy,
    ]
    if t.algo_strategy:
        fields.append(0)
    fields += [
        0, t.what_if, status or order.status,
        *[UNSET_DOUBLE] * 9,  # margin before/change/after (strings to both clients)
        UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, "", "",  # commission…, currency, warning
        0, 0,  # randomizeSize, randomizePrice
        0,  # conditions
        "None", UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE,
        UNSET_DOUBLE, 0, "", "", "", UNSET_DOUBLE, 0, 0, 0, 0,
        UNSET_INTEGER, UNSET_INTEGER, 0,  # duration, postToAts, autoCancelParent
        UNSET_INTEGER, UNSET_INTEGER, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE,
    ]
    return fields


def order_status(order: Order, status: str | None = None) -> Fields:
    """orderStatus (3): no version field at sv >= 131 (MARKET_CAP_PRICE)."""
    return [
        Out.ORDER_STATUS, order.order_id, status or order.status, _size(order.filled),
        _size(order.remaining), order.avg_fill_price, order.perm_id, order.ticket.parent_id,
        order.last_fill_price, order.client_id, order.why_held, 0.0,
    ]


def execution_time(moment: datetime) -> str:
    """`20260413 15:27:04 US/Eastern`, as live TWS writes execDetails time."""
    return f"{moment.astimezone(EASTERN):%Y%m%d %H:%M:%S} US/Eastern"


def exec_details(req_id: int, execution: Execution) -> Fields:
    """execDetails (11): no version field at sv >= 136; pendingPriceRevision at 178."""
    e = execution
    return [
        Out.EXECUTION_DATA, req_id, e.order_id, *_contract(e.contract, e.exchange),
        e.exec_id, execution_time(e.time), e.account, e.exchange, e.side, _size(e.shares),
        e.price, e.perm_id, e.client_id, 0, _size(e.cum_qty), e.avg_price, e.order_ref,
        "", UNSET_DOUBLE, "", 1, 0,  # evRule, evMultiplier, modelCode, lastLiquidity, ppr
    ]


def commission_report(execution: Execution) -> Fields:
    """commissionReport (59), version 1; realizedPNL unset on opening trades, as live TWS."""
    pnl = UNSET_DOUBLE if execution.realized_pnl is None else execution.realized_pnl
    return [
        Out.COMMISSION_AND_FEES_REPORT, 1, execution.exec_id, execution.commission or 0.0,
        execution.contract.currency, pnl, UNSET_DOUBLE, UNSET_INTEGER,
    ]


def completed_order(order: Order) -> Fields:
    """completedOrder (101): no version field; no orderId and no clientId on the wire."""
    t = order.ticket
    exchange = order.contract.exchange or "SMART"
    return [
        Out.COMPLETED_ORDER, *_contract(order.contract, exchange),
        t.action, _size(t.total_quantity), t.order_type, _price(t.limit_price),
        _price(t.aux_price), t.tif, t.oca_group, t.account, t.open_close, t.origin,
        t.order_ref, order.perm_id, t.outside_rth, t.hidden, 0.0, t.good_after_time,
        "", "", "",  # faGroup, faMethod, faPercentage
        "", t.good_till_date, "", UNSET_DOUBLE, "", 0, "", -1,  # modelCode … exemptCode
        UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE,  # box, range
        UNSET_INTEGER, 0, 0, UNSET_INTEGER, 3, 0,  # displaySize … ocaType, triggerMethod
        UNSET_DOUBLE, 0, "", UNSET_DOUBLE,  # volatility … deltaNeutralAuxPrice
        0, 0, UNSET_DOUBLE, UNSET_DOUBLE,  # continuousUpdate … trailingPercent
        *_combo_legs(order),
        UNSET_INTEGER, UNSET_INTEGER, UNSET_DOUBLE, "",  # scale, hedgeType
        "", "IB", 0, 0,  # clearingAccount, clearingIntent, notHeld, dnc
        t.algo_strategy, *([0] if t.algo_strategy else []),
        0, order.status, 0, 0,  # solicited, status, randomizeSize, randomizePrice
        0,  # conditions
        UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE, 0, 0,  # trailStop … isOmsContainer
        "", _size(order.filled), 0, 0, "", 0, 0, UNSET_LONG_TEXT,  # … parentPermId
        order.completed_time, order.completed_status,
        UNSET_INTEGER, UNSET_INTEGER, UNSET_DOUBLE, UNSET_DOUBLE, UNSET_DOUBLE,
    ]


#: parentPermId of an order without parent, as TWS writes an unset long.
UNSET_LONG_TEXT = "9223372036854775807"
