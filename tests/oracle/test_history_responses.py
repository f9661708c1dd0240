"""Historical bars: the fake's encoding -> each client's own decoder -> what the fake meant."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.fake import market_layouts as ml
from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas import RESPONSES
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_HISTORICAL_DATA_END,
    MIN_SERVER_VER_REQ_HEAD_TIMESTAMP,
    MIN_SERVER_VER_SYNT_REALTIME_BARS,
)
from tests.oracle.clients import TEXT_VERSIONS, Call, client_versions, decode_response
from tests.oracle.strategies import ids, positive

GATES = (MIN_SERVER_VER_SYNT_REALTIME_BARS, MIN_SERVER_VER_HISTORICAL_DATA_END)
VERSIONS = client_versions(versions=sorted({*TEXT_VERSIONS, *GATES, *(g - 1 for g in GATES)}))
SETTINGS = settings(max_examples=10, deadline=None)
#: ib_async and ib_insync call the bar's wap "average"
WAP = {"ibapi": "wap", "ib_async": "average", "ib_insync": "average"}
stamps = st.sampled_from(["20260105", "20260105 09:30:00 US/Eastern", "1767623400"])


@st.composite
def bars(draw: Any) -> ml.Bar:
    return ml.Bar(time=draw(stamps), open=draw(positive), high=draw(positive),
                  low=draw(positive), close=draw(positive),
                  volume=draw(st.integers(0, 10**9)), wap=draw(positive),
                  count=draw(st.integers(0, 10**6)))


def _decode(client: str, version: int, message: Message) -> list[Call]:
    return decode_response(client, version, encode_fields(message.fields(version)))


def _same_bar(client: str, got: Any, bar: ml.Bar) -> None:
    assert (got.date, got.open, got.high, got.low, got.close) == (
        bar.time, bar.open, bar.high, bar.low, bar.close)
    assert float(got.volume) == bar.volume
    assert float(getattr(got, WAP[client])) == pytest.approx(bar.wap, rel=1e-12)
    assert got.barCount == bar.count


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(req_id=ids, start=stamps, end=stamps, history=st.lists(bars(), max_size=5))
def test_historical_data(client: str, version: int, req_id: int, start: str, end: str,
                         history: list[ml.Bar]) -> None:
    calls = _decode(client, version, ml.historical_data(req_id, start, end, history))
    if version >= MIN_SERVER_VER_HISTORICAL_DATA_END:
        # the dates moved to historicalDataEnd, which the fake sends after the bars
        (done,) = _decode(client, version, ml.historical_data_end(req_id, start, end))
        calls.append(done)
    *bar_calls, done = calls
    assert [c.name for c in bar_calls] == ["historicalData"] * len(history)
    for call, bar in zip(bar_calls, history, strict=True):
        assert call.args[0] == req_id
        _same_bar(client, call.args[1], bar)
    assert (done.name, done.args) == ("historicalDataEnd", (req_id, start, end))


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(req_id=ids, bar=bars())
def test_historical_data_update(client: str, version: int, req_id: int, bar: ml.Bar) -> None:
    message = Message(RESPONSES[Out.HISTORICAL_DATA_UPDATE], {"reqId": req_id, "bar": {
        "barCount": bar.count, "date": bar.time, "open": bar.open, "close": bar.close,
        "high": bar.high, "low": bar.low, "wap": bar.wap, "volume": bar.volume}})
    (call,) = _decode(client, version, message)
    assert call.name == "historicalDataUpdate" and call.args[0] == req_id
    _same_bar(client, call.args[1], bar)


@pytest.mark.parametrize(("client", "version"), client_versions(versions=sorted(
    {*TEXT_VERSIONS, MIN_SERVER_VER_REQ_HEAD_TIMESTAMP})))
@SETTINGS
@given(req_id=ids, stamp=st.sampled_from(["19801212-14:30:00", "728317800", "20040102-14:30:00"]))
def test_head_timestamp(client: str, version: int, req_id: int, stamp: str) -> None:
    message = Message(RESPONSES[Out.HEAD_TIMESTAMP], {"reqId": req_id, "headTimestamp": stamp})
    (call,) = _decode(client, version, message)
    assert (call.name, call.args) == ("headTimestamp", (req_id, stamp))
