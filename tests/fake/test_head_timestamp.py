"""reqHeadTimeStamp through ib_async: the fake's documented head rule
(pytest_tws/fake/head_timestamp.py), both date formats, quotes vs trades, derivatives, forex,
errors, and the clock bounding it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ib_async import IB, Forex, Option, Stock
from ib_async.wrapper import RequestError

from pytest_tws import FakeTWS
from pytest_tws.clock import VirtualClock
from pytest_tws.fake import head_timestamp as head


async def test_aapl_trades_head_is_its_listing_open_as_tws_sends_it(ib: IB) -> None:
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    got = await ib.reqHeadTimeStampAsync(aapl, "TRADES", True, 1)
    # TWS: "19801212-14:30:00" (UTC); ib_async parses it as a naive datetime
    assert got == datetime(1980, 12, 12, 14, 30)
    stamp = await ib.reqHeadTimeStampAsync(aapl, "TRADES", False, 2)
    assert stamp == datetime(1980, 12, 12, 14, 30, tzinfo=timezone.utc)


async def test_quotes_begin_later_than_trades(ib: IB) -> None:
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    trades = await ib.reqHeadTimeStampAsync(spy, "TRADES", True, 1)
    quotes = await ib.reqHeadTimeStampAsync(spy, "BID_ASK", True, 1)
    assert trades == datetime(1993, 1, 29, 14, 30)
    assert quotes == datetime(2004, 1, 2, 14, 30)  # QUOTES_FROM at 09:30 New York (EST)


async def test_an_unlisted_symbol_gets_a_seeded_trading_day(ib: IB, fake_tws: FakeTWS) -> None:
    [spec] = fake_tws.call(lambda: [s for s in fake_tws.backend.catalog.listed()
                                    if s.sec_type == "STK" and s.symbol not in head.LISTINGS
                                    and s.exchange == "SMART"][:1])
    [stock] = await ib.qualifyContractsAsync(Stock(spec.symbol, "SMART", spec.currency))
    first = await ib.reqHeadTimeStampAsync(stock, "TRADES", True, 2)
    again = await ib.reqHeadTimeStampAsync(stock, "TRADES", True, 2)
    assert first == again
    assert head.SEEDED_FROM <= first.date() <= head.SEEDED_UNTIL + timedelta(days=7)
    assert first.date() == head.listing_day(spec.symbol)


async def test_an_option_starts_two_years_before_expiry(ib: IB, fake_tws: FakeTWS) -> None:
    expiry = fake_tws.call(lambda: fake_tws.backend.catalog.expirations("SPY")[0])
    [opt] = await ib.qualifyContractsAsync(
        Option("SPY", f"{expiry:%Y%m%d}", 600, "C", "SMART", tradingClass="SPY"))
    got = await ib.reqHeadTimeStampAsync(opt, "TRADES", True, 2)
    assert 700 <= (expiry - got.date()).days <= 735


async def test_forex_head_and_the_errors(ib: IB) -> None:
    ib.RaiseRequestErrors = True
    assert await ib.reqHeadTimeStampAsync(Forex("EURUSD"), "MIDPOINT", True, 2) == head.FOREX_FROM
    with pytest.raises(RequestError) as invalid:
        await ib.reqHeadTimeStampAsync(Stock("SPY", "SMART", "USD"), "PRICES", True, 1)
    assert invalid.value.code == 162
    with pytest.raises(RequestError) as unknown:
        await ib.reqHeadTimeStampAsync(Stock("NOSUCHSYM", "SMART", "USD"), "TRADES", True, 1)
    assert unknown.value.code == 200


async def test_the_head_is_never_after_the_clock(ib: IB, fake_tws: FakeTWS) -> None:
    clock = VirtualClock(datetime(1992, 6, 1, 15, 0, tzinfo=timezone.utc))
    fake_tws.use_clock(clock)
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=ib.client.clientId)
    got = await ib.reqHeadTimeStampAsync(Stock("SPY", "SMART", "USD"), "TRADES", True, 2)
    assert got == datetime(1992, 6, 1, 15, 0, tzinfo=timezone.utc)  # SPY lists in 1993
    aapl = await ib.reqHeadTimeStampAsync(Stock("AAPL", "SMART", "USD"), "TRADES", True, 2)
    assert aapl == datetime(1980, 12, 12, 14, 30, tzinfo=timezone.utc)
