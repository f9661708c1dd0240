"""The order messages the fake sends, as schema `Message`s (pytest_tws/wire/schemas/
order_messages.py): openOrder, orderStatus, execDetails, commissionReport, completedOrder and
the end markers. The session encodes each at its client's negotiated version.

An order is echoed as TWS echoes it: every field the client sent (kept on the ticket by IBKR's
names) comes back, over which the fake writes what it decided (ids, the resolved contract,
status, account, quantities).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pytest_tws.model.calendar_us import EASTERN
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.margin import WhatIf
from pytest_tws.model.orders import Execution, Order
from pytest_tws.wire.schema import Message, Values
from pytest_tws.wire.schemas.order_messages import (
    COMMISSION_AND_FEES_REPORT,
    COMPLETED_ORDER,
    COMPLETED_ORDERS_END,
    EXECUTION_DATA,
    EXECUTION_DATA_END,
    OPEN_ORDER,
    OPEN_ORDER_END,
    ORDER_STATUS,
)

#: lastLiquidity TWS reports for a fill that removed liquidity
REMOVED_LIQUIDITY = 1
#: the clearing intent TWS reports for an order that named none
DEFAULT_CLEARING_INTENT = "IB"


def contract_values(spec: ContractSpec, exchange: str) -> Values:
    return {
        "conId": spec.con_id, "symbol": spec.symbol, "secType": spec.sec_type,
        "lastTradeDateOrContractMonth": spec.last_trade_date, "strike": spec.strike or 0.0,
        "right": spec.right, "multiplier": spec.multiplier, "exchange": exchange,
        "currency": spec.currency, "localSymbol": spec.local_symbol,
        "tradingClass": spec.trading_class,
    }


def _combo_description(order: Order) -> str:
    return ",".join(f"{leg.leg.con_id}|{leg.leg.sign * leg.leg.ratio}" for leg in order.legs)


def _order_contract(order: Order) -> Values:
    ticket = order.ticket
    values = contract_values(order.contract, order.contract.exchange or "SMART")
    sent = ticket.contract_fields
    legs = sent.get("comboLegs")
    if legs is None:
        legs = [{"conId": leg.con_id, "ratio": leg.ratio, "action": leg.action,
                 "exchange": leg.exchange, "openClose": leg.open_close,
                 "shortSaleSlot": leg.short_sale_slot,
                 "designatedLocation": leg.designated_location, "exemptCode": leg.exempt_code}
                for leg in ticket.legs]
    values["comboLegsDescrip"] = _combo_description(order)
    values["comboLegs"] = legs
    if sent.get("deltaNeutralContract"):
        values["deltaNeutralContract"] = sent["deltaNeutralContract"]
        # named, not derived: common.delta_neutral_contract's `when` reads the flag itself
        values["deltaNeutralContractPresent"] = True
    return values


def order_values(order: Order) -> Values:
    """The order's fields as openOrder and completedOrder carry them."""
    t = order.ticket
    values: Values = dict(t.fields)
    values.update(
        orderId=t.order_id, clientId=t.client_id, permId=order.perm_id, action=t.action,
        totalQuantity=t.total_quantity, orderType=t.order_type, lmtPrice=t.limit_price,
        auxPrice=t.aux_price, tif=t.tif, account=t.account, parentId=t.parent_id,
        outsideRth=t.outside_rth, ocaGroup=t.oca_group, orderRef=t.order_ref,
        goodTillDate=t.good_till_date, goodAfterTime=t.good_after_time, whatIf=t.what_if,
        algoStrategy=t.algo_strategy, openClose=t.open_close, origin=t.origin,
        hidden=t.hidden, contract=_order_contract(order),
    )
    # TWS fills in the clearing intent it applied (IB) when the client left it empty
    values["clearingIntent"] = values.get("clearingIntent") or DEFAULT_CLEARING_INTENT
    if "orderComboLegs" not in values:
        values["orderComboLegs"] = [{"price": p} for p in t.leg_prices]
    if "smartComboRoutingParams" not in values:
        values["smartComboRoutingParams"] = [{"tag": k, "value": v} for k, v in t.combo_params]
    tier = values.get("softDollarTier")
    if tier:
        values["softDollarTier"] = {"displayName": "", **tier}
    return values


