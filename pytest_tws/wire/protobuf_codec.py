"""What a session speaks at its negotiated version: the frames it reads and the frames it writes.

    below 201   text ids, text bodies (the classic protocol)
    201 and up  binary ids; a request above its threshold comes as protobuf (id + 200), a
                response at or above its threshold goes out as protobuf; the rest stays text

A session asks `codec_for(version)` once the handshake is done and from then on hands it
every frame it reads and every message it writes; its handlers see the same values dicts
whatever the framing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from pytest_tws.wire import protobuf
from pytest_tws.wire.fields import FieldError, encode_fields
from pytest_tws.wire.framing import (
    MAX_FRAME_BYTES,
    FrameError,
    FrameReader,
    decode_binary_text,
    encode_binary_text_frame,
    encode_frame,
    encode_protobuf_frame,
    frame_text,
    split_binary_id,
)
from pytest_tws.wire.handshake import Handshake, negotiate_version
from pytest_tws.wire.handshake import check_max_version as check_text_max
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.protobuf_convert import (
    FlatPlan,
    ProtoError,
    flat_plan,
    request_values,
    response_message,
)
from pytest_tws.wire.schema import Message, Schema, Values
from pytest_tws.wire.versions import MIN_SERVER_VER_PROTOBUF, TEXT_PROTOCOL_MAX

log = logging.getLogger("pytest_tws.wire")

#: frames remembered by `Codec.repeated`; bounded so a fake running for days stays small
_REPEATED_LIMIT = 4096
_IN_IDS = frozenset(int(m) for m in In)
_UNROUTED = object()


class ProtoFrame(list):  # type: ignore[type-arg]
    """A request read from a protobuf body: `[message id as text]` (what the text path keys
    on), with the parsed message in `.message`."""

    __slots__ = ("message",)

    def __init__(self, message_id: In, message: Any) -> None:
        super().__init__([str(int(message_id))])
        self.message = message


class LazyFields(Sequence[str]):
    """A protobuf response's text fields for the transcript, built only when someone reads
    them (the text layout of the same values at the session's version)."""

    __slots__ = ("_message", "_text", "_version")

    def __init__(self, message: Message, version: int) -> None:
        self._message = message
        self._version = version
        self._text: list[str] | None = None

    def _fields(self) -> list[str]:
        if self._text is None:
            self._text = encode_fields(self._message.fields(self._version))
        return self._text

    def __getitem__(self, index: Any) -> Any:
        return self._fields()[index]

    def __len__(self) -> int:
        return len(self._fields())

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields())


class BinaryFrameReader:
    """FrameReader for versions >= 201: the 4-byte id, then a text or protobuf body. A body
    that does not parse as its message class is a FrameError (the session closes that client)."""

    def __init__(self, max_frame: int = MAX_FRAME_BYTES) -> None:
        self._frames = FrameReader(max_frame)

    @property
    def pending(self) -> int:
        return self._frames.pending

    def feed(self, data: bytes) -> list[list[str]]:
        frames: list[list[str]] = []
        for payload in self._frames.feed_payloads(data):
            message_id, is_proto, body = split_binary_id(payload)
            frames.append(parse_request(message_id, body) if is_proto
                          else decode_binary_text(message_id, body))
        return frames


def parse_request(message_id: int, body: bytes) -> ProtoFrame:
    if message_id not in _IN_IDS or In(message_id) not in protobuf.REQUESTS:
        raise FrameError(f"unknown protobuf message id {message_id}")
    request = In(message_id)
    cls = protobuf.request_class(request)
    message = cls()
    try:
        message.ParseFromString(body)
    except Exception as exc:  # google.protobuf.message.DecodeError
        raise FrameError(f"malformed protobuf body for {request.name} "
                         f"({len(body)} bytes): {exc}") from exc
    return ProtoFrame(request, message)


def decode_request(schema: Schema, fields: list[str], version: int) -> Values:
    """A request's values, read from its text fields or from its protobuf message."""
    if type(fields) is ProtoFrame:
        try:
            return request_values(schema, cast(ProtoFrame, fields).message, version)
        except ProtoError as exc:
            raise FieldError(0, schema.name, "(protobuf)", str(exc)) from exc
    return schema.decode(fields, version)


