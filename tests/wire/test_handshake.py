from __future__ import annotations

import struct

import pytest

from pytest_tws.wire.handshake import (
    SERVER_MAX_VERSION,
    Handshake,
    HandshakeError,
    HandshakeReader,
    negotiate_version,
    parse_version_string,
)


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


@pytest.mark.parametrize(
    "handshake, answer",
    [(Handshake(157, 178), 178), (Handshake(100, 226), 178), (Handshake(100, 193), 178)],
)
def test_answer_is_min_of_client_max_and_178(handshake: Handshake, answer: int):
    assert negotiate_version(handshake) == answer == min(handshake.max_version, SERVER_MAX_VERSION)


def test_a_client_below_our_minimum_is_refused_with_a_reason():
    with pytest.raises(HandshakeError, match="at most v176"):
        negotiate_version(Handshake(100, 176))


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
