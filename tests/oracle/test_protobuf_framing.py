"""Framing from v201 both ways, against ibapi's own comm/EClient code, and what the fake
announces (negotiation above 200, the cap, no protobuf without ibapi's classes)."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.fake import layouts, market_layouts
from pytest_tws.fake.dispatch import HANDLERS
from pytest_tws.wire import protobuf
from pytest_tws.wire.framing import FrameError, FrameReader, encode_binary_frame
from pytest_tws.wire.handshake import Handshake
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.protobuf_codec import (
    ProtoFrame,
    codec_for,
    negotiate,
    served_ceiling,
    unserved,
)
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas import RESPONSES
from pytest_tws.wire.versions import MIN_SERVER_VER_PROTOBUF, TEXT_PROTOCOL_MAX
from tests.oracle.protobuf_oracle import (
    fake_reads,
    fake_sends,
    frame_kind,
    ibapi_receives,
    needs_protobuf,
    unused_names,
    versions,
)
from tests.oracle.strategies import text

pytestmark = needs_protobuf
MAX = protobuf.PROTOBUF_MAX_VERSION
FAKE_SOURCES = Path(layouts.__file__).parent


# -- requests: ibapi's framing -> the fake's reader ----------------------------------------


@pytest.mark.parametrize(("client", "version"), versions())
def test_text_request_with_binary_id(client: str, version: int) -> None:
    from ibapi import comm

    frame = comm.make_msg(int(In.REQ_IDS), version >= MIN_SERVER_VER_PROTOBUF,
                          comm.make_field(1) + comm.make_field(5))
    assert fake_reads(version, frame) == ["8", "1", "5"]


@pytest.mark.parametrize("version", [MIN_SERVER_VER_PROTOBUF, MAX])
def test_protobuf_request_is_offset_by_200(version: int) -> None:
    from ibapi import comm
    from ibapi.protobuf.CancelMarketData_pb2 import CancelMarketData

    frame = comm.make_msg_proto(int(In.CANCEL_MKT_DATA) + 200,
                                CancelMarketData(reqId=9).SerializeToString())
    fields = fake_reads(version, frame)
    assert type(fields) is ProtoFrame and fields == ["2"] and fields.message.reqId == 9


def test_malformed_protobuf_body_is_a_frame_error() -> None:
    reader = codec_for(MAX).reader(FrameReader())
    with pytest.raises(FrameError, match="malformed protobuf body for CANCEL_MKT_DATA"):
        reader.feed(encode_binary_frame(int(In.CANCEL_MKT_DATA) + 200, b"\xff\xff\xff"))


def test_unknown_protobuf_id_is_a_frame_error() -> None:
    reader = codec_for(MAX).reader(FrameReader())
    with pytest.raises(FrameError, match="unknown protobuf message id 199"):
        reader.feed(encode_binary_frame(199 + 200, b""))


def test_binary_id_frames_survive_any_fragmentation() -> None:
    from ibapi import comm

    stream = b"".join(comm.make_msg(int(In.REQ_IDS), True, comm.make_field(1) + comm.make_field(n))
                      for n in range(3))
    reader = codec_for(MAX).reader(FrameReader())
    frames = [f for byte in range(len(stream)) for f in reader.feed(stream[byte:byte + 1])]
    assert frames == [["8", "1", str(n)] for n in range(3)]


# -- responses: the fake's framing -> ibapi's EClient.run ----------------------------------


@pytest.mark.parametrize(("client", "version"), versions())
def test_text_response_with_binary_id(client: str, version: int) -> None:
    frame = codec_for(version).frame(["9", "1", "42"])
    assert frame_kind(version, frame) in ("text", "binary")
    (call,) = ibapi_receives(version, frame)
    assert (call.name, call.args) == ("nextValidId", (42,))


@pytest.mark.parametrize(("client", "version"), versions())
def test_payload_response_with_binary_id(client: str, version: int) -> None:
    """Ticks are written as payload text; from the market-data threshold they go out as
    protobuf, below it as text (with the binary id from 201)."""
    payload = market_layouts.tick_price(7, 1, 101.25, 3, version)
    frame = codec_for(version).payload(payload)
    threshold = protobuf.response_threshold(Out.TICK_PRICE)
    assert frame_kind(version, frame) == (
        "text" if version < 201 else "protobuf" if version >= threshold else "binary")
    (call, *_) = ibapi_receives(version, frame)
    assert call.name == "tickPrice" and call.args[:3] == (7, 1, 101.25)


@pytest.mark.parametrize(("client", "version"), versions())
@settings(max_examples=15, deadline=None)
@given(req_id=st.integers(-1, 2**31 - 2), code=st.integers(100, 10_000), message=text,
       reject=text, when=st.integers(1, 2**41))
def test_err_msg(client: str, version: int, req_id: int, code: int, message: str, reject: str,
                 when: int) -> None:
    msg = Message(RESPONSES[Out.ERR_MSG], {"reqId": req_id, "errorCode": code,
                                           "errorString": message,
                                           "advancedOrderRejectJson": reject,
                                           "errorTime": when})
    frame = fake_sends(version, msg)
    assert frame_kind(version, frame) == ("protobuf" if version >= 201 else "text")
    assert unused_names(msg) == []
    (call,) = ibapi_receives(version, frame)
    assert call.name == "error"
    assert call.args[0] == req_id and call.args[2:] == (code, message, reject)
    assert call.args[1] == when  # errorTime: text from MIN_SERVER_VER_ERROR_TIME, protobuf too


def test_transcript_shows_protobuf_responses_as_their_text_fields() -> None:
    msg = layouts.error(3, 200, "No security definition has been found", 17)
    fields, _ = codec_for(MAX).message(msg)
    assert list(fields) == ["4", "3", "200", "No security definition has been found", "", "17"]


# -- negotiation ---------------------------------------------------------------------------


def test_negotiates_the_ceiling_above_200() -> None:
    ibapi = Handshake(100, MAX)
    assert negotiate(ibapi, MAX) == MAX
    assert negotiate(ibapi, 213) == 213
    assert negotiate(Handshake(100, 210), MAX) == 210


def test_cap_and_text_clients_stay_text() -> None:
    ibapi = Handshake(100, MAX)
    assert negotiate(ibapi, MAX, cap=TEXT_PROTOCOL_MAX) <= TEXT_PROTOCOL_MAX
    assert negotiate(ibapi, TEXT_PROTOCOL_MAX) <= TEXT_PROTOCOL_MAX
    assert negotiate(Handshake(157, 178), MAX) == 178


@pytest.mark.parametrize("version", [100, 176, 200, 201, 213, MAX])
def test_fake_tws_can_be_capped_anywhere_from_100_to_ibapis_maximum(version: int) -> None:
    from pytest_tws import FakeTWS

    assert FakeTWS(max_server_version=version).max_server_version == version


@pytest.mark.parametrize("bad", [99, MAX + 1])
def test_fake_tws_refuses_a_cap_it_cannot_speak(bad: int) -> None:
    from pytest_tws import FakeTWS

    with pytest.raises(ValueError, match="max_server_version"):
        FakeTWS(max_server_version=bad)


def test_no_protobuf_classes_no_protobuf(monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(protobuf, "PB2_PACKAGE", "no_such_package_for_pytest_tws")
    with caplog.at_level(logging.INFO, logger="pytest_tws.wire"):
        assert protobuf.available.__wrapped__() is False
    (record,) = [r for r in caplog.records if "protobuf unavailable" in r.message]
    assert f"at most v{TEXT_PROTOCOL_MAX}" in record.getMessage()
    monkeypatch.setattr(protobuf, "available", lambda: False)
    assert protobuf.ceiling(()) == TEXT_PROTOCOL_MAX


def test_ceiling_is_below_the_lowest_unserved_threshold() -> None:
    assert protobuf.ceiling([In.REQ_EXECUTIONS]) == TEXT_PROTOCOL_MAX
    assert protobuf.ceiling([Out.TICK_PRICE, In.REQ_IDS]) == 205
    assert protobuf.ceiling([]) == MAX


def test_the_fake_goes_above_200_only_when_every_message_has_a_schema() -> None:
    missing = unserved(HANDLERS)
    assert served_ceiling(HANDLERS) == (MAX if not missing else TEXT_PROTOCOL_MAX)


def test_every_response_the_fake_names_has_a_schema() -> None:
    """Responses go out through schemas (so as protobuf above their threshold); any the fake's
    code names directly must have one too."""
    named = set()
    for path in FAKE_SOURCES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "Out"):
                named.add(Out[node.attr])
    assert named - set(RESPONSES) == set()


# -- the tables, against ibapi's own ------------------------------------------------------

#: requests ibapi only ever sends as protobuf, refused below their version
PROTOBUF_ONLY = {In.CANCEL_CONTRACT_DATA, In.CANCEL_HISTORICAL_TICKS, In.REQ_CONFIG,
                 In.UPDATE_CONFIG}


def test_request_thresholds_are_ibapis() -> None:
    from ibapi.common import getServerVersionForMessage

    for message_id, (_, threshold) in protobuf.REQUESTS.items():
        if message_id not in PROTOBUF_ONLY:
            assert getServerVersionForMessage(int(message_id)) == threshold, message_id.name
    every = {m for m in In if getServerVersionForMessage(int(m)) != float("inf")}
    assert every | PROTOBUF_ONLY == set(protobuf.REQUESTS)


def test_every_response_ibapi_reads_as_protobuf_has_its_class() -> None:
    from ibapi.decoder import Decoder

    readable = set(Decoder.msgId2handleInfoProtoBuf)
    ours = {int(m) for m in protobuf.RESPONSES}
    # MARKET_DEPTH_L2 (13) has no Out name in this project (the fake sends no depth)
    assert readable - ours == {13} and ours <= readable
    for message_id in protobuf.RESPONSES:
        protobuf.response_class(message_id)


@pytest.mark.parametrize(("client", "version"), versions())
@settings(max_examples=15, deadline=None)
@given(req_id=st.integers(0, 2**31 - 2), tick_type=st.integers(0, 90),
       price=st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 4)),
       size=st.integers(0, 10**6), value=text)
def test_tick_payloads_fast_path_writes_what_the_schema_path_writes(
        client: str, version: int, req_id: int, tick_type: int, price: float, size: int,
        value: str) -> None:
    """Ticks go from payload text straight into protobuf (FlatPlan); the result must be the
    frame the general path (schema decode, then fill) writes, and ibapi must read it back."""
    from pytest_tws.wire.protobuf_convert import flat_plan

    for payload in (market_layouts.tick_price(req_id, tick_type, price, size, version),
                    market_layouts.tick_size(req_id, tick_type, size, version),
                    market_layouts.tick_string(req_id, tick_type, value, version),
                    market_layouts.tick_generic(req_id, tick_type, price, version)):
        fields = payload[:-1].split("\0")
        schema = RESPONSES[Out(int(fields[0]))]
        general = codec_for(version).message(Message(schema, schema.decode(fields, version)))[1]
        assert codec_for(version).payload(payload) == general
        plan = flat_plan(schema, version)
        if frame_kind(version, general) == "protobuf":
            assert plan is not None and plan.frame(fields) == general
        (call, *_) = ibapi_receives(version, general)
        assert call.args[0] == req_id
