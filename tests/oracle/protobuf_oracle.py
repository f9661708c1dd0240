"""ibapi as the oracle of the protobuf layer: its own encoder and reader loop, in-process.

- `ibapi_sends(version, method, *args)`: the whole frame ibapi's EClient writes for a request
  at server `version` (text id, binary id + text, or binary id + 200 and protobuf).
- `fake_reads(version, frame)`: what the fake's session reads from that frame (its codec for
  the version), and `fake_values(...)` the values the request's schema gets from it.
- `fake_sends(version, message)`: the frame the fake's session writes for a `Message`.
- `ibapi_receives(version, frame)`: the wrapper calls ibapi makes for a frame, through
  `EClient.run` itself (binary id, PROTOBUF_MSG_ID offset, decoder.processProtoBuf or
  interpret), exactly as when the frame arrives on a socket.
"""

from __future__ import annotations

import re
import struct
import sys
from collections.abc import Iterable
from typing import Any

import pytest

from pytest_tws.wire import protobuf
from pytest_tws.wire.framing import PROTOBUF_MSG_ID
from pytest_tws.wire.messages import In
from pytest_tws.wire.protobuf_codec import codec_for, decode_request
from pytest_tws.wire.protobuf_convert import response_message
from pytest_tws.wire.schema import Message, Values
from pytest_tws.wire.schemas import REQUESTS
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_PROTOBUF,
    MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
    MIN_SERVER_VER_PROTOBUF_CONTRACT_DATA,
    MIN_SERVER_VER_PROTOBUF_HISTORICAL_DATA,
    MIN_SERVER_VER_PROTOBUF_MARKET_DATA,
    MIN_SERVER_VER_PROTOBUF_PLACE_ORDER,
    MIN_SERVER_VER_PROTOBUF_REST_MESSAGES_3,
    TEXT_PROTOCOL_MAX,
)
from tests.oracle.clients import Call, _Conn, _ibapi_recorder

#: the versions the issue names: the last text one, each family's threshold, ibapi's maximum
PROTOBUF_VERSIONS = (
    TEXT_PROTOCOL_MAX, MIN_SERVER_VER_PROTOBUF, MIN_SERVER_VER_PROTOBUF_PLACE_ORDER,
    MIN_SERVER_VER_PROTOBUF_CONTRACT_DATA, MIN_SERVER_VER_PROTOBUF_MARKET_DATA,
    MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS, MIN_SERVER_VER_PROTOBUF_HISTORICAL_DATA,
    MIN_SERVER_VER_PROTOBUF_REST_MESSAGES_3, protobuf.PROTOBUF_MAX_VERSION,
)

#: ibapi writes text ids with str(): on Python 3.10 an IntEnum's str() is its name
#: ("OUT.REQ_IDS"), so its text protocol (below 201) works on 3.11+ only
TEXT_IDS_NEED_311 = pytest.mark.skipif(sys.version_info < (3, 11),
                                       reason="ibapi's text ids need Python 3.11+")
needs_protobuf = pytest.mark.skipif(not protobuf.available(),
                                    reason="ibapi's protobuf classes are not importable")


def versions(extra: Iterable[int] = ()) -> list[Any]:
    """pytest params `(client, version)`: ibapi (the only client with protobuf) at
    PROTOBUF_VERSIONS (scripts/proven.py counts them for docs/coverage.md)."""
    return [pytest.param("ibapi", v, id=f"ibapi-v{v}",
                         marks=[TEXT_IDS_NEED_311] if v < MIN_SERVER_VER_PROTOBUF else [])
            for v in sorted({*PROTOBUF_VERSIONS, *extra})]


def ibapi_sends(version: int, method: str, *args: Any,
                attrs: dict[str, Any] | None = None) -> bytes:
    from ibapi.client import EClient
    from ibapi.wrapper import EWrapper

    errors: list[tuple[Any, ...]] = []

    class _Wrapper(EWrapper):  # type: ignore[misc]
        def error(self, *a: Any) -> None:
            errors.append(a)

    eclient = EClient(_Wrapper())
    conn = _Conn()
    eclient.conn = conn
    eclient.serverVersion_ = version
    eclient.connState = EClient.CONNECTED
    for name, value in (attrs or {}).items():
        setattr(eclient, name, value)
    getattr(eclient, method)(*args)
    if errors:
        raise AssertionError(f"ibapi refused {method} at v{version}: {errors}")
    (frame,) = conn.sent
    return frame


def expected_kind(version: int, message_id: In) -> str:
    """How ibapi sends a request at `version`: "text", "binary" or "protobuf"."""
    threshold = protobuf.request_threshold(message_id)
    if version < MIN_SERVER_VER_PROTOBUF:
        return "text"
    return "protobuf" if threshold is not None and version >= threshold else "binary"


def frame_kind(version: int, frame: bytes) -> str:
    """"text" (text id), "binary" (binary id, text body) or "protobuf"."""
    if version < MIN_SERVER_VER_PROTOBUF:
        return "text"
    return "protobuf" if struct.unpack(">I", frame[4:8])[0] > PROTOBUF_MSG_ID else "binary"


def fake_reads(version: int, frame: bytes) -> list[str]:
    from pytest_tws.wire.framing import FrameReader

    (fields,) = codec_for(version).reader(FrameReader()).feed(frame)
    return fields


def fake_values(version: int, message_id: In, method: str, *args: Any,
                attrs: dict[str, Any] | None = None) -> tuple[Values, bytes]:
    """(values the fake decodes, ibapi's frame) for a request."""
    frame = ibapi_sends(version, method, *args, attrs=attrs)
    fields = fake_reads(version, frame)
    assert fields[0] == str(int(message_id)), f"ibapi sent id {fields[0]}"
    return decode_request(REQUESTS[message_id], fields, version), frame


def fake_sends(version: int, message: Message) -> bytes:
    return codec_for(version).message(message)[1]


def unused_names(message: Message, version: int = protobuf.PROTOBUF_MAX_VERSION) -> list[str]:
    """The values the message's layout at `version` has and its protobuf class has no field
    for (lost in protobuf)."""
    unused: list[str] = []
    response_message(protobuf.response_class(message.schema.message_id), message.values,
                     unused)
    laid_out = set(message.schema.field_names(version))
    return [n for n in unused if not n.rsplit(".", 1)[-1].startswith("_")
            and re.sub(r"\[\d+\]", "[]", n) in laid_out]


def ibapi_receives(version: int, frame: bytes) -> list[Call]:
    from ibapi.client import EClient
    from ibapi.decoder import Decoder

    wrapper = _ibapi_recorder()
    eclient = EClient(wrapper)
    eclient.serverVersion_ = version
    eclient.decoder = Decoder(wrapper, version)
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    eclient.msg_queue.put(frame[4:])
    eclient.run()
    return [c for c in wrapper.calls if c.name != "connectionClosed"]
