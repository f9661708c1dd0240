"""What-if orders as TWS does them, through ib_async and ibapi over loopback: an openOrder with
the margins and commission, status PreSubmitted, and never an order, execution or position.
Also the issue-11 regression: ibapi's ordinary orders fill (they were taken as what-if)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from ib_async import IB, Bag, ComboLeg, LimitOrder, MarketOrder, Option, Stock

from pytest_tws import FakeTWS
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.margin import REG_T_INITIAL, REG_T_MAINTENANCE, Holding, requirement
from pytest_tws.model.matching import STOCK_MIN_PER_ORDER
from pytest_tws.waiting import wait_until

TIMEOUT = 5.0
AAPL = 265598
LIMIT = 180.0
QUANTITY = 10


@pytest.fixture
async def client(fake_tws: FakeTWS) -> AsyncIterator[IB]:
    ib = IB()
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=21, timeout=TIMEOUT)
    yield ib
    ib.disconnect()


def aapl() -> Stock:
    return Stock("AAPL", "SMART", "USD", conId=AAPL)


def nothing_happened(fake_tws: FakeTWS) -> None:
    assert fake_tws.orders() == []
    assert fake_tws.executions() == []
    assert all(not p.quantity for p in fake_tws.broker.positions_of())


async def test_what_if_answers_margins_and_creates_nothing(client: IB,
                                                           fake_tws: FakeTWS) -> None:
    state = await client.whatIfOrderAsync(aapl(), LimitOrder("BUY", QUANTITY, LIMIT))
    assert state.status == "PreSubmitted"
    value = QUANTITY * LIMIT
    assert float(state.initMarginChange) == pytest.approx(REG_T_INITIAL * value)
    assert float(state.maintMarginChange) == pytest.approx(REG_T_MAINTENANCE * value)
    assert float(state.initMarginAfter) - float(state.initMarginBefore) == pytest.approx(
        float(state.initMarginChange))
    assert float(state.equityWithLoanBefore) > 0
    assert state.commission == state.minCommission == state.maxCommission == STOCK_MIN_PER_ORDER
    assert state.commissionCurrency == "USD"
    nothing_happened(fake_tws)


async def test_what_if_market_order_never_fills(client: IB, fake_tws: FakeTWS) -> None:
    """Issue 11: a what-if BUY 10 left a +10 position and the call never returned."""
    state = await client.whatIfOrderAsync(aapl(), MarketOrder("BUY", QUANTITY))
    assert float(state.initMarginChange) > 0
    nothing_happened(fake_tws)
    assert client.trades() == []


async def test_what_if_for_an_unknown_contract_is_321(client: IB, fake_tws: FakeTWS) -> None:
    """ib_insync's own test expects 321 for Stock("XXX") (no exchange: TWS's `'bN' : cause -
    Missing order exchange.`). ib_async 2.1 counts 321 among its warnings, so its
    whatIfOrderAsync keeps waiting: the error event is what this test waits on."""
    codes: list[int] = []
    client.errorEvent += lambda req_id, code, *rest: codes.append(code)
    pending = asyncio.ensure_future(client.whatIfOrderAsync(Stock("XXX"), MarketOrder("BUY", 1)))
    try:
        await wait_until(lambda: 321 in codes, "error 321", TIMEOUT)
    finally:
        pending.cancel()
    nothing_happened(fake_tws)


async def test_what_if_vertical_spread_margins_its_legs(client: IB, fake_tws: FakeTWS) -> None:
    """The rule for a BAG: each leg's margin (long call: its premium; short call: premium plus
    20 % of the underlying), no spread offset (docs/orders.md)."""
    expiry = fake_tws.call(lambda: fake_tws.backend.catalog.expirations("SPY")[2])
    low, high = (Option("SPY", f"{expiry:%Y%m%d}", strike, "C", "SMART")
                 for strike in (600, 605))
    await client.qualifyContractsAsync(low, high)
    bag = Bag(symbol="SPY", exchange="SMART", currency="USD", comboLegs=[
        ComboLeg(conId=low.conId, ratio=1, action="BUY", exchange="SMART"),
        ComboLeg(conId=high.conId, ratio=1, action="SELL", exchange="SMART")])
    state = await client.whatIfOrderAsync(bag, LimitOrder("BUY", 2, 2.5))
    assert state.status == "PreSubmitted"
    # the short leg alone needs 20 % of 2 x 100 x the strike or more
    assert float(state.initMarginChange) > 0.2 * 2 * 100 * 600
    assert state.commission > 0
    nothing_happened(fake_tws)


def test_the_margin_rule() -> None:
    stock = ContractSpec(1, "AAPL", "STK")
    call = ContractSpec(2, "SPY", "OPT", strike=600.0, right="C", multiplier="100")
    future = ContractSpec(3, "ES", "FUT", multiplier="50")
    assert requirement(Holding(stock, 10, 200.0)).initial == REG_T_INITIAL * 2000
    assert requirement(Holding(stock, -10, 200.0)).maintenance == REG_T_MAINTENANCE * 2000
    assert requirement(Holding(call, 2, 3.0)).initial == 600.0
    short = requirement(Holding(call, -2, 3.0, underlying_price=610.0))
    assert short.initial == short.maintenance == 600.0 + 0.2 * 2 * 100 * 610.0
    assert requirement(Holding(future, 1, 5000.0)).initial == pytest.approx(25_000.0)


# -- ibapi ----------------------------------------------------------------------------------

if sys.version_info >= (3, 11):
    from ibapi.client import EClient
    from ibapi.contract import Contract
    from ibapi.order import Order
    from ibapi.wrapper import EWrapper

    class App(EWrapper, EClient):  # type: ignore[misc]
        def __init__(self) -> None:
            EWrapper.__init__(self)
            EClient.__init__(self, self)
            self.ready = threading.Event()
            self.open_orders: list[tuple[Any, Any]] = []
            self.got_open = threading.Event()
            self.statuses: list[str] = []
            self.filled = threading.Event()

        def nextValidId(self, orderId: int) -> None:
            self.ready.set()

        def openOrder(self, orderId: int, contract: Any, order: Any, state: Any) -> None:
            self.open_orders.append((order, state))
            self.got_open.set()

        def orderStatus(self, orderId: int, status: str, *rest: Any) -> None:
            self.statuses.append(status)
            if status == "Filled":
                self.filled.set()


@pytest.fixture
def app(fake_tws: FakeTWS) -> Iterator[Any]:
    if sys.version_info < (3, 11):
        pytest.skip("ibapi's text protocol needs Python 3.11+")
    client = App()
    client.connect(fake_tws.host, fake_tws.port, clientId=22)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    assert client.ready.wait(TIMEOUT)
    yield client
    client.disconnect()
    thread.join(timeout=TIMEOUT)


def ibapi_order(what_if: bool) -> tuple[Any, Any]:
    contract = Contract()
    contract.conId, contract.symbol, contract.secType = AAPL, "AAPL", "STK"
    contract.exchange, contract.currency = "SMART", "USD"
    order = Order()
    order.action, order.totalQuantity, order.orderType = "BUY", QUANTITY, "MKT"
    order.whatIf = what_if
    return contract, order


def test_ibapi_what_if_answers_margins_and_creates_nothing(app: Any,
                                                           fake_tws: FakeTWS) -> None:
    app.placeOrder(1, *ibapi_order(what_if=True))
    assert app.got_open.wait(TIMEOUT)
    ((order, state),) = app.open_orders
    assert order.whatIf and state.status == "PreSubmitted"
    assert float(state.initMarginChange) > 0 and float(state.maintMarginChange) > 0
    assert state.commissionAndFees == STOCK_MIN_PER_ORDER
    assert app.statuses == []
    nothing_happened(fake_tws)


def test_ibapi_orders_fill(app: Any, fake_tws: FakeTWS) -> None:
    """Issue 11: every ibapi order was read as what-if and never filled."""
    app.placeOrder(1, *ibapi_order(what_if=False))
    assert app.filled.wait(TIMEOUT)
    (order,) = fake_tws.orders()
    assert not order.ticket.what_if and order.status == "Filled"
    assert fake_tws.broker.positions_of()[0].quantity == QUANTITY
