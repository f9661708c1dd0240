"""IBKR's ibapi over real loopback TCP at binary-id versions: 212 (text requests with the 4-byte
id still, startApi and reqCurrentTime among them; protobuf ones from their thresholds) and
ibapi's maximum: protobuf requests read as the same values (reqMktData, cancelMktData), errors
answered in protobuf, an unimplemented protobuf request recorded as in text (the client stays),
and a malformed protobuf body closing only the client that sent it.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_tws import FakeTWS
from pytest_tws.testing import prologue
from pytest_tws.wire import protobuf
from pytest_tws.wire.framing import FrameReader, encode_binary_frame
from pytest_tws.wire.messages import In
from pytest_tws.wire.protobuf_codec import codec_for
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_PROTOBUF_REST_MESSAGES_3,
    MIN_SERVER_VER_PROTOBUF_SCAN_DATA,
)

ibapi_client = pytest.importorskip("ibapi.client")
from ibapi.contract import Contract  # noqa: E402
from ibapi.wrapper import EWrapper  # noqa: E402

pytestmark = pytest.mark.skipif(not protobuf.available(), reason="no ibapi.protobuf")
WAIT = 10.0
#: above reqPnL's threshold (210, unimplemented by the fake), below startApi's (213)
BELOW_START_API = MIN_SERVER_VER_PROTOBUF_SCAN_DATA + 2
VERSIONS = [BELOW_START_API, protobuf.PROTOBUF_MAX_VERSION]


class App(EWrapper, ibapi_client.EClient):  # type: ignore[misc]
    def __init__(self) -> None:
        EWrapper.__init__(self)
        ibapi_client.EClient.__init__(self, self)
        self.lock = threading.Lock()
        self.errors: list[tuple[int, int, str]] = []
        self.prices: list[tuple[int, int, float]] = []
        self.times: list[int] = []
        self.ids: list[int] = []
        self.changed = threading.Condition(self.lock)

    def _note(self, target: list[Any], item: Any) -> None:
        with self.changed:
            target.append(item)
            self.changed.notify_all()

    def wait_for(self, check: Any) -> bool:
        with self.changed:
            return self.changed.wait_for(check, WAIT)

    def nextValidId(self, orderId: int) -> None:
        self._note(self.ids, orderId)

    def currentTime(self, time: int) -> None:
        self._note(self.times, time)

    def tickPrice(self, reqId: int, tickType: int, price: float, attrib: Any) -> None:
        self._note(self.prices, (reqId, tickType, price))

    def error(self, reqId, errorTime, errorCode, errorString, advancedOrderRejectJson=""):  # type: ignore[no-untyped-def]
        self._note(self.errors, (reqId, errorCode, errorString))


@pytest.fixture(params=VERSIONS, ids=[f"v{v}" for v in VERSIONS])
def tws(request: pytest.FixtureRequest) -> Iterator[FakeTWS]:
    with FakeTWS(max_server_version=request.param) as fake:
        yield fake


@pytest.fixture
def app(tws: FakeTWS) -> Iterator[App]:
    client = App()
    client.connect(tws.host, tws.port, clientId=5)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    assert client.wait_for(lambda: client.ids)
    yield client
    client.disconnect()
    thread.join(timeout=WAIT)


def stock(symbol: str) -> Contract:
    contract = Contract()
    contract.symbol, contract.secType, contract.exchange, contract.currency = (
        symbol, "STK", "SMART", "USD")
    return contract


def test_connects_above_200_with_binary_ids(app: App, tws: FakeTWS) -> None:
    assert app.serverVersion() == tws.max_server_version
    assert app.ids == [1]
    # the farm messages at connect are errors: protobuf from 201
    assert app.wait_for(lambda: len(app.errors) >= 3)
    assert [code for _, code, _ in app.errors[:3]] == [2104, 2106, 2158]
    app.reqCurrentTime()  # text with the binary id below 213, protobuf from 213
    assert app.wait_for(lambda: app.times)
    assert tws.failures == []


def test_protobuf_market_data_request_and_error(app: App, tws: FakeTWS) -> None:
    app.reqMktData(21, stock("MSFT"), "", False, False, [])  # protobuf from 206
    assert app.wait_for(lambda: any(r == 21 for r, _, _ in app.prices))
    app.cancelMktData(21)
    app.reqMktData(22, stock("ZZZZ"), "", False, False, [])
    assert app.wait_for(lambda: (22, 200) in [(r, c) for r, c, _ in app.errors])
    assert tws.failures == []


def test_unimplemented_protobuf_request_is_recorded_and_the_client_stays(
        app: App, tws: FakeTWS) -> None:
    app.reqPnL(31, "DU1234567", "")  # protobuf from 210; the fake has no PnL
    app.reqCurrentTime()
    assert app.wait_for(lambda: app.times)
    assert app.isConnected()
    [failure] = tws.transcript.take_failures()
    assert failure.kind == "unimplemented request" and "REQ_PNL" in failure.message


async def test_malformed_protobuf_body_closes_only_that_client(app: App, tws: FakeTWS) -> None:
    reader, writer = await asyncio.open_connection(tws.host, tws.port)
    version = tws.max_server_version
    writer.write(prologue(f"v100..{version}".encode()))
    frames = FrameReader()
    first = await asyncio.wait_for(reader.read(1024), WAIT)
    (answered, _), *_ = frames.feed(first)
    assert int(answered) == version
    writer.write(codec_for(version).frame(["71", "2", "9", ""]))  # startApi as text (accepted)
    writer.write(encode_binary_frame(int(In.CANCEL_MKT_DATA) + 200, b"\xff\xff\xff"))
    while await asyncio.wait_for(reader.read(65536), WAIT):
        pass  # until the fake closes this socket
    writer.close()
    [failure] = tws.transcript.take_failures()
    assert failure.kind == "bad input" and "malformed protobuf body" in failure.message
    await asyncio.to_thread(app.reqCurrentTime)
    assert await asyncio.to_thread(app.wait_for, lambda: app.times)
    assert app.isConnected()


def test_length_prefix_of_a_binary_frame() -> None:
    frame = encode_binary_frame(9, b"1\x00")
    assert struct.unpack(">II", frame[:8]) == (6, 9)


async def test_a_protobuf_request_that_does_not_convert_is_answered_321(tws: FakeTWS) -> None:
    """A well-formed protobuf body whose value cannot be read (a size that is not a number)
    is answered as in text: error 321 naming what was wrong, in protobuf; the client stays."""
    from ibapi.protobuf.ErrorMessage_pb2 import ErrorMessage
    from ibapi.protobuf.PlaceOrderRequest_pb2 import PlaceOrderRequest
    from ibapi.protobuf.StartApiRequest_pb2 import StartApiRequest

    from pytest_tws.wire.framing import encode_protobuf_frame, split_binary_id
    from pytest_tws.wire.messages import Out

    version = tws.max_server_version
    if version < MIN_SERVER_VER_PROTOBUF_REST_MESSAGES_3:
        pytest.skip("placeOrder and startApi are protobuf from 213 on")
    reader, writer = await asyncio.open_connection(tws.host, tws.port)
    writer.write(prologue(f"v100..{version}".encode()))
    writer.write(encode_protobuf_frame(int(In.START_API),
                                       StartApiRequest(clientId=11).SerializeToString()))
    order = PlaceOrderRequest(orderId=5)
    order.contract.conId, order.contract.symbol, order.contract.secType = 265598, "AAPL", "STK"
    order.contract.exchange, order.contract.currency = "SMART", "USD"
    order.order.action, order.order.orderType, order.order.totalQuantity = "BUY", "LMT", "abc"
    writer.write(encode_protobuf_frame(int(In.PLACE_ORDER), order.SerializeToString()))
    frames, errors = FrameReader(), []
    while not any(e.errorCode == 321 for e in errors):
        data = await asyncio.wait_for(reader.read(65536), WAIT)
        assert data, "the fake closed the client"
        for payload in frames.feed_payloads(data):
            if payload[:1].isdigit():
                continue  # the handshake's answer: text
            message_id, is_proto, body = split_binary_id(payload)
            if message_id == Out.ERR_MSG and is_proto:
                errors.append(ErrorMessage.FromString(body))
    [refusal] = [e for e in errors if e.errorCode == 321]
    assert "totalQuantity" in refusal.errorMsg
    writer.close()
    assert tws.transcript.take_failures()[0].kind == "undecodable request"
