"""The phase 1A-1D workflows through IBKR's ibapi 10.50 over loopback TCP, twice: at ibapi's
maximum (226: binary ids, protobuf requests and responses) and with the fake capped at 200
(text). Same calls, same expectations: the protocol must not change what a client sees.

ibapi is threaded: its reader thread calls the wrapper, which records every callback; the
test waits on the record with a timeout.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from pytest_tws import FakeTWS
from pytest_tws.clock import VirtualClock
from pytest_tws.fake.backend import Limits
from pytest_tws.wire import protobuf
from pytest_tws.wire.versions import MIN_SERVER_VER_CANCEL_CONTRACT_DATA, TEXT_PROTOCOL_MAX
from tests.clients import orders_spec as spec

ibapi_client = pytest.importorskip("ibapi.client")
from ibapi.contract import ComboLeg, Contract  # noqa: E402
from ibapi.order import Order  # noqa: E402
from ibapi.wrapper import EWrapper  # noqa: E402

TIMEOUT = spec.TIMEOUT
MAX = protobuf.PROTOBUF_MAX_VERSION
VERSIONS = [pytest.param(MAX, id=f"protobuf-v{MAX}",
                         marks=pytest.mark.skipif(not protobuf.available(),
                                                  reason="no ibapi.protobuf")),
            pytest.param(TEXT_PROTOCOL_MAX, id=f"text-v{TEXT_PROTOCOL_MAX}",
                         marks=pytest.mark.skipif(sys.version_info < (3, 11),
                                                  reason="ibapi's text ids need 3.11+"))]
RECORDED = ("nextValidId", "managedAccounts", "currentTime", "error", "contractDetails",
            "contractDetailsEnd", "securityDefinitionOptionParameter",
            "securityDefinitionOptionParameterEnd", "tickPrice", "tickSize", "tickString",
            "tickGeneric", "tickReqParams", "marketDataType", "tickSnapshotEnd",
            "historicalData", "historicalDataEnd", "headTimestamp", "realtimeBar", "orderStatus",
            "openOrder", "openOrderEnd",
            "execDetails", "execDetailsEnd", "commissionAndFeesReport", "position",
            "positionEnd", "accountSummary", "accountSummaryEnd", "updateAccountValue",
            "updatePortfolio", "updateAccountTime", "accountDownloadEnd", "completedOrder",
            "completedOrdersEnd")
MSFT_CON_ID = 272093
NO_SECURITY_DEFINITION, MISSING_OR_INVALID, CLIENT_ID_IN_USE = 200, 321, 326
MAX_TICKERS, MAX_RATE = 101, 100


class App(EWrapper, ibapi_client.EClient):  # type: ignore[misc]
    def __init__(self) -> None:
        EWrapper.__init__(self)
        ibapi_client.EClient.__init__(self, self)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._changed = threading.Condition()
        for name in RECORDED:
            setattr(self, name, self._recorder(name))
        self.protobuf: set[str] = set()
        """ibapi's xxxProtoBuf callbacks seen: it calls them only for protobuf messages"""
        for name in dir(EWrapper):
            if name.endswith("ProtoBuf"):
                setattr(self, name, lambda *_, _n=name: self.protobuf.add(_n[:-len("ProtoBuf")]))

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            with self._changed:
                self.calls.append((name, args))
                self._changed.notify_all()
        return record

    def of(self, name: str, req_id: int | None = None) -> list[tuple[Any, ...]]:
        with self._changed:
            return [a for n, a in self.calls if n == name and (req_id is None or a[0] == req_id)]

    def wait(self, what: str, condition: Callable[[], object]) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, TIMEOUT):
                raise AssertionError(f"timed out after {TIMEOUT}s waiting for {what}; "
                                     f"callbacks: {[n for n, _ in self.calls][-20:]}")

    def errors(self, req_id: int | None = None) -> list[int]:
        return [a[2] for a in self.of("error", req_id)]

    def statuses(self, order_id: int) -> list[str]:
        return [a[1] for a in self.of("orderStatus", order_id)]


