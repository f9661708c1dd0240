"""Controls: `fake_tws.market`, the simulated market."""

from __future__ import annotations

import pytest
from ib_async import IB, Stock

from pytest_tws import FakeTWS, wait_until

pytestmark = pytest.mark.fake_only


async def test_prices_move_when_the_test_says(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.market.set_price("SPY", 500.0)          # a trade prints at 500 now
    assert fake_tws.market.price("SPY") == pytest.approx(500.0, abs=0.05)
    fake_tws.market.move("SPY", -5)                  # percent: SPY drops 5 %
    assert fake_tws.market.price("SPY") == pytest.approx(475.0, abs=0.05)
    quote = fake_tws.market.quote("SPY")             # bid, ask, last and sizes now
    assert quote.bid < quote.ask

    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    ticker = ib.reqMktData(spy)
    await wait_until(lambda: ticker.last == pytest.approx(475.0, abs=0.05), "SPY's last")
    assert [s.symbol for s in fake_tws.market.subscriptions] == ["SPY"]
    assert fake_tws.market.lines_in_use == 1


async def test_halts_volatility_and_tick_rate(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.market.halt("SPY")                      # the quote freezes (tick 49 halted = 1)
    frozen = fake_tws.market.quote("SPY")
    assert frozen.stock is not None and frozen.stock.halted
    assert (fake_tws.market.quote("SPY").bid, fake_tws.market.quote("SPY").ask) == (
        frozen.bid, frozen.ask)
    fake_tws.market.resume("SPY")
    fake_tws.market.set_volatility("SPY", 0.45)      # annual 45 %; option prices follow
    fake_tws.market.set_tick_rate(10)                # changes sent 10 times per clock second


async def test_no_market_data_permission(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.market.deny_permissions("AAPL")         # reqMktData gets 354 ("not subscribed")
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    errors: list[int] = []
    ib.errorEvent += lambda req_id, code, text, contract: errors.append(code)
    ib.reqMktData(aapl)
    await wait_until(lambda: 354 in errors, "error 354")
    fake_tws.market.grant_permissions("AAPL")
