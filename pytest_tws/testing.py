"""A bare TWS API client for tests that must misbehave precisely (ib_async is too polite)."""

from __future__ import annotations

import asyncio
import struct

from pytest_tws.wire.framing import FrameReader, encode_frame

#: How long a read waits before the test fails instead of hanging.
READ_TIMEOUT = 5.0


def prologue(version: bytes = b"v157..178") -> bytes:
    """The handshake's first bytes: `API\\0` and the length-prefixed version range."""
    return b"API\0" + struct.pack(">I", len(version)) + version


class RawTwsClient:
    """Speaks just enough of the protocol: handshake, startApi, frames in and out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.frames = FrameReader()
        self.pending: list[list[str]] = []

    @classmethod
    async def open(cls, host: str, port: int, client_id: int | None = None) -> RawTwsClient:
        """Connect and shake hands; with `client_id`, also start the API and wait for the id."""
        client = cls(*await asyncio.open_connection(host, port))
        client.writer.write(prologue())
        version = await client.next_frame()
        if len(version) != 2:
            raise ConnectionError(f"expected the server version frame, got {version!r}")
        if client_id is not None:
            client.send("71", "2", str(client_id), "")
            await client.next_of("9")
        return client

    def send(self, *fields: str) -> None:
        self.writer.write(encode_frame(fields))

    async def next_frame(self) -> list[str]:
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(65536), READ_TIMEOUT)
            if not data:
                raise ConnectionResetError("closed by the server")
            self.pending += self.frames.feed(data)
        return self.pending.pop(0)

    async def next_of(self, message_id: str) -> list[str]:
        """Skip frames until one with this message id."""
        while (frame := await self.next_frame())[0] != message_id:
            pass
        return frame

    async def closed_by_peer(self) -> bool:
        """Read until the server closes the socket (fails the test on READ_TIMEOUT)."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), READ_TIMEOUT):
                pass
        except ConnectionResetError:
            pass
        return True

    def close(self) -> None:
        self.writer.close()
