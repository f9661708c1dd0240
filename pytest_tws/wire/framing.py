"""Length-prefixed frames of NUL-terminated text fields.

┌──────────────┬──────────────────────────────────┐
│ length (>I)  │ field\0 field\0 ... field\0      │
└──────────────┴──────────────────────────────────┘

From server version 201 (MIN_SERVER_VER_PROTOBUF) the message id is no longer the first text
field but a 4-byte big-endian int, in both directions; the body after it is either the rest of
the text fields or, for an id above PROTOBUF_MSG_ID (200), a protobuf message whose own id is
`id - 200` (ibapi comm.make_msg / make_msg_proto, client.run, client.sendMsgProtoBuf):

┌──────────────┬──────────┬──────────────────────────────────────────────┐
│ length (>I)  │ id (>I)  │ field\0 ... field\0   or   protobuf bytes    │
└──────────────┴──────────┴──────────────────────────────────────────────┘
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

#: Largest payload we accept from a client. Real requests are a few hundred bytes (a BAG
#: placeOrder is ~1 KB); 16 MiB leaves room for anything legitimate while a hostile length
#: prefix can never make us buffer more than this per connection.
MAX_FRAME_BYTES = 16 * 1024 * 1024

_LENGTH = struct.Struct(">I")
_BINARY_ID = struct.Struct(">I")
#: Bytes of the binary message id from MIN_SERVER_VER_PROTOBUF on.
BINARY_ID_BYTES = _BINARY_ID.size
#: ibapi common.PROTOBUF_MSG_ID: a binary id above it announces a protobuf body of id - 200.
PROTOBUF_MSG_ID = 200


class FrameError(ValueError):
    """A frame that cannot be a TWS API message (oversized, not text, not NUL-terminated)."""


def encode_payload(fields: Sequence[str]) -> bytes:
    """Join already-encoded fields, each terminated by NUL; a NUL inside a field is an error
    (it would split the field in two on the other side)."""
    text = "\0".join(fields)
    if text.count("\0") != len(fields) - 1:
        raise FrameError(f"a field contains NUL: {list(fields)!r}")
    return (text + "\0").encode()


def encode_frame(fields: Sequence[str]) -> bytes:
    """One framed message: 4-byte big-endian length, then the NUL-terminated fields."""
    payload = encode_payload(fields)
    return _LENGTH.pack(len(payload)) + payload


def frame_text(payload: str) -> bytes:
    """Frame a payload already written as text with every field NUL-terminated (the caller
    vouches that no field holds a NUL)."""
    data = payload.encode()
    return _LENGTH.pack(len(data)) + data


def decode_payload(payload: bytes) -> list[str]:
    """Split a payload into fields; every field, the last included, must end in NUL."""
    if not payload.endswith(b"\0"):
        raise FrameError("payload does not end with a NUL field terminator")
    try:
        text = payload.decode()
    except UnicodeDecodeError as exc:
        raise FrameError(f"payload is not UTF-8: {exc}") from exc
    return text[:-1].split("\0")


class FrameReader:
    """Incremental frame decoder: feed any fragmentation of the byte stream, get whole frames.

    The declared length is checked against `max_frame` before any of it is buffered, so a
    hostile prefix cannot make us allocate.
    """

    def __init__(self, max_frame: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._max_frame = max_frame

    @property
    def max_frame(self) -> int:
        """The largest payload this reader accepts."""
        return self._max_frame

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[list[str]]:
        """Add bytes; return every frame they complete, each as its list of fields."""
        return [decode_payload(payload) for payload in self.feed_payloads(data)]

    def feed_payloads(self, data: bytes) -> list[bytes]:
        """Add bytes; return every frame they complete, each as its raw payload."""
        self._buffer += data
        frames: list[bytes] = []
        while len(self._buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self._buffer)
            if length == 0:
                raise FrameError("empty frame (length 0)")
            if length > self._max_frame:
                raise FrameError(f"frame of {length} bytes exceeds the {self._max_frame}-byte cap")
            end = _LENGTH.size + length
            if len(self._buffer) < end:
                break
            payload = bytes(self._buffer[_LENGTH.size : end])
            del self._buffer[:end]
            frames.append(payload)
        return frames


def frame_sizes(frames: Sequence[Sequence[str]]) -> int:
    """Total encoded size of some frames (handy for budgets and benchmarks)."""
    return sum(len(encode_frame(f)) for f in frames)


# binary message ids (server versions >= 201)


def encode_binary_frame(message_id: int, body: bytes) -> bytes:
    """One frame with a binary id: length, 4-byte id, then the body (text fields or protobuf)."""
    return _LENGTH.pack(len(body) + BINARY_ID_BYTES) + _BINARY_ID.pack(message_id) + body


def encode_binary_text_frame(fields: Sequence[str]) -> bytes:
    """A text message at >= 201: `fields[0]` (the id, as text) becomes the binary id and the
    other fields stay NUL-terminated text (ibapi comm.make_msg with useRawIntMsgId)."""
    body = encode_payload(fields[1:]) if len(fields) > 1 else b""
    return encode_binary_frame(int(fields[0]), body)


def encode_protobuf_frame(message_id: int, body: bytes) -> bytes:
    """A protobuf message: its id offset by PROTOBUF_MSG_ID (ibapi comm.make_msg_proto)."""
    return encode_binary_frame(message_id + PROTOBUF_MSG_ID, body)


def split_binary_id(payload: bytes) -> tuple[int, bool, bytes]:
    """(message id, is protobuf, body) of a payload framed with a binary id."""
    if len(payload) < BINARY_ID_BYTES:
        raise FrameError(f"payload of {len(payload)} bytes has no 4-byte message id")
    (raw,) = _BINARY_ID.unpack_from(payload)
    body = payload[BINARY_ID_BYTES:]
    if raw > PROTOBUF_MSG_ID:
        return raw - PROTOBUF_MSG_ID, True, body
    return raw, False, body


def decode_binary_text(message_id: int, body: bytes) -> list[str]:
    """The fields of a text message with a binary id, message id first (as text), as the
    text framing gives them."""
    return [str(message_id), *decode_payload(body)] if body else [str(message_id)]
