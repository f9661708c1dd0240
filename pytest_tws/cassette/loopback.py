"""The listening socket the recording proxy and the replay server share: bound to 127.0.0.1,
one thread accepting, one or more threads per connection, and a `stop` that wakes them all."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

LOOPBACK = "127.0.0.1"
#: seconds to wait for a socket to accept a connection
CONNECT_TIMEOUT = 5.0
#: seconds `stop` waits for each thread
JOIN_TIMEOUT = 5.0


class LoopbackServer:
    """Accepts on 127.0.0.1; subclasses serve each client in `_on_client`."""

    #: what the server is, for messages and thread names
    kind = "server"

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._connections = 0
        self._stopping = threading.Event()

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError(f"the {self.kind} is not started")
        return int(self._listener.getsockname()[1])

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((LOOPBACK, self._requested_port))
        listener.listen()
        self._listener = listener
        self._spawn(self._accept, f"{self.kind}-accept")

    def _spawn(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _hold(self, *sockets: socket.socket) -> int:
        """Remember sockets `stop` must close; returns the connection's number."""
        with self._lock:
            number = self._connections
            self._connections += 1
            self._sockets += sockets
        return number

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._stopping.is_set():
                client.close()
                return
            self._on_client(client)

    def _on_client(self, client: socket.socket) -> None:
        raise NotImplementedError

    def _close_all(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            # close() alone does not wake a thread blocked in accept(): a connection does
            with contextlib.suppress(OSError), socket.create_connection(
                    (LOOPBACK, self.port), timeout=CONNECT_TIMEOUT):
                pass
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT)