def wire(app: App, version: int, *messages: str) -> None:
    """At the protobuf version these messages came as protobuf; at 200 none did."""
    if version > TEXT_PROTOCOL_MAX:
        assert set(messages) <= app.protobuf, sorted(app.protobuf)
    else:
        assert app.protobuf == set()


def start(tws: FakeTWS, client_id: int, version: int) -> tuple[App, threading.Thread]:
    app = App()
    app.connect(tws.host, tws.port, clientId=client_id)
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    app.wait("nextValidId", lambda: app.of("nextValidId"))
    assert app.serverVersion() == version
    return app, thread


def stop(app: App, thread: threading.Thread) -> None:
    app.disconnect()
    thread.join(timeout=TIMEOUT)


@pytest.fixture(scope="module", params=VERSIONS)
def server(request: pytest.FixtureRequest) -> Iterator[FakeTWS]:
    with FakeTWS(max_server_version=request.param) as tws:
        yield tws


@pytest.fixture
def tws(server: FakeTWS) -> Iterator[FakeTWS]:
    server.reset()
    yield server
    assert server.transcript.take_failures() == []


@pytest.fixture
def app(tws: FakeTWS) -> Iterator[App]:
    client, thread = start(tws, 7, tws.max_server_version)
    yield client
    stop(client, thread)


def stock(symbol: str, con_id: int = 0) -> Contract:
    contract = Contract()
    contract.symbol, contract.secType, contract.exchange, contract.currency = (
        symbol, "STK", "SMART", "USD")
    contract.conId = con_id
    return contract


def limit(action: str, quantity: float, price: float) -> Order:
    order = Order()
    order.action, order.orderType, order.totalQuantity, order.lmtPrice = (
        action, "LMT", Decimal(str(quantity)), price)
    return order


def details(app: App, req_id: int, contract: Contract) -> list[Any]:
    app.reqContractDetails(req_id, contract)
    app.wait("contract details", lambda: app.of("contractDetailsEnd", req_id)
             or app.errors(req_id))
    return [a[1] for a in app.of("contractDetails", req_id)]


def chain(app: App) -> tuple[list[str], list[float]]:
    app.reqSecDefOptParams(5, "SPY", "", "STK", spec.SPY_CON_ID)
    app.wait("the chain", lambda: app.of("securityDefinitionOptionParameterEnd", 5))
    [smart] = [a for a in app.of("securityDefinitionOptionParameter", 5) if a[1] == "SMART"]
    return sorted(smart[5]), sorted(smart[6])


