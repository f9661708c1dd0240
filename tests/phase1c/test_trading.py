"""Phase 1C: vertical spreads through the production OrderManager, over the wire.

Runs with ``--tws=fake`` (default) and ``--tws=paper``. On paper every order rests far from the
market (a debit spread bid at one cent) and is cancelled at teardown; filling one, rejecting one
and cutting the connection need the fake's control and run only there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ib_async import Order, Stock, Trade

from pytest_tws import FakeTWS, TwsTarget
from pytest_tws.waiting import expect_event, wait_until
from tws_core import (
    ConnectionManager,
    ConnectionState,
    OrderError,
    OrderManager,
    OrderRefusedError,
    OrderStatusChange,
    VerticalSpread,
)

pytestmark = pytest.mark.phase1c

TIMEOUT = 10.0
FAR_FROM_MARKET = 0.01
"""a debit spread bid at a cent: it rests on any market"""
WORKING = ("PreSubmitted", "Submitted")


@pytest.fixture
async def orders(conn: ConnectionManager) -> AsyncIterator[OrderManager]:
    manager = OrderManager(conn)
    yield manager
    if conn.ib.isConnected():  # nothing a test placed outlives it, on paper least of all
        for trade in conn.ib.openTrades():
            await manager.cancel(trade, timeout=TIMEOUT)


def fake(request: pytest.FixtureRequest, target: TwsTarget) -> FakeTWS | None:
    return request.getfixturevalue("fake_tws") if target.is_fake else None


async def spread_from_chain(
    conn: ConnectionManager, orders: OrderManager, right: str = "C"
) -> VerticalSpread:
    """A one-strike-wide debit spread in the middle of SPY's chain, a few expiries out."""
    ib = conn.ib
    (spy,) = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    chains = await ib.reqSecDefOptParamsAsync("SPY", "", "STK", spy.conId)
    chain = next(c for c in chains if c.exchange == "SMART")
    expiry = sorted(chain.expirations)[min(3, len(chain.expirations) - 1)]
    strikes = sorted(chain.strikes)
    middle = len(strikes) // 2
    low, high = strikes[middle], strikes[middle + 1]
    long_strike, short_strike = (low, high) if right == "C" else (high, low)
    return await orders.build_vertical_spread("SPY", expiry, right, long_strike, short_strike)


def record(orders: OrderManager) -> list[OrderStatusChange]:
    changes: list[OrderStatusChange] = []
    orders.status_changed += changes.append
    return changes


async def place_resting(orders: OrderManager, spread: VerticalSpread, ref: str) -> Trade:
    trade = await orders.place_vertical_spread(spread, 1, FAR_FROM_MARKET, order_ref=ref)
    await wait_until(lambda: orders.current(trade).orderStatus.status in WORKING,
                     f"{ref} working", TIMEOUT)
    return orders.current(trade)


async def test_vertical_spread_order_creation(
    conn: ConnectionManager, orders: OrderManager, tws_target: TwsTarget,
    request: pytest.FixtureRequest,
) -> None:
    tws = fake(request, tws_target)
    spread = await spread_from_chain(conn, orders, "C")
    assert spread.kind == "debit"
    assert spread.long_leg.conId and spread.short_leg.conId
    trade = await place_resting(orders, spread, "create-1")

    assert trade.contract.secType == "BAG"
    assert [(leg.conId, leg.ratio, leg.action, leg.exchange)
            for leg in trade.contract.comboLegs] == [
        (spread.long_leg.conId, 1, "BUY", "SMART"), (spread.short_leg.conId, 1, "SELL", "SMART")
    ]
    assert trade.order.permId > 0
    if tws is not None:
        (held,) = tws.orders()
        ticket = held.ticket
        assert [(leg.con_id, leg.ratio, leg.action) for leg in ticket.legs] == [
            (spread.long_leg.conId, 1, "BUY"), (spread.short_leg.conId, 1, "SELL")
        ]
        assert (ticket.action, ticket.total_quantity, ticket.limit_price) == (
            "BUY", 1, FAR_FROM_MARKET)
        assert ticket.combo_params == (("NonGuaranteed", "1"),)
        assert ticket.order_ref == "create-1"
        assert held.perm_id == trade.order.permId


