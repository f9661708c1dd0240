"""A proxy: its listener, its toxics (one chain per direction) and its live connections."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import sys
from typing import Any

from .addr import format_address, listen_socket, resolve, split_host_port
from .errors import ApiError, internal
from .link import Link
from .toxics import DIRECTIONS, DOWNSTREAM, UPSTREAM, Toxic, ToxicUpdate


def _set_linger_zero(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    # struct linger is two ints on POSIX and two u_shorts on Windows.
    fmt = "HH" if sys.platform == "win32" else "ii"
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack(fmt, 1, 0))


class Connection:
    """One accepted client, its upstream socket and the two links between them."""

    def __init__(
        self, proxy: Proxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.proxy = proxy
        self.client_reader = reader
        self.client_writer = writer
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.links: dict[str, Link] = {}
        self.task: asyncio.Task[None] | None = None
        self._finished = asyncio.Event()

    async def run(self) -> None:
        try:
            try:
                host, port = split_host_port(self.proxy.upstream)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
            except (OSError, ApiError, ValueError):
                # The client just reads EOF, as with Toxiproxy. A FIN goes first: closing
                # with the client's first bytes unread would send a reset instead.
                with contextlib.suppress(OSError, RuntimeError):
                    self.client_writer.write_eof()
                return
            self.upstream_writer = up_writer
            if self.proxy.has_reset_peer():
                # Toxiproxy's link.Start sets SO_LINGER 0 on both of a link's sockets.
                _set_linger_zero(up_writer)
            rng = self.proxy.rng
            chains = self.proxy.chains
            self.links = {
                UPSTREAM: Link(
                    list(chains[UPSTREAM]), self.client_reader, up_writer, rng, self._link_done
                ),
                DOWNSTREAM: Link(
                    list(chains[DOWNSTREAM]), up_reader, self.client_writer, rng, self._link_done
                ),
            }
            for link in self.links.values():
                link.start()
            await self._finished.wait()
        finally:
            self.close()

    def _link_done(self) -> None:
        # Once both sockets are closing nothing more can be delivered either way.
        up = self.upstream_writer
        if self.client_writer.is_closing() and (up is None or up.is_closing()):
            self._finished.set()

    def close(self) -> None:
        """Stop both links and close both sockets; peers see EOF (or RST under reset_peer)."""
        for link in self.links.values():
            link.stop()
        self.client_writer.close()
        if self.upstream_writer is not None:
            self.upstream_writer.close()
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        self.proxy.connections.discard(self)


class Proxy:
    """A named listener forwarding to ``upstream`` through this proxy's toxics.

    An empty listen host binds ``default_host`` (loopback by default) rather than every
    interface: that is deliberate (a test proxy must not face the network), and the one
    difference from Toxiproxy in the API's answers (docs/faults.md lists the others, which
    only concern inputs Toxiproxy crashes on and its unseeded random draws). An explicit
    ``0.0.0.0`` or ``::`` listens dual-stack, as Go does.
    """

    def __init__(
        self, name: str, listen: str, upstream: str, rng: random.Random, default_host: str
    ) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.rng = rng
        self.default_host = default_host
        self.chains: dict[str, list[Toxic]] = {UPSTREAM: [], DOWNSTREAM: []}
        """direction -> toxics in the order they were added"""
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            # Go's Proxy struct exports its zerolog.Logger, which json.Marshal writes as {}.
            "Logger": {},
            "toxics": [toxic.to_json() for toxic in self.toxics()],
        }

    # -- listener ------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``listen`` and record the address actually bound. No-op if running."""
        if self.enabled:
            return
        try:
            host, port = await resolve(self.listen)
        except ApiError as exc:
            # net.Listen's own resolution errors carry an OpError prefix.
            raise internal(f"listen tcp: {exc.message}") from None
        sock = listen_socket(host or self.default_host, port)
        try:
            self._server = await asyncio.start_server(self._accept, sock=sock)
        except BaseException:
            sock.close()
            raise
        self.listen = format_address(*sock.getsockname()[:2])
        self.enabled = True

    async def stop(self) -> None:
        """Close the listener and every connection; toxics are kept. No-op if stopped."""
        server, self._server = self._server, None
        self.enabled = False
        if server is None:
            return
        server.close()
        for connection in list(self.connections):
            connection.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2.0)

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Apply a proxy update: restart on a changed (resolved) listen or upstream."""
        host, port = await resolve(listen)
        if format_address(host, port) != self.listen or upstream != self.upstream:
            await self.stop()
            self.listen = listen
            self.upstream = upstream
        if enabled != self.enabled:
            if enabled:
                await self.start()
            else:
                await self.stop()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.enabled:
            writer.close()
            return
        if self.has_reset_peer():
            _set_linger_zero(writer)
        connection = Connection(self, reader, writer)
        self.connections.add(connection)
        connection.task = asyncio.get_running_loop().create_task(connection.run())

    # -- toxics --------------------------------------------------------------------------

    def toxics(self) -> list[Toxic]:
        return [toxic for direction in DIRECTIONS for toxic in self.chains[direction]]

    def has_reset_peer(self) -> bool:
        return any(toxic.type == "reset_peer" for toxic in self.toxics())

    def find_toxic(self, name: str) -> Toxic | None:
        return next((toxic for toxic in self.toxics() if toxic.name == name), None)

    def _links(self, direction: str) -> list[Link]:
        return [c.links[direction] for c in self.connections if direction in c.links]

    def add_toxic(self, toxic: Toxic) -> None:
        self.chains[toxic.direction].append(toxic)
        for link in self._links(toxic.direction):
            link.add(toxic)

    def update_toxic(self, toxic: Toxic, update: ToxicUpdate) -> None:
        toxic.toxicity = update.toxicity
        toxic.attributes = update.attributes
        index = self.chains[toxic.direction].index(toxic)
        for link in self._links(toxic.direction):
            link.update(index)

    async def remove_toxic(self, toxic: Toxic) -> None:
        """Remove a toxic everywhere; buffered data is flushed downstream, nothing lost."""
        chain = self.chains[toxic.direction]
        index = chain.index(toxic)
        del chain[index]
        for link in self._links(toxic.direction):
            close = await toxic.kind.before_remove(link.stage_at(index))
            link.remove(index, close)

    async def reset_toxics(self) -> None:
        for toxic in self.toxics():
            await self.remove_toxic(toxic)


__all__ = ["DOWNSTREAM", "UPSTREAM", "Connection", "Proxy"]
