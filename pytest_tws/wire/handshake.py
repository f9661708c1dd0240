"""The connection prologue: `API\\0`, then a length-prefixed `v{min}..{max}[ options]`.

The prologue is the only client message not framed as fields; the server answers with one
ordinary frame `version|connectionTime|` and must send nothing more until startApi.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

#: The highest version we speak. Every layout in this project is the one at 178: it serves
#: ib_async 2.1 (its max), IBKR's ibapi (text protocol below 201) and @stoqey/ib (max 193).
SERVER_MAX_VERSION = 178
#: Layouts are not version-gated below 178, so a client that cannot speak 178 is refused
#: rather than sent messages it would misparse.
SERVER_MIN_VERSION = 178

MAGIC = b"API\0"
#: The version string is a few dozen bytes; anything longer is not a TWS API client.
MAX_VERSION_STRING = 1024
_VERSION_RE = re.compile(r"^v(\d+)(?:\.\.(\d+))?(?: (.*))?$", re.DOTALL)


class HandshakeError(ValueError):
    """The first bytes on a connection are not a TWS API handshake."""


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


def negotiate_version(handshake: Handshake) -> int:
    """The version to announce: min(client max, ours); HandshakeError if we cannot serve it."""
    if handshake.max_version < SERVER_MIN_VERSION:
        raise HandshakeError(
            f"client speaks at most v{handshake.max_version}; this fake TWS needs "
            f"v{SERVER_MIN_VERSION} or higher"
        )
    if handshake.min_version > SERVER_MAX_VERSION:
        raise HandshakeError(
            f"client needs at least v{handshake.min_version}; this fake TWS speaks at most "
            f"v{SERVER_MAX_VERSION}"
        )
    return min(handshake.max_version, SERVER_MAX_VERSION)