async def test_order_status_monitoring(
    conn: ConnectionManager, orders: OrderManager, tws_target: TwsTarget,
    request: pytest.FixtureRequest,
) -> None:
    tws = fake(request, tws_target)
    changes = record(orders)
    spread = await spread_from_chain(conn, orders, "P")
    trade = await place_resting(orders, spread, "monitor-1")
    if tws is None:  # paper: follow it to the end the safe way
        await orders.cancel(trade, timeout=TIMEOUT)
        seen = [c.new for c in changes]
        assert seen[0] == "PendingSubmit" and seen[-1] == "Cancelled"
        return

    tws.fill(trade.order.orderId)
    trade = await orders.wait_for(trade, "Filled", timeout=TIMEOUT)

    assert [c.new for c in changes] == ["PendingSubmit", "PreSubmitted", "Submitted", "Filled"]
    assert all(c.order_ref == "monitor-1" for c in changes)
    legs = [f for f in trade.fills if f.contract.secType == "OPT"]
    assert sorted((f.contract.conId, f.execution.side) for f in legs) == sorted([
        (spread.long_leg.conId, "BOT"), (spread.short_leg.conId, "SLD")
    ])
    assert trade.filled() == 1
    await wait_until(lambda: all(f.commissionReport.commission > 0 for f in legs),
                     "a commission report for each leg", TIMEOUT)
    assert sum(f.commissionReport.commission for f in legs) == pytest.approx(1.30)
    net = sum((1 if f.execution.side == "BOT" else -1) * f.execution.price for f in legs)
    assert trade.orderStatus.avgFillPrice == pytest.approx(net)

    def held() -> dict[int, float]:
        return {p.contract.conId: p.position for p in conn.ib.positions()}

    await wait_until(lambda: held().get(spread.short_leg.conId) == -1, "positions", TIMEOUT)
    assert held()[spread.long_leg.conId] == 1


async def test_order_cancellation(
    conn: ConnectionManager, orders: OrderManager, tws_target: TwsTarget,
    request: pytest.FixtureRequest,
) -> None:
    tws = fake(request, tws_target)
    before = {(p.contract.conId, p.position) for p in conn.ib.positions()}
    spread = await spread_from_chain(conn, orders, "C")
    trade = await place_resting(orders, spread, "cancel-1")

    canceled = expect_event(conn.ib.errorEvent,
                            lambda req_id, code, *_: (req_id, code) == (trade.order.orderId, 202),
                            timeout=TIMEOUT)
    trade = await orders.cancel(trade, timeout=TIMEOUT)
    await canceled
    assert trade.orderStatus.status == "Cancelled"
    assert [entry.status for entry in trade.log][-2:] == ["PendingCancel", "Cancelled"]
    assert {(p.contract.conId, p.position) for p in conn.ib.positions()} == before
    if tws is not None:
        assert [o.status for o in tws.orders()] == ["Cancelled"]
        assert tws.executions() == []

    unknown = trade.order.orderId + 1000
    not_found = expect_event(conn.ib.errorEvent, lambda req_id, *_: req_id == unknown,
                             timeout=TIMEOUT)
    conn.ib.client.cancelOrder(unknown, "")
    _, code, message, *_ = await not_found
    assert code in (10147, 135)
    if tws is not None:
        assert message == f"OrderId {unknown} that needs to be cancelled is not found."


# -- the fake's control: what paper cannot be made to do on demand ------------------------


@pytest.mark.fake_only
async def test_rejected_spread_ends_the_wait(
    conn: ConnectionManager, orders: OrderManager, fake_tws: FakeTWS
) -> None:
    spread = await spread_from_chain(conn, orders)
    trade = await place_resting(orders, spread, "reject-1")
    rejected = expect_event(conn.ib.errorEvent, lambda _, code, *__: code == 201)
    fake_tws.reject(trade.order.orderId, "Insufficient margin")
    with pytest.raises(OrderError, match="ended Cancelled"):
        await orders.wait_for(trade, "Filled", timeout=TIMEOUT)
    _, _, message, *_ = await rejected
    assert message == "Order rejected - reason:Insufficient margin"
    assert [o.status for o in fake_tws.orders()] == ["Inactive"]