def _money(value: float) -> str:
    return f"{value:.2f}"


def what_if_state(preview: WhatIf) -> Values:
    """orderState of a what-if answer: margins as text, commission with its min and max."""
    state: Values = {}
    for name, before, change, after in (
        ("initMargin", preview.init_before, preview.init_change, preview.init_after),
        ("maintMargin", preview.maint_before, preview.maint_change, preview.maint_after),
        ("equityWithLoan", preview.equity_before, preview.equity_change, preview.equity_after),
    ):
        state[f"{name}Before"] = _money(before)
        state[f"{name}Change"] = _money(change)
        state[f"{name}After"] = _money(after)
    state.update(commissionAndFees=preview.commission, minCommissionAndFees=preview.commission,
                 maxCommissionAndFees=preview.commission,
                 commissionAndFeesCurrency=preview.currency, marginCurrency=preview.currency)
    return state


def open_order(order: Order, status: str | None = None, preview: WhatIf | None = None) -> Message:
    """openOrder; `status` defaults to the order's; `preview` fills a what-if's margins."""
    values = order_values(order)
    state: dict[str, Any] = {"status": status or order.status}
    if preview is not None:
        state.update(what_if_state(preview))
    values["orderState"] = state
    return Message(OPEN_ORDER, values)


def order_status(order: Order, status: str | None = None) -> Message:
    return Message(ORDER_STATUS, {
        "orderId": order.order_id, "status": status or order.status, "filled": order.filled,
        "remaining": order.remaining, "avgFillPrice": order.avg_fill_price,
        "permId": order.perm_id, "parentId": order.ticket.parent_id,
        "lastFillPrice": order.last_fill_price, "clientId": order.client_id,
        "whyHeld": order.why_held, "mktCapPrice": 0.0,
    })


def execution_time(moment: datetime) -> str:
    """`20260413 15:27:04 US/Eastern`, as live TWS writes execDetails time."""
    return f"{moment.astimezone(EASTERN):%Y%m%d %H:%M:%S} US/Eastern"


def exec_details(req_id: int, execution: Execution) -> Message:
    e = execution
    return Message(EXECUTION_DATA, {
        "reqId": req_id, "contract": contract_values(e.contract, e.exchange),
        "execution": {
            "orderId": e.order_id, "execId": e.exec_id, "time": execution_time(e.time),
            "acctNumber": e.account, "exchange": e.exchange, "side": e.side,
            "shares": e.shares, "price": e.price, "permId": e.perm_id,
            "clientId": e.client_id, "liquidation": 0, "cumQty": e.cum_qty,
            "avgPrice": e.avg_price, "orderRef": e.order_ref,
            "lastLiquidity": REMOVED_LIQUIDITY,
        },
    })


def commission_report(execution: Execution) -> Message:
    """realizedPNL unset on opening trades, as live TWS."""
    return Message(COMMISSION_AND_FEES_REPORT, {
        "execId": execution.exec_id, "commissionAndFees": execution.commission or 0.0,
        "currency": execution.contract.currency, "realizedPNL": execution.realized_pnl,
    })


def completed_order(order: Order) -> Message:
    """completedOrder: no orderId and no clientId on the wire."""
    values = order_values(order)
    values.update(filledQuantity=order.filled, orderState={
        "status": order.status, "completedTime": order.completed_time,
        "completedStatus": order.completed_status,
    })
    return Message(COMPLETED_ORDER, values)


def open_order_end() -> Message:
    return Message(OPEN_ORDER_END, {})


def exec_details_end(req_id: int) -> Message:
    return Message(EXECUTION_DATA_END, {"reqId": req_id})


def completed_orders_end() -> Message:
    return Message(COMPLETED_ORDERS_END, {})
