"""OrderManager's reconcile, one path at a time, made deterministic with the fake's controls:
an order the fake swallows (``ignore_next("placeOrder")``) never reaches the broker, as one
written into a socket that dies before TWS reads it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws.fake import FakeTWS
from pytest_tws.target import TwsTarget
from pytest_tws.waiting import wait_until
from tws_core import (
    ConnectionManager,
    ConnectionState,
    NotConnectedError,
    OrderLostError,
    OrderManager,
)

pytestmark = pytest.mark.fake_only

AAPL = Stock("AAPL", "SMART", "USD", conId=265598)
REACT = 10.0
RESTING = 100.0


@pytest.fixture
async def conn(fake_tws: FakeTWS, tws_target: TwsTarget) -> AsyncIterator[ConnectionManager]:
    fake_tws.set_fill_policy("manual")
    manager = ConnectionManager(fake_tws.host, fake_tws.port, tws_target.client_id,
                                timeout=REACT)
    await manager.connect()
    yield manager
    await manager.disconnect()


def held(tws: FakeTWS, ref: str) -> int:
    return len([o for o in tws.orders() if o.ticket.order_ref == ref])


def placed(tws: FakeTWS) -> int:
    return sum(1 for f in tws.frames if f.direction == ">>" and f.name == "PLACE_ORDER")


async def lose_socket(tws: FakeTWS, conn: ConnectionManager, *, reconnect: bool = True) -> None:
    tws.drop_clients()
    await wait_until(lambda: conn.state is ConnectionState.DISCONNECTED, "the loss", REACT)
    await wait_until(lambda: not tws.client_ids(), "the fake to let go", REACT)
    if reconnect:
        await conn.connect()


async def test_an_order_that_never_reached_tws_is_sent_again_once(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    orders = OrderManager(conn)
    fake_tws.ignore_next("placeOrder")
    trade = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="lost-1"))
    await wait_until(lambda: placed(fake_tws) == 1, "the order to reach the fake", REACT)
    assert held(fake_tws, "lost-1") == 0
    waiting = asyncio.ensure_future(orders.wait_for(trade, "Submitted", timeout=REACT))
    await lose_socket(fake_tws, conn)
    final = await waiting  # the waiter gets the resent order's outcome
    assert final is not trade and final.order.orderRef == "lost-1"
    assert held(fake_tws, "lost-1") == 1 and orders.resends() == {"lost-1": 1}
    await orders.reconcile()  # found now: nothing is sent again
    again = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="lost-1"))
    assert again is final and held(fake_tws, "lost-1") == 1 and placed(fake_tws) == 2


async def test_place_again_after_a_loss_resends_the_lost_order_rather_than_returning_it(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    """The issue's case: a strategy re-places its orderRef after the reconnect."""
    orders = OrderManager(conn)
    fake_tws.ignore_next("placeOrder")
    await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="retry-1"))
    await wait_until(lambda: placed(fake_tws) == 1, "the order to reach the fake", REACT)
    await lose_socket(fake_tws, conn)
    retried = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="retry-1"))
    await orders.wait_for(retried, "Submitted", timeout=REACT)
    assert held(fake_tws, "retry-1") == 1 and orders.resends() == {"retry-1": 1}


async def test_an_order_whose_answer_was_lost_is_found_not_sent_again(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    orders = OrderManager(conn)
    trade = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="found-1"))
    await wait_until(lambda: held(fake_tws, "found-1") == 1, "the order at the broker", REACT)
    trade.orderStatus.status = "PendingSubmit"  # as if its acknowledgement never arrived
    trade.order.permId = 0
    await lose_socket(fake_tws, conn)
    final = await orders.wait_for(trade, "Submitted", timeout=REACT)
    assert final.order.permId and held(fake_tws, "found-1") == 1 and orders.resends() == {}
    assert placed(fake_tws) == 1


async def test_a_filled_order_is_found_among_completed_orders(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    orders = OrderManager(conn)
    trade = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="filled-1"))
    await orders.wait_for(trade, "Submitted", timeout=REACT)
    await lose_socket(fake_tws, conn, reconnect=False)
    (order,) = [o for o in fake_tws.orders() if o.ticket.order_ref == "filled-1"]
    fake_tws.fill(order.ticket.order_id, client_id=conn.client_id)  # filled while away
    await conn.connect()
    final = await orders.wait_for(trade, "Filled", timeout=REACT)
    assert final.order.permId == order.perm_id and orders.resends() == {}


async def test_cancelling_an_order_that_never_reached_tws_sends_nothing(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    orders = OrderManager(conn)
    fake_tws.ignore_next("placeOrder")
    trade = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="gone-1"))
    await wait_until(lambda: placed(fake_tws) == 1, "the order to reach the fake", REACT)
    await lose_socket(fake_tws, conn, reconnect=False)
    with pytest.raises(NotConnectedError, match="not be sent again"):
        await orders.cancel(trade, timeout=REACT)
    await conn.connect()
    cancelled = await orders.wait_for(trade, "Cancelled", timeout=REACT)
    assert cancelled.orderStatus.status == "Cancelled"
    assert "never reached TWS" in cancelled.log[-1].message
    assert held(fake_tws, "gone-1") == 0 and placed(fake_tws) == 1 and orders.resends() == {}


async def test_a_waiter_hears_when_tws_no_longer_knows_an_acknowledged_order(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    orders = OrderManager(conn)
    trade = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="vanished-1"))
    await orders.wait_for(trade, "Submitted", timeout=REACT)
    waiting = asyncio.ensure_future(orders.wait_for(trade, "Filled", timeout=REACT))
    fake_tws.reset()  # a fresh broker: the acknowledged order is gone, the socket too
    await wait_until(lambda: conn.state is ConnectionState.DISCONNECTED, "the loss", REACT)
    await conn.connect()
    with pytest.raises(OrderLostError, match=r"vanished-1.*acknowledged"):
        await waiting
    assert held(fake_tws, "vanished-1") == 0 and orders.resends() == {}  # never re-sent


async def test_an_order_sent_as_another_client_id_is_not_resent_but_reported(
    fake_tws: FakeTWS, tws_target: TwsTarget
) -> None:
    """A reconnect that had to take the next clientId (326) cannot see the old id's open
    orders: resending could double an order, so the waiter hears why instead."""
    fake_tws.set_fill_policy("manual")
    conn = ConnectionManager(fake_tws.host, fake_tws.port, tws_target.client_id,
                             timeout=REACT, client_id_retries=1)
    await conn.connect()
    orders = OrderManager(conn)
    squatter = IB()
    try:
        fake_tws.ignore_next("placeOrder")
        trade = await orders.place(AAPL, LimitOrder("BUY", 1, RESTING, orderRef="moved-1"))
        await wait_until(lambda: placed(fake_tws) == 1, "the order to reach the fake", REACT)
        waiting = asyncio.ensure_future(orders.wait_for(trade, "Submitted", timeout=REACT))
        await lose_socket(fake_tws, conn, reconnect=False)
        await squatter.connectAsync(fake_tws.host, fake_tws.port, clientId=tws_target.client_id,
                                    timeout=REACT)
        await conn.connect()  # 326 for the old id, then the next one
        assert conn.client_id == tws_target.client_id + 1
        with pytest.raises(OrderLostError, match="cannot be verified"):
            await waiting
        assert held(fake_tws, "moved-1") == 0 and placed(fake_tws) == 1
    finally:
        squatter.disconnect()
        await conn.disconnect()
