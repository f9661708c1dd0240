from __future__ import annotations

import logging
import socket
import struct

import pytest

from pytest_tws import FakeTWS
from pytest_tws.wire import SERVER_MAX_VERSION, SERVER_MIN_VERSION
from pytest_tws.wire.framing import FrameReader
from pytest_tws.wire.handshake import (
    Handshake,
    HandshakeError,
    HandshakeReader,
    VersionRefused,
    check_max_version,
    negotiate_version,
    parse_version_string,
)
from pytest_tws.wire.versions import MIN_CLIENT_VER, TEXT_PROTOCOL_MAX

#: What each client announces (ib_async 2.1 and ib_insync 0.9.86: their Client's
#: MinClientVersion/MaxClientVersion; ibapi 10.50: MIN_CLIENT_VER..MAX_CLIENT_VER;
#: @stoqey/ib: its MIN_SERVER_VER_SUPPORTED..MAX_SUPPORTED_SERVER_VERSION).
IB_ASYNC = Handshake(157, 178)
IB_INSYNC = Handshake(157, 176)
IBAPI = Handshake(100, 226)
STOQEY = Handshake(100, 193)


WAIT = 10.0


def prologue(version: bytes) -> bytes:
    return b"API\0" + struct.pack(">I", len(version)) + version


@pytest.mark.parametrize(
    "text, expected",
    [
        (b"v157..178", Handshake(157, 178)),  # ib_async 2.1
        (b"v100..226", Handshake(100, 226)),  # ibapi 10.50
        (b"v100..193", Handshake(100, 193)),  # @stoqey/ib
        (b"v178", Handshake(178, 178)),  # a client whose min equals max
        (b"v157..178 +PACEAPI", Handshake(157, 178, "+PACEAPI")),
    ],
)
def test_every_clients_version_string(text: bytes, expected: Handshake):
    assert parse_version_string(text) == expected


def test_the_fake_speaks_the_whole_text_protocol():
    assert (SERVER_MIN_VERSION, SERVER_MAX_VERSION) == (MIN_CLIENT_VER, TEXT_PROTOCOL_MAX) == (
        100, 200)


@pytest.mark.parametrize(
    "handshake, answer",
    [(IB_ASYNC, 178), (IB_INSYNC, 176), (IBAPI, 200), (STOQEY, 193), (Handshake(100, 100), 100),
     (Handshake(50, 100), 100), (Handshake(200, 300), 200), (Handshake(178, 178), 178)],
)
def test_answer_is_min_of_client_max_and_ours(handshake: Handshake, answer: int):
    assert negotiate_version(handshake) == answer == min(handshake.max_version, SERVER_MAX_VERSION)


@pytest.mark.parametrize("ours", [176, 178, 193])
@pytest.mark.parametrize("handshake", [IB_ASYNC, IB_INSYNC, IBAPI, STOQEY])
def test_a_lower_maximum_serves_every_client_that_reaches_it(handshake: Handshake, ours: int):
    assert negotiate_version(handshake, ours) == min(handshake.max_version, ours)


@pytest.mark.parametrize("handshake", [Handshake(38, 99), Handshake(99, 99)])
def test_a_client_entirely_below_100_is_refused_with_a_reason(handshake: Handshake):
    with pytest.raises(VersionRefused, match=f"at most v{handshake.max_version}.*v100..200"):
        negotiate_version(handshake)


@pytest.mark.parametrize("handshake", [Handshake(201, 226), Handshake(177, 178)])
def test_a_client_entirely_above_our_maximum_is_refused(handshake: Handshake):
    ours = 176
    with pytest.raises(VersionRefused, match=f"at least v{handshake.min_version}.*v100..{ours}"):
        negotiate_version(handshake, ours)


# 201..226 are configurable since the protobuf layer (tests/oracle/test_protobuf_framing.py)
@pytest.mark.parametrize("bad", [99, 0])
def test_a_fake_cannot_be_configured_outside_the_text_protocol(bad: int):
    with pytest.raises(ValueError, match="outside the text protocol"):
        check_max_version(bad)
    with pytest.raises(ValueError, match="outside the text protocol"):
        FakeTWS(max_server_version=bad)


def _answer(tws: FakeTWS, version: bytes) -> list[str]:
    """The fake's first frame in answer to `version`, or [] if it closed the socket."""
    with socket.create_connection((tws.host, tws.port), timeout=WAIT) as sock:
        sock.sendall(prologue(version))
        reader = FrameReader()
        while True:
            data = sock.recv(4096)
            if not data:
                return []
            frames = reader.feed(data)
            if frames:
                return frames[0]


@pytest.mark.parametrize("ours", [176, 178, 193, 200])
def test_the_fake_answers_at_its_configured_maximum_over_tcp(ours: int):
    with FakeTWS(max_server_version=ours) as tws:
        assert tws.max_server_version == ours
        assert _answer(tws, b"v100..226")[0] == str(ours)
        assert _answer(tws, b"v157..176")[0] == str(min(176, ours))


def test_a_refused_client_is_closed_and_the_reason_logged(caplog: pytest.LogCaptureFixture):
    with FakeTWS() as tws, caplog.at_level(logging.WARNING, logger="pytest_tws.fake"):
        assert _answer(tws, b"v38..99") == []
        reason = "client speaks at most v99; this fake TWS serves v100..200: refused"
        assert [reason in f.message for f in tws.call(lambda: list(tws.failures))] == [True]
    assert reason in caplog.text


def test_handshake_one_byte_at_a_time_keeps_the_bytes_after_it():
    stream = prologue(b"v157..178")
    reader = HandshakeReader()
    results = [reader.feed(bytes([byte])) for byte in stream]
    assert all(handshake is None for handshake, _ in results[:-1])
    assert results[-1] == (Handshake(157, 178), b"")


def test_bytes_following_the_prologue_in_one_read_are_returned():
    handshake, rest = HandshakeReader().feed(prologue(b"v157..178") + b"tail")
    assert handshake == Handshake(157, 178)
    assert rest == b"tail"


@pytest.mark.parametrize(
    "stream",
    [b"GET / HTTP/1.1\r\n", b"API\0\xff\xff\xff\xff", prologue(b"hello"), prologue(b"v9..3")],
)
def test_garbage_is_refused(stream: bytes):
    with pytest.raises(HandshakeError):
        HandshakeReader().feed(stream)
