"""Contract requests: each client's own encoder -> the fake's schema -> every field equal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_BOND_ISSUERID,
    MIN_SERVER_VER_SEC_DEF_OPT_PARAMS_REQ,
)
from tests.oracle.clients import TEXT_VERSIONS, View, client_versions, encode_request, mismatches
from tests.oracle.strategies import build_contract, contracts, ids, maybe_text, text

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
CONTRACT_VERSIONS = client_versions(versions=sorted(
    {*TEXT_VERSIONS, MIN_SERVER_VER_BOND_ISSUERID - 1, MIN_SERVER_VER_BOND_ISSUERID}))
CHAIN_VERSIONS = client_versions(versions=sorted(
    {v for v in TEXT_VERSIONS if v >= MIN_SERVER_VER_SEC_DEF_OPT_PARAMS_REQ}
    | {MIN_SERVER_VER_SEC_DEF_OPT_PARAMS_REQ}))


@pytest.mark.parametrize(("client", "version"), CONTRACT_VERSIONS)
@SETTINGS
@given(spec=contracts(sec_types=("STK", "OPT", "FUT", "CASH", "IND", "FOP", "BOND")),
       req_id=ids)
def test_req_contract_details(client: str, version: int, spec: dict[str, Any],
                              req_id: int) -> None:
    spec.pop("deltaNeutralContract", None)
    if version < MIN_SERVER_VER_BOND_ISSUERID:
        spec["issuerId"] = ""  # ibapi refuses an issuerId below the gate
    contract = build_contract(client, spec)
    fields = encode_request(client, version, "reqContractDetails", req_id, contract,
                            message_id=In.REQ_CONTRACT_DATA)
    values = REQUESTS[In.REQ_CONTRACT_DATA].decode(fields, version)
    assert mismatches(values, View(reqId=req_id, contract=contract), ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), CHAIN_VERSIONS)
@SETTINGS
@given(req_id=ids, symbol=text, exchange=maybe_text,
       sec_type=st.sampled_from(["STK", "IND", "FUT"]), con_id=st.one_of(st.just(0), ids))
def test_req_sec_def_opt_params(client: str, version: int, req_id: int, symbol: str,
                                exchange: str, sec_type: str, con_id: int) -> None:
    fields = encode_request(client, version, "reqSecDefOptParams", req_id, symbol, exchange,
                            sec_type, con_id, message_id=In.REQ_SEC_DEF_OPT_PARAMS)
    values = REQUESTS[In.REQ_SEC_DEF_OPT_PARAMS].decode(fields, version)
    assert mismatches(values, {
        "reqId": req_id, "underlyingSymbol": symbol, "futFopExchange": exchange,
        "underlyingSecType": sec_type, "underlyingConId": con_id,
    }) == []
