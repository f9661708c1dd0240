"""Hypothesis strategies for randomised, non-default request arguments, and builders that turn
them into each client's own objects (ibapi's classes, ib_async's and ib_insync's dataclasses)."""

from __future__ import annotations

import importlib
from typing import Any

from hypothesis import strategies as st

#: Text without NUL and without surrounding blanks (a client would send it unchanged).
text = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\0;=\\"),
    min_size=1, max_size=12,
)
maybe_text = st.one_of(st.just(""), text)
ids = st.integers(min_value=1, max_value=2**31 - 2)
small = st.integers(min_value=1, max_value=10_000)
prices = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False).map(
    lambda x: round(x, 4))
positive = st.floats(min_value=0.01, max_value=1e6, allow_nan=False).map(lambda x: round(x, 4))
SEC_TYPES = ("STK", "OPT", "FUT", "CASH", "IND", "FOP", "BOND", "CFD", "WAR", "CRYPTO", "BAG")


@st.composite
def combo_legs(draw: Any, short: bool = False) -> dict[str, Any]:
    leg = {"conId": draw(ids), "ratio": draw(small), "action": draw(st.sampled_from(
        ["BUY", "SELL", "SSHORT"])), "exchange": draw(text)}
    if not short:
        leg.update(openClose=draw(st.integers(0, 3)), shortSaleSlot=draw(st.integers(0, 2)),
                   designatedLocation=draw(maybe_text), exemptCode=draw(st.integers(-1, 99)))
    return leg


@st.composite
def contracts(draw: Any, sec_types: tuple[str, ...] = SEC_TYPES,
              short_legs: bool = True) -> dict[str, Any]:
    """A contract as a dict of IBKR attribute names (comboLegs, deltaNeutralContract too)."""
    sec_type = draw(st.sampled_from(sec_types))
    contract: dict[str, Any] = {
        "conId": draw(st.one_of(st.just(0), ids)),
        "symbol": draw(text), "secType": sec_type,
        "lastTradeDateOrContractMonth": draw(maybe_text),
        "strike": draw(st.one_of(st.just(0.0), positive)),
        "right": draw(st.sampled_from(["", "C", "P"])), "multiplier": draw(maybe_text),
        "exchange": draw(text), "primaryExchange": draw(maybe_text),
        "currency": draw(text), "localSymbol": draw(maybe_text),
        "tradingClass": draw(maybe_text), "includeExpired": draw(st.booleans()),
        "secIdType": draw(maybe_text), "secId": draw(maybe_text), "issuerId": draw(maybe_text),
    }
    if sec_type == "BAG":
        contract["comboLegs"] = draw(st.lists(combo_legs(short=short_legs), max_size=4))
    if draw(st.booleans()):
        contract["deltaNeutralContract"] = {
            "conId": draw(ids), "delta": draw(prices), "price": draw(prices)}
    return contract


def _module(client: str, name: str) -> Any:
    if client == "ibapi":
        return importlib.import_module(f"ibapi.{name}")
    return importlib.import_module(f"{client}.{name}")


def build_contract(client: str, spec: dict[str, Any]) -> Any:
    """`spec` as `client`'s Contract (with ComboLeg and DeltaNeutralContract objects)."""
    mod = _module(client, "contract")
    contract = mod.Contract()
    for name, value in spec.items():
        if name == "comboLegs":
            legs = []
            for leg_spec in value:
                leg = mod.ComboLeg()
                for k, v in leg_spec.items():
                    setattr(leg, k, v)
                legs.append(leg)
            contract.comboLegs = legs
        elif name == "deltaNeutralContract":
            dnc = mod.DeltaNeutralContract()
            for k, v in value.items():
                setattr(dnc, k, v)
            contract.deltaNeutralContract = dnc
        elif hasattr(contract, name):
            setattr(contract, name, value)
    return contract


def tag_values(client: str, pairs: list[tuple[str, str]]) -> list[Any]:
    if client == "ibapi":
        from ibapi.tag_value import TagValue
        return [TagValue(t, v) for t, v in pairs]
    mod = _module(client, "contract")
    return [mod.TagValue(t, v) for t, v in pairs]
