"""The recording proxy: a client connects here, its bytes go to the upstream TWS unchanged,
and every message of both directions is decoded into the cassette.

Threads and blocking sockets (no event loop of the caller's is touched, Windows-safe): one
thread accepts, two per connection pump. A direction's bytes are decoded before they are
forwarded, so the version the TWS announced is known before the client can answer it.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

from pytest_tws.cassette.decode import StreamDecoder
from pytest_tws.cassette.format import CLIENT, TWS, Cassette, Entry, Scrubber, save
from pytest_tws.cassette.loopback import CONNECT_TIMEOUT, LoopbackServer

log = logging.getLogger("pytest_tws.cassette")

#: bytes read from a socket at once
CHUNK = 65536


class _Connection:
    def __init__(self, proxy: RecordingProxy, conn: int, client: socket.socket,
                 upstream: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.version = 0
        self.decoders = {CLIENT: StreamDecoder(CLIENT, conn, proxy.started, proxy.clock),
                         TWS: StreamDecoder(TWS, conn, proxy.started, proxy.clock)}

    def pump(self, direction: str, source: socket.socket, sink: socket.socket) -> None:
        decoder = self.decoders[direction]
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                try:
                    entries = decoder.feed(data, self.version)
                except Exception as exc:  # still forward: the proxy must not change the session
                    log.warning("cassette: cannot decode %s bytes: %s", direction, exc)
                    entries = []
                if direction == TWS and decoder.version and not self.version:
                    self.version = decoder.version
                self.proxy.add(entries)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            if direction == TWS:
                self.proxy.autosave()


class RecordingProxy(LoopbackServer):
    """Listens on 127.0.0.1:`port` (0: any free) and records sessions with the upstream TWS.

    Use as a context manager or `start()`/`stop()`; `cassette()` is the (scrubbed) recording
    so far, `save(path)` writes it.
    """

    kind = "recording proxy"

    def __init__(self, upstream_host: str, upstream_port: int, port: int = 0,
                 scrubber: Scrubber | None = None, clock: Any = time.monotonic,
                 out: str | Path | None = None) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.out = Path(out) if out is not None else None
        """where the cassette is saved each time a connection ends, and at `stop`"""
        self._save_lock = threading.Lock()
        self.scrubber = scrubber if scrubber is not None else Scrubber()
        self.clock = clock
        self.started = clock()
        super().__init__(port)
        self._entries: list[Entry] = []

    def start(self) -> RecordingProxy:
        self.started = self.clock()
        self._listen()
        return self

    def _on_client(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=CONNECT_TIMEOUT)
            upstream.settimeout(None)
        except OSError as exc:
            log.warning("cassette: upstream TWS %s:%d refused: %s", *self.upstream, exc)
            client.close()
            return
        conn = self._hold(client, upstream)
        connection = _Connection(self, conn, client, upstream)
        self._spawn(connection.pump, f"cassette-{conn}-client", CLIENT, client, upstream)
        self._spawn(connection.pump, f"cassette-{conn}-tws", TWS, upstream, client)

    def add(self, entries: list[Entry]) -> None:
        if entries:
            with self._lock:
                self._entries.extend(entries)

    def autosave(self) -> None:
        if self.out is not None:
            with self._save_lock:
                self.save(self.out)

    def stop(self) -> None:
        self._close_all()
        self.autosave()

    def __enter__(self) -> RecordingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cassette(self) -> Cassette:
        """The recording so far, scrubbed (the live entries are not changed)."""
        with self._lock:
            entries = copy.deepcopy(self._entries)
        version = next((e.fields.get("serverVersion", 0) for e in entries
                        if e.name == "SERVER_VERSION"), 0)
        cassette = Cassette(int(version), entries,
                            {"upstream_version": int(version), "connections": self._connections})
        return self.scrubber.scrub(cassette)

    def save(self, path: str | Path) -> Path:
        return save(self.cassette(), path)
