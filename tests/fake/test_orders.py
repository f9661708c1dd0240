"""Order handling of the fake, through ib_async over the wire: validation, modify, resting
orders meeting the market, other clients, completed orders and executions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ib_async import IB, ExecutionFilter, LimitOrder, MarketOrder, Stock, Trade

from pytest_tws import FakeTWS
from pytest_tws.waiting import expect_event, wait_until

TIMEOUT = 5.0
AAPL = 265598


@pytest.fixture
async def client(fake_tws: FakeTWS) -> AsyncIterator[IB]:
    ib = IB()
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=11, timeout=TIMEOUT)
    yield ib
    ib.disconnect()


def aapl() -> Stock:
    return Stock("AAPL", "SMART", "USD", conId=AAPL)


async def working(trade: Trade) -> None:
    await wait_until(lambda: trade.orderStatus.status == "Submitted", "Submitted", TIMEOUT)


async def test_market_order_fills_at_the_ask_with_execution_and_commission(
    client: IB, fake_tws: FakeTWS
) -> None:
    trade = client.placeOrder(aapl(), MarketOrder("BUY", 10))
    await wait_until(lambda: trade.isDone() and trade.fills
                     and trade.fills[0].commissionReport.commission, "filled", TIMEOUT)
    (fill,) = trade.fills
    (execution,) = fake_tws.executions()
    assert (fill.execution.side, fill.execution.shares) == ("BOT", 10)
    assert fill.execution.price == execution.price
    assert fill.commissionReport.commission == 1.00
    (order,) = fake_tws.orders()
    assert order.history == ["PreSubmitted", "Filled"]


async def test_resting_limit_fills_when_the_market_crosses_it(
    client: IB, fake_tws: FakeTWS
) -> None:
    trade = client.placeOrder(aapl(), LimitOrder("BUY", 5, 200.0))
    await working(trade)
    fake_tws.market.set_price("AAPL", 150.0)
    await wait_until(lambda: trade.orderStatus.status == "Filled", "filled on the cross", TIMEOUT)
    assert trade.orderStatus.avgFillPrice < 200.0  # at the market's ask, not the limit


async def test_modify_by_resending_the_id(client: IB, fake_tws: FakeTWS) -> None:
    fake_tws.set_fill_policy("manual")
    order = LimitOrder("BUY", 5, 100.0)
    trade = client.placeOrder(aapl(), order)
    await working(trade)
    order.lmtPrice = 101.5
    order.totalQuantity = 7
    client.placeOrder(aapl(), order)
    await wait_until(lambda: fake_tws.orders()[0].ticket.limit_price == 101.5, "modified")
    (held,) = fake_tws.orders()
    assert (held.ticket.total_quantity, held.status) == (7, "Submitted")


async def test_validation_errors(client: IB, fake_tws: FakeTWS) -> None:
    trade = client.placeOrder(aapl(), LimitOrder("BUY", 1, 100.0))
    await working(trade)
    used = trade.order.orderId

    seen = expect_event(client.errorEvent, lambda rid, *_: rid == used - 1, TIMEOUT)
    client.client.placeOrder(used - 1, aapl(), LimitOrder("BUY", 1, 100.0))
    assert (await seen)[1:3] == (103, "Duplicate order id")

    unknown = client.client.getReqId()
    seen = expect_event(client.errorEvent, lambda rid, *_: rid == unknown, TIMEOUT)
    client.client.placeOrder(unknown, Stock("NOPE", "SMART", "USD"), LimitOrder("BUY", 1, 1.0))
    assert (await seen)[1] == 200

    bad_type = client.client.getReqId()
    seen = expect_event(client.errorEvent, lambda rid, *_: rid == bad_type, TIMEOUT)
    odd = LimitOrder("BUY", 1, 1.0)
    odd.orderType = "NOPE"
    client.client.placeOrder(bad_type, aapl(), odd)
    assert (await seen)[1:3] == (
        321, "Error validating request.-'bF' : cause - Invalid order type was entered")
    assert len(fake_tws.orders()) == 1


async def test_other_clients_see_and_cancel_through_all_open_orders(
    client: IB, fake_tws: FakeTWS
) -> None:
    trade = client.placeOrder(aapl(), LimitOrder("BUY", 1, 100.0))
    await working(trade)
    other = IB()
    await other.connectAsync(fake_tws.host, fake_tws.port, clientId=12, timeout=TIMEOUT)
    try:
        assert other.openTrades() == []  # reqOpenOrders at connect: only its own
        (seen,) = await other.reqAllOpenOrdersAsync()
        assert (seen.order.permId, seen.order.clientId) == (trade.order.permId, 11)
        other.client.cancelOrder(trade.order.orderId, "")
        await wait_until(lambda: trade.orderStatus.status == "Cancelled", "cancelled", TIMEOUT)
        completed = await other.reqCompletedOrdersAsync(apiOnly=True)
        assert [(t.order.permId, t.orderStatus.status) for t in completed] == [
            (trade.order.permId, "Cancelled")]
    finally:
        other.disconnect()


async def test_global_cancel(client: IB, fake_tws: FakeTWS) -> None:
    trades = [client.placeOrder(aapl(), LimitOrder("BUY", 1, 100.0 + i)) for i in range(3)]
    for trade in trades:
        await working(trade)
    client.reqGlobalCancel()
    await wait_until(lambda: all(t.orderStatus.status == "Cancelled" for t in trades),
                     "all cancelled", TIMEOUT)
    assert {o.status for o in fake_tws.orders()} == {"Cancelled"}


async def test_executions_filter(client: IB, fake_tws: FakeTWS) -> None:
    buy = client.placeOrder(aapl(), MarketOrder("BUY", 3))
    sell = client.placeOrder(aapl(), MarketOrder("SELL", 1))
    await wait_until(lambda: buy.isDone() and sell.isDone(), "both filled", TIMEOUT)
    sold = await client.reqExecutionsAsync(ExecutionFilter(side="SELL"))
    assert [f.execution.shares for f in sold] == [1]
    assert await client.reqExecutionsAsync(ExecutionFilter(symbol="MSFT")) == []
    assert len(await client.reqExecutionsAsync()) == 2
    (position,) = client.positions()
    assert position.position == 2


async def test_reject_control(client: IB, fake_tws: FakeTWS) -> None:
    trade = client.placeOrder(aapl(), LimitOrder("BUY", 1, 100.0))
    await working(trade)
    seen = expect_event(client.errorEvent, lambda rid, *_: rid == trade.order.orderId, TIMEOUT)
    fake_tws.reject(trade.order.orderId, "Insufficient margin")
    assert (await seen)[1:3] == (201, "Order rejected - reason:Insufficient margin")
    await wait_until(lambda: trade.isDone(), "done", TIMEOUT)
    with pytest.raises(ValueError, match="Inactive"):
        fake_tws.fill(trade.order.orderId)
