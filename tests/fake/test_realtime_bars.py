"""reqRealTimeBars through ib_async on a virtual clock: 5-second bars from the fake's market,
aligned to the clock, agreeing with the ticker, cancelled, and refused for what TWS refuses."""

from __future__ import annotations

import itertools

from ib_async import IB, Stock, Ticker

from pytest_tws import FakeTWS
from pytest_tws.clock import VirtualClock
from pytest_tws.waiting import wait_until


async def _connect(ib: IB, fake_tws: FakeTWS) -> VirtualClock:
    clock = VirtualClock()
    fake_tws.use_clock(clock)
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=ib.client.clientId)
    return clock


def _subscribed(fake_tws: FakeTWS) -> bool:
    return bool(fake_tws.call(lambda: fake_tws.backend.extensions.get("realtime_bars")
                              and fake_tws.backend.extensions["realtime_bars"].streams))


async def _advance(clock: VirtualClock, seconds: float) -> None:
    """Every feed tick on the way runs (the fake's loop is waited on after each deadline)."""
    await clock.advance_async(seconds)


async def test_midpoint_bars_follow_the_clock_and_the_ticker(ib: IB, fake_tws: FakeTWS) -> None:
    clock = await _connect(ib, fake_tws)
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    ticker: Ticker = ib.reqMktData(spy)
    await wait_until(lambda: ticker.bid > 0 and ticker.ask > 0, "SPY quote")
    bars = ib.reqRealTimeBars(spy, 5, "MIDPOINT", False)
    await wait_until(lambda: _subscribed(fake_tws), "the fake has the subscription")
    mids: list[float] = []
    ticker.updateEvent += lambda t: mids.append(0.5 * (t.bid + t.ask))
    await _advance(clock, 16.0)
    await wait_until(lambda: len(bars) >= 2, "two real-time bars")
    for bar in bars:
        assert bar.time.timestamp() % 5 == 0
        assert bar.low <= min(bar.open_, bar.close) <= max(bar.open_, bar.close) <= bar.high
        assert bar.volume == -1 and bar.count == -1
    assert [b.time.timestamp() for b in bars] == sorted({b.time.timestamp() for b in bars})
    assert all(b.time.timestamp() - a.time.timestamp() == 5 for a, b in itertools.pairwise(bars))
    lo, hi = min(mids), max(mids)
    assert all(lo - 0.01 <= b.low and b.high <= hi + 0.01 for b in bars)
    ib.cancelRealTimeBars(bars)
    await wait_until(lambda: not _subscribed(fake_tws), "bars cancelled")
    count = len(bars)
    await _advance(clock, 10.0)
    assert len(bars) == count


async def test_trades_bars_carry_volume_and_a_wap_inside_the_bar(ib: IB,
                                                                fake_tws: FakeTWS) -> None:
    clock = await _connect(ib, fake_tws)
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    bars = ib.reqRealTimeBars(aapl, 5, "TRADES", False)
    await wait_until(lambda: _subscribed(fake_tws), "the fake has the subscription")
    await _advance(clock, 31.0)
    await wait_until(lambda: len(bars) >= 5, "five real-time bars")
    assert all(b.volume >= 0 and b.count >= 0 for b in bars)
    assert any(b.volume > 0 for b in bars)
    for bar in bars:
        assert bar.low - 1e-9 <= bar.wap <= bar.high + 1e-9


async def test_an_unknown_what_to_show_is_refused(ib: IB) -> None:
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    errors: list[int] = []
    ib.errorEvent += lambda req_id, code, *_: errors.append(code)
    ib.reqRealTimeBars(spy, 5, "PRICES", False)
    await wait_until(lambda: errors, "an error")
    assert errors == [162]
