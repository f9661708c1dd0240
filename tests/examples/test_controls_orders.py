"""Controls: `fake_tws.orders` (also `fake_tws.trading`), the order desk."""

from __future__ import annotations

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS, wait_until

pytestmark = pytest.mark.fake_only


async def test_fills_by_hand(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.orders.set_fill_policy("manual")        # nothing fills until the test says so
    assert fake_tws.orders.fill_policy == "manual"
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    trade = ib.placeOrder(spy, LimitOrder("BUY", 10, 1000.0))
    await wait_until(lambda: trade.orderStatus.status == "Submitted", "the order to rest")

    [working] = fake_tws.orders.open()               # snapshots of the fake's orders
    assert working.order_id == trade.order.orderId and working.status == "Submitted"
    fake_tws.orders.fill(trade.order.orderId, quantity=4, price=499.5)   # a partial fill
    await wait_until(lambda: trade.orderStatus.filled == 4, "the partial fill")
    fake_tws.orders.fill(trade.order.orderId)        # the rest, where the market is
    await wait_until(lambda: trade.orderStatus.status == "Filled", "the fill")

    assert [e.shares for e in fake_tws.orders.executions()] == [4, 6]
    assert [o.status for o in fake_tws.orders()] == ["Filled"]   # every order, open or done


async def test_tws_rejects_a_working_order(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.orders.set_fill_policy("manual")
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    trade = ib.placeOrder(spy, LimitOrder("BUY", 1, 1.0))
    await wait_until(lambda: trade.orderStatus.status == "Submitted", "the order to rest")
    fake_tws.orders.reject(trade.order.orderId, "insufficient margin")   # error 201
    await wait_until(lambda: trade.orderStatus.status == "Cancelled", "the rejection")
    assert trade.log[-1].errorCode == 201


async def test_partial_policy(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.trading.set_fill_policy("partial")      # half of what remains per round
    fake_tws.market.set_price("SPY", 500.0)
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    trade = ib.placeOrder(spy, LimitOrder("BUY", 8, 510.0))
    await wait_until(lambda: trade.orderStatus.status == "Filled", "the fills", timeout=20)
    assert len(trade.fills) > 1
