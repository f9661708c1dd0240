"""Reference requests through ib_async 2.1 over loopback."""

from __future__ import annotations

import asyncio
from typing import Any

from ib_async import IB, Future, Stock

from pytest_tws import FakeTWS

TIMEOUT = 10.0


async def test_matching_symbols_lists_every_listing(ib: IB) -> None:
    found = await ib.reqMatchingSymbolsAsync("AMD")
    assert found is not None
    amd = [d for d in found if d.contract.symbol == "AMD"]
    assert {(d.contract.primaryExchange, d.contract.currency) for d in amd} == {
        ("NASDAQ", "USD"), ("IBIS", "EUR"), ("MEXI", "MXN")}
    us = next(d for d in amd if d.contract.currency == "USD")
    assert us.contract.conId == 4391 and "OPT" in us.derivativeSecTypes
    assert us.contract.description == "ADVANCED MICRO DEVICES"
    by_name = await ib.reqMatchingSymbolsAsync("MICROSOFT")
    assert by_name and by_name[0].contract.symbol == "MSFT"
    assert await ib.reqMatchingSymbolsAsync("QQQQQQ") in ([], None)


async def test_market_rules_of_a_stock_and_a_future(ib: IB) -> None:
    [aapl] = await ib.reqContractDetailsAsync(Stock("AAPL", "SMART", "USD"))
    rule = await ib.reqMarketRuleAsync(int(aapl.marketRuleIds.split(",")[0]))
    assert [(r.lowEdge, r.increment) for r in rule] == [(0.0, 0.01)]
    options = await ib.reqMarketRuleAsync(32)
    assert [(r.lowEdge, r.increment) for r in options] == [(0.0, 0.01), (3.0, 0.05)]
    es = await ib.reqContractDetailsAsync(Future("ES", exchange="CME"))
    tick = await ib.reqMarketRuleAsync(int(es[0].marketRuleIds))
    assert [(r.lowEdge, r.increment) for r in tick] == [(0.0, 0.25)]


async def test_smart_components_of_the_bbo_exchange_a_quote_names(ib: IB) -> None:
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    [ticker] = await ib.reqTickersAsync(spy)
    components = await ib.reqSmartComponentsAsync(ticker.bboExchange)
    assert ("NYSE", "N") in {(c.exchange, c.exchangeLetter) for c in components}
    assert len({c.bitNumber for c in components}) == len(components)


async def test_depth_exchanges_family_codes_tiers_and_user_info(fake_tws: FakeTWS,
                                                                 ib: IB) -> None:
    exchanges = await ib.reqMktDepthExchangesAsync()
    assert ("NASDAQ", "STK", "Deep2") in {(d.exchange, d.secType, d.serviceDataType)
                                          for d in exchanges}
    # ib_async 2.1 decodes familyCodes and softDollarTiers but has no IB method for them:
    # its client sends the requests, its wrapper's hooks receive the answers.
    loop = asyncio.get_running_loop()
    codes: asyncio.Future[list[Any]] = loop.create_future()
    tiers: asyncio.Future[tuple[int, list[Any]]] = loop.create_future()
    ib.wrapper.familyCodes = codes.set_result  # type: ignore[method-assign]
    ib.wrapper.softDollarTiers = lambda req_id, found: tiers.set_result(  # type: ignore[method-assign]
        (req_id, found))
    ib.client.reqFamilyCodes()
    ib.client.reqSoftDollarTiers(4242)
    got = await asyncio.wait_for(codes, TIMEOUT)
    assert [(c.accountID, c.familyCodeStr) for c in got] == [(fake_tws.accounts[0], "")]
    assert await asyncio.wait_for(tiers, TIMEOUT) == (4242, [])
    # ib_async 2.1's userInfo ends the request without the white-branding id (default []);
    # the id itself (the fake's announcement) is pytest_tws/fake/identity.py's, tested there.
    assert await ib.reqUserInfoAsync() == []
