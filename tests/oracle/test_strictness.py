"""A field the fake does not understand fails the oracle tests: decoding is strict both ways.

For every request of these areas, the field list ibapi writes, with one field more or one
fewer, does not decode; for every response, ibapi's decoder given the fake's encoding with
one field more does not accept it. So a layout that is one field off cannot pass silently.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pytest_tws.fake import layouts
from pytest_tws.fake import market_layouts as ml
from pytest_tws.fake.ticks import TickType
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.options import OptionComputation
from pytest_tws.wire.fields import FieldError, encode_fields
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas import REQUESTS
from tests.oracle.clients import available, decode_response, encode_request
from tests.oracle.strategies import build_contract

pytestmark = pytest.mark.skipif(not available("ibapi"), reason="ibapi not installed")
VERSIONS = (151, 178, 200)
STOCK = {"symbol": "SPY", "secType": "STK", "exchange": "SMART", "currency": "USD"}
SPEC = ContractSpec(con_id=756733, symbol="SPY", sec_type="STK", primary_exchange="ARCA")


def _requests() -> list[tuple[In, str, tuple[Any, ...]]]:
    contract = build_contract("ibapi", STOCK)
    return [
        (In.START_API, "startApi", ()), (In.REQ_IDS, "reqIds", (1,)),
        (In.REQ_CURRENT_TIME, "reqCurrentTime", ()),
        (In.REQ_MANAGED_ACCTS, "reqManagedAccts", ()),
        (In.REQ_MARKET_DATA_TYPE, "reqMarketDataType", (3,)),
        (In.REQ_CONTRACT_DATA, "reqContractDetails", (5, contract)),
        (In.REQ_SEC_DEF_OPT_PARAMS, "reqSecDefOptParams", (5, "SPY", "", "STK", 756733)),
        (In.REQ_HISTORICAL_DATA, "reqHistoricalData",
         (5, contract, "", "1 D", "1 min", "TRADES", 1, 1, False, [])),
        (In.CANCEL_HISTORICAL_DATA, "cancelHistoricalData", (5,)),
        (In.REQ_POSITIONS, "reqPositions", ()), (In.CANCEL_POSITIONS, "cancelPositions", ()),
        (In.REQ_ACCT_DATA, "reqAccountUpdates", (True, "DU1")),
        (In.REQ_ACCOUNT_UPDATES_MULTI, "reqAccountUpdatesMulti", (5, "DU1", "", True)),
        (In.CANCEL_ACCOUNT_UPDATES_MULTI, "cancelAccountUpdatesMulti", (5,)),
        (In.REQ_ACCOUNT_SUMMARY, "reqAccountSummary", (5, "All", "NetLiquidation")),
        (In.CANCEL_ACCOUNT_SUMMARY, "cancelAccountSummary", (5,)),
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_requests_one_field_off_do_not_decode(version: int) -> None:
    for message_id, method, args in _requests():
        fields = encode_request("ibapi", version, method, *args, message_id=message_id,
                                attrs={"clientId": 3, "optCapab": ""})
        schema = REQUESTS[message_id]
        schema.decode(fields, version)  # as sent: fits
        with pytest.raises(FieldError):
            schema.decode([*fields, "1"], version)
        with pytest.raises(FieldError):
            schema.decode(fields[:-1], version)


def _responses(version: int) -> list[Any]:
    c = OptionComputation(TickType.MODEL_OPTION, 0.2, 0.5, 1.5, 0.0, 0.01, 0.1, -0.05, 100.0)
    return [
        layouts.managed_accounts(["DU1"]), layouts.next_valid_id(1), layouts.current_time(1),
        layouts.contract_data(1, SPEC, date(2026, 1, 5)),
        layouts.contract_data_end(1),
        layouts.option_parameters(1, "SMART", 1, "SPY", "100", ["20260116"], [500.0]),
        layouts.option_parameters_end(1),
        layouts.position("DU1", SPEC, 10, 500.0), layouts.position_end(),
        layouts.account_value("NetLiquidation", "1", "USD", "DU1"),
        layouts.portfolio_value(SPEC, 10, 1.0, 10.0, 1.0, 0.0, 0.0, "DU1"),
        layouts.account_update_time("09:30"), layouts.account_download_end("DU1"),
        layouts.account_update_multi(1, "DU1", "", "k", "v", "USD"),
        layouts.account_update_multi_end(1),
        layouts.account_summary(1, "DU1", "k", "v", "USD"), layouts.account_summary_end(1),
        ml.tick_price(1, 1, 1.5, 3, version), ml.tick_size(1, 0, 3, version),
        ml.tick_generic(1, 49, 0.0, version), ml.tick_string(1, 45, "1", version),
        ml.tick_option_computation(1, 13, c, version),
        ml.tick_req_params(1, 0.01, "9c0001", 3), ml.market_data_type(1, 1),
        ml.tick_snapshot_end(1),
        ml.historical_data(1, "a", "b", [ml.Bar("20260105", 1, 2, 0.5, 1.5, 100, 1.2, 7)]),
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_responses_with_a_field_more_are_refused(version: int) -> None:
    for message in _responses(version):
        fields = (encode_fields(message.fields(version)) if isinstance(message, Message)
                  else message.fields)
        decode_response("ibapi", version, fields)  # as the fake sends it: accepted
        with pytest.raises(AssertionError):
            decode_response("ibapi", version, [*fields, "1"])
