"""Ticks and the other market-data answers: the fake's payloads -> each client's decoder.

Ticks go out as payload text built per version from their schemas (market_layouts); these
tests feed exactly that text to ibapi's, ib_async's and ib_insync's decoders.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.fake import market_layouts as ml
from pytest_tws.fake.layouts import Payload
from pytest_tws.fake.ticks import TickType
from pytest_tws.model.options import OptionComputation
from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.schema import Message
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT,
    MIN_SERVER_VER_PRICE_BASED_VOLATILITY,
)
from tests.oracle.clients import TEXT_VERSIONS, Call, client_versions, decode_response
from tests.oracle.strategies import ids, positive, prices

GATES = (MIN_SERVER_VER_PRICE_BASED_VOLATILITY, MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT)
VERSIONS = client_versions(versions=sorted({*TEXT_VERSIONS, *GATES, *(g - 1 for g in GATES)}))
SETTINGS = settings(max_examples=10, deadline=None)
SIZED = {TickType.BID: TickType.BID_SIZE, TickType.ASK: TickType.ASK_SIZE,
         TickType.LAST: TickType.LAST_SIZE, 66: 69, 67: 70, 68: 71}
sizes = st.integers(0, 10**7)


def _decode(client: str, version: int, message: Payload | Message) -> list[Call]:
    if isinstance(message, Payload):
        fields = message.fields
    else:
        fields = encode_fields(message.fields(version))
    return decode_response(client, version, fields)


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(req_id=ids, tick_type=st.sampled_from([1, 2, 4, 6, 7, 9, 14, 66, 67, 68, 72]),
       price=positive, size=sizes)
def test_tick_price(client: str, version: int, req_id: int, tick_type: int, price: float,
                    size: int) -> None:
    calls = _decode(client, version, ml.tick_price(req_id, tick_type, price, size, version))
    if client == "ibapi":
        first, *rest = calls
        assert first.name == "tickPrice" and first.args[:3] == (req_id, tick_type, price)
        attrib = first.args[3]
        assert not (attrib.canAutoExecute or attrib.pastLimit or attrib.preOpen)
        if tick_type in SIZED:
            (size_call,) = rest
            assert size_call.args == (req_id, SIZED[tick_type], size)
        else:
            assert rest == []
    else:
        (call,) = calls
        assert (call.name, call.args) == ("priceSizeTick", (req_id, tick_type, price, size))


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(req_id=ids, tick_type=st.sampled_from([0, 3, 5, 8, 21, 27, 29, 69, 74]), size=sizes)
def test_tick_size(client: str, version: int, req_id: int, tick_type: int, size: int) -> None:
    (call,) = _decode(client, version, ml.tick_size(req_id, tick_type, size, version))
    assert call.name == "tickSize" and call.args[:2] == (req_id, tick_type)
    assert float(call.args[2]) == size


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(req_id=ids, tick_type=st.sampled_from([23, 24, 46, 49, 90]), value=prices,
       stamp=st.integers(0, 2**33).map(str))
def test_tick_generic_and_string(client: str, version: int, req_id: int, tick_type: int,
                                 value: float, stamp: str) -> None:
    (call,) = _decode(client, version, ml.tick_generic(req_id, tick_type, value, version))
    assert (call.name, call.args) == ("tickGeneric", (req_id, tick_type, value))
    (call,) = _decode(client, version, ml.tick_string(req_id, 45, stamp, version))
    assert (call.name, call.args) == ("tickString", (req_id, 45, stamp))


maybe = st.one_of(st.none(), positive)


@st.composite
def computations(draw: Any) -> OptionComputation:
    return OptionComputation(
        tick_type=TickType.MODEL_OPTION, implied_vol=draw(maybe),
        delta=draw(st.one_of(st.none(), st.floats(-1, 1))),
        opt_price=draw(maybe), pv_dividend=draw(maybe), gamma=draw(maybe), vega=draw(maybe),
        # -2 is TWS's "not computed" marker: a theta of exactly -2.0 cannot be sent (ibapi
        # reads it back as None), so the strategy leaves it out.
        theta=draw(st.one_of(st.none(), prices.filter(lambda x: x != ml.NO_GREEK))),
        und_price=draw(maybe),
    )


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(req_id=ids, tick_type=st.sampled_from([10, 11, 12, 13, 80, 83]), c=computations())
def test_tick_option_computation(client: str, version: int, req_id: int, tick_type: int,
                                 c: OptionComputation) -> None:
    (call,) = _decode(client, version, ml.tick_option_computation(req_id, tick_type, c, version))
    assert call.name == "tickOptionComputation"
    got_id, got_type, attrib, *numbers = call.args
    assert (got_id, got_type) == (req_id, tick_type)
    meant = [c.implied_vol, c.delta, c.opt_price, c.pv_dividend, c.gamma, c.vega, c.theta,
             c.und_price]
    sentinels = [ml.NO_VOL, ml.NO_GREEK, ml.NO_PRICE, ml.NO_PRICE, ml.NO_GREEK, ml.NO_GREEK,
                 ml.NO_GREEK, ml.NO_PRICE]
    if client == "ibapi":
        # ibapi reads tickAttrib from MIN_SERVER_VER_PRICE_BASED_VOLATILITY, and turns the
        # "not computed" markers into None
        assert attrib == (None if version < MIN_SERVER_VER_PRICE_BASED_VOLATILITY
                          else ml.RETURN_BASED)
        assert numbers == meant
    else:
        assert attrib == ml.RETURN_BASED
        assert numbers == [s if m is None else m for m, s in zip(meant, sentinels, strict=True)]


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(req_id=ids, min_tick=positive, exchange=st.sampled_from(["9c0001", "a60001", ""]),
       permissions=st.integers(0, 3), data_type=st.integers(1, 4))
def test_market_data_answers(client: str, version: int, req_id: int, min_tick: float,
                             exchange: str, permissions: int, data_type: int) -> None:
    (call,) = _decode(client, version, ml.tick_req_params(req_id, min_tick, exchange,
                                                         permissions))
    assert (call.name, call.args) == ("tickReqParams", (req_id, min_tick, exchange, permissions))
    (call,) = _decode(client, version, ml.market_data_type(req_id, data_type))
    assert (call.name, call.args) == ("marketDataType", (req_id, data_type))
    (call,) = _decode(client, version, ml.tick_snapshot_end(req_id))
    assert (call.name, call.args) == ("tickSnapshotEnd", (req_id,))


@pytest.mark.parametrize("version", sorted({*TEXT_VERSIONS, *GATES, *(g - 1 for g in GATES)}))
def test_readdressed_ticks_keep_their_layout(version: int) -> None:
    """Lines of one contract share their ticks: readdressing changes the request id only."""
    c = OptionComputation(TickType.MODEL_OPTION, 0.2, 0.5, 1.5, 0.0, 0.01, 0.1, -0.05, 100.0)
    for payload in (ml.tick_price(1, 1, 10.5, 3, version), ml.tick_size(1, 0, 7, version),
                    ml.tick_generic(1, 49, 0.0, version), ml.tick_string(1, 45, "17", version),
                    ml.tick_option_computation(1, 13, c, version)):
        moved = ml.readdress(payload, 4242, version)
        fresh_fields = payload.fields
        index = fresh_fields.index("1", 1)
        fresh_fields[index] = "4242"
        assert moved.fields == fresh_fields