def spread(app: App) -> tuple[Contract, int, int]:
    expirations, strikes = chain(app)
    low, high = strikes[len(strikes) // 2], strikes[len(strikes) // 2 + 1]
    con_ids = []
    for n, strike in enumerate((low, high)):
        option = Contract()
        option.symbol, option.secType, option.exchange, option.currency = (
            "SPY", "OPT", "SMART", "USD")
        option.lastTradeDateOrContractMonth, option.strike, option.right = (
            expirations[2], strike, "C")
        [found] = details(app, 60 + n, option)
        con_ids.append(found.contract.conId)
    bag = Contract()
    bag.symbol, bag.secType, bag.exchange, bag.currency = "SPY", "BAG", "SMART", "USD"
    bag.comboLegs = []
    for con_id, action in zip(con_ids, ("BUY", "SELL"), strict=True):
        leg = ComboLeg()
        leg.conId, leg.ratio, leg.action, leg.exchange = con_id, 1, action, "SMART"
        bag.comboLegs.append(leg)
    return bag, con_ids[0], con_ids[1]


# -- 1A: connect ---------------------------------------------------------------------------


def test_connect_with_ids_accounts_farms_and_time(app: App, tws: FakeTWS) -> None:
    assert app.of("nextValidId") == [(1,)]
    app.wait("accounts and farms", lambda: app.of("managedAccounts") and len(app.errors()) >= 3)
    assert app.of("managedAccounts") == [(",".join(tws.accounts),)]
    assert app.errors()[:3] == [2104, 2106, 2158]
    app.reqCurrentTime()
    app.wait("the time", lambda: app.of("currentTime"))
    [(when,)] = app.of("currentTime")
    assert abs(when - tws.clock.now().timestamp()) < 5
    wire(app, tws.max_server_version, "nextValidId", "managedAccounts", "error", "currentTime")


def test_duplicate_client_id_gets_326_and_the_first_client_stays(app: App, tws: FakeTWS) -> None:
    second = App()
    second.connect(tws.host, tws.port, clientId=7)
    thread = threading.Thread(target=second.run, daemon=True)
    thread.start()
    try:
        second.wait("error 326", lambda: CLIENT_ID_IN_USE in second.errors())
    finally:
        stop(second, thread)
    app.reqCurrentTime()
    app.wait("the first client still served", lambda: app.of("currentTime"))


# -- contracts and the option chain ----------------------------------------------------------


def test_contract_details_and_error_200(app: App) -> None:
    [msft] = details(app, 11, stock("MSFT"))
    assert (msft.contract.conId, msft.longName, msft.contract.primaryExchange) == (
        MSFT_CON_ID, "MICROSOFT CORP", "NASDAQ")
    assert details(app, 12, stock("ZZZZ")) == []
    assert app.errors(12) == [NO_SECURITY_DEFINITION]
    wire(app, app.serverVersion(), "contractData", "contractDataEnd", "error")


def test_option_chain(app: App, tws: FakeTWS) -> None:
    expirations, strikes = chain(app)
    catalog = tws.backend.catalog
    assert expirations == [f"{d:%Y%m%d}" for d in catalog.expirations("SPY")]
    assert strikes == sorted(catalog.strikes("SPY"))
    wire(app, tws.max_server_version, "secDefOptParameter", "secDefOptParameterEnd")


# -- 1D: market data and history -----------------------------------------------------------


def test_streaming_market_data_and_cancel(app: App, tws: FakeTWS) -> None:
    app.reqMktData(21, stock("SPY", spec.SPY_CON_ID), "100,101,104,106,165,236", False, False,
                   [])
    app.wait("bid, ask and last", lambda: {a[1] for a in app.of("tickPrice", 21)} >= {1, 2, 4})
    last = [a[2] for a in app.of("tickPrice", 21) if a[1] == 4][-1]
    tws.market.set_price("SPY", last + 5)
    app.wait("the moved last", lambda: any(a[1] == 4 and a[2] != last
                                           for a in app.of("tickPrice", 21)))
    app.cancelMktData(21)
    app.wait("the line freed", lambda: not tws.call(lambda: tws.market.subscriptions))
    wire(app, tws.max_server_version, "tickPrice", "tickSize", "tickReqParams",
         "updateMarketDataType")


def test_snapshot_and_max_tickers_101(app: App, tws: FakeTWS) -> None:
    app.reqMktData(22, stock("AAPL", spec.AAPL_CON_ID), "", True, False, [])
    app.wait("the snapshot's end", lambda: app.of("tickSnapshotEnd", 22))
    bid = [a[2] for a in app.of("tickPrice", 22) if a[1] == 1]
    ask = [a[2] for a in app.of("tickPrice", 22) if a[1] == 2]
    assert bid and ask and bid[0] < ask[0]
    assert tws.call(lambda: tws.market.subscriptions) == []
    lines = tws.limits.market_data_lines
    tws.call(lambda: setattr(tws.limits, "market_data_lines", 1))
    try:
        app.reqMktData(23, stock("SPY", spec.SPY_CON_ID), "", False, False, [])
        app.reqMktData(24, stock("MSFT", MSFT_CON_ID), "", False, False, [])
        app.wait("error 101", lambda: MAX_TICKERS in app.errors(24))
        wire(app, tws.max_server_version, "tickSnapshotEnd", "error")
    finally:
        tws.call(lambda: setattr(tws.limits, "market_data_lines", lines))


def test_historical_bars(app: App) -> None:
    app.reqHistoricalData(31, stock("SPY", spec.SPY_CON_ID), "", "2 D", "1 hour", "TRADES", 1,
                          1, False, [])
    app.wait("the bars' end", lambda: app.of("historicalDataEnd", 31))
    bars = [a[1] for a in app.of("historicalData", 31)]
    assert len(bars) >= 7
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in bars)
    wire(app, app.serverVersion(), "historicalData", "historicalDataEnd")


