from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_tws.wire.framing import MAX_FRAME_BYTES, FrameError, FrameReader, encode_frame

field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40
)
frames = st.lists(st.lists(field_text, min_size=1, max_size=12), min_size=1, max_size=8)


@given(frames, st.data())
def test_any_fragmentation_yields_the_same_frames(messages: list[list[str]], data: st.DataObject):
    stream = b"".join(encode_frame(fields) for fields in messages)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=20)))
    reader = FrameReader()
    decoded: list[list[str]] = []
    previous = 0
    for cut in [*cuts, len(stream)]:
        decoded += reader.feed(stream[previous:cut])
        previous = cut
    assert decoded == messages
    assert reader.pending == 0


def test_one_byte_at_a_time():
    stream = encode_frame(["71", "2", "7", ""]) + encode_frame(["49", "1"])
    reader = FrameReader()
    decoded = [frame for byte in stream for frame in reader.feed(bytes([byte]))]
    assert decoded == [["71", "2", "7", ""], ["49", "1"]]


def test_startapi_bytes_match_the_documented_ones():
    assert encode_frame(["71", "2", "7", ""]) == bytes.fromhex("00000008 3731 00 32 00 37 00 00")


def test_oversized_length_is_refused_before_buffering():
    reader = FrameReader()
    with pytest.raises(FrameError, match="exceeds"):
        reader.feed(struct.pack(">I", MAX_FRAME_BYTES + 1))
    assert reader.pending == 4


@pytest.mark.parametrize(
    "payload, reason",
    [(b"71\x002", "NUL"), (b"\xff\xfe\x00", "UTF-8")],
)
def test_malformed_payloads(payload: bytes, reason: str):
    with pytest.raises(FrameError, match=reason):
        FrameReader().feed(struct.pack(">I", len(payload)) + payload)


def test_zero_length_frame_is_an_error():
    with pytest.raises(FrameError, match="empty"):
        FrameReader().feed(b"\0\0\0\0")
