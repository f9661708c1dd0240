"""Pieces of layout shared by many messages: the contract as requests carry it, tag lists.

ibapi writes a request's contract in one of a few shapes (which fields, which gates); each
shape is built here once, so every message that carries a contract reads it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tws.wire.schema import (
    BOOL,
    FLOAT,
    INT,
    OPT_FLOAT,
    STR,
    Field,
    Item,
    block,
    group,
    nest,
)
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_DELTA_NEUTRAL,
    MIN_SERVER_VER_TRADING_CLASS,
)


def is_bag(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    """The message's contract is a combo (BAG): combo legs follow."""
    contract = message.get("contract") or scope
    return str(contract.get("secType", "")).upper() == "BAG"


def contract_fields(
    *,
    con_id: bool | int = True,
    trading_class: bool = True,
    trading_class_since: int = MIN_SERVER_VER_TRADING_CLASS,
    primary_exchange: bool = True,
    include_expired: bool = False,
    sec_id: bool = False,
    strike_kind: Any = OPT_FLOAT,
) -> list[Item]:
    """A contract's identifying fields, in the order every request writes them.

    `con_id`: True (always), False (never) or the version that adds it.
    """
    items: list[Item] = []
    if con_id is True:
        items.append(Field("conId", INT))
    elif con_id:
        items.append(Field("conId", INT, since=int(con_id)))
    items += [
        Field("symbol"), Field("secType"), Field("lastTradeDateOrContractMonth"),
        Field("strike", strike_kind), Field("right"), Field("multiplier"), Field("exchange"),
    ]
    if primary_exchange:
        items.append(Field("primaryExchange"))
    items += [Field("currency"), Field("localSymbol")]
    if trading_class:
        items.append(Field("tradingClass", since=trading_class_since))
    if include_expired:
        items.append(Field("includeExpired", BOOL))
    if sec_id:
        items += [Field("secIdType"), Field("secId")]
    return items


def contract(*items: Item, **shape: Any) -> Item:
    """`values["contract"]`: the contract fields, then any extra items inside the contract."""
    return nest("contract", [*contract_fields(**shape), *items])


#: combo legs as market-data requests write them (no openClose/shortSale fields)
SHORT_COMBO_LEGS = group(
    "comboLegs", "comboLegsCount",
    Field("conId", INT), Field("ratio", INT), Field("action"), Field("exchange"),
    when=is_bag,
)


def _has_delta_neutral_contract(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    # Decoding has read the flag by now; encoding may only have the contract itself.
    if "deltaNeutralContractPresent" in scope:
        return bool(scope["deltaNeutralContractPresent"])
    return bool(scope.get("deltaNeutralContract"))


def delta_neutral_contract(since: int = MIN_SERVER_VER_DELTA_NEUTRAL) -> Item:
    """A flag, then the delta-neutral contract when the flag is set (inside `contract`)."""
    return block(
        Field("deltaNeutralContractPresent", BOOL,
              derive=lambda m, s: bool(s.get("deltaNeutralContract"))),
        nest("deltaNeutralContract", [
            Field("conId", INT), Field("delta", FLOAT), Field("price", FLOAT),
        ], when=_has_delta_neutral_contract),
        since=since,
    )


def tag_list_text(name: str, **gate: Any) -> Field:
    """A TagValue list sent as one `tag=value;` text field (mktDataOptions, chartOptions…)."""
    return Field(name, STR, **gate)


def tag_values(name: str, count: str, **gate: Any) -> Item:
    """A TagValue list sent as a count then tag/value pairs."""
    return group(name, count, Field("tag"), Field("value"), **gate)
