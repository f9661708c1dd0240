"""Contract details of every asset class through IBKR's own client (ibapi), unmodified."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from pytest_tws import FakeTWS

if sys.version_info < (3, 11):
    pytest.skip("ibapi's text protocol needs Python 3.11+", allow_module_level=True)

pytest.importorskip("ibapi.client")
from ibapi.contract import Contract, ContractDetails

from tests.fake.test_ibapi_connect import WAIT, App


@pytest.fixture
def app(fake_tws: FakeTWS) -> Iterator[App]:
    client = App()
    client.connect(fake_tws.host, fake_tws.port, clientId=4)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    assert client.got_id.wait(WAIT)
    yield client
    client.disconnect()
    thread.join(timeout=WAIT)


def details_of(app: App, req_id: int, **fields: str) -> list[ContractDetails]:
    contract = Contract()
    for name, value in fields.items():
        setattr(contract, name, value)
    app.details_done[req_id] = threading.Event()
    app.reqContractDetails(req_id, contract)
    assert app.details_done[req_id].wait(WAIT)
    return app.details.get(req_id, [])


def test_forex_future_index_and_crypto_details(app: App) -> None:
    [eurusd] = details_of(app, 21, symbol="EUR", secType="CASH", currency="USD",
                          exchange="IDEALPRO")
    assert eurusd.contract.conId == 12087792 and eurusd.contract.localSymbol == "EUR.USD"
    assert eurusd.minTick == 0.00005 and eurusd.timeZoneId == "US/Eastern"
    es = details_of(app, 22, symbol="ES", secType="FUT", exchange="CME")
    assert len(es) == 5 and {d.contract.multiplier for d in es} == {"50"}
    assert es[0].realExpirationDate == es[0].contract.lastTradeDateOrContractMonth
    assert {d.underConId for d in es} == {11004968}  # the CME index product, as TWS names it
    [spx] = details_of(app, 23, symbol="SPX", secType="IND", exchange="CBOE")
    assert spx.contract.conId == 416904 and spx.timeZoneId == "US/Central"
    [btc] = details_of(app, 24, symbol="BTC", secType="CRYPTO", exchange="PAXOS",
                       currency="USD")
    assert btc.minSize == Decimal("0.0001") and btc.sizeIncrement == Decimal("0.0001")
    [aapl] = details_of(app, 25, symbol="AAPL", secType="STK", exchange="SMART",
                        currency="USD")
    assert [(t.tag, t.value) for t in aapl.secIdList] == [("ISIN", "US0378331005")]
    [vod] = details_of(app, 26, symbol="VOD", secType="STK", exchange="LSE", currency="GBP")
    assert (vod.priceMagnifier, aapl.priceMagnifier) == (100, 1)  # LSE/GBP quoted in pence
    assert aapl.contract.primaryExchange == "NASDAQ" and aapl.marketName == "NMS"


def test_an_order_on_an_index_gets_tws_error_412(app: App) -> None:
    from ibapi.order import Order

    contract = Contract()
    contract.symbol, contract.secType, contract.exchange = "SPX", "IND", "CBOE"
    contract.currency = "USD"
    order = Order()
    order.action, order.orderType, order.totalQuantity = "BUY", "MKT", Decimal(1)
    assert app.next_valid_id is not None
    order_id = app.next_valid_id
    app.details_done[order_id] = threading.Event()
    app.placeOrder(order_id, contract, order)
    assert app.details_done[order_id].wait(WAIT)
    assert [e for e in app.errors if e[0] == order_id] == [
        (order_id, 412, "The contract is not available for trading.")]
