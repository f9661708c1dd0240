"""Issue 11's order acceptance with ib_async 2.1 (served at v178) and ib_insync 0.9.86
(v176): fill, cancel, what-if, and non-default fields read back on a second client.

The two libraries share one API (ib_async is ib_insync's continuation), so each scenario runs
once per library through the module object.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import pytest

from pytest_tws import FakeTWS, TwsTarget
from pytest_tws.waiting import expect_event, wait_until
from tests.clients import orders_spec as spec

#: library -> the version the fake (max 200) serves it: its Client.MaxClientVersion
VERSIONS = {"ib_async": 178, "ib_insync": 176}


@pytest.fixture(params=sorted(VERSIONS))
def lib(request: pytest.FixtureRequest) -> ModuleType:
    return pytest.importorskip(request.param)


async def connect(lib: ModuleType, tws: FakeTWS, client_id: int) -> Any:
    ib = lib.IB()
    await ib.connectAsync(tws.host, tws.port, clientId=client_id, timeout=spec.TIMEOUT)
    assert ib.client.serverVersion() == VERSIONS[lib.__name__]
    return ib


@pytest.fixture
async def ib(lib: ModuleType, fake_tws: FakeTWS, tws_target: TwsTarget) -> AsyncIterator[Any]:
    client = await connect(lib, fake_tws, tws_target.client_id)
    yield client
    client.disconnect()


def aapl(lib: ModuleType) -> Any:
    return lib.Stock("AAPL", "SMART", "USD", conId=spec.AAPL_CON_ID)


def build_order(lib: ModuleType, fields: dict[str, Any]) -> Any:
    order = lib.Order()
    for name, value in fields.items():
        if name == "algoParams":
            value = [lib.TagValue(tag, text) for tag, text in value]
        setattr(order, name, value)
    return order


def order_fields(order: Any) -> dict[str, Any]:
    fields = {name: getattr(order, name) for name in spec.COMPARED}
    fields["algoParams"] = [(p.tag, p.value) for p in order.algoParams or []]
    fields["conditions"] = [vars(c) for c in order.conditions or []]
    return fields


async def test_marketable_limit_fills_with_execution_and_commission(
    lib: ModuleType, ib: Any, fake_tws: FakeTWS
):
    contract = aapl(lib)
    [ticker] = await ib.reqTickersAsync(contract)
    executed = expect_event(ib.execDetailsEvent, timeout=spec.TIMEOUT)
    charged = expect_event(ib.commissionReportEvent, timeout=spec.TIMEOUT)
    trade = ib.placeOrder(contract, lib.LimitOrder("BUY", 10,
                                                   round(ticker.ask + spec.MARKETABLE_MARGIN, 2)))
    _, fill = await executed
    _, _, report = await charged
    await wait_until(lambda: trade.orderStatus.status == "Filled", "Filled", spec.TIMEOUT)
    assert (fill.execution.side, fill.execution.shares, fill.contract.conId) == (
        "BOT", 10, spec.AAPL_CON_ID)
    assert fill.execution.price <= ticker.ask + spec.MARKETABLE_MARGIN
    assert report.execId == fill.execution.execId and report.commission > 0
    assert trade.orderStatus.filled == 10 and trade.orderStatus.remaining == 0
    [held] = fake_tws.orders()
    assert held.status == "Filled"


async def test_resting_limit_cancels(lib: ModuleType, ib: Any, fake_tws: FakeTWS):
    trade = ib.placeOrder(aapl(lib), lib.LimitOrder("BUY", 5, spec.RESTING_LIMIT))
    await wait_until(lambda: trade.orderStatus.status == "Submitted", "Submitted", spec.TIMEOUT)
    ib.cancelOrder(trade.order)
    await wait_until(lambda: trade.orderStatus.status == "Cancelled", "Cancelled", spec.TIMEOUT)
    assert trade.fills == [] and fake_tws.executions() == []
    assert [o.status for o in fake_tws.orders()] == ["Cancelled"]


async def test_what_if_returns_margins_and_leaves_no_order(
    lib: ModuleType, ib: Any, fake_tws: FakeTWS
):
    state = await asyncio.wait_for(
        ib.whatIfOrderAsync(aapl(lib), lib.LimitOrder("BUY", 10, 10_000.0)), spec.TIMEOUT)
    assert state.status == "PreSubmitted"
    assert [name for name in spec.WHAT_IF_FIGURES
            if not spec.is_figure(getattr(state, name))] == []
    assert float(state.initMarginChange) > 0
    assert fake_tws.orders() == [] and fake_tws.executions() == []
    assert ib.openTrades() == [] and ib.positions() == []
    assert await ib.reqAllOpenOrdersAsync() == []


async def test_non_default_fields_read_back_on_a_second_client(
    lib: ModuleType, ib: Any, fake_tws: FakeTWS, tws_target: TwsTarget
):
    algo = build_order(lib, spec.ALGO_LIMIT)
    algo.conditions = [lib.PriceCondition(**spec.PRICE_CONDITION),
                       lib.TimeCondition(**spec.TIME_CONDITION)]
    trailing = build_order(lib, spec.TRAILING)
    placed = [ib.placeOrder(aapl(lib), order) for order in (algo, trailing)]
    for trade in placed:
        await wait_until(lambda t=trade: t.orderStatus.status in ("PreSubmitted", "Submitted"),
                         "working", spec.TIMEOUT)
    other = await connect(lib, fake_tws, tws_target.new_client_id())
    try:
        seen = {t.order.permId: t for t in await other.reqAllOpenOrdersAsync()}
    finally:
        other.disconnect()
    assert sorted(seen) == sorted(t.order.permId for t in placed)
    for trade in placed:
        assert order_fields(seen[trade.order.permId].order) == order_fields(trade.order)
        assert seen[trade.order.permId].contract.conId == spec.AAPL_CON_ID
