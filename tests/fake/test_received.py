"""`fake_tws.requests()` and `assert_received()`: asking the fake what it received."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS
from pytest_tws.fake.describe import describe_request
from pytest_tws.fake.names import resolve_request
from pytest_tws.wire.messages import In

WAIT = 5.0




async def test_a_placed_order_is_received_with_ibkr_field_names(
    ib: IB, fake_tws: FakeTWS
) -> None:
    fake_tws.orders.set_fill_policy("manual")
    trade = ib.placeOrder(Stock("SPY", "SMART", "USD"), LimitOrder("BUY", 3, 450.5))
    await asyncio.wait_for(fake_tws_until(fake_tws, "PLACE_ORDER"), WAIT)
    (placed,) = fake_tws.requests("PLACE_ORDER")
    assert placed.name == "PLACE_ORDER"
    assert placed.client_id == ib.client.clientId
    assert placed.server_version == 178
    assert placed.fields["orderId"] == trade.order.orderId
    assert placed.fields["action"] == "BUY"
    assert placed.fields["totalQuantity"] == 3
    assert placed.fields["orderType"] == "LMT"
    assert placed.fields["lmtPrice"] == 450.5
    assert placed.fields["contract"]["symbol"] == "SPY"
    assert placed.fields["contract"]["secType"] == "STK"
    assert fake_tws.requests("placeOrder") == [placed]  # the API name is an alias
    assert fake_tws.requests("placeOrder", client_id=ib.client.clientId + 1) == []
    assert fake_tws.assert_received("placeOrder", action="BUY", lmtPrice=450.5) == placed
    assert fake_tws.assert_received("PLACE_ORDER", symbol="SPY", contract={"secType": "STK"})


async def fake_tws_until(tws: FakeTWS, name: str) -> None:
    while not tws.requests(name):
        await asyncio.sleep(0.005)


async def test_assert_received_shows_the_closest_request(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.orders.set_fill_policy("manual")
    ib.placeOrder(Stock("SPY", "SMART", "USD"), LimitOrder("BUY", 1, 450.0))
    ib.placeOrder(Stock("SPY", "SMART", "USD"), LimitOrder("SELL", 2, 460.0))
    while len(fake_tws.requests("placeOrder")) < 2:
        await asyncio.sleep(0.005)
    with pytest.raises(AssertionError) as failed:
        fake_tws.assert_received("placeOrder", action="SELL", lmtPrice=461.0)
    text = str(failed.value)
    assert "no PLACE_ORDER request with action='SELL', lmtPrice=461.0 was received" in text
    assert "2 PLACE_ORDER received, the closest:" in text
    assert "lmtPrice: expected 461.0, got 460.0" in text
    assert "action: expected" not in text  # the closest one is the SELL


async def test_assert_received_of_a_request_never_sent_lists_what_was(
    ib: IB, fake_tws: FakeTWS
) -> None:
    with pytest.raises(AssertionError, match=r"received no REQ_MKT_DATA at all .*START_API"):
        fake_tws.assert_received("reqTickers", symbol="SPY")


async def test_market_data_and_contract_requests(ib: IB, fake_tws: FakeTWS) -> None:
    spy = Stock("SPY", "SMART", "USD")
    await asyncio.wait_for(ib.qualifyContractsAsync(spy), WAIT)
    ib.reqMktData(spy, "233", snapshot=False)
    await asyncio.wait_for(fake_tws_until(fake_tws, "reqMktData"), WAIT)
    (details,) = fake_tws.requests("qualifyContracts")
    assert details.name == "REQ_CONTRACT_DATA"
    assert details.fields["contract"]["symbol"] == "SPY"
    assert details.fields["contract"]["exchange"] == "SMART"
    (line,) = fake_tws.requests("reqMktData")
    assert line.fields["contract"]["conId"] == spy.conId
    assert line.fields["genericTickList"] == "233"
    assert line.fields["snapshot"] is False
    assert fake_tws.assert_received("REQ_MKT_DATA", symbol="SPY", genericTickList="233")
    assert line.time.tzinfo is not None


async def test_requests_are_this_tests_only(fake_tws: FakeTWS) -> None:
    assert fake_tws.requests() == []


async def test_start_api_is_the_clients_own_request(ib: IB, fake_tws: FakeTWS) -> None:
    mine = fake_tws.requests(client_id=ib.client.clientId)
    assert mine[0].name == "START_API"
    assert mine[0].fields["clientId"] == ib.client.clientId
    assert {r.client_id for r in fake_tws.requests()} == {ib.client.clientId}


def test_unknown_names_list_the_valid_spellings(fake_tws: FakeTWS) -> None:
    for control in (fake_tws.requests, fake_tws.ignore_next, fake_tws.faults.ignore_next):
        with pytest.raises(ValueError, match=r"did you mean 'qualifyContracts'.*PLACE_ORDER"):
            control("qualifyContract")
    with pytest.raises(ValueError, match="Valid spellings"):
        fake_tws.fail_next("placeOrdr", 201, "x")


@pytest.mark.parametrize(("name", "message"), [
    ("qualifyContractsAsync", In.REQ_CONTRACT_DATA), ("reqTickers", In.REQ_MKT_DATA),
    ("whatIfOrder", In.PLACE_ORDER), ("reqPnL", In.REQ_PNL), ("PLACE_ORDER", In.PLACE_ORDER),
    ("reqHistoricalDataAsync", In.REQ_HISTORICAL_DATA), (In.REQ_IDS, In.REQ_IDS),
])
def test_request_names(name: str, message: In) -> None:
    assert resolve_request(name) is message


def test_describe_names_positional_fields_of_other_messages() -> None:
    assert describe_request(In.REQ_SCANNER_PARAMETERS, ["24", "1"], 178) == {"field_1": "1"}
    assert describe_request(In.REQ_CURRENT_TIME, ["49", "1"], 178) == {"version": 1}


def test_describe_an_option_order() -> None:
    # ibapi 10.50 wrote this placeOrder (trimmed after parentId) for an SPY call
    fields = ["3", "12", "0", "SPY", "OPT", "20261218", "500", "C", "100", "SMART", "", "USD",
              "", "", "", "", "SELL", "2", "LMT", "1.25", "", "DAY", "", "DU1", "", "0", "",
              "1", "0"]
    got = describe_request(In.PLACE_ORDER, fields, 178)
    assert got["contract"] == {
        "conId": 0, "symbol": "SPY", "secType": "OPT", "lastTradeDateOrContractMonth": "20261218",
        "strike": 500.0, "right": "C", "multiplier": "100", "exchange": "SMART",
        "primaryExchange": "", "currency": "USD", "localSymbol": "", "tradingClass": "",
        "secIdType": "", "secId": "",
    }
    assert (got["action"], got["totalQuantity"], got["lmtPrice"], got["auxPrice"]) == (
        "SELL", 2.0, 1.25, None)
    assert got["transmit"] is True and got["parentId"] == 0
