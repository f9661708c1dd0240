"""Bytes <-> fields for the classic text TWS API: framing, handshake, field codec, message ids.

This package knows nothing of sessions, brokers or pytest.
"""

from pytest_tws.wire.fields import (
    UNSET_DOUBLE,
    UNSET_INTEGER,
    UNSET_LONG,
    FieldError,
    FieldReader,
    encode_field,
)
from pytest_tws.wire.framing import MAX_FRAME_BYTES, FrameError, FrameReader, encode_frame
from pytest_tws.wire.handshake import (
    SERVER_MAX_VERSION,
    SERVER_MIN_VERSION,
    Handshake,
    HandshakeError,
    HandshakeReader,
    negotiate_version,
)
from pytest_tws.wire.messages import In, Out

__all__ = [
    "MAX_FRAME_BYTES",
    "SERVER_MAX_VERSION",
    "SERVER_MIN_VERSION",
    "UNSET_DOUBLE",
    "UNSET_INTEGER",
    "UNSET_LONG",
    "FieldError",
    "FieldReader",
    "FrameError",
    "FrameReader",
    "Handshake",
    "HandshakeError",
    "HandshakeReader",
    "In",
    "Out",
    "encode_field",
    "encode_frame",
    "negotiate_version",
]
