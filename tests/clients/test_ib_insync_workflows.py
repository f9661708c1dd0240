"""ib_insync 0.9.86, unmodified, through the phase 1A-1D workflows over loopback TCP.

ib_insync announces v157..176, so the fake serves it at 176: every message below is encoded
at that version. Waits are on ib_insync's own events and state, with a timeout.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest

from pytest_tws import FakeTWS, TwsTarget
from pytest_tws.waiting import expect_event, wait_until
from tests.clients.decode_errors import DecodeErrors

ib_insync = pytest.importorskip("ib_insync")
from ib_insync import (  # noqa: E402
    IB,
    Bag,
    ComboLeg,
    Contract,
    LimitOrder,
    MarketOrder,
    Option,
    Stock,
    Trade,
)

#: ib_insync's Client.MaxClientVersion: what the fake (max 200) answers it.
INSYNC_VERSION = 176
TIMEOUT = 10.0
AAPL_CON_ID = 265598
SPY_CON_ID = 756733
MSFT_CON_ID = 272093
#: TWS's codes (pytest_tws/model/errors.py): no security definition; clientId in use.
NO_SECURITY_DEFINITION = 200
CLIENT_ID_IN_USE = 326


async def connect(tws: FakeTWS, client_id: int, timeout: float = TIMEOUT) -> IB:
    ib = IB()
    await ib.connectAsync(tws.host, tws.port, clientId=client_id, timeout=timeout)
    return ib


@pytest.fixture
async def ib(fake_tws: FakeTWS, tws_target: TwsTarget) -> AsyncIterator[IB]:
    client = await connect(fake_tws, tws_target.client_id)
    yield client
    client.disconnect()


def priced(value: float) -> bool:
    return not math.isnan(value) and value > 0


async def done(trade: Trade, status: str) -> None:
    await wait_until(lambda: trade.orderStatus.status == status, f"order {status}", TIMEOUT)


async def spread(ib: IB) -> tuple[Bag, Option, Option]:
    """A one-strike-wide SPY call spread from the chain the fake reports, a few expiries out."""
    [chain] = [c for c in await ib.reqSecDefOptParamsAsync("SPY", "", "STK", SPY_CON_ID)
               if c.exchange == "SMART"]
    expiry = sorted(chain.expirations)[2]
    strikes = sorted(chain.strikes)
    low, high = strikes[len(strikes) // 2], strikes[len(strikes) // 2 + 1]
    legs = [Option("SPY", expiry, strike, "C", "SMART") for strike in (low, high)]
    await ib.qualifyContractsAsync(*legs)
    bag = Bag(symbol="SPY", exchange="SMART", currency="USD", comboLegs=[
        ComboLeg(conId=legs[0].conId, ratio=1, action="BUY", exchange="SMART"),
        ComboLeg(conId=legs[1].conId, ratio=1, action="SELL", exchange="SMART")])
    return bag, legs[0], legs[1]


# -- 1A: connection ---------------------------------------------------------------------------


async def test_connects_at_176_with_the_startup_sync(ib: IB, fake_tws: FakeTWS):
    assert ib.isConnected() and ib.client.serverVersion() == INSYNC_VERSION
    assert ib.managedAccounts() == list(fake_tws.accounts)
    assert {"NetLiquidation", "TotalCashValue", "BuyingPower"} <= {
        v.tag for v in ib.accountValues()}
    assert ib.positions() == [] and ib.openTrades() == []
    server_time = await ib.reqCurrentTimeAsync()
    assert abs((server_time - fake_tws.clock.now()).total_seconds()) < 5


async def test_duplicate_client_id_gets_326_and_the_first_client_stays(
    ib: IB, fake_tws: FakeTWS, tws_target: TwsTarget, client_decode_errors: DecodeErrors
):
    second = IB()
    refused = expect_event(second.errorEvent, lambda _rid, code, *_: code == CLIENT_ID_IN_USE,
                           TIMEOUT)
    try:
        # asyncio.TimeoutError is not the builtin TimeoutError before Python 3.11
        with pytest.raises((asyncio.TimeoutError, TimeoutError, ConnectionError)):
            await second.connectAsync(fake_tws.host, fake_tws.port,
                                      clientId=tws_target.client_id, timeout=2)
        await refused
    finally:
        second.disconnect()
    # ib_insync's client logs the refused connect at ERROR ("Peer closed connection. clientId
    # .. already in use?", "API connection failed"): expected here, not decode errors
    client_decode_errors.records[:] = [
        r for r in client_decode_errors.records if not r.startswith("ib_insync.client:")]
    assert ib.isConnected() and await ib.reqCurrentTimeAsync()


# -- contracts and the option chain -----------------------------------------------------------


async def test_qualify_and_contract_details(ib: IB, fake_tws: FakeTWS):
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    assert (aapl.conId, aapl.primaryExchange) == (AAPL_CON_ID, "NASDAQ")
    [details] = await ib.reqContractDetailsAsync(Stock("MSFT", "SMART", "USD"))
    assert (details.contract.conId, details.longName) == (MSFT_CON_ID, "MICROSOFT CORP")
    expiry = f"{fake_tws.backend.catalog.expirations('SPY')[0]:%Y%m%d}"
    [option] = await ib.reqContractDetailsAsync(Option("SPY", expiry, 600, "C", "SMART"))
    assert (option.contract.strike, option.contract.right, option.contract.multiplier) == (
        600, "C", "100")
    assert option.underConId == SPY_CON_ID
    [again] = await ib.reqContractDetailsAsync(Contract(conId=option.contract.conId))
    assert again.contract.localSymbol == option.contract.localSymbol


async def test_unknown_contract_gets_error_200_on_its_request(ib: IB):
    failed = expect_event(ib.errorEvent, lambda _rid, code, *_: code == NO_SECURITY_DEFINITION,
                          TIMEOUT)
    assert await ib.reqContractDetailsAsync(Stock("NOSUCH", "SMART", "USD")) == []
    req_id, *_ = await failed
    assert req_id > 0


async def test_option_chain(ib: IB, fake_tws: FakeTWS):
    chains = await ib.reqSecDefOptParamsAsync("SPY", "", "STK", SPY_CON_ID)
    [smart] = [c for c in chains if c.exchange == "SMART"]
    # ib_insync keeps underlyingConId as the text it read (its OptionChain types it `str`)
    assert (int(smart.underlyingConId), smart.tradingClass, smart.multiplier) == (
        SPY_CON_ID, "SPY", "100")
    catalog = fake_tws.backend.catalog
    assert sorted(smart.expirations) == [f"{d:%Y%m%d}" for d in catalog.expirations("SPY")]
    assert sorted(smart.strikes) == sorted(catalog.strikes("SPY"))


# -- 1D: market data and history ---------------------------------------------------------------


async def test_streaming_market_data_and_cancel(ib: IB, fake_tws: FakeTWS):
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    ticker = ib.reqMktData(spy, "100,101,104,106,165,236")
    await wait_until(lambda: priced(ticker.bid) and priced(ticker.ask) and priced(ticker.last),
                     "SPY ticks", TIMEOUT)
    assert ticker.bid < ticker.ask and ticker.marketDataType == 1
    first = ticker.last
    moved = expect_event(ticker.updateEvent, lambda t: t.last != first, TIMEOUT)
    fake_tws.market.set_price("SPY", first + 5)
    await moved
    ib.cancelMktData(spy)
    await wait_until(lambda: not fake_tws.call(lambda: fake_tws.market.subscriptions),
                     "the line freed", TIMEOUT)


async def test_snapshots_hold_no_line(ib: IB, fake_tws: FakeTWS):
    contracts = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"),
                                               Stock("MSFT", "SMART", "USD"))
    tickers = await ib.reqTickersAsync(*contracts)
    assert all(priced(t.bid) and t.bid < t.ask for t in tickers)
    assert fake_tws.call(lambda: fake_tws.market.subscriptions) == []


async def test_historical_bars(ib: IB):
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    bars = await ib.reqHistoricalDataAsync(spy, "", "2 D", "1 hour", "TRADES", True)
    assert len(bars) >= 7
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in bars)
    assert all(b.volume > 0 for b in bars)


# -- 1C: orders, positions, executions ---------------------------------------------------------


async def test_stock_order_fills_with_execution_commission_and_position(ib: IB, fake_tws: FakeTWS):
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    [ticker] = await ib.reqTickersAsync(aapl)
    trade = ib.placeOrder(aapl, LimitOrder("BUY", 10, round(ticker.ask + 1, 2)))
    await wait_until(lambda: trade.isDone() and trade.fills
                     and trade.fills[0].commissionReport.commission, "filled", TIMEOUT)
    assert trade.orderStatus.status == "Filled" and trade.orderStatus.filled == 10
    [fill] = trade.fills
    assert (fill.execution.side, fill.execution.shares) == ("BOT", 10)
    assert fill.commissionReport.commission == pytest.approx(1.0)
    await wait_until(lambda: [p.position for p in ib.positions()] == [10], "position", TIMEOUT)
    [position] = await ib.reqPositionsAsync()
    assert (position.contract.conId, position.position) == (AAPL_CON_ID, 10)
    [execution] = await ib.reqExecutionsAsync()
    assert execution.execution.execId == fill.execution.execId


async def test_resting_stock_order_cancels(ib: IB, fake_tws: FakeTWS):
    trade = ib.placeOrder(Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID),
                          LimitOrder("BUY", 5, 1.0))
    await done(trade, "Submitted")
    ib.cancelOrder(trade.order)
    await done(trade, "Cancelled")
    assert [o.status for o in fake_tws.orders()] == ["Cancelled"]
    assert ib.positions() == [] and trade.fills == []


async def test_bag_order_fills_as_one_and_books_both_legs(ib: IB, fake_tws: FakeTWS):
    bag, low, high = await spread(ib)
    trade = ib.placeOrder(bag, MarketOrder("BUY", 1))
    await wait_until(lambda: trade.isDone(), "the spread filled", TIMEOUT)
    assert trade.orderStatus.status == "Filled"
    await wait_until(lambda: len(ib.positions()) == 2, "both legs' positions", TIMEOUT)
    assert sorted((p.contract.conId, p.position) for p in ib.positions()) == sorted(
        [(low.conId, 1), (high.conId, -1)])
    executions = await ib.reqExecutionsAsync()
    assert {f.contract.conId for f in executions} >= {low.conId, high.conId}


async def test_resting_bag_order_cancels(ib: IB, fake_tws: FakeTWS):
    bag, _, _ = await spread(ib)
    trade = ib.placeOrder(bag, LimitOrder("BUY", 1, 0.01))
    await done(trade, "Submitted")
    ib.cancelOrder(trade.order)
    await done(trade, "Cancelled")
    assert ib.positions() == []