def test_head_timestamp(app: App) -> None:
    app.reqHeadTimeStamp(32, stock("SPY", spec.SPY_CON_ID), "TRADES", 1, 1)
    app.wait("the head timestamp", lambda: app.of("headTimestamp", 32))
    assert app.of("headTimestamp", 32) == [(32, "19930129-14:30:00")]
    app.cancelHeadTimeStamp(32)
    wire(app, app.serverVersion(), "headTimestamp")


def test_real_time_bars(tws: FakeTWS) -> None:
    clock = VirtualClock()
    tws.use_clock(clock)  # drops every session: connect after it
    try:
        app, thread = start(tws, 4, tws.max_server_version)
        try:
            app.reqRealTimeBars(33, stock("SPY", spec.SPY_CON_ID), 5, "MIDPOINT", False, [])
            deadline = time.monotonic() + TIMEOUT
            while not app.of("realtimeBar", 33) and time.monotonic() < deadline:
                clock.advance(0.25)  # the bars come only as the fake's clock moves
                time.sleep(0.01)  # let the fake's loop run the feed tick this woke
            app.wait("a real-time bar", lambda: app.of("realtimeBar", 33))
            assert app.of("realtimeBar", 33)[0][1] % 5 == 0
            app.cancelRealTimeBars(33)
            wire(app, app.serverVersion(), "realTimeBarTick")  # ibapi names it so
        finally:
            stop(app, thread)
    finally:
        tws.use_clock(None)


# -- 1C: orders, positions, executions, account ----------------------------------------------


def test_stock_order_fill_execution_position_and_account(app: App, tws: FakeTWS) -> None:
    tws.market.set_price("AAPL", 200.0)
    app.placeOrder(1, stock("AAPL", spec.AAPL_CON_ID), limit("BUY", 10, 205.0))
    app.wait("filled with a commission", lambda: "Filled" in app.statuses(1)
             and app.of("commissionAndFeesReport"))
    [(_, contract, execution)] = app.of("execDetails")
    assert (execution.side, float(execution.shares), contract.conId) == (
        "BOT", 10, spec.AAPL_CON_ID)
    app.reqPositions()
    app.wait("positionEnd", lambda: app.of("positionEnd"))
    assert [(a[1].conId, float(a[2])) for a in app.of("position")] == [(spec.AAPL_CON_ID, 10)]
    app.reqExecutions(41, ibapi_client.ExecutionFilter())
    app.wait("execDetailsEnd", lambda: app.of("execDetailsEnd", 41))
    assert [a[2].execId for a in app.of("execDetails", 41)] == [execution.execId]
    app.reqAccountSummary(42, "All", "NetLiquidation,BuyingPower")
    app.wait("accountSummaryEnd", lambda: app.of("accountSummaryEnd", 42))
    assert {a[2] for a in app.of("accountSummary", 42)} == {"NetLiquidation", "BuyingPower"}
    app.reqAccountUpdates(True, tws.accounts[0])
    app.wait("accountDownloadEnd", lambda: app.of("accountDownloadEnd"))
    assert "NetLiquidation" in {a[0] for a in app.of("updateAccountValue")}
    assert [a[0].conId for a in app.of("updatePortfolio")] == [spec.AAPL_CON_ID]
    wire(app, tws.max_server_version, "openOrder", "orderStatus", "executionDetails",
         "executionDetailsEnd", "commissionAndFeesReport", "position", "positionEnd",
         "accountSummary", "accountSummaryEnd", "updateAccountValue", "updatePortfolio",
         "accountDataEnd")


