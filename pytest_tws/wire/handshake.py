"""The connection prologue: `API\\0`, then a length-prefixed `v{min}..{max}[ options]`.

The prologue is the only client message not framed as fields; the server answers with one
ordinary frame `version|connectionTime|` and must send nothing more until startApi.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from pytest_tws.wire.versions import MIN_CLIENT_VER, TEXT_PROTOCOL_MAX

#: The highest version the fake speaks by default: the text protocol's ceiling. A client that
#: announces more (ibapi 10.50: v100..226) is served at this, as a TWS without protobuf would;
#: `FakeTWS(max_server_version=...)` lowers it (a TWS of an older build).
SERVER_MAX_VERSION = TEXT_PROTOCOL_MAX
#: The lowest version the fake speaks: every layout is gated from here (ibapi's MIN_CLIENT_VER,
#: the enhanced handshake with length-prefixed messages). A client entirely below it is refused.
SERVER_MIN_VERSION = MIN_CLIENT_VER

MAGIC = b"API\0"
#: The version string is a few dozen bytes; anything longer is not a TWS API client.
MAX_VERSION_STRING = 1024
_VERSION_RE = re.compile(r"^v(\d+)(?:\.\.(\d+))?(?: (.*))?$", re.DOTALL)


class HandshakeError(ValueError):
    """The first bytes on a connection are not a TWS API handshake."""


class VersionRefused(HandshakeError):
    """A well-formed handshake whose version range the fake cannot serve."""


@dataclass(frozen=True)
class Handshake:
    """What the client offered."""

    min_version: int
    max_version: int
    connect_options: str = ""


class HandshakeReader:
    """Incremental parser of the prologue; tolerates any fragmentation (one byte at a time)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> tuple[Handshake | None, bytes]:
        """Add bytes; return the handshake once complete, and any bytes that followed it."""
        self._buffer += data
        head = bytes(self._buffer[: len(MAGIC)])
        if not MAGIC.startswith(head):
            raise HandshakeError(f"connection does not start with API\\0 (got {head!r})")
        if len(self._buffer) < len(MAGIC) + 4:
            return None, b""
        (length,) = struct.unpack_from(">I", self._buffer, len(MAGIC))
        if length == 0 or length > MAX_VERSION_STRING:
            raise HandshakeError(f"version string length {length} is not plausible")
        end = len(MAGIC) + 4 + length
        if len(self._buffer) < end:
            return None, b""
        text = bytes(self._buffer[len(MAGIC) + 4 : end])
        rest = bytes(self._buffer[end:])
        self._buffer.clear()
        return parse_version_string(text), rest


def parse_version_string(raw: bytes) -> Handshake:
    """Parse `v100..226`, `v178` (a client whose min equals max) or `v157..178 +PACEAPI`."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise HandshakeError(f"version string is not ASCII: {raw!r}") from exc
    match = _VERSION_RE.match(text)
    if match is None:
        raise HandshakeError(f"malformed version string {text!r}")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    if low > high:
        raise HandshakeError(f"version range {low}..{high} is empty")
    return Handshake(low, high, (match.group(3) or "").strip())


def check_max_version(max_version: int) -> int:
    """`max_version` if a fake can be configured to speak it (SERVER_MIN..SERVER_MAX)."""
    if not SERVER_MIN_VERSION <= max_version <= SERVER_MAX_VERSION:
        raise ValueError(
            f"max_server_version {max_version} is outside the text protocol this fake speaks "
            f"(v{SERVER_MIN_VERSION}..{SERVER_MAX_VERSION})"
        )
    return max_version


def negotiate_version(handshake: Handshake, max_version: int = SERVER_MAX_VERSION) -> int:
    """The version to announce, as TWS chooses it: min(client max, ours) for a client whose
    range overlaps ours (SERVER_MIN_VERSION..`max_version`); VersionRefused otherwise.

    TWS answers its own maximum to any client that offers at least that much, so a v100..226
    client of a text-only TWS is served at its ceiling (ibapi 10.50's `EClient.connect` takes
    whatever version the answer names and gates every message on it; ib_async refuses answers
    below its own minimum, 157).
    """
    if handshake.max_version < SERVER_MIN_VERSION:
        raise VersionRefused(
            f"client speaks at most v{handshake.max_version}; this fake TWS serves "
            f"v{SERVER_MIN_VERSION}..{max_version}: refused"
        )
    if handshake.min_version > max_version:
        raise VersionRefused(
            f"client needs at least v{handshake.min_version}; this fake TWS serves "
            f"v{SERVER_MIN_VERSION}..{max_version}: refused"
        )
    return min(handshake.max_version, max_version)
