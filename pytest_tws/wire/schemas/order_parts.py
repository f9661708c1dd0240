"""Layout pieces that placeOrder and the order messages TWS sends (openOrder, completedOrder)
share: combo legs with their order prices, tag/value lists, PEG BENCH fields, conditions.

Conditions (ibapi `order_condition.py`): a type, then the conjunction ("a" and / "o" or),
then the type's own fields; the value of an operator condition travels as text
(`valueToString`), named as both ibapi and ib_async name it (price, time, percent, volume,
changePercent). ib_async names the exchange `exch`; ibapi (the reference) `exchange`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tws.wire.schema import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    OPT_FLOAT,
    Field,
    Item,
    block,
    group,
    switch,
)

PEG_BENCH_TYPES = frozenset({"PEG BENCH", "PEGBENCH"})
PEG_BEST_TYPES = frozenset({"PEG BEST", "PEGBEST"})
PEG_MID_TYPES = frozenset({"PEG MID", "PEGMID"})

# condition types (ibapi OrderCondition)
PRICE_CONDITION = 1
TIME_CONDITION = 3
MARGIN_CONDITION = 4
EXECUTION_CONDITION = 5
VOLUME_CONDITION = 6
PERCENT_CHANGE_CONDITION = 7


def is_peg_bench(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return message.get("orderType") in PEG_BENCH_TYPES


def is_peg_best(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return message.get("orderType") in PEG_BEST_TYPES


def is_peg_mid(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return message.get("orderType") in PEG_MID_TYPES


def has_delta_neutral_type(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return bool(message.get("deltaNeutralOrderType"))


def has_scale_increment(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    """scalePriceIncrement set and > 0 (unset is None): the scale block follows."""
    increment = message.get("scalePriceIncrement")
    return increment is not None and increment > 0


def has_hedge_type(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return bool(message.get("hedgeType"))


def has_algo(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return bool(message.get("algoStrategy"))


def has_conditions(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return bool(message.get("conditions"))


def tag_value_group(name: str, **gate: Any) -> Item:
    """A TagValue list as a count, then tag/value pairs (`{name}Count`)."""
    return group(name, f"{name}Count", Field("tag"), Field("value"), **gate)


def LONG_COMBO_LEGS(exempt_since: int = 0) -> Item:
    """`contract.comboLegs` with the order fields (openClose … exemptCode)."""
    return group(
        "comboLegs", "comboLegsCount",
        Field("conId", INT), Field("ratio", INT), Field("action"), Field("exchange"),
        Field("openClose", INT), Field("shortSaleSlot", INT), Field("designatedLocation"),
        Field("exemptCode", INT, default=-1, since=exempt_since),
    )


def order_combo_legs(**gate: Any) -> Item:
    """`order.orderComboLegs`: a per-leg limit price each (unset: None)."""
    return group("orderComboLegs", "orderComboLegsCount", Field("price", OPT_FLOAT), **gate)


PEG_BENCH = block(
    Field("referenceContractId", INT), Field("isPeggedChangeAmountDecrease", BOOL),
    Field("peggedChangeAmount", FLOAT), Field("referenceChangeAmount", FLOAT),
    Field("referenceExchangeId"),
    when=is_peg_bench,
)

_CONJUNCTION = Field("conjunction", default="a")
_IS_MORE = Field("isMore", BOOL)

CONDITION_CASES: dict[int, tuple[Item, ...]] = {
    PRICE_CONDITION: (_CONJUNCTION, _IS_MORE, Field("price", FLOAT), Field("conId", INT),
                      Field("exchange"), Field("triggerMethod", INT)),
    TIME_CONDITION: (_CONJUNCTION, _IS_MORE, Field("time")),
    # DECIMAL: written "5" for a whole percent (ib_async reads it as an int), "5.5" otherwise
    MARGIN_CONDITION: (_CONJUNCTION, _IS_MORE, Field("percent", DECIMAL)),
    EXECUTION_CONDITION: (_CONJUNCTION, Field("secType"), Field("exchange"), Field("symbol")),
    VOLUME_CONDITION: (_CONJUNCTION, _IS_MORE, Field("volume", INT), Field("conId", INT),
                       Field("exchange")),
    PERCENT_CHANGE_CONDITION: (_CONJUNCTION, _IS_MORE, Field("changePercent", FLOAT),
                               Field("conId", INT), Field("exchange")),
}

CONDITIONS = block(
    group("conditions", "conditionsCount", Field("condType", INT),
          switch("condType", CONDITION_CASES)),
    block(Field("conditionsIgnoreRth", BOOL), Field("conditionsCancelOrder", BOOL),
          when=has_conditions),
)
