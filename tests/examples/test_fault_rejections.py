"""Cookbook: make TWS refuse the next request of a kind, with its real error."""

from __future__ import annotations

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS
from pytest_tws.waiting import wait_until

pytestmark = pytest.mark.fake_only


async def test_an_order_rejected_by_tws(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.fail_next("placeOrder", code=201, message="Order rejected - reason:No trading "
                       "permissions for this contract")
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))

    trade = ib.placeOrder(spy, LimitOrder("BUY", 1, 1.00))
    await wait_until(lambda: trade.orderStatus.status == "Cancelled", "the rejection")

    [entry] = [e for e in trade.log if e.errorCode]
    assert entry.errorCode == 201
    assert entry.message.endswith("No trading permissions for this contract")
