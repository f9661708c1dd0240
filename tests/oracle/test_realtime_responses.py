"""Real-time bars: the fake's encoding -> each client's own decoder -> what the fake meant."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas import RESPONSES
from tests.oracle.clients import client_versions, decode_response
from tests.oracle.strategies import ids, positive

SETTINGS = settings(max_examples=10, deadline=None)


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(req_id=ids, start=st.integers(1_600_000_000, 1_900_000_000), open_=positive,
       high=positive, low=positive, close=positive,
       volume=st.one_of(st.just(-1), st.integers(0, 10**9)), wap=positive,
       count=st.integers(-1, 10**6))
def test_real_time_bar(client: str, version: int, req_id: int, start: int, open_: float,
                       high: float, low: float, close: float, volume: int, wap: float,
                       count: int) -> None:
    values = {"reqId": req_id, "time": start, "open": open_, "high": high, "low": low,
              "close": close, "volume": volume, "wap": wap, "count": count}
    message = Message(RESPONSES[Out.REAL_TIME_BARS], values)
    (call,) = decode_response(client, version, encode_fields(message.fields(version)))
    assert call.name == "realtimeBar" and call.args[0] == req_id
    got = call.args[1:]
    assert got[:5] == (start, open_, high, low, close)
    assert float(got[5]) == volume and float(got[6]) == pytest.approx(wap, rel=1e-12)
    assert got[7] == count
