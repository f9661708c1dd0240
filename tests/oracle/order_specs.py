"""Randomised, non-default orders for the order oracle tests, built as each client's objects.

`order_specs(version)` draws a dict of IBKR Order attribute names, including the fields that
change placeOrder's layout (BAG legs, deltaNeutralOrderType, scalePriceIncrement > 0,
hedgeType, algoStrategy, PEG BENCH / PEG BEST / PEG MID, IBKRATS, conditions). Fields that
ibapi refuses below their gate are only drawn from that gate on (`GATES`).
"""

from __future__ import annotations

import importlib
import math
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pytest_tws.wire import versions as v
from tests.oracle.clients import View
from tests.oracle.strategies import SEC_TYPES

ORDER_TYPES = ("LMT", "MKT", "STP", "STP LMT", "REL", "VOL", "TRAIL", "PEG BENCH", "PEG BEST",
               "PEG MID")

#: Order attributes ibapi refuses to send below a version, and that version.
GATES: dict[str, int] = {
    "modelCode": v.MIN_SERVER_VER_MODELS_SUPPORT, "extOperator": v.MIN_SERVER_VER_EXT_OPERATOR,
    "softDollarTier": v.MIN_SERVER_VER_SOFT_DOLLAR_TIER, "cashQty": v.MIN_SERVER_VER_CASH_QTY,
    "mifid2DecisionMaker": v.MIN_SERVER_VER_DECISION_MAKER,
    "mifid2DecisionAlgo": v.MIN_SERVER_VER_DECISION_MAKER,
    "mifid2ExecutionTrader": v.MIN_SERVER_VER_MIFID_EXECUTION,
    "mifid2ExecutionAlgo": v.MIN_SERVER_VER_MIFID_EXECUTION,
    "dontUseAutoPriceForHedge": v.MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE,
    "isOmsContainer": v.MIN_SERVER_VER_ORDER_CONTAINER,
    "usePriceMgmtAlgo": v.MIN_SERVER_VER_PRICE_MGMT_ALGO,
    "duration": v.MIN_SERVER_VER_DURATION, "postToAts": v.MIN_SERVER_VER_POST_TO_ATS,
    "autoCancelParent": v.MIN_SERVER_VER_AUTO_CANCEL_PARENT,
    "advancedErrorOverride": v.MIN_SERVER_VER_ADVANCED_ORDER_REJECT,
    "manualOrderTime": v.MIN_SERVER_VER_MANUAL_ORDER_TIME,
    "minTradeQty": v.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
    "minCompeteSize": v.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
    "competeAgainstBestOffset": v.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
    "midOffsetAtWhole": v.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
    "midOffsetAtHalf": v.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
    "customerAccount": v.MIN_SERVER_VER_CUSTOMER_ACCOUNT,
    "professionalCustomer": v.MIN_SERVER_VER_PROFESSIONAL_CUSTOMER,
    "includeOvernight": v.MIN_SERVER_VER_INCLUDE_OVERNIGHT,
    "manualOrderIndicator": v.MIN_SERVER_VER_CME_TAGGING_FIELDS,
    "imbalanceOnly": v.MIN_SERVER_VER_IMBALANCE_ONLY,
}

_ALPHABET = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ";=\\")


