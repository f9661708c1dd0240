from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_tws.wire.fields import (
    UNSET_DOUBLE,
    UNSET_INTEGER,
    FieldError,
    FieldReader,
    encode_field,
)
from pytest_tws.wire.messages import Out


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        (True, "1"),
        (False, "0"),
        (178, "178"),
        (-1, "-1"),
        (Out.TICK_PRICE, "1"),
        (600.0, "600.0"),
        (0.05, "0.05"),
        (UNSET_DOUBLE, "1.7976931348623157E308"),
        (math.inf, "Infinite"),
        (Decimal("100"), "100"),
        ("DU1234567", "DU1234567"),
    ],
)
def test_encoding_as_real_tws_writes_it(value: object, text: str):
    assert encode_field(value) == text  # type: ignore[arg-type]


def test_ints_are_never_written_as_floats():
    assert int(encode_field(2**40)) == 2**40


def test_nul_inside_a_field_is_refused():
    with pytest.raises(ValueError):
        encode_field("a\0b")


@given(st.integers(-(2**63), 2**63))
def test_int_round_trip(value: int):
    assert FieldReader([encode_field(value)]).read_int() == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trip(value: float):
    assert FieldReader([encode_field(value)]).read_float() == value


@pytest.mark.parametrize("spelling", ["", "1.7976931348623157E308", "1.7976931348623157e+308"])
def test_every_clients_unset_double_reads_as_unset(spelling: str):
    assert FieldReader([spelling]).read_optional_float() is None


@pytest.mark.parametrize("spelling", ["", str(UNSET_INTEGER)])
def test_every_clients_unset_int_reads_as_unset(spelling: str):
    assert FieldReader([spelling]).read_optional_int() is None


@pytest.mark.parametrize("spelling, value", [("0.0", 0), ("", 0), ("7", 7), ("3.0", 3)])
def test_ints_in_any_clients_spelling(spelling: str, value: int):
    assert FieldReader([spelling]).read_int() == value


@pytest.mark.parametrize(
    "spelling, value", [("", False), ("0", False), ("1", True), ("true", True)]
)
def test_booleans(spelling: str, value: bool):
    assert FieldReader([spelling]).read_bool() is value


def test_errors_name_the_field():
    reader = FieldReader(["9", "abc"], start=1)
    with pytest.raises(FieldError, match=r"field 1 \(reqId\) = 'abc'"):
        reader.read_int("reqId")


def test_a_short_message_is_a_field_error():
    with pytest.raises(FieldError, match="too short"):
        FieldReader([]).read_str("symbol")
