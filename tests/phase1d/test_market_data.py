"""Phase 1D: option chains, ticker subscriptions and market-data limits, through the wire.

The three seed tests run with ``--tws=fake`` (default) and ``--tws=paper``; the parts that need
the fake's hand on the market (moving prices, its own line limit, permissions, 1101) run only
against the fake. On paper, outside market hours, prices may not move: there the tests only
check what a closed market still sends.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest
from ib_async import Contract, Stock, Ticker

from pytest_tws import FakeTWS, TwsTarget
from pytest_tws.waiting import expect_event, wait_until
from tws_core import ConnectionManager
from tws_core.errors import TwsApiError
from tws_core.market_data import MarketData, OptionChain
from tws_core.throttle import MarketDataLimitError

pytestmark = pytest.mark.phase1d

TIMEOUT = 10.0
STOCKS = ("SPY", "QQQ", "IWM", "AAPL", "MSFT")


@pytest.fixture
async def data(conn: ConnectionManager) -> AsyncIterator[MarketData]:
    market_data = MarketData(conn, line_limit=100)
    yield market_data
    for ticker in market_data.tickers:
        await market_data.unsubscribe(ticker)
    market_data.close()


def fake_of(request: pytest.FixtureRequest, target: TwsTarget) -> FakeTWS | None:
    return request.getfixturevalue("fake_tws") if target.is_fake else None


def has_price(value: float) -> bool:
    return not math.isnan(value) and value > 0


async def atm_call(data: MarketData, chain: OptionChain) -> Contract:
    strike = chain.atm_strike()
    assert strike is not None
    [call] = await data.qualify(chain.contracts(chain.expirations[:1], [strike], rights=("C",)))
    return call


# -- the seed scenarios ---------------------------------------------------------------------


async def test_option_chain_retrieval(data: MarketData) -> None:
    chain = await data.option_chain("SPY", expirations=3, strikes=10)

    assert (chain.symbol, chain.trading_class, chain.multiplier) == ("SPY", "SPY", "100")
    assert chain.underlying_con_id == 756733
    assert len(chain.expirations) == 3 and list(chain.expirations) == sorted(chain.expirations)
    assert len(chain.strikes) == 10 and list(chain.strikes) == sorted(chain.strikes)
    assert chain.spot is not None and chain.strikes[0] < chain.spot < chain.strikes[-1]

    strike = chain.atm_strike()
    options = await data.qualify(chain.contracts(chain.expirations[:1], [strike]))
    assert [(o.right, o.strike, o.lastTradeDateOrContractMonth) for o in options] == [
        ("C", strike, chain.expirations[0]), ("P", strike, chain.expirations[0])]
    assert all(o.conId > 0 and o.multiplier == "100" for o in options)


async def test_ticker_subscription(
    data: MarketData, tws_target: TwsTarget, request: pytest.FixtureRequest
) -> None:
    fake = fake_of(request, tws_target)
    spy = Stock("SPY", "SMART", "USD")
    stock = await data.subscribe(spy)
    await wait_until(lambda: has_price(stock.bid) and has_price(stock.ask), "SPY bid and ask")
    assert stock.bid < stock.ask

    chain = await data.option_chain("SPY", expirations=1, strikes=5)
    option = await data.subscribe(await atm_call(data, chain))
    await wait_until(lambda: option.modelGreeks is not None, "model greeks of the ATM call")
    greeks = option.modelGreeks
    assert greeks is not None and 0.2 < (greeks.delta or 0) < 0.8
    assert (greeks.gamma or 0) > 0 and (greeks.vega or 0) > 0 and (greeks.theta or 0) < 0
    assert greeks.undPrice == pytest.approx(stock.midpoint(), rel=0.01)
    assert data.budget.used == 2

    if fake is not None:  # the market moves when the fake says so
        moved = expect_event(stock.updateEvent, lambda t: t.last == 520.0, timeout=TIMEOUT)
        fake.market.set_price("SPY", 520.0)
        await moved
        assert len(fake.market.subscriptions) == 2

    await data.unsubscribe(option)
    await data.unsubscribe(stock)
    assert data.budget.used == 0
    if fake is not None:
        await wait_until(lambda: fake.market.subscriptions == [], "the fake's lines freed")
        # Nothing comes for a cancelled line: a new line's first tick arrives after any
        # tick the old one could still have been sent (one socket, in order).
        stale = expect_event(stock.updateEvent, timeout=TIMEOUT)
        fake.market.set_price("SPY", 530.0)
        await data.subscribe(Stock("QQQ", "SMART", "USD"))
        assert stale.matches == [] and stock.last == 520.0


async def test_market_data_limits(
    conn: ConnectionManager, tws_target: TwsTarget, request: pytest.FixtureRequest
) -> None:
    fake = fake_of(request, tws_target)
    data = MarketData(conn, line_limit=3)
    try:
        tickers = [await data.subscribe(Stock(s, "SMART", "USD")) for s in STOCKS[:3]]
        with pytest.raises(MarketDataLimitError):
            await data.subscribe(Stock(STOCKS[3], "SMART", "USD"))
        if fake is not None:
            assert len(fake.market.subscriptions) == 3  # the excess never reached TWS

        await data.unsubscribe(tickers[0])  # a cancelled line is free again
        await data.subscribe(Stock(STOCKS[3], "SMART", "USD"))
        assert data.budget.used == 3
    finally:
        for ticker in data.tickers:
            await data.unsubscribe(ticker)
        data.close()

    if fake is None:
        return
    # The budget bypassed (it thinks there are 10 lines): the fake answers 101 itself.
    fake.limits.market_data_lines = 3
    roomy = MarketData(conn, line_limit=10)
    try:
        for symbol in STOCKS[:3]:
            await roomy.subscribe(Stock(symbol, "SMART", "USD"))
        with pytest.raises(MarketDataLimitError):
            await roomy.subscribe(Stock(STOCKS[3], "SMART", "USD"))
        assert roomy.budget.used == 3  # the refused line is not counted
    finally:
        roomy.close()


# -- more of phase 1D ----------------------------------------------------------------------


async def test_snapshots_hold_no_line(
    data: MarketData, tws_target: TwsTarget, request: pytest.FixtureRequest
) -> None:
    fake = fake_of(request, tws_target)
    chain = await data.option_chain("SPY", expirations=1, strikes=3)
    call = await atm_call(data, chain)
    spy = Stock("SPY", "SMART", "USD")
    await data.qualify([spy])
    stock, option = await data.snapshot(spy, call)
    assert has_price(stock.bid) and stock.bid < stock.ask
    assert has_price(option.ask) and option.modelGreeks is not None
    assert data.budget.used == 0
    if fake is not None:
        assert fake.market.subscriptions == []


@pytest.mark.fake_only
async def test_delayed_data_fallback(conn: ConnectionManager, fake_tws: FakeTWS) -> None:
    fake_tws.market.deny_permissions("AAPL")
    strict = MarketData(conn)
    with pytest.raises(TwsApiError) as refused:
        await strict.subscribe(Stock("AAPL", "SMART", "USD"))
    assert refused.value.code == 354 and strict.budget.used == 0
    strict.close()

    lenient = MarketData(conn, allow_delayed=True)
    try:
        ticker = await lenient.subscribe(Stock("AAPL", "SMART", "USD"))
        await wait_until(lambda: ticker.marketDataType == 3 and has_price(ticker.bid),
                         "delayed AAPL quotes")
        [line] = fake_tws.market.subscriptions
        assert line.delayed and line.symbol == "AAPL"
    finally:
        lenient.close()


@pytest.mark.fake_only
async def test_resubscription_after_1101(data: MarketData, fake_tws: FakeTWS) -> None:
    ticker = await data.subscribe(Stock("SPY", "SMART", "USD"))
    fake_tws.connectivity_restored(data_lost=True)
    # the fake dropped the line; MarketData asks again by itself
    await wait_until(lambda: len(fake_tws.market.subscriptions) == 1, "SPY subscribed again")
    moved = expect_event(ticker.updateEvent, lambda t: t.last == 480.0, timeout=TIMEOUT)
    fake_tws.market.set_price("SPY", 480.0)
    assert (await moved) is ticker
    assert data.budget.used == 1


@pytest.mark.fake_only
async def test_resubscription_after_reconnect(
    conn: ConnectionManager, data: MarketData, fake_tws: FakeTWS
) -> None:
    ticker: Ticker = await data.subscribe(Stock("QQQ", "SMART", "USD"))
    fake_tws.drop_clients()
    await wait_until(lambda: not conn.ib.isConnected(), "the socket gone")
    await conn.reconnect("test")
    await wait_until(lambda: len(fake_tws.market.subscriptions) == 1, "QQQ subscribed again")
    moved = expect_event(ticker.updateEvent, lambda t: t.last == 400.0, timeout=TIMEOUT)
    fake_tws.market.set_price("QQQ", 400.0)
    await moved
