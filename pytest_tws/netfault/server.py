"""``ToxiproxyServer``: the embedded Toxiproxy-compatible server, in a thread or in your loop."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from .api import Api
from .collection import ProxyCollection
from .errors import ApiError
from .httpd import serve_connection

_THREAD_TIMEOUT = 10.0


class ToxiproxyServer:
    """An asyncio server speaking Toxiproxy's HTTP API (v2.12.0), with proxies and toxics.

    Use it from synchronous tests on its own thread and event loop::

        with ToxiproxyServer() as server:
            requests.post(server.url + "/proxies", json={...})

    or inside a running loop with ``await server.serve_forever()``.

    Args:
        host: interface for the API, and for proxies whose listen host is empty.
        port: API port; 0 picks a free one (see ``.port`` once started).
        seed: seeds the ``random.Random`` used for toxicity draws, jitter and slicer sizes,
            so a run is reproducible.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, seed: int = 0) -> None:
        self._host = host
        self._port = port
        self.seed = seed
        self._server: asyncio.Server | None = None
        self._collection: ProxyCollection | None = None
        self._http_tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    # -- in the current event loop -------------------------------------------------------

    async def open(self) -> None:
        """Start listening for API requests in the running loop."""
        collection = ProxyCollection(random.Random(self.seed), self._host)
        api = Api(collection)

        def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.get_running_loop().create_task(
                serve_connection(reader, writer, api.handle)
            )
            self._http_tasks.add(task)
            task.add_done_callback(self._http_tasks.discard)

        self._server = await asyncio.start_server(on_client, self._host, self._port)
        self._collection = collection
        self._port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        """Stop the API and every proxy, closing all their connections."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._http_tasks):
            task.cancel()
        if self._collection is not None:
            await self._collection.close()
        if server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    async def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve until cancelled; ``on_ready`` is called once the API is listening."""
        await self.open()
        try:
            if on_ready is not None:
                on_ready()
            await asyncio.get_running_loop().create_future()
        finally:
            await self.aclose()

    # -- on a thread of its own ----------------------------------------------------------

    def start(self) -> ToxiproxyServer:
        """Run on a new daemon thread with its own event loop; returns once listening."""
        if self._thread is not None:
            raise RuntimeError("ToxiproxyServer already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.open())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                _cancel_remaining(loop)
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="netfault-toxiproxy", daemon=True)
        self._thread.start()
        ready.wait(_THREAD_TIMEOUT)
        if failure:
            self._thread.join()
            self._thread = self._loop = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop the thread started by ``start``; safe to call twice."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self.aclose(), loop).result(_THREAD_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(_THREAD_TIMEOUT)

    def __enter__(self) -> ToxiproxyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


def run_cli(host: str, port: int) -> int:
    """Run the server in the foreground until Ctrl-C or SIGTERM; the process exit code.

    Prints one line, ``pytest-tws toxiproxy listening on HOST:PORT``, once listening.
    """
    server = ToxiproxyServer(host, port)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(stopping.set)

        previous = _install(getattr(signal, "SIGTERM", None), on_sigterm)
        try:
            await server.open()
            print(f"pytest-tws toxiproxy listening on {host}:{server.port}", flush=True)
            await stopping.wait()
        finally:
            await server.aclose()
            if previous is not None:
                _install(getattr(signal, "SIGTERM", None), previous)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    except (OSError, ApiError) as exc:
        print(f"pytest-tws toxiproxy: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def _install(signum: int | None, handler: Any) -> Any:
    """Set a signal handler where the platform and thread allow it; the previous one or None."""
    if signum is None:
        return None
    try:
        return signal.signal(signum, handler)
    except (ValueError, OSError):
        return None  # not the main thread, or unsupported here
