"""The fake's market data with ib_async: streams, snapshots, greeks, limits, permissions,
halts, historical bars and pacing, the feed on a virtual clock, and 1100/1101."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from ib_async import IB, Bag, ComboLeg, Forex, Option, Stock, Ticker
from ib_async.wrapper import RequestError

from pytest_tws import FakeTWS
from pytest_tws.clock import VirtualClock
from pytest_tws.fake.backend import Backend
from pytest_tws.model.contracts import ContractQuery
from pytest_tws.waiting import expect_event, wait_until

TIMEOUT = 10.0


async def qualified(ib: IB, *contracts: Stock | Option) -> list[Stock | Option]:
    await ib.qualifyContractsAsync(*contracts)
    assert all(c.conId for c in contracts)
    return list(contracts)


def priced(value: float) -> bool:
    return not math.isnan(value) and value > 0


async def test_a_stream_shows_the_full_picture_and_generic_ticks(ib: IB) -> None:
    [spy] = await qualified(ib, Stock("SPY", "SMART", "USD"))
    ticker = ib.reqMktData(spy, "100,101,104,106,165,236")
    await wait_until(lambda: priced(ticker.bid) and priced(ticker.shortableShares), "SPY ticks")
    assert ticker.bid < ticker.ask and ticker.minTick == 0.01
    assert ticker.marketDataType == 1 and ticker.snapshotPermissions == 3
    assert all(priced(v) for v in (ticker.last, ticker.high, ticker.low, ticker.close,
                                   ticker.open, ticker.volume))
    assert ticker.low <= ticker.last <= ticker.high
    assert ticker.impliedVolatility == pytest.approx(0.15)
    assert priced(ticker.histVolatility) and priced(ticker.avVolume)
    assert priced(ticker.callOpenInterest) and priced(ticker.putVolume)
    assert ticker.shortable == 3.0 and ticker.halted == 0


async def test_option_lines_carry_the_four_computations(ib: IB, fake_tws: FakeTWS) -> None:
    expiry = fake_tws.call(lambda: fake_tws.backend.catalog.expirations("SPY")[3])
    [call, put] = await qualified(ib, Option("SPY", f"{expiry:%Y%m%d}", 600, "C", "SMART"),
                                  Option("SPY", f"{expiry:%Y%m%d}", 600, "P", "SMART"))
    tickers = [ib.reqMktData(c) for c in (call, put)]
    await wait_until(lambda: all(t.bidGreeks and t.askGreeks and t.lastGreeks and t.modelGreeks
                                 for t in tickers), "bid/ask/last/model greeks")
    c, p = (t.modelGreeks for t in tickers)
    assert c is not None and p is not None
    assert 0 < (c.delta or 0) < 1 and -1 < (p.delta or 0) < 0
    assert c.gamma == pytest.approx(p.gamma, rel=1e-6)
    assert tickers[0].bid < (c.optPrice or 0) < tickers[0].ask
    bid_iv = tickers[0].bidGreeks.impliedVol if tickers[0].bidGreeks else None
    ask_iv = tickers[0].askGreeks.impliedVol if tickers[0].askGreeks else None
    assert bid_iv is not None and ask_iv is not None and bid_iv < (c.impliedVol or 0) < ask_iv


async def test_reqtickers_snapshots_end_and_hold_no_line(ib: IB, fake_tws: FakeTWS) -> None:
    [aapl, msft] = await qualified(ib, Stock("AAPL", "SMART", "USD"), Stock("MSFT", "SMART", "USD"))
    tickers = await ib.reqTickersAsync(aapl, msft)
    assert [priced(t.bid) and priced(t.last) for t in tickers] == [True, True]
    assert fake_tws.market.subscriptions == []


async def test_control_moves_halts_and_cancel_stops(ib: IB, fake_tws: FakeTWS) -> None:
    [spy, qqq] = await qualified(ib, Stock("SPY", "SMART", "USD"), Stock("QQQ", "SMART", "USD"))
    ticker = ib.reqMktData(spy)
    await wait_until(lambda: priced(ticker.last), "SPY last")
    moved = expect_event(ticker.updateEvent, lambda t: t.last == 550.0)
    fake_tws.market.set_price("SPY", 550.0)
    await moved
    dropped = expect_event(ticker.updateEvent, lambda t: t.last == 522.5)
    fake_tws.market.move("SPY", -5)
    await dropped
    assert fake_tws.market.price("SPY") == pytest.approx(522.5, abs=0.02)

    halted = expect_event(ticker.updateEvent, lambda t: t.halted == 1)
    fake_tws.market.halt("SPY")
    await halted
    [line] = fake_tws.market.subscriptions
    assert (line.symbol, line.client_id, line.sec_type) == ("SPY", ib.client.clientId, "STK")

    ib.cancelMktData(spy)
    await wait_until(lambda: fake_tws.market.subscriptions == [], "the line cancelled")
    fake_tws.market.resume("SPY")
    fake_tws.market.set_price("SPY", 500.0)
    other = ib.reqMktData(qqq)  # its first tick comes after anything SPY could still get
    await wait_until(lambda: priced(other.last), "QQQ last")
    assert ticker.last == 522.5


async def test_the_line_limit_answers_101_and_cancel_frees_a_line(
    ib: IB, fake_tws: FakeTWS
) -> None:
    fake_tws.limits.market_data_lines = 2
    contracts = await qualified(ib, *(Stock(s, "SMART", "USD") for s in ("SPY", "QQQ", "IWM")))
    errors = []
    ib.errorEvent += lambda req_id, code, text, contract: errors.append((code, contract.symbol))
    for contract in contracts:
        ib.reqMktData(contract)
    await wait_until(lambda: errors, "error 101")
    assert errors == [(101, "IWM")] and len(fake_tws.market.subscriptions) == 2
    ib.cancelMktData(contracts[0])
    ib.cancelMktData(contracts[2])  # ib_async's own bookkeeping
    await wait_until(lambda: len(fake_tws.market.subscriptions) == 1, "a line freed")
    third = ib.reqMktData(contracts[2])
    await wait_until(lambda: priced(third.bid), "IWM streams")


async def test_without_permissions_354_or_delayed_ticks(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.market.deny_permissions("MSFT")
    [msft] = await qualified(ib, Stock("MSFT", "SMART", "USD"))
    refused = expect_event(ib.errorEvent, lambda req_id, code, *_: code == 354)
    ib.reqMktData(msft)
    await refused
    assert fake_tws.market.subscriptions == []
    ib.cancelMktData(msft)

    ib.reqMarketDataType(3)
    warned = expect_event(ib.errorEvent, lambda req_id, code, *_: code == 10167)
    ticker = ib.reqMktData(msft)
    await warned
    await wait_until(lambda: ticker.marketDataType == 3 and priced(ticker.bid), "delayed MSFT")
    assert {t.tickType for t in ticker.ticks} <= {*range(66, 77), 90}
    [line] = fake_tws.market.subscriptions
    assert line.delayed


async def test_a_vertical_spread_bag_is_quoted_from_its_legs(ib: IB, fake_tws: FakeTWS) -> None:
    expiry = fake_tws.call(lambda: fake_tws.backend.catalog.expirations("SPY")[2])
    low, high = await qualified(ib, Option("SPY", f"{expiry:%Y%m%d}", 600, "C", "SMART"),
                                Option("SPY", f"{expiry:%Y%m%d}", 605, "C", "SMART"))
    bag = Bag(symbol="SPY", exchange="SMART", currency="USD", comboLegs=[
        ComboLeg(conId=low.conId, ratio=1, action="BUY", exchange="SMART"),
        ComboLeg(conId=high.conId, ratio=1, action="SELL", exchange="SMART")])
    ticker = ib.reqMktData(bag)
    await wait_until(lambda: priced(ticker.ask), "the spread's quote")
    assert 0 < ticker.bid < ticker.ask < 5.0


async def test_historical_bars_and_the_ib_async_watchdog_probe(ib: IB) -> None:
    [spy] = await qualified(ib, Stock("SPY", "SMART", "USD"))
    bars = await ib.reqHistoricalDataAsync(spy, "", "2 D", "1 hour", "TRADES", True)
    assert len(bars) >= 7 and all(b.low <= min(b.open, b.close) for b in bars)
    assert all(b.high >= max(b.open, b.close) and b.volume > 0 for b in bars)
    daily = await ib.reqHistoricalDataAsync(spy, "", "1 M", "1 day", "TRADES", True)
    assert 15 <= len(daily) <= 23
    # ibcontroller.Watchdog's probe, as it sends it
    probe = await ib.reqHistoricalDataAsync(Forex("EURUSD"), "", "30 S", "5 secs", "MIDPOINT",
                                            False)
    assert len(probe) == 6 and all(1.0 < b.close < 1.2 for b in probe)


async def test_identical_historical_request_within_15s_is_paced(ib: IB, fake_tws: FakeTWS) -> None:
    clock = VirtualClock()
    fake_tws.use_clock(clock)
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=ib.client.clientId)
    ib.RaiseRequestErrors = True
    [spy] = await qualified(ib, Stock("SPY", "SMART", "USD"))
    args = (spy, "", "1 D", "5 mins", "TRADES", True)
    assert await ib.reqHistoricalDataAsync(*args)
    with pytest.raises(RequestError) as paced:
        await ib.reqHistoricalDataAsync(*args)
    assert paced.value.code == 162
    clock.advance(16.0)  # pacing counts on the fake's clock (and on real time)
    assert await ib.reqHistoricalDataAsync(*args)


async def test_ticks_follow_virtual_time(ib: IB, fake_tws: FakeTWS) -> None:
    clock = VirtualClock()
    fake_tws.use_clock(clock)
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=ib.client.clientId)
    [tsla] = await qualified(ib, Stock("TSLA", "SMART", "USD"))
    ticker: Ticker = ib.reqMktData(tsla)
    await wait_until(lambda: priced(ticker.last), "TSLA first picture")
    start = (ticker.bid, ticker.ask, ticker.volume)
    for _ in range(40):  # 10 virtual seconds
        clock.advance(0.25)
    await wait_until(lambda: (ticker.bid, ticker.ask, ticker.volume) != start, "ticks")
    fake_tws.market.set_tick_rate(1.0)
    assert fake_tws.call(lambda: fake_tws.backend.market_feed.tick_rate) == 1.0


def test_same_seed_same_quotes_on_a_virtual_clock() -> None:
    def quotes(seed: int) -> list[float]:
        clock = VirtualClock()
        backend = Backend(("DU1",), seed, clock, lambda: 0.0)
        expiry = f"{backend.catalog.expirations('AAPL')[0]:%Y%m%d}"
        [opt] = backend.catalog.find(ContractQuery(symbol="AAPL", sec_type="OPT", strike=230,
                                                   right="C", last_trade_date=expiry))
        out = []
        for _ in range(5):
            clock.advance(30.0)
            spy = backend.catalog.find(ContractQuery(symbol="SPY", sec_type="STK"))[0]
            out += [backend.quote(spy).last, backend.quote(opt).mid]
        return out

    assert quotes(3) == quotes(3)
    assert quotes(3) != quotes(4)


async def test_1100_pauses_1102_catches_up_1101_drops(ib: IB, fake_tws: FakeTWS) -> None:
    [iwm] = await qualified(ib, Stock("IWM", "SMART", "USD"))
    ticker = ib.reqMktData(iwm)
    await wait_until(lambda: priced(ticker.last), "IWM last")
    fake_tws.connectivity_lost()
    fake_tws.market.set_price("IWM", 210.0)
    caught_up = expect_event(ticker.updateEvent, lambda t: t.last == 210.0)
    fake_tws.connectivity_restored(data_lost=False)
    await caught_up
    fake_tws.connectivity_restored(data_lost=True)
    await wait_until(lambda: fake_tws.market.subscriptions == [], "1101 dropped the line")


async def test_a_closed_session_frees_its_lines(fake_tws: FakeTWS) -> None:
    client = IB()
    await client.connectAsync(fake_tws.host, fake_tws.port, clientId=901)
    [spy] = await qualified(client, Stock("SPY", "SMART", "USD"))
    client.reqMktData(spy)
    await wait_until(lambda: len(fake_tws.market.subscriptions) == 1, "one line")
    client.disconnect()
    await wait_until(lambda: fake_tws.market.subscriptions == [], "the line gone with it")


def test_quotes_are_valid_after_a_day_of_virtual_time() -> None:
    clock = VirtualClock()
    backend = Backend(("DU1",), 0, clock, lambda: 0.0)
    spy = backend.catalog.find(ContractQuery(symbol="SPY", sec_type="STK"))[0]
    first = backend.quote(spy)
    clock.advance(timedelta(days=1).total_seconds())
    later = backend.quote(spy)
    assert later.stock is not None and later.stock.close != first.stock.close  # type: ignore[union-attr]
    assert 0 < later.bid < later.ask


class _VersionedSession:
    """Just what a market-data line reads of its session: the negotiated version."""

    def __init__(self, version: int) -> None:
        self.server_version = version
        self.closed = False
        self.client_id = version


def test_lines_share_ticks_only_with_lines_of_their_version() -> None:
    """Ticks are worked out once per contract per tick, and per version: a v155 client gets
    tickOptionComputation with its version field and no tickAttrib, a v178 one the other way
    round (ibapi's processTickOptionComputationMsg), even for the same option at once."""
    from pytest_tws.fake.market_book import Line, book
    from pytest_tws.wire.versions import MIN_SERVER_VER_PRICE_BASED_VOLATILITY as GATE

    with FakeTWS() as fake:
        def updates() -> dict[int, list[list[str]]]:
            backend = fake.backend
            expiry = backend.catalog.expirations("SPY")[0]
            [option] = backend.catalog.find(ContractQuery(
                symbol="SPY", sec_type="OPT", last_trade_date=f"{expiry:%Y%m%d}", strike=600.0,
                right="C"))
            market = book(backend)
            cache: dict[object, object] = {}
            out = {}
            for req_id, version in ((1, 178), (2, GATE - 1), (3, 178)):
                line = Line(_VersionedSession(version), req_id, option)  # type: ignore[arg-type]
                out[req_id] = [p.fields for p in market.updates(line, cache)]
            return out

        sent = fake.call(updates)
    computations = {req_id: [f for f in fields if f[0] == "21"] for req_id, fields in sent.items()}
    assert all(len(c) == 4 for c in computations.values())
    new, old, again = computations[1], computations[2], computations[3]
    assert [f[1:3] for f in new] == [["1", str(t)] for t in (10, 11, 12, 13)]  # reqId, type
    assert [f[1:4] for f in old] == [["6", "2", str(t)] for t in (10, 11, 12, 13)]  # version
    assert [len(f) for f in new] == [12] * 4 and [len(f) for f in old] == [12] * 4
    assert [f[2:] for f in again] == [f[2:] for f in new]  # shared, readdressed
    assert [f[1] for f in again] == ["3"] * 4
