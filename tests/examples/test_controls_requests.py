"""Controls: asking the fake what it received, and its wire transcript."""

from __future__ import annotations

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS, wait_until

pytestmark = pytest.mark.fake_only


async def test_what_the_fake_received(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.orders.set_fill_policy("manual")
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    ib.placeOrder(spy, LimitOrder("BUY", 2, 480.25))
    await wait_until(lambda: fake_tws.requests("placeOrder"), "the order to arrive")

    [order] = fake_tws.requests("PLACE_ORDER")       # or the API's name, "placeOrder"
    assert order.client_id == ib.client.clientId
    assert order.fields["action"] == "BUY" and order.fields["lmtPrice"] == 480.25
    assert order.fields["contract"]["symbol"] == "SPY"
    # the first matching request, or an AssertionError showing the closest one
    fake_tws.assert_received("placeOrder", action="BUY", totalQuantity=2, symbol="SPY")
    assert [r.name for r in fake_tws.requests("qualifyContracts")] == ["REQ_CONTRACT_DATA"]


async def test_the_transcript(ib: IB, fake_tws: FakeTWS) -> None:
    assert await ib.reqCurrentTimeAsync()
    assert any(f.name == "CURRENT_TIME" for f in fake_tws.frames)   # both directions
    print(fake_tws.transcript.tail(5))               # `>> client 101 REQ_CURRENT_TIME: 1` …
    assert fake_tws.failures == []                   # what the fake could not handle
