"""The replay server: a cassette recorded from a FakeTWS (standing in for the paper TWS) served
back with the upstream stopped, to the same client code with other ids."""

from __future__ import annotations

import socket
import struct
import threading

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS
from pytest_tws.cassette import format as fmt
from pytest_tws.cassette.matching import RENUMBERED, MatchRules
from pytest_tws.cassette.proxy import RecordingProxy
from pytest_tws.cassette.replay import NO_RECORDED_ANSWER, NO_RECORDED_ORDER, ReplayServer
from pytest_tws.wire import protobuf
from pytest_tws.wire.handshake import MAGIC

TIMEOUT = 10.0


def session(port: int, client_id: int, ref: str = "mine", quantity: int = 1
            ) -> tuple[list[str], str, list[str], list[int]]:
    """The workflow under test: connect, qualify, place; what the client saw."""
    ib = IB()
    codes: list[int] = []
    ib.errorEvent += lambda req_id, code, *rest: codes.append(code)
    ib.connect("127.0.0.1", port, clientId=client_id, timeout=TIMEOUT)
    try:
        [contract] = ib.qualifyContracts(Stock("AAPL", "SMART", "USD"))
        trade = ib.placeOrder(contract, LimitOrder("BUY", quantity, 1.0, orderRef=ref))
        for _ in range(int(TIMEOUT / 0.05)):
            if trade.orderStatus.status not in ("PendingSubmit", ""):
                break
            ib.sleep(0.05)
        return (ib.managedAccounts(), trade.orderStatus.status,
                [t.order.orderRef for t in ib.openTrades()], codes)
    finally:
        ib.disconnect()


def wait_recorded(proxy: RecordingProxy, name: str) -> fmt.Cassette:
    pause = threading.Event()
    for _ in range(int(TIMEOUT / 0.05)):
        cassette = proxy.cassette()
        if sum(e.name == name for e in cassette.entries):
            return cassette
        pause.wait(0.05)
    raise AssertionError(f"no {name} recorded")


@pytest.fixture(scope="module")
def recorded() -> fmt.Cassette:
    with FakeTWS(accounts=["DU7654321"]) as tws, RecordingProxy(tws.host, tws.port) as proxy:
        accounts, status, _, _ = session(proxy.port, client_id=3)
        assert (accounts, status) == (["DU7654321"], "Submitted")
        cassette = wait_recorded(proxy, "ORDER_STATUS")
    return fmt.loads(fmt.dumps(cassette))  # as a file gives it back; the upstream is gone


def test_replay_serves_the_session_with_the_clients_own_ids(recorded: fmt.Cassette) -> None:
    with ReplayServer(recorded) as replay:
        accounts, status, refs, codes = session(replay.port, client_id=11, ref="theirs")
    assert replay.failures == []
    assert accounts == ["DU0000001"]  # the scrubbed placeholder
    assert status == "Submitted"
    assert refs == ["theirs"]  # the scrubbed order ref goes back as the client wrote it
    assert NO_RECORDED_ANSWER not in codes


def test_a_changed_request_fails_with_the_closest_side_by_side(recorded: fmt.Cassette) -> None:
    with ReplayServer(recorded, name="test_orders.cassette") as replay:
        _, _, _, codes = session(replay.port, client_id=3, quantity=2)
    assert NO_RECORDED_ORDER in codes  # a rejection: the client stops waiting on the order
    [failure] = replay.failures
    assert failure.startswith("no recorded answer for PLACE_ORDER (connection #1) in "
                              "test_orders.cassette; closest recorded: PLACE_ORDER, differing "
                              "in totalQuantity:")
    rows = failure.splitlines()
    assert rows[1].split() == ["field", "request", "recorded"]
    assert "! totalQuantity '2' '1'" in [" ".join(r.split()) for r in rows]
    assert "  contract.symbol" in failure  # the rest of the request, for context


def test_renumbering_rules_are_overridable(recorded: fmt.Cassette) -> None:
    rules = MatchRules(renumbered={k: v for k, v in RENUMBERED.items() if k != "clientId"})
    with ReplayServer(recorded, rules=rules) as replay, pytest.raises(TimeoutError):
        IB().connect("127.0.0.1", replay.port, clientId=12, timeout=1)  # no answer to START_API
    assert replay.failures[0].startswith("no recorded answer for START_API")
    assert "! clientId" in replay.failures[0]


def test_another_version_is_refused_with_a_clear_message(recorded: fmt.Cassette) -> None:
    with ReplayServer(recorded, name="x.cassette") as replay, socket.create_connection(
            ("127.0.0.1", replay.port), timeout=TIMEOUT) as sock:
        offer = b"v100..170"
        sock.sendall(MAGIC + struct.pack(">I", len(offer)) + offer)
        assert sock.recv(1024) == b""  # closed, nothing announced
    assert replay.failures == [
        "connection #1: the client negotiates v100..170, but x.cassette was recorded at v178: "
        "refused (record the cassette again with this client)"]


@pytest.mark.skipif(not protobuf.available(), reason="no ibapi.protobuf")
def test_protobuf_answers_are_rekeyed() -> None:
    from tests.clients.test_ibapi_protobuf_workflows import start, stock, stop

    with FakeTWS() as tws, RecordingProxy(tws.host, tws.port) as proxy:
        app, thread = start(proxy, 7, protobuf.PROTOBUF_MAX_VERSION)  # type: ignore[arg-type]
        try:
            app.reqContractDetails(3, stock("AAPL"))
            app.wait("contractDetailsEnd", lambda: app.of("contractDetailsEnd"))
        finally:
            stop(app, thread)
        cassette = wait_recorded(proxy, "CONTRACT_DATA_END")
    with ReplayServer(fmt.loads(fmt.dumps(cassette))) as replay:
        app, thread = start(replay, 8, protobuf.PROTOBUF_MAX_VERSION)  # type: ignore[arg-type]
        try:
            app.reqContractDetails(41, stock("AAPL"))
            app.wait("contractDetailsEnd", lambda: app.of("contractDetailsEnd"))
            [details] = app.of("contractDetails")
        finally:
            stop(app, thread)
    assert replay.failures == []
    assert details[0] == 41 and details[1].contract.symbol == "AAPL"
    assert app.of("contractDetailsEnd") == [(41,)]
    assert {"contractData", "contractDataEnd"} <= app.protobuf  # replayed as protobuf
