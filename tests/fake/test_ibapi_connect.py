"""IBKR's own Python client (`ibapi`, from ibapi-stable), unmodified, against the fake."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from pytest_tws import FakeTWS
from pytest_tws.wire.protobuf import PROTOBUF_MAX_VERSION

if sys.version_info < (3, 11):
    # ibapi writes text message ids with str(): on 3.10 an IntEnum's str() is its name, so it
    # sends "OUT.START_API". It works on 3.10 only at server versions >= 201 (binary ids).
    pytest.skip("ibapi's text protocol needs Python 3.11+", allow_module_level=True)

ibapi_client = pytest.importorskip("ibapi.client")
from ibapi.contract import Contract, ContractDetails  # noqa: E402
from ibapi.wrapper import EWrapper  # noqa: E402

WAIT = 10.0


@dataclass
class Recorder(EWrapper):
    """Collects what the fake sends, with an event per thing a test waits for."""

    next_valid_id: int | None = None
    accounts: str = ""
    current_time: int | None = None
    details: dict[int, list[ContractDetails]] = field(default_factory=dict)
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    positions_done: threading.Event = field(default_factory=threading.Event)
    account_done: threading.Event = field(default_factory=threading.Event)
    got_id: threading.Event = field(default_factory=threading.Event)
    got_accounts: threading.Event = field(default_factory=threading.Event)
    got_time: threading.Event = field(default_factory=threading.Event)
    details_done: dict[int, threading.Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        EWrapper.__init__(self)

    def nextValidId(self, orderId: int) -> None:
        self.next_valid_id = orderId
        self.got_id.set()

    def managedAccounts(self, accountsList: str) -> None:
        self.accounts = accountsList
        self.got_accounts.set()

    def currentTime(self, time: int) -> None:
        self.current_time = time
        self.got_time.set()

    def contractDetails(self, reqId: int, contractDetails: ContractDetails) -> None:
        self.details.setdefault(reqId, []).append(contractDetails)

    def contractDetailsEnd(self, reqId: int) -> None:
        self.details_done.setdefault(reqId, threading.Event()).set()

    def error(self, reqId, errorTime, errorCode, errorString, advancedOrderRejectJson=""):  # type: ignore[no-untyped-def]
        self.errors.append((reqId, errorCode, errorString))
        if reqId in self.details_done or reqId >= 0:
            self.details_done.setdefault(reqId, threading.Event()).set()

    def positionEnd(self) -> None:
        self.positions_done.set()

    def accountDownloadEnd(self, accountName: str) -> None:
        self.account_done.set()


class App(Recorder, ibapi_client.EClient):
    def __init__(self) -> None:
        Recorder.__init__(self)
        ibapi_client.EClient.__init__(self, self)


@pytest.fixture
def app(fake_tws: FakeTWS) -> Iterator[App]:
    client = App()
    client.connect(fake_tws.host, fake_tws.port, clientId=3)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    yield client
    client.disconnect()
    thread.join(timeout=WAIT)


def test_ibapi_connects_and_gets_ids_accounts_and_farms(app: App):
    assert app.got_id.wait(WAIT) and app.got_accounts.wait(WAIT)
    assert app.serverVersion() == PROTOBUF_MAX_VERSION  # ibapi 10.50 offers v100..226: all of it
    assert app.next_valid_id == 1
    assert app.accounts == "DU1234567"
    for _ in range(100):
        if len(app.errors) >= 3:
            break
        threading.Event().wait(0.01)
    assert [code for _, code, _ in app.errors[:3]] == [2104, 2106, 2158]


def test_ibapi_current_time_positions_and_account_updates(app: App, fake_tws: FakeTWS):
    assert app.got_id.wait(WAIT)
    app.reqCurrentTime()
    app.reqPositions()
    app.reqAccountUpdates(True, "DU1234567")
    assert app.got_time.wait(WAIT) and app.positions_done.wait(WAIT) and app.account_done.wait(WAIT)
    assert app.current_time == pytest.approx(fake_tws.clock.now().timestamp(), abs=5)


def test_ibapi_contract_details(app: App):
    assert app.got_id.wait(WAIT)
    stock = Contract()
    stock.symbol, stock.secType, stock.exchange, stock.currency = "MSFT", "STK", "SMART", "USD"
    app.details_done[11] = threading.Event()
    app.reqContractDetails(11, stock)
    assert app.details_done[11].wait(WAIT)
    [details] = app.details[11]
    assert details.contract.conId == 272093
    assert details.longName == "MICROSOFT CORP"
    assert details.contract.primaryExchange == "NASDAQ"

    unknown = Contract()
    unknown.symbol, unknown.secType, unknown.exchange, unknown.currency = (
        "ZZZZ",
        "STK",
        "SMART",
        "USD",
    )
    app.details_done[12] = threading.Event()
    app.reqContractDetails(12, unknown)
    assert app.details_done[12].wait(WAIT)
    assert (12, 200) in [(req_id, code) for req_id, code, _ in app.errors]
