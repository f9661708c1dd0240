"""Length-prefixed frames of NUL-terminated text fields.

┌──────────────┬──────────────────────────────────┐
│ length (>I)  │ field\0 field\0 ... field\0      │
└──────────────┴──────────────────────────────────┘
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

#: Largest payload we accept from a client. Real requests are a few hundred bytes (a BAG
#: placeOrder is ~1 KB); 16 MiB leaves room for anything legitimate while a hostile length
#: prefix can never make us buffer more than this per connection.
MAX_FRAME_BYTES = 16 * 1024 * 1024

_LENGTH = struct.Struct(">I")


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
    def pending(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[list[str]]:
        """Add bytes; return every frame they complete, each as its list of fields."""
        self._buffer += data
        frames: list[list[str]] = []
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
            frames.append(decode_payload(payload))
        return frames


def frame_sizes(frames: Sequence[Sequence[str]]) -> int:
    """Total encoded size of some frames (handy for budgets and benchmarks)."""
    return sum(len(encode_frame(f)) for f in frames)
