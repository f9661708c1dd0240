"""FakeTWS: the public face of the fake. It runs on its own thread and event loop, like a real
TWS in another process, so a test that blocks its own loop cannot freeze it.

Control methods may be called from any thread; they run on the fake's loop and wait.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pytest_tws.clock import VirtualClock
from pytest_tws.fake.backend import Backend, Limits
from pytest_tws.fake.catalog_control import CatalogControl
from pytest_tws.fake.controls import FaultControl, OrderControl
from pytest_tws.fake.dispatch import HANDLERS
from pytest_tws.fake.faults import Faults, planned_failure_guard
from pytest_tws.fake.guards import Guard
from pytest_tws.fake.listener import Listener
from pytest_tws.fake.market_control import MarketControl
from pytest_tws.fake.names import resolve_request
from pytest_tws.fake.read_only import read_only_guard
from pytest_tws.fake.received import ReceivedRequest, match_request, received_diff
from pytest_tws.fake.session import Session
from pytest_tws.fake.transcript import Frame, ServerFailure, Transcript
from pytest_tws.model.accounts import DEFAULT_ACCOUNT
from pytest_tws.model.broker import Broker
from pytest_tws.model.instruments import load as load_universe
from pytest_tws.model.orders import Execution
from pytest_tws.wire.messages import In
from pytest_tws.wire.protobuf import PROTOBUF_MAX_VERSION
from pytest_tws.wire.protobuf_codec import check_max_version
from tws_core.clock import Clock, RestartWindow, SystemClock

log = logging.getLogger("pytest_tws.fake")

T = TypeVar("T")

#: How long a control call waits for the fake's loop before giving up.
CONTROL_TIMEOUT = 10.0
#: What every request passes before its handler, in order: a planned failure first (a test
#: asked for it), then TWS's own Read-Only API refusal.
REQUEST_GUARDS: tuple[Guard, ...] = (planned_failure_guard, read_only_guard)


class FakeTWS:
    """A fake TWS / IB Gateway speaking the real TWS API socket protocol (server versions
    100..200 in text, above 200 in protobuf; each client is served at min(its max,
    ``max_server_version``)).

    Example::

        with FakeTWS() as tws:
            ib.connect(tws.host, tws.port, clientId=1)

    On a `VirtualClock` the fake follows ``restart_window`` (default `RestartWindow()`: TWS
    restarts daily at 23:45 New York time, IBKR's nightly reset at 00:15) by itself as the
    clock passes those times; on the system clock only when ``restart_window`` is given.

    ``catalog=PATH`` adds the instruments of a JSON file shaped like the built-in
    ``pytest_tws/model/data/instruments.json`` (or replaces them: ``"replaceBuiltin": true``);
    ``tws.catalog.add_stock(...)`` and friends add one at a time (see CatalogControl).

    ``read_only=True`` acts as TWS with "Read-Only API" checked: order requests (and reqIds)
    are answered with error 321 "…The API interface is currently in Read-Only mode."
    ``announce=False`` hides that this is the fake from ``reqUserInfo`` (`pytest-tws doctor`).

    ``max_server_version`` (default PROTOBUF_MAX_VERSION, 226: ibapi 10.50's maximum) is the
    highest version the fake announces, as a TWS of an older build would:
    ``FakeTWS(max_server_version=176)``; 200 keeps IBKR's newest ibapi on the text protocol.
    Above 200 the fake serves protobuf only as far as every message it implements can be
    (see pytest_tws.wire.protobuf_codec.served_ceiling).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        accounts: Sequence[str] = (DEFAULT_ACCOUNT,),
        seed: int = 0,
        clock: Clock | None = None,
        *,
        limits: Limits | None = None,
        restart_window: RestartWindow | None = None,
        read_only: bool = False,
        catalog: str | os.PathLike[str] | None = None,
        announce: bool = True,
        max_server_version: int = PROTOBUF_MAX_VERSION,
    ) -> None:
        self.max_server_version = check_max_version(max_server_version)
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self.clock: Clock = clock or SystemClock()
        self._own_clock = self.clock
        self._own_window = restart_window
        self._restart_window = restart_window
        self.seed = seed
        self._initial_limits = dataclasses.replace(limits or Limits())
        self._backend = Backend(
            tuple(accounts),
            seed,
            self.clock,
            time.monotonic,
            dataclasses.replace(self._initial_limits),
            load_universe(catalog),
        )
        self._backend.read_only = read_only
        self._backend.announce = announce
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listener = Listener(host, port, lambda: Session(
            self._backend, HANDLERS, REQUEST_GUARDS, max_version=self.max_server_version))
        self._faults = Faults(self._backend, self._listener)
        self._stopping: asyncio.Event | None = None

    # where clients connect

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTWS is not started")
        return self._port

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # state a test reads

    @property
    def backend(self) -> Backend:
        """The fake's state. Touch it only through `call()` while clients are connected."""
        return self._backend

    @property
    def broker(self) -> Broker:
        return self._backend.broker

    @property
    def accounts(self) -> tuple[str, ...]:
        return self._backend.account_names

    @property
    def limits(self) -> Limits:
        return self._backend.limits

    @property
    def transcript(self) -> Transcript:
        return self._backend.transcript

    @property
    def frames(self) -> list[Frame]:
        return self._backend.transcript.frames

    @property
    def failures(self) -> list[ServerFailure]:
        return self._backend.transcript.failures

    def client_ids(self) -> list[int]:
        """clientIds of the sessions that have completed startApi."""
        return self.call(lambda: sorted(s.client_id for s in self._backend.ready_sessions()
                                        if s.client_id is not None))

    # lifecycle

    def start(self) -> FakeTWS:
        """Start listening on a thread of its own; returns once connections are accepted."""
        if self._thread is not None:
            return self
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run_thread, args=(started,), name="FakeTWS", daemon=True
        )
        self._thread.start()
        try:
            started.result(timeout=CONTROL_TIMEOUT)
        except BaseException:
            self._thread.join(timeout=CONTROL_TIMEOUT)
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Close every client and the listener, and end the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._stopping is not None:
            loop.call_soon_threadsafe(self._stopping.set)
        thread.join(timeout=CONTROL_TIMEOUT)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeTWS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeTWS:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    def serve_forever(self, ready: Callable[[FakeTWS], None] | None = None) -> None:
        """Run in the foreground (the CLI) until `stop()` or KeyboardInterrupt."""
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve(ready))
        finally:
            self._loop.close()
            self._loop = None

    # control

    def call(self, fn: Callable[[], T], timeout: float = CONTROL_TIMEOUT) -> T:
        """Run `fn` on the fake's loop and return its result (directly if already there)."""
        loop = self._loop
        if loop is None:
            return fn()
        try:
            if asyncio.get_running_loop() is loop:
                return fn()
        except RuntimeError:
            pass
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout=timeout)

    def reset(self) -> None:
        """Drop every client and start from a fresh broker, catalog and transcript, on the
        clock and schedule the fake was made with; a restart under way ends at once."""
        self.use_clock(None)

    def use_clock(
        self, clock: Clock | None, restart_window: RestartWindow | None = None
    ) -> None:
        """Start over (as `reset`) on another clock, e.g. a test's `VirtualClock`, following
        ``restart_window`` (None: the default for that clock, see the class). ``clock=None``
        goes back to the clock and schedule given at construction."""
        if clock is None:
            clock, restart_window = self._own_clock, self._own_window

        def start_over() -> None:
            if self._loop is not None:
                self._faults.start_over()
            for session in list(self._backend.all_sessions):
                session.drop("the fake starts over (reset)")
            self.clock = self._backend.clock = clock
            self._restart_window = restart_window
            self._backend.limits = dataclasses.replace(self._initial_limits)
            self._backend.rebuild()
            self._backend.transcript.clear()
            self._backend.requests.clear()
            if self._loop is not None:
                self._faults.follow(self._schedule())

        self.call(start_over)

    # controls, grouped (pytest_tws/fake/controls.py, docs/controls.md)

    @property
    def market(self) -> MarketControl:
        """The simulated market: `set_price`, `move`, `halt`, `set_volatility`,
        `set_tick_rate`, `deny_permissions`, and the live `subscriptions`."""
        return MarketControl(self._backend, self.call)

    @property
    def catalog(self) -> CatalogControl:
        """The instruments: `add_stock`, `add_index`, `add_future`, `add_option_chain`,
        `add_forex`, `add_crypto`, `find`. Additions last until the next `reset()`."""
        return CatalogControl(self)

    @property
    def orders(self) -> OrderControl:
        """The order desk: `set_fill_policy`, `fill`, `reject`, `open()`, `executions()`;
        ``tws.orders()`` is every order, open and done."""
        return OrderControl(self._backend, self.call)

    trading = orders

    @property
    def faults(self) -> FaultControl:
        """Faults: `connectivity_lost`, `restart`, `drop_clients`, `fail_next`,
        `ignore_next`, …; counters such as ``restarts`` are read through `call()`."""
        return FaultControl(self._faults, self._backend, self.call)

    @property
    def listening(self) -> bool:
        """False while a restart's downtime refuses connections."""
        return self.call(lambda: self._listener.listening)

    # what the fake received (pytest_tws/fake/received.py)

    def requests(
        self, name: In | str | None = None, client_id: int | None = None
    ) -> list[ReceivedRequest]:
        """Every request since this test began (the last reset), oldest first, of kind
        ``name`` (``"PLACE_ORDER"``, ``"placeOrder"``, ``"qualifyContracts"``, …) and from
        ``client_id`` when given; each has `.name`, `.client_id`, `.time` and `.fields`
        (IBKR's field names: ``fields["lmtPrice"]``, ``fields["contract"]["symbol"]``)."""
        return self._backend.requests.requests(name, client_id)

    def assert_received(
        self, name: In | str, *, client_id: int | None = None, **fields: Any
    ) -> ReceivedRequest:
        """The first request of kind ``name`` with these field values (a contract field
        may be named directly: ``symbol="SPY"``); fails showing the closest request."""
        candidates = self.requests(name, client_id)
        found = match_request(candidates, fields)
        if found is None:
            label = resolve_request(name).name
            raise AssertionError(received_diff(label, candidates, fields, self._backend.requests))
        return found

    # the flat names of earlier versions: the same as tws.faults.* and tws.orders.*

    def connectivity_lost(self) -> None:
        self.faults.connectivity_lost()

    def connectivity_restored(self, data_lost: bool = False) -> None:
        self.faults.connectivity_restored(data_lost)

    def farms_broken(self) -> None:
        self.faults.farms_broken()

    def farms_ok(self) -> None:
        self.faults.farms_ok()

    def restart(self, downtime: float = 2.0) -> None:
        self.faults.restart(downtime)

    def come_back(self) -> None:
        self.faults.come_back()

    def drop_clients(self) -> None:
        self.faults.drop_clients()

    def fail_next(
        self, request: In | str, code: int, message: str | None = None, *, times: int = 1
    ) -> None:
        self.faults.fail_next(request, code, message, times=times)

    def ignore_next(self, request: In | str, *, times: int = 1) -> None:
        self.faults.ignore_next(request, times=times)

    def set_fill_policy(self, policy: str) -> None:
        self.orders.set_fill_policy(policy)

    def fill(
        self,
        order_id: int,
        quantity: float | None = None,
        price: float | None = None,
        *,
        client_id: int | None = None,
    ) -> list[Execution]:
        return self.orders.fill(order_id, quantity, price, client_id=client_id)

    def reject(self, order_id: int, reason: str, *, client_id: int | None = None) -> None:
        self.orders.reject(order_id, reason, client_id=client_id)

    def executions(self) -> list[Execution]:
        return self.orders.executions()

    # internals

    def _run_thread(self, started: concurrent.futures.Future[None]) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve(lambda _: started.set_result(None)))
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            else:
                log.exception("FakeTWS loop failed")
        finally:
            self._loop.close()

    def _schedule(self) -> RestartWindow | None:
        if self._restart_window is None and isinstance(self.clock, VirtualClock):
            return RestartWindow()
        return self._restart_window

    async def _serve(self, ready: Callable[[FakeTWS], None] | None) -> None:
        self._stopping = asyncio.Event()
        await self._listener.start()
        self._port = self._listener.port
        self._faults.follow(self._schedule())
        log.info("FakeTWS listening on %s:%s", self._host, self._port)
        if ready is not None:
            ready(self)
        try:
            await self._stopping.wait()
        finally:
            self._faults.cancel_timers()
            for session in list(self._backend.all_sessions):
                session.drop("the fake stops")
            if self._backend.market_feed is not None:
                self._backend.market_feed.cancel_task()
            await self._listener.aclose()

    def request_stop(self) -> None:
        """Ask a foreground `serve_forever` to end (safe from signal handlers)."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
