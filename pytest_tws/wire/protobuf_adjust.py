"""Where IBKR's protobuf messages differ from the text layouts' names and shapes, message by
message. Everything else converts by field name (protobuf_convert).

Names (`RENAMES`, per proto message class: proto field -> IBKR attribute name as the schemas
use it): the proto files sometimes abbreviate or rename (Contract.primaryExch,
ExecutionDetails' isLiquidation, CommissionAndFeesReport.bondYield, ...).

Shapes:
  - `HOISTED`: a sub-message whose fields the text layout has at the top of the message
    (PlaceOrderRequest.order: the text placeOrder's order fields follow the contract, not
    nested; ContractData.contractDetails; ExecutionRequest.executionFilter; ...);
  - order conditions: the text conjunction "a"/"o" is a bool `isConjunctionConnection`;
  - the per-leg limit prices (text `orderComboLegs[i].price`) ride on the contract's combo
    legs as `perLegPrice` (ibapi client_utils.createComboLegProtoList);
  - a list of single values (SecDefOptParameter.expirations, ExecutionFilter.specificDates)
    is a group of one-field entries in text (generic, protobuf_convert).

Lost in protobuf (ibapi's proto has no field, so a protobuf client never sends or reads it):
placeOrder's `auctionStrategy` (Order.proto has none; ibapi's createOrderProto drops it); per-leg
prices beyond the contract's legs, or on a combo none of whose legs has a price; the order of
TagValue pairs (algoParams, smartComboRoutingParams, orderMiscOptions: proto maps).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Values = dict[str, Any]

#: (proto message class, proto field) -> IBKR's attribute name, where they differ
RENAMES: dict[tuple[str, str], str] = {
    ("Contract", "primaryExch"): "primaryExchange",
    ("ComboLeg", "shortSalesSlot"): "shortSaleSlot",
    ("MarketDataRequest", "marketDataOptions"): "mktDataOptions",
    ("ErrorMessage", "id"): "reqId",
    ("ErrorMessage", "errorMsg"): "errorString",
    ("StartApiRequest", "optionalCapabilities"): "optCapab",
    ("AccountSummaryRequest", "group"): "groupName",
    ("AutoOpenOrdersRequest", "autoBind"): "bAutoBind",
    ("HistoricalDataRequest", "duration"): "durationStr",
    ("OrderCondition", "type"): "condType",
    ("SoftDollarTier", "value"): "val",
    ("CurrentTime", "currentTime"): "time",
    ("AccountValue", "value"): "val",
    ("HistoricalData", "historicalDataBars"): "bars",
    ("HistoricalDataUpdate", "historicalDataBar"): "bar",
    ("HistoricalDataBar", "WAP"): "wap",
    ("RealTimeBarTick", "WAP"): "wap",
    ("Execution", "isLiquidation"): "liquidation",
    ("Execution", "isPriceRevisionPending"): "pendingPriceRevision",
    ("CommissionAndFeesReport", "bondYield"): "yield_",
    ("IneligibilityReason", "id"): "id_",
    ("ContractDetails", "fundMinimumSubsequentPurchase"): "fundSubsequentMinimumPurchase",
}

#: (proto message class, field): a sub-message read into / written from its parent's scope
HOISTED: frozenset[tuple[str, str]] = frozenset({
    ("PlaceOrderRequest", "order"),
    ("OpenOrder", "order"),
    ("CompletedOrder", "order"),
    ("ContractData", "contractDetails"),
    ("ExecutionRequest", "executionFilter"),
    ("CancelOrderRequest", "orderCancel"),
    ("GlobalCancelRequest", "orderCancel"),
})

_AND = "a"
_OR = "o"


def _order_from_proto(raw: Values) -> Values:
    """placeOrder read from protobuf -> the text layout's conditions and per-leg prices."""
    for condition in raw.get("conditions") or ():
        condition["conjunction"] = _AND if condition.pop("isConjunctionConnection", False) \
            else _OR
    legs = (raw.get("contract") or {}).get("comboLegs") or ()
    priced = [i for i, leg in enumerate(legs) if "perLegPrice" in leg]
    if priced:  # as many entries as up to the last leg with a price
        raw["orderComboLegs"] = [{"price": leg.get("perLegPrice")}
                                 for leg in legs[: priced[-1] + 1]]
    return raw


def _order_to_proto(values: Values) -> Values:
    """openOrder/completedOrder values -> the proto's conditions and per-leg prices."""
    conditions = values.get("conditions")
    prices = values.get("orderComboLegs")
    if not conditions and not prices:
        return values
    out = dict(values)
    out.pop("orderComboLegs", None)  # carried on the contract's legs below
    if conditions:
        out["conditions"] = [
            {**c, "isConjunctionConnection": c.get("conjunction", _AND) == _AND}
            for c in conditions
        ]
    contract = values.get("contract")
    if prices and contract and contract.get("comboLegs"):
        legs = [dict(leg) for leg in contract["comboLegs"]]
        for leg, price in zip(legs, prices, strict=False):
            if price.get("price") is not None:
                leg["perLegPrice"] = price["price"]
        out["contract"] = {**contract, "comboLegs": legs}
    return out


#: proto class name -> a function adjusting its raw values (requests, after reading)
FROM_PROTO: dict[str, Callable[[Values], Values]] = {
    "PlaceOrderRequest": _order_from_proto,
}
def _completed_order_to_proto(values: Values) -> Values:
    """completedOrder has no orderId and no clientId in text (ibapi's text decoder leaves
    them 0): the same in protobuf, though Order.proto has the fields."""
    out = _order_to_proto(values)
    return {k: v for k, v in out.items() if k not in ("orderId", "clientId")}


#: proto class name -> a function adjusting the values before writing them (responses)
TO_PROTO: dict[str, Callable[[Values], Values]] = {
    "OpenOrder": _order_to_proto,
    "CompletedOrder": _completed_order_to_proto,
}
