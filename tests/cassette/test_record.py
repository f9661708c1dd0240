"""The recording proxy: a real client through it to a FakeTWS standing in for the paper TWS.

The cassette must name every message and its fields by IBKR's names at the negotiated
version, text (ib_async, v178) and binary ids / protobuf (ibapi, v201+), and hide accounts
and order refs behind stable placeholders.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS
from pytest_tws.cassette import format as fmt
from pytest_tws.cassette.proxy import RecordingProxy
from pytest_tws.wire import protobuf
from pytest_tws.wire.versions import MIN_SERVER_VER_PROTOBUF

TIMEOUT = 10.0
ACCOUNT = "DU7654321"
REF = "my-secret-ref"


@pytest.fixture
def upstream() -> Iterator[FakeTWS]:
    with FakeTWS(accounts=[ACCOUNT]) as tws:
        yield tws


def record_ib_async(tws: FakeTWS, proxy: RecordingProxy) -> None:
    ib = IB()
    ib.connect(proxy.host, proxy.port, clientId=5, timeout=TIMEOUT)
    try:
        [contract] = ib.qualifyContracts(Stock("AAPL", "SMART", "USD"))
        trade = ib.placeOrder(contract, LimitOrder("BUY", 1, 1.0, orderRef=REF))
        ib.waitOnUpdate(timeout=TIMEOUT)
        assert trade.order.orderId > 0
    finally:
        ib.disconnect()


def wait_for(proxy: RecordingProxy, name: str) -> fmt.Cassette:
    done = threading.Event()
    for _ in range(int(TIMEOUT / 0.05)):
        cassette = proxy.cassette()
        if any(e.name == name for e in cassette.entries):
            return cassette
        done.wait(0.05)
    raise AssertionError(f"no {name} recorded: {[e.name for e in proxy.cassette().entries]}")


def test_text_session_is_named_timed_and_scrubbed(upstream: FakeTWS, tmp_path: Path) -> None:
    with RecordingProxy(upstream.host, upstream.port) as proxy:
        record_ib_async(upstream, proxy)
        cassette = wait_for(proxy, "OPEN_ORDER")
        path = proxy.save(tmp_path / "session.cassette")
    text = path.read_text()
    assert ACCOUNT not in text and REF not in text
    assert cassette.server_version == 178
    names = [(e.dir, e.name) for e in cassette.entries]
    assert names[:3] == [("client", "HANDSHAKE"), ("tws", "SERVER_VERSION"),
                         ("client", "START_API")]
    assert ("client", "PLACE_ORDER") in names and ("tws", "ORDER_STATUS") in names
    times = [e.t for e in cassette.entries]
    assert times == sorted(times)
    accounts = next(e for e in cassette.entries if e.name == "MANAGED_ACCTS")
    assert accounts.fields["accountsList"] == "DU0000001" == accounts.raw[-1]  # type: ignore[index]
    place = next(e for e in cassette.entries if e.name == "PLACE_ORDER")
    assert place.fields["orderRef"] == "REF1"
    assert place.fields["contract"]["symbol"] == "AAPL"
    assert place.fields["lmtPrice"] == 1.0 and place.fields["action"] == "BUY"
    # one message per line, header first: diffable, and it loads back the same
    lines = text.splitlines()
    assert len(lines) == len(cassette.entries) + 1
    again = fmt.load(path)
    assert again.server_version == 178
    assert [e.to_json() for e in again.entries] == [
        fmt.loads(fmt.dumps(cassette)).entries[i].to_json() for i in range(len(lines) - 1)]


def test_scrubbing_is_configurable(upstream: FakeTWS) -> None:
    scrubber = fmt.Scrubber(ref_fields=frozenset(), values={"AAPL": "SYMBOL1"})
    with RecordingProxy(upstream.host, upstream.port, scrubber=scrubber) as proxy:
        record_ib_async(upstream, proxy)
        cassette = wait_for(proxy, "OPEN_ORDER")
    place = next(e for e in cassette.entries if e.name == "PLACE_ORDER")
    assert place.fields["orderRef"] == REF
    assert place.fields["contract"]["symbol"] == "SYMBOL1"
    assert "SYMBOL1" in place.raw  # type: ignore[operator]


@pytest.mark.skipif(not protobuf.available(), reason="no ibapi.protobuf")
def test_binary_ids_and_protobuf_are_decoded() -> None:
    from tests.clients.test_ibapi_protobuf_workflows import start, stock, stop

    with FakeTWS() as tws, RecordingProxy(tws.host, tws.port) as proxy:
        app, thread = start(proxy, 7, protobuf.PROTOBUF_MAX_VERSION)  # type: ignore[arg-type]
        try:
            app.reqContractDetails(3, stock("AAPL"))
            app.wait("contractDetailsEnd", lambda: app.of("contractDetailsEnd"))
        finally:
            stop(app, thread)
        cassette = wait_for(proxy, "CONTRACT_DATA_END")
    assert cassette.server_version >= MIN_SERVER_VER_PROTOBUF
    request = next(e for e in cassette.entries if e.name == "REQ_CONTRACT_DATA")
    assert request.proto is not None and request.raw is None
    assert request.fields["reqId"] == 3
    assert request.fields["contract"]["symbol"] == "AAPL"
    answer = next(e for e in cassette.entries if e.name == "CONTRACT_DATA")
    assert answer.fields, answer
