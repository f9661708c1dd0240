"""reqMktData / cancelMktData through ibapi's encoder at the protobuf versions: text up to 200,
binary id + text from 201, protobuf from MIN_SERVER_VER_PROTOBUF_MARKET_DATA (206); the fake's
schema values are the same whichever way the request came."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tws.wire.messages import In
from tests.oracle.clients import View, mismatches
from tests.oracle.protobuf_oracle import (
    expected_kind,
    fake_values,
    frame_kind,
    needs_protobuf,
    versions,
)
from tests.oracle.strategies import build_contract, contracts, ids, text

pytestmark = needs_protobuf
SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
#: protobuf sends the multiplier as a double (ibapi client_utils.createContractProto)
numeric = st.sampled_from(["", "1", "100", "0.5", "1000"])


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(spec=contracts(), multiplier=numeric, req_id=ids,
       generic=st.one_of(st.just(""), text), snapshot=st.booleans(), regulatory=st.booleans(),
       options=st.dictionaries(text, text, max_size=3))
def test_req_mkt_data(client: str, version: int, spec: dict[str, Any], multiplier: str, req_id: int,
                      generic: str, snapshot: bool, regulatory: bool,
                      options: dict[str, str]) -> None:
    from ibapi.tag_value import TagValue

    spec["multiplier"] = multiplier
    contract = build_contract("ibapi", spec)
    kind = expected_kind(version, In.REQ_MKT_DATA)
    # ibapi's text reqMktData refuses options ("internal use only"); its protobuf sends a map
    tags = [TagValue(k, v) for k, v in options.items()] if kind == "protobuf" else []
    values, frame = fake_values(version, In.REQ_MKT_DATA, "reqMktData", req_id, contract,
                                generic, snapshot, regulatory, tags)
    assert frame_kind(version, frame) == kind
    expected = View(reqId=req_id, contract=contract, genericTickList=generic,
                    snapshot=snapshot, regulatorySnapshot=regulatory)
    assert mismatches(values, expected, ignore={"version", "mktDataOptions"}) == []
    # a proto map has no order: the same tag=value; pairs, in some order
    pairs = [p.split("=", 1) for p in values["mktDataOptions"].split(";") if p]
    assert dict(pairs) == {t.tag: t.value for t in tags}


@pytest.mark.parametrize(("client", "version"), versions())
def test_cancel_mkt_data(client: str, version: int) -> None:
    values, frame = fake_values(version, In.CANCEL_MKT_DATA, "cancelMktData", 77)
    assert frame_kind(version, frame) == expected_kind(version, In.CANCEL_MKT_DATA)
    assert values["reqId"] == 77
