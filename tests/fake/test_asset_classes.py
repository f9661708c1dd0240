"""Every asset class of the catalog through ib_async 2.1, unmodified: qualify, contract
details, chains, a quote, bars, and an order where the class is tradable."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from ib_async import (
    IB,
    Contract,
    Crypto,
    Forex,
    Future,
    FuturesOption,
    Index,
    LimitOrder,
    MarketOrder,
    Option,
    Stock,
)

from pytest_tws import FakeTWS
from pytest_tws.waiting import wait_until

TIMEOUT = 10.0


def priced(value: float) -> bool:
    return not math.isnan(value) and value > 0


async def snapshot(ib: IB, contract: Contract) -> tuple[float, float, float]:
    [ticker] = await ib.reqTickersAsync(contract)
    return ticker.bid, ticker.ask, ticker.last


async def bars_of(ib: IB, contract: Contract, what: str = "TRADES") -> list[float]:
    bars = await ib.reqHistoricalDataAsync(contract, "", "1 D", "1 hour", what, useRTH=False)
    return [b.close for b in bars]


async def filled(ib: IB, contract: Contract, quantity: float) -> float:
    trade = ib.placeOrder(contract, MarketOrder("BUY", quantity))
    await wait_until(lambda: trade.isDone(), "the order fills", timeout=TIMEOUT)
    assert trade.orderStatus.status == "Filled"
    return trade.orderStatus.avgFillPrice


# -- stocks ----------------------------------------------------------------------------------


async def test_spy_and_aapl_details_are_what_tws_publishes(ib: IB) -> None:
    [spy] = await ib.reqContractDetailsAsync(Stock("SPY", "SMART", "USD"))
    [aapl] = await ib.reqContractDetailsAsync(Stock("AAPL", "SMART", "USD"))
    # conId, primary exchange, long name and trading class as real TWS reports them.
    assert (spy.contract.conId, spy.contract.primaryExchange, spy.longName) == (
        756733, "ARCA", "SPDR S&P 500 ETF TRUST")
    assert (aapl.contract.conId, aapl.contract.primaryExchange, aapl.longName) == (
        265598, "NASDAQ", "APPLE INC")
    assert aapl.contract.tradingClass == "NMS" and aapl.marketName == "NMS"
    assert aapl.secIdList[0].tag == "ISIN" and aapl.secIdList[0].value == "US0378331005"
    assert spy.secIdList[0].value == "US78462F1030"
    assert aapl.timeZoneId == "US/Eastern" and aapl.minTick == 0.01
    assert spy.stockType == "ETF" and aapl.stockType == "COMMON"
    assert set(aapl.marketRuleIds.split(",")) == {"26"}
    assert len(aapl.marketRuleIds.split(",")) == len(aapl.validExchanges.split(","))
    assert aapl.industry == "Technology" and aapl.category == "Computers"
    day, _, hours = aapl.liquidHours.split(";")[0].partition(":")
    assert len(day) == 8 and (hours.endswith("1600") or hours == "CLOSED")


async def test_a_bare_symbol_returns_every_listing(ib: IB) -> None:
    details = await ib.reqContractDetailsAsync(Contract(symbol="AMD", secType="STK"))
    assert {(d.contract.currency, d.contract.primaryExchange) for d in details} == {
        ("USD", "NASDAQ"), ("EUR", "IBIS"), ("MXN", "MEXI")}
    [amd] = await ib.qualifyContractsAsync(Stock("AMD", "SMART", "USD"))
    assert amd.conId == 4391


async def test_an_ambiguous_quote_request_gets_tws_error_200(ib: IB) -> None:
    errors: list[tuple[int, str]] = []
    ib.errorEvent += lambda _req, code, text, *_: errors.append((code, text))
    # ib_async refuses an unqualified ticker; its client sends the request as TWS gets it.
    contract = Contract(symbol="AMD", secType="STK", exchange="SMART")
    ib.client.reqMktData(ib.client.getReqId(), contract, "", False, False, [])
    await wait_until(lambda: errors, "error 200", timeout=TIMEOUT)
    assert errors[0] == (200, "The contract description specified for AMD is ambiguous.")


async def test_non_us_stocks_carry_their_currency_and_exchange(ib: IB) -> None:
    for stock, currency, zone in ((Stock("VOD", "LSE", "GBP"), "GBP", "Europe/London"),
                                  (Stock("SAP", "IBIS", "EUR"), "EUR", "MET"),
                                  (Stock("7203", "TSEJ", "JPY"), "JPY", "Japan")):
        [details] = await ib.reqContractDetailsAsync(stock)
        assert details.contract.currency == currency and details.timeZoneId == zone
        assert details.secIdList and details.secIdList[0].tag == "ISIN"
        bid, ask, _ = await snapshot(ib, details.contract)
        assert 0 < bid < ask
    [vod] = await ib.reqContractDetailsAsync(Stock("VOD", "LSE", "GBP"))
    [sap] = await ib.reqContractDetailsAsync(Stock("SAP", "IBIS", "EUR"))
    # LSE stocks in GBP are quoted in pence: TWS says priceMagnifier 100 (1 elsewhere), and
    # quotes, bars and fills are in pence (VOD ~72p, not ~0.72)
    assert (vod.priceMagnifier, sap.priceMagnifier) == (100, 1)
    bid, ask, _ = await snapshot(ib, vod.contract)
    assert 30 < bid < ask < 150
    assert all(30 < close < 150 for close in await bars_of(ib, vod.contract))
    assert bid <= await filled(ib, vod.contract, 100) <= ask + 1
    [toyota] = await ib.reqContractDetailsAsync(Stock("7203", "TSEJ", "JPY"))
    # Tokyo has a lunch break: two sessions a trading day.
    assert "0900-" in toyota.liquidHours and "1230-" in toyota.liquidHours


async def test_a_stock_trades_end_to_end(ib: IB) -> None:
    [jpm] = await ib.qualifyContractsAsync(Stock("JPM", "SMART", "USD"))
    assert jpm.conId == 1520593
    bid, ask, _ = await snapshot(ib, jpm)
    assert 200 < bid < ask < 400
    assert await bars_of(ib, jpm)
    price = await filled(ib, jpm, 10)
    assert bid <= price <= ask + 1


# -- indices and their options ---------------------------------------------------------------


async def test_index_details_quote_and_option_chain(ib: IB) -> None:
    [spx] = await ib.qualifyContractsAsync(Index("SPX", "CBOE", "USD"))
    assert spx.conId == 416904
    [details] = await ib.reqContractDetailsAsync(spx)
    assert details.timeZoneId == "US/Central"
    chains = await ib.reqSecDefOptParamsAsync("SPX", "", "IND", spx.conId)
    assert {(c.exchange, c.tradingClass) for c in chains} == {
        (e, k) for e in ("SMART", "CBOE") for k in ("SPX", "SPXW")}
    [chain] = [c for c in chains if c.exchange == "SMART" and c.tradingClass == "SPXW"]
    assert chain.multiplier == "100" and int(chain.underlyingConId) == 416904
    strike = min(chain.strikes, key=lambda k: abs(k - 6000))
    weekly = Option("SPX", chain.expirations[0], strike, "C", "SMART", tradingClass="SPXW")
    [option] = await ib.qualifyContractsAsync(weekly)
    assert option.conId and option.localSymbol.startswith("SPXW")
    bid, ask, _ = await snapshot(ib, option)
    assert 0 < bid < ask
    assert await bars_of(ib, spx)
    # An index has a value, not a book: TWS sends last (and close...) but no bid or ask.
    [index] = await ib.reqTickersAsync(spx)
    assert priced(index.last) and math.isnan(index.bid) and math.isnan(index.ask)


# -- futures ---------------------------------------------------------------------------------


async def test_futures_list_every_month_and_trade_with_their_multiplier(ib: IB) -> None:
    details = await ib.reqContractDetailsAsync(Future("ES", exchange="CME"))
    months = [d.contract.lastTradeDateOrContractMonth for d in details]
    assert len(months) == 5 and months == sorted(months)
    front = details[0]
    assert front.contract.multiplier == "50" and front.minTick == 0.25
    assert front.realExpirationDate == front.contract.lastTradeDateOrContractMonth
    assert front.contractMonth == months[0][:6] and front.timeZoneId == "US/Central"
    assert front.contract.localSymbol == f"ES{'FGHJKMNQUVXZ'[int(months[0][4:6]) - 1]}" \
        f"{months[0][3]}"
    [es] = await ib.qualifyContractsAsync(
        Future("ES", front.contract.lastTradeDateOrContractMonth[:6], "CME"))
    assert es.conId == front.contract.conId
    bid, ask, _ = await snapshot(ib, es)
    assert ask - bid == pytest.approx(0.25)
    assert await bars_of(ib, es)
    price = await filled(ib, es, 1)
    [position] = [p for p in ib.positions() if p.contract.conId == es.conId]
    assert position.position == 1
    assert position.avgCost == pytest.approx(price * 50)  # TWS's averageCost has the multiplier
    [fill] = [f for f in ib.fills() if f.contract.conId == es.conId]
    assert fill.commissionReport.commission == pytest.approx(0.85)


async def test_each_futures_month_has_its_own_price_and_tws_under_con_id(ib: IB) -> None:
    details = await ib.reqContractDetailsAsync(Future("ES", exchange="CME"))
    # TWS names the CME index product as an ES future's underlying (IBKR Web API docs)
    assert {(d.underConId, d.underSymbol, d.underSecType) for d in details} == {
        (11004968, "ES", "IND")}
    [nq] = (await ib.reqContractDetailsAsync(Future("NQ", exchange="CME")))[:1]
    assert nq.underConId == 0  # not published: the fake says 0
    front, later = details[0], details[2]
    days = (datetime.strptime(later.contract.lastTradeDateOrContractMonth, "%Y%m%d")
            - datetime.strptime(front.contract.lastTradeDateOrContractMonth, "%Y%m%d")).days
    fb, fa, _ = await snapshot(ib, front.contract)
    lb, la, _ = await snapshot(ib, later.contract)
    carry = (fb + fa) / 2 * (math.exp(0.03 * days / 365) - 1)  # ES: 3 %/yr over the front
    assert la - lb == pytest.approx(0.25)
    # the two snapshots are a moment apart: the front may move a few ticks meanwhile
    assert abs((lb + la) / 2 - (fb + fa) / 2 - carry) <= 1.0 and carry > 10


async def test_crude_and_gold_follow_their_last_trade_rules(ib: IB) -> None:
    cl = await ib.reqContractDetailsAsync(Future("CL", exchange="NYMEX"))
    first = cl[0]
    # CL's last trade is in the month before its contract month.
    assert first.contract.lastTradeDateOrContractMonth[:6] < first.contractMonth
    gc = await ib.reqContractDetailsAsync(Future("GC", exchange="COMEX"))
    assert all(d.contract.lastTradeDateOrContractMonth[:6] == d.contractMonth for d in gc)


async def test_es_futures_options_chain(ib: IB) -> None:
    futures = await ib.reqContractDetailsAsync(Future("ES", exchange="CME"))
    options = await ib.reqContractDetailsAsync(
        FuturesOption("ES", futures[0].contract.lastTradeDateOrContractMonth, exchange="CME",
                      right="C"))
    assert options and {o.contract.right for o in options} == {"C"}
    assert {o.underConId for o in options} == {futures[0].contract.conId}
    bid, ask, _ = await snapshot(ib, options[len(options) // 2].contract)
    assert 0 < bid < ask
    chains = await ib.reqSecDefOptParamsAsync("ES", "CME", "FUT", futures[0].contract.conId)
    assert "ES" in {c.tradingClass for c in chains} and all(c.multiplier == "50" for c in chains)


# -- forex and crypto ------------------------------------------------------------------------


async def test_forex_details_quotes_and_orders(ib: IB) -> None:
    [eurusd] = await ib.qualifyContractsAsync(Forex("EURUSD"))
    assert eurusd.conId == 12087792 and eurusd.localSymbol == "EUR.USD"
    [details] = await ib.reqContractDetailsAsync(eurusd)
    assert details.minTick == 0.00005 and details.longName == "European Monetary Union Euro"
    assert details.validExchanges == "IDEALPRO"
    [ticker] = await ib.reqTickersAsync(eurusd)
    assert ticker.ask - ticker.bid == pytest.approx(0.00005)
    assert ticker.bidSize >= 100_000  # IDEALPRO sizes in base-currency units
    assert await bars_of(ib, eurusd, "MIDPOINT")
    await filled(ib, eurusd, 20_000)
    [fill] = [f for f in ib.fills() if f.contract.conId == eurusd.conId]
    assert fill.commissionReport.commission == pytest.approx(2.0)  # IDEALPRO's minimum
    [usdjpy] = await ib.reqContractDetailsAsync(Forex("USDJPY"))
    assert usdjpy.minTick == 0.005


async def test_crypto_on_paxos(ib: IB) -> None:
    [btc] = await ib.qualifyContractsAsync(Crypto("BTC", "PAXOS", "USD"))
    assert btc.conId == 479624278
    [details] = await ib.reqContractDetailsAsync(btc)
    assert float(details.minSize) == pytest.approx(0.0001)
    assert float(details.sizeIncrement) == pytest.approx(0.0001)
    [ticker] = await ib.reqTickersAsync(btc)
    bid, ask = ticker.bid, ticker.ask
    assert 50_000 < bid < ask
    assert not float(ticker.bidSize).is_integer()  # PAXOS sizes are fractional coins
    trade = ib.placeOrder(btc, LimitOrder("BUY", 0.01, round(ask + 100, 2), tif="IOC"))
    await wait_until(lambda: trade.isDone(), "the crypto order ends", timeout=TIMEOUT)


# -- one-line instruments --------------------------------------------------------------------


async def test_an_added_stock_behaves_like_a_built_in_one(fake_tws: FakeTWS, ib: IB) -> None:
    spec = fake_tws.catalog.add_stock("XYZ", price=12.5, exchange="NASDAQ")
    [xyz] = await ib.qualifyContractsAsync(Stock("XYZ", "SMART", "USD"))
    assert xyz.conId == spec.con_id and xyz.primaryExchange == "NASDAQ"
    [details] = await ib.reqContractDetailsAsync(xyz)
    assert details.secIdList and details.secIdList[0].value.startswith("USZZ")
    bid, ask, _ = await snapshot(ib, xyz)
    assert 12 < bid < ask < 13
    assert await bars_of(ib, xyz)
    await filled(ib, xyz, 100)
    chains = await ib.reqSecDefOptParamsAsync("XYZ", "", "STK", xyz.conId)
    assert chains[0].exchange == "SMART" and chains[0].expirations and chains[0].strikes


async def test_added_future_forex_and_index(fake_tws: FakeTWS, ib: IB) -> None:
    months = fake_tws.catalog.add_future("FOO", 100.0, exchange="NYMEX", multiplier=10,
                                         min_tick=0.01)
    details = await ib.reqContractDetailsAsync(Future("FOO", exchange="NYMEX"))
    assert [d.contract.conId for d in details] == [m.con_id for m in months]
    fake_tws.catalog.add_forex("EURSEK", 11.5)
    [eursek] = await ib.qualifyContractsAsync(Forex("EURSEK"))
    bid, ask, _ = await snapshot(ib, eursek)
    assert 11 < bid < ask < 12
    fake_tws.catalog.add_index("FOOX", 1234.0, exchange="CBOE")
    [foox] = await ib.qualifyContractsAsync(Index("FOOX", "CBOE", "USD"))
    assert foox.conId


async def test_an_order_on_an_index_gets_tws_error_412_and_no_fill(ib: IB) -> None:
    [spx] = await ib.qualifyContractsAsync(Index("SPX", "CBOE", "USD"))
    errors: list[tuple[int, int, str]] = []
    ib.errorEvent += lambda req_id, code, text, _contract: errors.append((req_id, code, text))
    trade = ib.placeOrder(spx, MarketOrder("BUY", 1))
    await wait_until(lambda: errors, "TWS's answer to the index order", timeout=TIMEOUT)
    assert errors == [(trade.order.orderId, 412, "The contract is not available for trading.")]
    assert not trade.fills and trade.orderStatus.filled == 0
    assert not [p for p in ib.positions() if p.contract.conId == spx.conId]