def test_resting_stock_order_cancels(app: App, tws: FakeTWS) -> None:
    app.placeOrder(2, stock("AAPL", spec.AAPL_CON_ID), limit("BUY", 5, spec.RESTING_LIMIT))
    app.wait("Submitted", lambda: "Submitted" in app.statuses(2))
    app.cancelOrder(2, ibapi_client.OrderCancel())
    app.wait("Cancelled", lambda: "Cancelled" in app.statuses(2))
    assert [o.status for o in tws.orders()] == ["Cancelled"]


def test_bag_order_fills_and_books_both_legs(app: App) -> None:
    bag, low, high = spread(app)
    order = Order()
    order.action, order.orderType, order.totalQuantity = "BUY", "MKT", Decimal(1)
    app.placeOrder(3, bag, order)
    app.wait("the spread filled", lambda: "Filled" in app.statuses(3))
    app.reqPositions()
    app.wait("positionEnd", lambda: app.of("positionEnd"))
    assert sorted((a[1].conId, float(a[2])) for a in app.of("position")) == sorted(
        [(low, 1.0), (high, -1.0)])


def test_resting_bag_order_cancels(app: App) -> None:
    bag, _, _ = spread(app)
    app.placeOrder(4, bag, limit("BUY", 1, 0.01))
    app.wait("Submitted", lambda: "Submitted" in app.statuses(4))
    app.cancelOrder(4, ibapi_client.OrderCancel())
    app.wait("Cancelled", lambda: "Cancelled" in app.statuses(4))


def test_what_if_returns_margins_and_leaves_no_order(app: App, tws: FakeTWS) -> None:
    order = limit("BUY", 10, 10_000.0)
    order.whatIf = True
    app.placeOrder(5, stock("AAPL", spec.AAPL_CON_ID), order)
    app.wait("the what-if openOrder", lambda: app.of("openOrder"))
    [(answered, _, _, state)] = app.of("openOrder")
    assert answered == 5 and state.status == "PreSubmitted"
    assert [n for n in spec.WHAT_IF_FIGURES if not spec.is_figure(getattr(state, n))] == []
    assert tws.orders() == [] and app.of("orderStatus") == []
    wire(app, tws.max_server_version, "openOrder")


# -- errors 321 and 100 --------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_read_only_api_answers_321(version: int) -> None:
    with FakeTWS(max_server_version=version, read_only=True) as tws:
        app, thread = start(tws, 8, version)
        try:
            app.placeOrder(1, stock("AAPL", spec.AAPL_CON_ID), limit("BUY", 1, 1.0))
            app.wait("error 321", lambda: MISSING_OR_INVALID in app.errors(1))
        finally:
            stop(app, thread)


@pytest.mark.parametrize("version", VERSIONS)
def test_message_rate_over_the_limit_answers_100(version: int) -> None:
    with FakeTWS(max_server_version=version,
                 limits=Limits(messages_per_second=5, kick_after_windows=100)) as tws:
        app, thread = start(tws, 9, version)
        try:
            for _ in range(12):
                app.reqCurrentTime()
            app.wait("error 100", lambda: MAX_RATE in app.errors())
        finally:
            stop(app, thread)


def test_cancel_contract_data_is_read_and_answered_with_nothing(app: App, tws: FakeTWS) -> None:
    if app.serverVersion() < MIN_SERVER_VER_CANCEL_CONTRACT_DATA:
        pytest.skip("ibapi refuses cancelContractData below v215 (protobuf-only)")
    [msft] = details(app, 31, stock("MSFT"))
    app.cancelContractData(31)
    # a session's requests are handled in order: once currentTime is back, the cancel was read
    app.reqCurrentTime()
    app.wait("currentTime", lambda: app.of("currentTime"))
    # the fake read it (it is recorded with its reqId) and answered nothing: the details were
    # complete, and TWS has no confirmation message for a cancel
    [cancel] = tws.requests("CANCEL_CONTRACT_DATA")
    assert cancel.fields == {"reqId": 31} and app.errors(31) == []
    assert msft.contract.conId == MSFT_CON_ID
    wire(app, app.serverVersion(), "contractData", "contractDataEnd")