class Draw:
    """Seeded draws (hypothesis chooses the seed): one placeOrder has ~150 fields, too many
    for hypothesis' own buffer; a seed keeps every example reproducible."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def text(self, empty: bool = False) -> str:
        if empty and self.rng.random() < 0.3:
            return ""
        return "".join(self.rng.choice(_ALPHABET) for _ in range(self.rng.randint(1, 8)))

    def maybe(self) -> str:
        return self.text(empty=True)

    def flag(self) -> bool:
        return self.rng.random() < 0.5

    def int(self, low: int = 0, high: int = 10_000) -> int:
        return self.rng.randint(low, high)

    def id(self) -> int:
        return self.rng.randint(1, 2**31 - 2)

    def price(self) -> float:
        return round(self.rng.uniform(-1e5, 1e5), 4)

    def positive(self) -> float:
        return round(self.rng.uniform(0.01, 1e5), 4)

    def pick(self, options: Sequence[Any]) -> Any:
        return self.rng.choice(list(options))

    def tags(self, low: int = 1) -> list[tuple[str, str]]:
        return [(self.text(), self.text()) for _ in range(self.rng.randint(low, 3))]


def condition(d: Draw) -> dict[str, Any]:
    cond_type = d.pick((1, 3, 4, 5, 6, 7))
    cond: dict[str, Any] = {"condType": cond_type, "conjunction": d.pick("ao")}
    if cond_type != 5:
        cond["isMore"] = d.flag()
    if cond_type == 1:
        cond.update(price=d.price(), conId=d.id(), exchange=d.text(),
                    triggerMethod=d.int(0, 8))
    elif cond_type == 3:
        cond["time"] = d.text()
    elif cond_type == 4:
        cond["percent"] = d.int(1, 100)
    elif cond_type == 5:
        cond.update(secType=d.text(), exchange=d.text(), symbol=d.text())
    else:
        cond.update(conId=d.id(), exchange=d.text())
        if cond_type == 6:
            cond["volume"] = d.int()
        else:
            cond["changePercent"] = d.price()
    return cond


def contract_spec(d: Draw) -> dict[str, Any]:
    sec_type = d.pick(SEC_TYPES)
    spec: dict[str, Any] = {
        "conId": d.pick([0, d.id()]), "symbol": d.text(), "secType": sec_type,
        "lastTradeDateOrContractMonth": d.maybe(), "strike": d.pick([0.0, d.positive()]),
        "right": d.pick(["", "C", "P"]), "multiplier": d.maybe(),
        "exchange": d.pick(["SMART", "IBKRATS", d.text()]), "primaryExchange": d.maybe(),
        "currency": d.text(), "localSymbol": d.maybe(), "tradingClass": d.maybe(),
        "secIdType": d.maybe(), "secId": d.maybe(),
    }
    if sec_type == "BAG":
        spec["comboLegs"] = [
            {"conId": d.id(), "ratio": d.int(1, 10), "action": d.pick(["BUY", "SELL"]),
             "exchange": d.text(), "openClose": d.int(0, 3), "shortSaleSlot": d.int(0, 2),
             "designatedLocation": d.maybe(), "exemptCode": d.int(-1, 99)}
            for _ in range(d.int(0, 4))]
    if d.flag():
        spec["deltaNeutralContract"] = {"conId": d.id(), "delta": d.price(),
                                        "price": d.price()}
    return spec


def order_specs(version: int, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(contract spec, order spec) for a placeOrder at `version`, drawn from `seed`."""
    d = Draw(seed)
    contract = contract_spec(d)
    order_type = d.pick(ORDER_TYPES)
    quantity = Decimal(d.int(1, 10_000))
    if version >= v.MIN_SERVER_VER_FRACTIONAL_POSITIONS:
        quantity /= d.pick([1, 2, 4])
    p, m, f, i = d.price, d.maybe, d.flag, d.int
    spec: dict[str, Any] = {
        "action": d.pick(["BUY", "SELL", "SSHORT"]), "totalQuantity": quantity,
        "orderType": order_type, "lmtPrice": p(), "auxPrice": p(),
        "tif": d.pick(["DAY", "GTC", "GTD", "IOC"]), "ocaGroup": m(), "account": m(),
        "openClose": d.pick(["", "O", "C"]), "origin": i(0, 1), "orderRef": m(),
        "transmit": f(), "parentId": i(), "blockOrder": f(), "sweepToFill": f(),
        "displaySize": i(), "triggerMethod": i(0, 8), "outsideRth": f(), "hidden": f(),
        "discretionaryAmt": d.pick([0.0, 0.05, 1.5]), "goodAfterTime": m(),
        "goodTillDate": m(), "faGroup": m(), "faMethod": m(), "faPercentage": m(),
        "modelCode": m(), "shortSaleSlot": i(0, 2), "designatedLocation": m(),
        "exemptCode": i(-1, 99), "ocaType": i(0, 3), "rule80A": m(), "settlingFirm": m(),
        "allOrNone": f(), "minQty": i(), "percentOffset": p(), "auctionStrategy": i(0, 3),
        "startingPrice": p(), "stockRefPrice": p(), "delta": p(), "stockRangeLower": p(),
        "stockRangeUpper": p(), "overridePercentageConstraints": f(),
        "volatility": d.positive(), "volatilityType": i(1, 2),
        "deltaNeutralOrderType": d.pick(["", "", "LMT", "MKT"]),
        "deltaNeutralAuxPrice": p(), "continuousUpdate": f(), "referencePriceType": i(1, 2),
        "trailStopPrice": p(), "trailingPercent": d.positive(), "scaleInitLevelSize": i(),
        "scaleSubsLevelSize": i(), "scalePriceIncrement": d.pick([0.0, 0.05, 1.25]),
        "scaleTable": m(), "activeStartTime": m(), "activeStopTime": m(),
        "hedgeType": d.pick(["", "D", "B", "F", "P"]), "optOutSmartRouting": f(),
        "clearingAccount": m(), "clearingIntent": d.pick(["", "IB", "Away", "PTA"]),
        "notHeld": f(), "algoStrategy": d.pick(["", "Adaptive", "Vwap"]), "algoId": m(),
        "whatIf": f(), "solicited": f(), "randomizeSize": f(), "randomizePrice": f(),
        "adjustedOrderType": m(), "triggerPrice": p(), "lmtPriceOffset": p(),
        "adjustedStopPrice": p(), "adjustedStopLimitPrice": p(),
        "adjustedTrailingAmount": p(), "adjustableTrailingUnit": i(0, 1),
        "extOperator": m(), "cashQty": d.positive(), "mifid2DecisionMaker": m(),
        "mifid2DecisionAlgo": m(), "mifid2ExecutionTrader": m(), "mifid2ExecutionAlgo": m(),
        "dontUseAutoPriceForHedge": f(), "isOmsContainer": f(),
        "discretionaryUpToLimitPrice": f(), "usePriceMgmtAlgo": f(), "duration": i(),
        "postToAts": i(0, 1), "autoCancelParent": f(), "advancedErrorOverride": m(),
        "manualOrderTime": m(), "minTradeQty": i(), "minCompeteSize": i(),
        "competeAgainstBestOffset": d.pick([0.02, 1.5, math.inf]),
        "midOffsetAtWhole": p(), "midOffsetAtHalf": p(), "customerAccount": m(),
        "professionalCustomer": f(), "includeOvernight": f(),
        "manualOrderIndicator": i(0, 1), "imbalanceOnly": f(),
    }
    if spec["deltaNeutralOrderType"]:
        spec.update(deltaNeutralConId=d.id(), deltaNeutralSettlingFirm=m(),
                    deltaNeutralClearingAccount=m(), deltaNeutralClearingIntent=m(),
                    deltaNeutralOpenClose=m(), deltaNeutralShortSale=f(),
                    deltaNeutralShortSaleSlot=i(0, 2), deltaNeutralDesignatedLocation=m())
    if spec["scalePriceIncrement"] > 0:
        spec.update(scalePriceAdjustValue=p(), scalePriceAdjustInterval=i(),
                    scaleProfitOffset=p(), scaleAutoReset=f(), scaleInitPosition=i(),
                    scaleInitFillQty=i(), scaleRandomPercent=f())
    if spec["hedgeType"]:
        spec["hedgeParam"] = d.text()
    if spec["algoStrategy"]:
        spec["algoParams"] = d.tags()
    if order_type == "PEG BENCH":
        spec.update(referenceContractId=d.id(), isPeggedChangeAmountDecrease=f(),
                    peggedChangeAmount=p(), referenceChangeAmount=p(),
                    referenceExchangeId=d.text())
    if contract["secType"] == "BAG":
        spec["orderComboLegs"] = [p() for _ in range(i(0, 4))]
        spec["smartComboRoutingParams"] = d.tags()
    if version >= v.MIN_SERVER_VER_PEGGED_TO_BENCHMARK:
        spec["conditions"] = [condition(d) for _ in range(i(0, 3))]
        if spec["conditions"]:
            spec.update(conditionsIgnoreRth=f(), conditionsCancelOrder=f())
    if version >= v.MIN_SERVER_VER_SOFT_DOLLAR_TIER:
        spec["softDollarTier"] = (d.text(), d.text())
    if version >= v.MIN_SERVER_VER_LINKING:
        spec["orderMiscOptions"] = d.tags(low=0)
    for name, gate in GATES.items():
        if version < gate:
            spec.pop(name, None)
    return contract, spec


