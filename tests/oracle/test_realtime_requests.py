"""Real-time-bar requests: each client's own encoder -> the fake's schema -> every field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from tests.oracle.clients import View, client_versions, encode_request, mismatches
from tests.oracle.strategies import build_contract, contracts, ids, tag_values, text

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(spec=contracts(), req_id=ids, bar_size=st.integers(1, 60),
       what=st.sampled_from(["TRADES", "MIDPOINT", "BID", "ASK"]), use_rth=st.booleans(),
       options=st.lists(st.tuples(text, text), max_size=2))
def test_req_real_time_bars(client: str, version: int, spec: dict[str, Any], req_id: int,
                            bar_size: int, what: str, use_rth: bool,
                            options: list[tuple[str, str]]) -> None:
    spec.pop("deltaNeutralContract", None)
    contract = build_contract(client, spec)
    fields = encode_request(client, version, "reqRealTimeBars", req_id, contract, bar_size,
                            what, use_rth, tag_values(client, options),
                            message_id=In.REQ_REAL_TIME_BARS)
    values = REQUESTS[In.REQ_REAL_TIME_BARS].decode(fields, version)
    expected = View(reqId=req_id, contract=contract, barSize=bar_size, whatToShow=what,
                    useRTH=use_rth, realTimeBarsOptions="".join(f"{t}={v};" for t, v in options))
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
def test_cancel_real_time_bars(client: str, version: int) -> None:
    fields = encode_request(client, version, "cancelRealTimeBars", 52,
                            message_id=In.CANCEL_REAL_TIME_BARS)
    assert REQUESTS[In.CANCEL_REAL_TIME_BARS].decode(fields, version) == {
        "version": 1, "reqId": 52}