class Codec:
    """Frames out, by version: text below 201, binary ids from 201, protobuf at each
    response's threshold."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.binary = version >= MIN_SERVER_VER_PROTOBUF
        self._repeated: dict[object, tuple[Sequence[str], bytes]] = {}
        self._payloads: dict[str, bytes] = {}
        self._routes: dict[str, object] = {}
        """message id text -> None (text), its FlatPlan, or its Schema (protobuf)"""

    def reader(self, current: FrameReader) -> FrameReader | BinaryFrameReader:
        """The reader for this version, with the same frame-size limit as `current`."""
        return BinaryFrameReader(current.max_frame) if self.binary else current

    def frame(self, fields: Sequence[str]) -> bytes:
        """A text message's frame (fields already text, id first)."""
        if not self.binary:
            return encode_frame(fields)
        if _protobuf_schema(int(fields[0]), self.version) is not None:
            _warn_text_above_threshold(fields[0], self.version)
        return encode_binary_text_frame(fields)

    def payload(self, payload: str) -> bytes:
        """A message already written as NUL-terminated payload text (ticks: the hot path).
        At or above its protobuf threshold it is read back with its schema and sent as
        protobuf; frames are remembered per payload (ticks repeat)."""
        if not self.binary:
            return frame_text(payload)
        frame = self._payloads.get(payload)
        if frame is None:
            if len(self._payloads) >= _REPEATED_LIMIT:
                self._payloads.clear()
            fields = payload[:-1].split("\0")
            route = self._routes.get(fields[0], _UNROUTED)
            if route is _UNROUTED:
                schema = _protobuf_schema(int(fields[0]), self.version)
                route = schema if schema is None else (
                    flat_plan(schema, self.version) or schema)
                self._routes[fields[0]] = route
            if route is None:
                frame = encode_binary_text_frame(fields)
            elif isinstance(route, FlatPlan):
                frame = route.frame(fields)
            else:
                schema = cast(Schema, route)
                frame = self.message(Message(schema, schema.decode(fields, self.version)))[1]
            self._payloads[payload] = frame
        return frame

    def message(self, message: Message) -> tuple[Sequence[str], bytes]:
        """(transcript fields, frame) of a schema message at this version."""
        if not self.binary:
            fields = encode_fields(message.fields(self.version))
            return fields, encode_frame(fields)
        message_id = cast(Out, message.schema.message_id)
        threshold = protobuf.response_threshold(message_id)
        if threshold is not None and self.version >= threshold:
            proto = response_message(protobuf.response_class(message_id), message.values)
            return (LazyFields(message, self.version),
                    encode_protobuf_frame(int(message_id), proto.SerializeToString()))
        fields = encode_fields(message.fields(self.version))
        return fields, self.frame(fields)

    def repeated(self, message: Message | Sequence[Any]) -> tuple[Sequence[str], bytes]:
        """`message` or `fields`, encoded once and remembered (sent again and again)."""
        # a Message by identity (the fake memoises the ones it repeats; the cache holds it, so
        # its id cannot be reused), a field list by its fields
        key: object = message if type(message) is Message else tuple(
            cast(Sequence[Any], message))
        encoded = self._repeated.get(key)
        if encoded is None:
            if len(self._repeated) >= _REPEATED_LIMIT:
                self._repeated.clear()
            if type(message) is Message:
                encoded = self.message(cast(Message, message))
            else:
                text = encode_fields(cast(Sequence[Any], message))
                encoded = (text, self.frame(text))
            self._repeated[key] = encoded
        return encoded


def _protobuf_schema(message_id: int, version: int) -> Schema | None:
    """The schema of a response the fake sends as protobuf at `version`, if any."""
    from pytest_tws.wire.schemas import RESPONSES

    try:
        out = Out(message_id)
    except ValueError:
        return None
    threshold = protobuf.response_threshold(out)
    if threshold is None or version < threshold:
        return None
    return RESPONSES.get(out)


_WARNED: set[str] = set()


def _warn_text_above_threshold(message_id: str, version: int) -> None:
    if message_id not in _WARNED:
        _WARNED.add(message_id)
        log.warning("response %s sent as a field list at v%d, where it is protobuf: "
                    "it should be a schema Message", message_id, version)


_CODECS: dict[int, Codec] = {}


def codec_for(version: int) -> Codec:
    """The codec of a version (shared by every session at that version)."""
    codec = _CODECS.get(version)
    if codec is None:
        codec = _CODECS[version] = Codec(version)
    return codec


def negotiate(handshake: Handshake, ceiling: int,
              cap: int = protobuf.PROTOBUF_MAX_VERSION) -> int:
    """The version to announce: above 200, up to `ceiling` (what the fake can serve in
    protobuf) and `cap` (FakeTWS's max_server_version), for a client that offers it; else
    the text negotiation (min(client max, cap, 200), or VersionRefused)."""
    top = min(ceiling, cap)
    if (top > TEXT_PROTOCOL_MAX and handshake.max_version > TEXT_PROTOCOL_MAX
            and handshake.min_version <= top):
        return min(handshake.max_version, top)
    return negotiate_version(handshake, min(cap, TEXT_PROTOCOL_MAX))


def check_max_version(max_version: int) -> int:
    """`max_version` if a fake can be configured to speak it: the text range
    (handshake.check_max_version) or above it up to ibapi's maximum."""
    if TEXT_PROTOCOL_MAX < max_version <= protobuf.PROTOBUF_MAX_VERSION:
        return max_version
    if max_version > protobuf.PROTOBUF_MAX_VERSION:
        raise ValueError(f"max_server_version {max_version} is above the newest version this "
                         f"fake knows (v{protobuf.PROTOBUF_MAX_VERSION})")
    return check_text_max(max_version)


def unserved(requests: Iterable[In]) -> list[str]:
    """The implemented requests the fake cannot read at every version above 200: those
    without a schema (their text layout is fixed, their protobuf form unknown). Responses are
    all written through schemas (a Message, or a payload built from one); one that is not is
    logged when it goes out as text above its threshold (`Codec.frame`)."""
    from pytest_tws.wire.schemas import REQUESTS

    return sorted(m.name for m in requests if m not in REQUESTS)


_CEILINGS: dict[frozenset[In], int] = {}
#: the same by the handler table's identity (a session asks at every connect)
_CEILING_BY_TABLE: dict[int, tuple[object, int]] = {}


def served_ceiling(requests: Iterable[In]) -> int:
    """The highest version the fake can announce with these request handlers: ibapi's
    maximum when every implemented message has a schema (and so a protobuf form), else 200
    (text), as it is without ibapi's message classes."""
    held = _CEILING_BY_TABLE.get(id(requests))
    if held is not None and held[0] is requests:
        return held[1]
    key = frozenset(requests)
    top = _CEILINGS.get(key)
    if top is None:
        missing = unserved(key)
        if missing:
            log.debug("no protobuf above v%d until these requests have schemas: %s",
                      TEXT_PROTOCOL_MAX, ", ".join(missing))
            top = TEXT_PROTOCOL_MAX
        else:
            top = protobuf.ceiling(())
        _CEILINGS[key] = top
    _CEILING_BY_TABLE[id(requests)] = (requests, top)  # the table is held: its id stays its own
    return top