def _module(client: str, name: str) -> Any:
    if client == "ibapi":
        return importlib.import_module(f"ibapi.{name}")
    return importlib.import_module(f"{client}.{name}")


def build_condition(client: str, spec: dict[str, Any]) -> Any:
    if client == "ibapi":
        from ibapi import order_condition

        cond = order_condition.Create(spec["condType"])
        for name, value in spec.items():
            if name == "conjunction":
                cond.isConjunctionConnection = value == "a"
            elif name != "condType":
                setattr(cond, name, value)
        return cond
    mod = _module(client, "order")
    cls = mod.OrderCondition.createClass(spec["condType"])
    kwargs = {("exch" if k == "exchange" else k): val for k, val in spec.items()}
    return cls(**kwargs)


def build_order(client: str, spec: dict[str, Any]) -> Any:
    order_mod = _module(client, "order")
    order = order_mod.Order()
    tag_value = (importlib.import_module("ibapi.tag_value").TagValue if client == "ibapi"
                 else _module(client, "contract").TagValue)
    for name, value in spec.items():
        if name in ("algoParams", "smartComboRoutingParams", "orderMiscOptions"):
            value = [tag_value(t, val) for t, val in value]
        elif name == "orderComboLegs":
            legs = []
            for price in value:
                leg = order_mod.OrderComboLeg()
                leg.price = price
                legs.append(leg)
            value = legs
        elif name == "conditions":
            value = [build_condition(client, c) for c in value]
        elif name == "softDollarTier":
            if client == "ibapi":
                from ibapi.softdollartier import SoftDollarTier
                value = SoftDollarTier(value[0], value[1], "")
            else:
                value = _module(client, "objects").SoftDollarTier(value[0], value[1], "")
        elif name == "totalQuantity" and client != "ibapi":
            value = float(value)
        if client == "ibapi" or hasattr(order, name):
            setattr(order, name, value)
    return order


def condition_view(client: str, cond: Any) -> Any:
    """A client's condition under the schema's names (conjunction "a"/"o", exchange)."""
    if client == "ibapi":
        return View(cond, conjunction="a" if cond.isConjunctionConnection else "o")
    return View(cond, exchange=getattr(cond, "exch", None))


def order_view(client: str, order: Any, **overrides: Any) -> View:
    """The order as the schema names it: orderMiscOptions as text, conditions as above."""
    misc = "".join(f"{t.tag}={t.value};" for t in (order.orderMiscOptions or []))
    conds = [condition_view(client, c) for c in (order.conditions or [])]
    return View(order, orderMiscOptions=misc, conditions=conds, **overrides)
