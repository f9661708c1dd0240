"""Stop, if-touched and trailing orders on the fake's market, through ib_async over loopback,
on a virtual clock (the price moves only when the test moves it). The rules:
pytest_tws/model/triggers.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ib_async import IB, Order, Stock, StopLimitOrder, StopOrder, Trade

from pytest_tws import FakeTWS
from pytest_tws.clock import VirtualClock
from pytest_tws.model.matching import BookQuote
from pytest_tws.model.triggers import TriggerSpec, TriggerState, working
from pytest_tws.waiting import wait_until

TIMEOUT = 5.0
AAPL = 265598
START = 150.0


@pytest.fixture
async def client(fake_tws: FakeTWS) -> AsyncIterator[IB]:
    fake_tws.use_clock(VirtualClock())
    fake_tws.market.set_price("AAPL", START)
    ib = IB()
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=41, timeout=TIMEOUT)
    yield ib
    ib.disconnect()


def aapl() -> Stock:
    return Stock("AAPL", "SMART", "USD", conId=AAPL)


async def place(ib: IB, order: Order) -> Trade:
    trade = ib.placeOrder(aapl(), order)
    await wait_until(lambda: trade.orderStatus.status == "Submitted", "Submitted", TIMEOUT)
    return trade


def still_waiting(fake_tws: FakeTWS) -> bool:
    (order,) = fake_tws.orders()
    return order.status == "Submitted" and not order.executions


async def filled(trade: Trade) -> float:
    await wait_until(lambda: trade.orderStatus.status == "Filled", "Filled", TIMEOUT)
    return trade.orderStatus.avgFillPrice


async def test_sell_stop_triggers_when_the_price_falls_to_it(client: IB,
                                                            fake_tws: FakeTWS) -> None:
    trade = await place(client, StopOrder("SELL", 10, 145.0))
    fake_tws.market.set_price("AAPL", 146.0)
    assert still_waiting(fake_tws)
    fake_tws.market.set_price("AAPL", 144.0)
    price = await filled(trade)
    assert price == fake_tws.market.quote("AAPL").bid  # then a market order: the bid


async def test_buy_stop_limit_triggers_then_works_as_its_limit(client: IB,
                                                              fake_tws: FakeTWS) -> None:
    trade = await place(client, StopLimitOrder("BUY", 5, 150.5, 152.0))
    fake_tws.market.set_price("AAPL", 153.0)  # triggered; ask above 150.50: rests as LMT
    (order,) = fake_tws.orders()
    assert order.trigger.triggered and still_waiting(fake_tws)
    fake_tws.market.set_price("AAPL", 150.0)  # below the stop now, but it stays triggered
    assert await filled(trade) <= 150.5


async def test_market_if_touched_buys_when_the_price_falls_to_it(client: IB,
                                                                fake_tws: FakeTWS) -> None:
    trade = await place(client, Order(action="BUY", totalQuantity=3, orderType="MIT",
                                      auxPrice=145.0))
    fake_tws.market.set_price("AAPL", 155.0)  # rising never touches a BUY MIT
    assert still_waiting(fake_tws)
    fake_tws.market.set_price("AAPL", 144.9)
    assert await filled(trade) == fake_tws.market.quote("AAPL").ask


async def test_limit_if_touched_sells_at_its_limit_or_better(client: IB,
                                                            fake_tws: FakeTWS) -> None:
    trade = await place(client, Order(action="SELL", totalQuantity=3, orderType="LIT",
                                      auxPrice=155.0, lmtPrice=154.0))
    fake_tws.market.set_price("AAPL", 154.5)
    assert still_waiting(fake_tws)
    fake_tws.market.set_price("AAPL", 156.0)
    assert await filled(trade) >= 154.0


async def test_trailing_stop_by_amount_follows_the_price_up(client: IB,
                                                           fake_tws: FakeTWS) -> None:
    trade = await place(client, Order(action="SELL", totalQuantity=4, orderType="TRAIL",
                                      auxPrice=2.0))
    (order,) = fake_tws.orders()
    assert order.trigger.stop == pytest.approx(START - 2.0)  # 148 at placement
    fake_tws.market.set_price("AAPL", 155.0)
    assert order.trigger.stop == pytest.approx(153.0)  # follows up
    fake_tws.market.set_price("AAPL", 153.5)
    assert order.trigger.stop == pytest.approx(153.0) and still_waiting(fake_tws)  # never down
    fake_tws.market.set_price("AAPL", 152.9)
    await filled(trade)


async def test_trailing_stop_by_percent(client: IB, fake_tws: FakeTWS) -> None:
    trade = await place(client, Order(action="SELL", totalQuantity=4, orderType="TRAIL",
                                      trailingPercent=10.0))
    (order,) = fake_tws.orders()
    assert order.trigger.stop == pytest.approx(135.0)  # 150 - 10 %
    fake_tws.market.set_price("AAPL", 160.0)
    assert order.trigger.stop == pytest.approx(144.0)  # 160 - 16
    fake_tws.market.set_price("AAPL", 144.5)
    assert still_waiting(fake_tws)
    fake_tws.market.set_price("AAPL", 143.9)
    await filled(trade)


async def test_trailing_limit_buys_at_stop_plus_offset(client: IB, fake_tws: FakeTWS) -> None:
    trade = await place(client, Order(action="BUY", totalQuantity=2, orderType="TRAIL LIMIT",
                                      auxPrice=2.0, lmtPriceOffset=0.5))
    (order,) = fake_tws.orders()
    assert order.trigger.stop == pytest.approx(152.0)
    fake_tws.market.set_price("AAPL", 140.0)
    assert order.trigger.stop == pytest.approx(142.0)  # follows down for a BUY
    fake_tws.market.set_price("AAPL", 142.1)  # triggered: LMT at 142 + 0.50
    assert await filled(trade) <= 142.5


def test_rules_without_a_wire() -> None:
    quote = BookQuote(99.9, 100.1, 100.0)
    stop = TriggerSpec("BUY", "STP", aux_price=101.0)
    assert working(stop, TriggerState(), quote) is None
    assert working(TriggerSpec("SELL", "STP", aux_price=100.0), TriggerState(), quote) == (
        "MKT", None)
    assert working(TriggerSpec("BUY", "LMT", limit_price=99.0), TriggerState(), quote) == (
        "LMT", 99.0)
    trail = TriggerSpec("SELL", "TRAIL LIMIT", aux_price=1.0, trail_stop_price=100.5,
                        limit_offset=0.25)
    assert working(trail, TriggerState(), quote) == ("LMT", 100.25)  # given stop, met


async def test_market_and_limit_on_close_execute_at_the_close(client: IB,
                                                             fake_tws: FakeTWS) -> None:
    """Placed at 09:30 New York (the virtual clock's start): nothing until 16:00 that day."""
    clock = fake_tws.backend.clock
    assert isinstance(clock, VirtualClock)
    moc = await place(client, Order(action="BUY", totalQuantity=2, orderType="MOC"))
    loc = client.placeOrder(aapl(), Order(action="SELL", totalQuantity=2, orderType="LOC",
                                          lmtPrice=149.0))
    out_of_reach = client.placeOrder(aapl(), Order(action="BUY", totalQuantity=2,
                                                   orderType="LOC", lmtPrice=140.0))
    await wait_until(lambda: out_of_reach.orderStatus.status == "Submitted", "LOC", TIMEOUT)
    clock.advance(6 * 3600 + 29 * 60)  # 15:59
    fake_tws.market.set_price("AAPL", START)  # a market step at 15:59
    assert [o.status for o in fake_tws.orders()] == ["Submitted"] * 3
    clock.advance(61)  # 16:00:01
    fake_tws.market.set_price("AAPL", START)  # the closing print
    assert await filled(moc) == START
    assert await filled(loc) == START  # 150 >= the 149 limit
    assert out_of_reach.orderStatus.status == "Submitted"  # 150 is above its 140 limit


def test_an_order_placed_after_the_close_waits_for_the_next_trading_days() -> None:
    from datetime import datetime

    from pytest_tws.model.calendar_us import EASTERN
    from pytest_tws.model.triggers import closing_time

    evening = datetime(2026, 11, 25, 17, 0, tzinfo=EASTERN)  # Thursday 26th is Thanksgiving
    assert closing_time(evening) == datetime(2026, 11, 27, 16, 0, tzinfo=EASTERN)
    morning = datetime(2026, 11, 25, 9, 30, tzinfo=EASTERN)
    assert closing_time(morning) == datetime(2026, 11, 25, 16, 0, tzinfo=EASTERN)
