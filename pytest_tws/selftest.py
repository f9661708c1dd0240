"""A smoke test of an installation: ``pytest --pyargs pytest_tws.selftest``.

Runs against the fake in any project (no ini, no conftest needed): the fixtures connect, sync
and async calls answer, an order fills, and the fake can say what it received.
"""

from __future__ import annotations

import asyncio

from ib_async import IB, LimitOrder, Stock

from pytest_tws.fake import FakeTWS

#: Seconds any wait here may take.
WAIT = 10.0


async def test_the_fake_answers_a_client_of_its_own(fake_tws: FakeTWS) -> None:
    ib = IB()
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=1, timeout=WAIT)
    try:
        assert ib.managedAccounts() == list(fake_tws.accounts)
    finally:
        ib.disconnect()


async def test_an_order_fills_and_the_fake_received_it(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.market.set_price("SPY", 500.0)
    trade = ib.placeOrder(Stock("SPY", "SMART", "USD"), LimitOrder("BUY", 1, 501.0))

    async def filled() -> None:
        while not trade.isDone():
            await ib.updateEvent

    await asyncio.wait_for(filled(), WAIT)
    assert trade.orderStatus.status == "Filled"
    fake_tws.assert_received("placeOrder", action="BUY", lmtPrice=501.0, symbol="SPY")


def test_a_sync_test_gets_a_usable_ib(ib: IB) -> None:
    assert ib.reqCurrentTime() is not None