@pytest.mark.fake_only
async def test_rejection_at_placement(
    conn: ConnectionManager, orders: OrderManager, fake_tws: FakeTWS
) -> None:
    spread = await spread_from_chain(conn, orders)
    fake_tws.fail_next("placeOrder", code=201, message="Order rejected - reason:No trading "
                       "permissions")
    trade = await orders.place_vertical_spread(spread, 1, FAR_FROM_MARKET, order_ref="rej-2")
    with pytest.raises(OrderError, match="ended Cancelled"):
        await orders.wait_for(trade, "Submitted", timeout=TIMEOUT)
    assert fake_tws.orders() == []


@pytest.mark.fake_only
async def test_partial_fills_until_filled(
    conn: ConnectionManager, orders: OrderManager, fake_tws: FakeTWS
) -> None:
    fake_tws.set_fill_policy("manual")
    spread = await spread_from_chain(conn, orders)
    trade = await orders.place_vertical_spread(spread, 4, 5.0, order_ref="partial-1")
    await wait_until(lambda: orders.current(trade).orderStatus.status == "Submitted")
    fake_tws.fill(trade.order.orderId, quantity=1)
    await wait_until(lambda: orders.current(trade).orderStatus.filled == 1, "1 of 4 filled")
    assert orders.current(trade).orderStatus.status == "Submitted"
    fake_tws.set_fill_policy("partial")  # each matching round now fills half of the rest
    trade = await orders.wait_for(trade, "Filled", timeout=TIMEOUT)
    combo_fills = [f.execution.shares for f in trade.fills if f.contract.secType == "BAG"]
    assert combo_fills[0] == 1 and len(combo_fills) >= 3 and sum(combo_fills) == 4
    assert trade.orderStatus.remaining == 0


@pytest.mark.fake_only
async def test_reconnect_with_an_order_in_flight_places_it_once(
    conn: ConnectionManager, orders: OrderManager, fake_tws: FakeTWS
) -> None:
    fake_tws.set_fill_policy("manual")
    spread = await spread_from_chain(conn, orders)
    first = await orders.place_vertical_spread(spread, 1, 1.0, order_ref="inflight-1")
    await wait_until(lambda: orders.current(first).orderStatus.status == "Submitted")

    fake_tws.drop_clients()
    await wait_until(lambda: conn.state is ConnectionState.DISCONNECTED, "the drop seen")
    await conn.reconnect("test: reconnect")
    again = await orders.place_vertical_spread(spread, 1, 1.0, order_ref="inflight-1")

    assert [o.ticket.order_ref for o in fake_tws.orders()] == ["inflight-1"]
    assert again.order.permId == first.order.permId
    fake_tws.fill(again.order.orderId)
    filled = await orders.wait_for(first, "Filled", timeout=TIMEOUT)
    assert filled.order.permId == first.order.permId


@pytest.mark.fake_only
async def test_refuses_while_degraded(
    conn: ConnectionManager, orders: OrderManager, fake_tws: FakeTWS
) -> None:
    spread = await spread_from_chain(conn, orders)
    fake_tws.connectivity_lost()
    await wait_until(lambda: conn.state is ConnectionState.DEGRADED, "DEGRADED")
    with pytest.raises(OrderRefusedError, match="DEGRADED"):
        await orders.place_vertical_spread(spread, 1, FAR_FROM_MARKET, order_ref="degraded")
    assert fake_tws.orders() == []


@pytest.mark.fake_only
async def test_refuses_a_live_account() -> None:
    async with FakeTWS(accounts=("U7654321",)) as tws:
        live = ConnectionManager(tws.host, tws.port, 1, timeout=TIMEOUT)
        await live.connect()
        try:
            orders = OrderManager(live)
            with pytest.raises(OrderRefusedError, match="U7654321"):
                await orders.place(Stock("AAPL", "SMART", "USD"), Order(
                    action="BUY", totalQuantity=1, orderType="LMT", lmtPrice=1.0))
            assert tws.orders() == []
        finally:
            await live.disconnect()
