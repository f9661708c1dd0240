"""The schema DSL itself: gates, groups, nests, switches, strictness, encoding defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pytest_tws.wire.fields import UNSET_DOUBLE_TEXT, FieldError, encode_fields
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    OPT_FLOAT,
    OPT_INT,
    Field,
    Message,
    Schema,
    block,
    group,
    nest,
    switch,
)

OLD, GATE, NEW = 150, 160, 170

DEMO = Schema(
    In.REQ_MKT_DATA,
    Field("version", INT, until=GATE),
    Field("reqId", INT),
    nest("contract", [Field("symbol"), Field("tradingClass", since=GATE)]),
    Field("size", DECIMAL),
    group("legs", "legCount", Field("conId", INT), Field("ratio", INT)),
    block(Field("price", OPT_FLOAT), Field("flag", BOOL),
          when=lambda m, s: m["contract"]["symbol"] == "BAG"),
    nest("contract", [Field("exchange")]),
    Field("kind", INT),
    switch("kind", {1: [Field("a")], 2: [Field("b", OPT_INT), Field("c", FLOAT)]}),
    req_id="reqId",
)


def test_gates_decide_which_fields_a_version_has() -> None:
    old = DEMO.decode(["1", "9", "42", "SPY", "", "0", "ARCA", "1", "x"], OLD)
    new = DEMO.decode(["1", "42", "SPY", "SPYW", "1.5", "0", "ARCA", "1", "x"], NEW)
    assert old["version"] == 9 and "tradingClass" not in old["contract"]
    assert new["contract"] == {"symbol": "SPY", "tradingClass": "SPYW", "exchange": "ARCA"}
    assert new["size"] == Decimal("1.5") and old["size"] is None
    assert DEMO.request_id(new) == 42


def test_a_second_nest_of_a_name_adds_to_the_same_object() -> None:
    values = DEMO.decode(["1", "42", "SPY", "", "", "0", "ARCA", "1", "x"], NEW)
    assert values["contract"]["exchange"] == "ARCA"


def test_groups_conditional_blocks_and_switches() -> None:
    fields = ["1", "7", "BAG", "", "3", "2", "11", "1", "12", "2", "", "1", "SMART", "2",
              "2147483647", "0.5"]
    values = DEMO.decode(fields, NEW)
    assert values["legs"] == [{"conId": 11, "ratio": 1}, {"conId": 12, "ratio": 2}]
    assert values["price"] is None and values["flag"] is True
    assert (values["b"], values["c"]) == (None, 0.5)


@pytest.mark.parametrize("fields", [
    ["1", "42", "SPY", "", "", "0", "ARCA", "1", "x", "extra"],  # one too many
    ["1", "42", "SPY", "", "", "0", "ARCA", "1"],  # one too few
    ["1", "42", "SPY", "", "", "0", "ARCA", "3", "x"],  # no such case
    ["1", "42", "SPY", "", "", "9", "ARCA", "1", "x"],  # a count past the end
])
def test_decoding_is_strict(fields: list[str]) -> None:
    with pytest.raises(FieldError) as caught:
        DEMO.decode(fields, NEW)
    assert caught.value.partial["reqId"] == 42  # type: ignore[attr-defined]


def test_a_wrong_type_names_the_field() -> None:
    with pytest.raises(FieldError, match=r"reqId"):
        DEMO.decode(["1", "forty-two", "SPY", "", "", "0", "ARCA", "1", "x"], NEW)


RESPONSE = Schema(
    Out.TICK_PRICE,
    Field("version", INT, const=6),
    Field("reqId", INT),
    Field("price", OPT_FLOAT),
    Field("count", OPT_INT),
    Field("size", DECIMAL),
    Field("note", since=GATE),
    Field("present", BOOL, derive=lambda m, s: "thing" in s),
)


def test_encoding_writes_defaults_constants_and_tws_unset_spellings() -> None:
    assert encode_fields(RESPONSE.encode({"reqId": 3, "size": 2.0}, OLD)) == [
        "1", "6", "3", UNSET_DOUBLE_TEXT, "2147483647", "2", "0"]
    assert encode_fields(Message(RESPONSE, {"reqId": 3, "size": Decimal("0.50"),
                                            "note": "n", "thing": 1}).fields(NEW)) == [
        "1", "6", "3", UNSET_DOUBLE_TEXT, "2147483647", "0.5", "n", "1"]


def test_encode_then_decode_is_the_identity_at_every_version() -> None:
    values = {"reqId": 7, "contract": {"symbol": "BAG", "tradingClass": "T", "exchange": "X"},
              "size": Decimal("3"), "legs": [{"conId": 1, "ratio": 2}], "price": 1.25,
              "flag": True, "kind": 2, "b": 5, "c": -0.5}
    for version in (OLD, NEW):
        text = encode_fields(DEMO.encode(values, version))
        decoded = DEMO.decode(text, version)
        decoded.pop("version", None)
        if version < GATE:
            decoded["contract"]["tradingClass"] = "T"
        assert decoded == values


def test_field_names_list_every_branch() -> None:
    names = DEMO.field_names(NEW)
    assert names[:4] == ["reqId", "contract.symbol", "contract.tradingClass", "size"]
    assert "legs[].conId" in names and "a" in names and "b" in names
