"""The fake's listening sockets, which a restart closes and later reopens on the same port.

While closed, a connect attempt is refused (ECONNREFUSED), as when the TWS process is gone.
Reopening binds synchronously, so the port accepts connections (into the kernel's backlog)
the moment `reopen()` returns, even before asyncio starts serving them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger("pytest_tws.fake")

ProtocolFactory = Callable[[], asyncio.Protocol]

#: Pending connections the kernel holds for a reopened listener until asyncio accepts them.
BACKLOG = 100


class Listener:
    """The listening side of one fake: started once, then closed and reopened by restarts.

    Lives on the fake's loop thread.
    """

    def __init__(self, host: str, port: int, factory: ProtocolFactory) -> None:
        self._host = host
        self._requested_port = port
        self._factory = factory
        self._addresses: list[tuple[int, Any]] = []
        """(family, sockaddr) of every bound socket, so a reopen binds the very same ones"""
        self._servers: list[asyncio.Server] = []
        self._pending: list[socket.socket] = []
        """bound by `reopen`, not yet served by asyncio"""
        self._starting: set[socket.socket] = set()

    @property
    def port(self) -> int | None:
        return self._addresses[0][1][1] if self._addresses else None

    @property
    def listening(self) -> bool:
        """True while connection attempts are accepted."""
        return bool(self._servers or self._pending)

    async def start(self) -> None:
        """Bind (port 0 picks a free port) and serve."""
        loop = asyncio.get_running_loop()
        server = await loop.create_server(self._factory, self._host, self._requested_port)
        self._servers = [server]
        self._addresses = [(s.family, s.getsockname()) for s in server.sockets]

    def close(self) -> None:
        """Stop accepting at once: later connection attempts are refused."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        pending, self._pending = self._pending, []
        for sock in pending:
            if sock not in self._starting:  # asyncio owns those now; `_serve` closes them
                sock.close()

    def reopen(self) -> None:
        """Listen again on the addresses of `start`.

        Raises:
            OSError: The port could not be bound again (another process took it).
        """
        if self.listening:
            return
        if not self._addresses:
            raise RuntimeError("the listener was never started")
        socks = []
        try:
            for family, address in self._addresses:
                socks.append(socket.create_server(address, family=family, backlog=BACKLOG))
        except OSError:
            for sock in socks:
                sock.close()
            raise
        self._pending = socks
        for sock in socks:
            asyncio.get_running_loop().create_task(self._serve(sock))

    async def aclose(self) -> None:
        servers = list(self._servers)
        self.close()
        for server in servers:
            await server.wait_closed()

    async def _serve(self, sock: socket.socket) -> None:
        if sock not in self._pending:
            return  # closed again before asyncio got to it
        self._starting.add(sock)
        sock.setblocking(False)
        try:
            server = await asyncio.get_running_loop().create_server(self._factory, sock=sock)
        except OSError:
            log.exception("FakeTWS could not serve on %s again", sock)
            if sock in self._pending:
                self._pending.remove(sock)
            sock.close()
            return
        finally:
            self._starting.discard(sock)
        if sock not in self._pending:
            server.close()  # closed again while asyncio was starting to serve
            return
        self._pending.remove(sock)
        self._servers.append(server)
        log.info("FakeTWS listening again on %s:%s", self._host, self.port)
