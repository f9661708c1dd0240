"""Reading one direction of a TWS API connection into cassette entries.

The client side starts with the handshake (`API\\0` + version string), the TWS side with the
``version|connectionTime`` frame; from then on both are frames, with a binary message id from
v201 (MIN_SERVER_VER_PROTOBUF) and a protobuf body for ids above 200 (wire/framing.py).
"""

from __future__ import annotations

import time
from typing import Any

from pytest_tws.cassette.format import CLIENT, HANDSHAKE, SERVER_VERSION, TWS, Entry
from pytest_tws.fake.describe import describe_request, describe_response
from pytest_tws.wire import protobuf
from pytest_tws.wire.framing import FrameReader, decode_binary_text, split_binary_id
from pytest_tws.wire.handshake import HandshakeReader
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.protobuf_codec import ProtoFrame
from pytest_tws.wire.versions import MIN_SERVER_VER_PROTOBUF

#: the pseudo message id of the handshake and the version frame (no real message has it)
PSEUDO_ID = 0


def message_name(direction: str, message_id: int) -> str:
    enum: Any = In if direction == CLIENT else Out
    try:
        return str(enum(message_id).name)
    except ValueError:
        return f"UNKNOWN_{message_id}"


def proto_fields(direction: str, message_id: int, body: bytes) -> tuple[dict[str, Any], Any]:
    """(the protobuf body as named fields, the parsed message) -- (``{}``, None) if unknown."""
    try:
        cls = (protobuf.request_class(In(message_id)) if direction == CLIENT
               else protobuf.response_class(Out(message_id)))
        message = cls()
        message.ParseFromString(body)
        from google.protobuf.json_format import MessageToDict

        return dict(MessageToDict(message, preserving_proto_field_name=True)), message
    except Exception:  # unknown id, no ibapi.protobuf, malformed body: keep the bytes only
        return {}, None


class StreamDecoder:
    """Bytes of one direction in, entries out (`feed`), at the version the TWS announced."""

    def __init__(self, direction: str, conn: int, start: float,
                 clock: Any = time.monotonic) -> None:
        self.direction = direction
        self.conn = conn
        self.start = start
        self.clock = clock
        self.version = 0
        self._handshake: HandshakeReader | None = HandshakeReader() if direction == CLIENT \
            else None
        self._frames = FrameReader()
        self._expect_version = direction == TWS

    def _now(self) -> float:
        return self.clock() - self.start

    def feed(self, data: bytes, version: int) -> list[Entry]:
        """Entries the bytes complete; `version` is the negotiated one (0 before it is)."""
        entries: list[Entry] = []
        if self._handshake is not None:
            handshake, data = self._handshake.feed(data)
            if handshake is None:
                return entries
            self._handshake = None
            text = f"v{handshake.min_version}..{handshake.max_version}"
            entries.append(Entry(self._now(), self.conn, CLIENT, PSEUDO_ID, HANDSHAKE,
                                 {"minVersion": handshake.min_version,
                                  "maxVersion": handshake.max_version,
                                  "connectOptions": handshake.connect_options},
                                 raw=[text, handshake.connect_options]))
        for payload in self._frames.feed_payloads(data):
            entries.append(self._entry(payload, version))
        return entries

    def _entry(self, payload: bytes, version: int) -> Entry:
        from pytest_tws.wire.framing import decode_payload

        if self._expect_version:
            self._expect_version = False
            fields = decode_payload(payload)
            self.version = int(fields[0])
            return Entry(self._now(), self.conn, TWS, PSEUDO_ID, SERVER_VERSION,
                         {"serverVersion": self.version,
                          "connectionTime": fields[1] if len(fields) > 1 else ""},
                         raw=fields)
        if version >= MIN_SERVER_VER_PROTOBUF:
            message_id, is_proto, body = split_binary_id(payload)
            if is_proto:
                named, message = proto_fields(self.direction, message_id, body)
                named = self._proto_named(message_id, message, named, version)
                return Entry(self._now(), self.conn, self.direction, message_id,
                             message_name(self.direction, message_id), named, proto=body.hex())
            fields = decode_binary_text(message_id, body)
        else:
            fields = decode_payload(payload)
        message_id = int(fields[0]) if fields and fields[0].lstrip("-").isdigit() else -1
        describe = describe_request if self.direction == CLIENT else describe_response
        try:
            named = describe(message_id, fields, version)
        except Exception:  # an id no enum knows: keep its fields by position
            named = {f"field_{i}": fields[i] for i in range(1, len(fields))}
        return Entry(self._now(), self.conn, self.direction, message_id,
                     message_name(self.direction, message_id), named, raw=fields)

    def _proto_named(self, message_id: int, message: Any, named: dict[str, Any],
                     version: int) -> dict[str, Any]:
        """A protobuf request by the text schema's names (describe_request), else the
        protobuf message's own field names."""
        if self.direction != CLIENT or message is None:
            return named
        try:
            frame = ProtoFrame(In(message_id), message)
            return describe_request(message_id, frame, version)
        except Exception:
            return named
