"""An order placed with non-default fields reads back identically through reqAllOpenOrders on
a second client (ib_async and ibapi), over loopback: TIF GTD with goodTillDate, outsideRth,
ocaGroup/ocaType, orderRef, trailing fields, algo strategy and params, conditions."""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ib_async import IB, LimitOrder, PriceCondition, Stock, TagValue

from pytest_tws import FakeTWS
from pytest_tws.waiting import wait_until

TIMEOUT = 5.0
AAPL = 265598
SENT = {
    "tif": "GTD", "goodTillDate": "20301231 15:00:00 US/Eastern", "outsideRth": True,
    "ocaGroup": "oca-7", "ocaType": 2, "orderRef": "ref-7", "trailStopPrice": 150.5,
    "trailingPercent": 2.5, "algoStrategy": "Adaptive", "account": "DU1234567",
    "conditionsIgnoreRth": True, "conditionsCancelOrder": True, "hidden": True,
}


def placed_order() -> LimitOrder:
    order = LimitOrder("BUY", 3, 1.0, **SENT)  # far below the market: it rests
    order.algoParams = [TagValue("adaptivePriority", "Patient")]
    order.conditions = [PriceCondition(price=100.0, conId=AAPL, exch="SMART", isMore=False,
                                       triggerMethod=2)]
    return order


@pytest.fixture
async def placer(fake_tws: FakeTWS) -> AsyncIterator[IB]:
    ib = IB()
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=31, timeout=TIMEOUT)
    trade = ib.placeOrder(Stock("AAPL", "SMART", "USD", conId=AAPL), placed_order())
    await wait_until(lambda: trade.orderStatus.status == "Submitted", "resting", TIMEOUT)
    yield ib
    ib.disconnect()


def assert_same(order: Any, conditions: list[tuple[Any, ...]]) -> None:
    for name, value in SENT.items():
        assert getattr(order, name) == value, name
    assert [(p.tag, p.value) for p in order.algoParams] == [("adaptivePriority", "Patient")]
    assert conditions == [(1, 100.0, AAPL, "SMART", False, 2)]


async def test_ib_async_reads_the_order_back(placer: IB, fake_tws: FakeTWS) -> None:
    reader = IB()
    await reader.connectAsync(fake_tws.host, fake_tws.port, clientId=32, timeout=TIMEOUT)
    try:
        trades = await reader.reqAllOpenOrdersAsync()
        (trade,) = [t for t in trades if t.order.orderRef == "ref-7"]
        order = trade.order
        assert (order.action, order.totalQuantity, order.lmtPrice) == ("BUY", 3, 1.0)
        assert_same(order, [(c.condType, c.price, c.conId, c.exch, c.isMore, c.triggerMethod)
                            for c in order.conditions])
    finally:
        reader.disconnect()


def test_ibapi_reads_the_order_back(placer: IB, fake_tws: FakeTWS) -> None:
    if sys.version_info < (3, 11):
        pytest.skip("ibapi's text protocol needs Python 3.11+")
    from ibapi.client import EClient
    from ibapi.wrapper import EWrapper

    class Reader(EWrapper, EClient):  # type: ignore[misc]
        def __init__(self) -> None:
            EWrapper.__init__(self)
            EClient.__init__(self, self)
            self.ready, self.done = threading.Event(), threading.Event()
            self.orders: list[Any] = []

        def nextValidId(self, orderId: int) -> None:
            self.ready.set()

        def openOrder(self, orderId: int, contract: Any, order: Any, state: Any) -> None:
            self.orders.append(order)

        def openOrderEnd(self) -> None:
            self.done.set()

    reader = Reader()
    reader.connect(fake_tws.host, fake_tws.port, clientId=33)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    try:
        assert reader.ready.wait(TIMEOUT)
        reader.reqAllOpenOrders()
        assert reader.done.wait(TIMEOUT)
        (order,) = [o for o in reader.orders if o.orderRef == "ref-7"]
        assert (order.action, float(order.totalQuantity), order.lmtPrice) == ("BUY", 3.0, 1.0)
        assert_same(order, [(c.condType, c.price, c.conId, c.exchange, c.isMore,
                             c.triggerMethod) for c in order.conditions])
    finally:
        reader.disconnect()
        thread.join(timeout=TIMEOUT)
