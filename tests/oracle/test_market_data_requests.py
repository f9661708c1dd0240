"""Market-data requests: each client's own encoder -> the fake's schema -> every field equal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from tests.oracle.clients import View, client_versions, encode_request, mismatches
from tests.oracle.strategies import build_contract, contracts, ids, text

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(spec=contracts(), req_id=ids, generic=st.one_of(st.just(""), text),
       snapshot=st.booleans(), regulatory=st.booleans())
def test_req_mkt_data(client: str, version: int, spec: dict[str, Any], req_id: int,
                      generic: str, snapshot: bool, regulatory: bool) -> None:
    contract = build_contract(client, spec)
    fields = encode_request(client, version, "reqMktData", req_id, contract, generic, snapshot,
                            regulatory, [], message_id=In.REQ_MKT_DATA)
    values = REQUESTS[In.REQ_MKT_DATA].decode(fields, version)
    expected = View(reqId=req_id, contract=contract, genericTickList=generic,
                    snapshot=snapshot, regulatorySnapshot=regulatory, mktDataOptions="")
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
def test_cancel_mkt_data(client: str, version: int) -> None:
    fields = encode_request(client, version, "cancelMktData", 77,
                            message_id=In.CANCEL_MKT_DATA)
    assert REQUESTS[In.CANCEL_MKT_DATA].decode(fields, version)["reqId"] == 77


@pytest.mark.parametrize(("client", "version"), client_versions())
@settings(max_examples=10, deadline=None)
@given(data_type=st.integers(1, 4))
def test_req_market_data_type(client: str, version: int, data_type: int) -> None:
    fields = encode_request(client, version, "reqMarketDataType", data_type,
                            message_id=In.REQ_MARKET_DATA_TYPE)
    values = REQUESTS[In.REQ_MARKET_DATA_TYPE].decode(fields, version)
    assert values == {"version": 1, "marketDataType": data_type}
