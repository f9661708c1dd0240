"""Historical-data requests: each client's own encoder -> the fake's schema -> every field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_CANCEL_HEADTIMESTAMP,
    MIN_SERVER_VER_REQ_HEAD_TIMESTAMP,
    MIN_SERVER_VER_SYNT_REALTIME_BARS,
)
from tests.oracle.clients import TEXT_VERSIONS, View, client_versions, encode_request, mismatches
from tests.oracle.strategies import build_contract, contracts, ids, tag_values, text

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
VERSIONS = client_versions(versions=sorted(
    {*TEXT_VERSIONS, MIN_SERVER_VER_SYNT_REALTIME_BARS - 1, MIN_SERVER_VER_SYNT_REALTIME_BARS}))
#: what to show, without SCHEDULE (ibapi refuses it below MIN_SERVER_VER_HISTORICAL_SCHEDULE)
WHAT_TO_SHOW = st.sampled_from(["TRADES", "MIDPOINT", "BID", "ASK", "BID_ASK",
                                "HISTORICAL_VOLATILITY", "OPTION_IMPLIED_VOLATILITY"])


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(spec=contracts(), req_id=ids, end=st.sampled_from(["", "20260105 16:00:00 US/Eastern",
                                                          "20260105-21:00:00"]),
       duration=st.sampled_from(["1 D", "30 S", "2 W"]), bar=st.sampled_from(["1 min", "1 day"]),
       what=WHAT_TO_SHOW, use_rth=st.booleans(), format_date=st.sampled_from([1, 2]),
       keep_up=st.booleans(), options=st.lists(st.tuples(text, text), max_size=2))
def test_req_historical_data(client: str, version: int, spec: dict[str, Any], req_id: int,
                             end: str, duration: str, bar: str, what: str, use_rth: bool,
                             format_date: int, keep_up: bool,
                             options: list[tuple[str, str]]) -> None:
    spec.pop("deltaNeutralContract", None)
    contract = build_contract(client, spec)
    fields = encode_request(client, version, "reqHistoricalData", req_id, contract, end,
                            duration, bar, what, use_rth, format_date, keep_up,
                            tag_values(client, options), message_id=In.REQ_HISTORICAL_DATA)
    values = REQUESTS[In.REQ_HISTORICAL_DATA].decode(fields, version)
    expected = View(reqId=req_id, contract=contract, endDateTime=end, durationStr=duration,
                    barSizeSetting=bar, whatToShow=what, useRTH=use_rth, formatDate=format_date,
                    keepUpToDate=keep_up,
                    chartOptions="".join(f"{t}={v};" for t, v in options))
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
def test_cancel_historical_data(client: str, version: int) -> None:
    fields = encode_request(client, version, "cancelHistoricalData", 31,
                            message_id=In.CANCEL_HISTORICAL_DATA)
    assert REQUESTS[In.CANCEL_HISTORICAL_DATA].decode(fields, version) == {
        "version": 1, "reqId": 31}


HEAD_VERSIONS = client_versions(versions=sorted(
    {v for v in TEXT_VERSIONS if v >= MIN_SERVER_VER_REQ_HEAD_TIMESTAMP}
    | {MIN_SERVER_VER_REQ_HEAD_TIMESTAMP, MIN_SERVER_VER_CANCEL_HEADTIMESTAMP}))


@pytest.mark.parametrize(("client", "version"), HEAD_VERSIONS)
@SETTINGS
@given(spec=contracts(), req_id=ids, what=WHAT_TO_SHOW, use_rth=st.booleans(),
       format_date=st.sampled_from([1, 2]))
def test_req_head_timestamp(client: str, version: int, spec: dict[str, Any], req_id: int,
                            what: str, use_rth: bool, format_date: int) -> None:
    spec.pop("deltaNeutralContract", None)
    contract = build_contract(client, spec)
    fields = encode_request(client, version, "reqHeadTimeStamp", req_id, contract, what,
                            use_rth, format_date, message_id=In.REQ_HEAD_TIMESTAMP)
    values = REQUESTS[In.REQ_HEAD_TIMESTAMP].decode(fields, version)
    expected = View(reqId=req_id, contract=contract, whatToShow=what, useRTH=use_rth,
                    formatDate=format_date)
    assert mismatches(values, expected) == []


@pytest.mark.parametrize(("client", "version"), client_versions(versions=sorted(
    {v for v in TEXT_VERSIONS if v >= MIN_SERVER_VER_CANCEL_HEADTIMESTAMP}
    | {MIN_SERVER_VER_CANCEL_HEADTIMESTAMP})))
def test_cancel_head_timestamp(client: str, version: int) -> None:
    fields = encode_request(client, version, "cancelHeadTimeStamp", 77,
                            message_id=In.CANCEL_HEAD_TIMESTAMP)
    assert REQUESTS[In.CANCEL_HEAD_TIMESTAMP].decode(fields, version) == {"reqId": 77}
