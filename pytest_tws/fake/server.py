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
from typing import TypeVar

from pytest_tws.clock import VirtualClock
from pytest_tws.fake import trading
from pytest_tws.fake.backend import Backend, Limits
from pytest_tws.fake.catalog_control import CatalogControl
from pytest_tws.fake.faults import Faults, plan_failure, planned_failure_guard
from pytest_tws.fake.guards import Guard
from pytest_tws.fake.handlers import HANDLERS
from pytest_tws.fake.listener import Listener
from pytest_tws.fake.market_control import MarketControl
from pytest_tws.fake.read_only import read_only_guard
from pytest_tws.fake.session import Session
from pytest_tws.fake.transcript import Frame, ServerFailure, Transcript
from pytest_tws.model.accounts import DEFAULT_ACCOUNT
from pytest_tws.model.broker import Broker
from pytest_tws.model.instruments import load as load_universe
from pytest_tws.model.orders import Execution, Order
from pytest_tws.wire.messages import In
from tws_core.clock import Clock, RestartWindow, SystemClock

log = logging.getLogger("pytest_tws.fake")

T = TypeVar("T")

#: How long a control call waits for the fake's loop before giving up.
CONTROL_TIMEOUT = 10.0
#: What every request passes before its handler, in order: a planned failure first (a test
#: asked for it), then TWS's own Read-Only API refusal.
REQUEST_GUARDS: tuple[Guard, ...] = (planned_failure_guard, read_only_guard)


class FakeTWS:
    """A fake TWS / IB Gateway speaking the real TWS API socket protocol (server version 178).

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
    ) -> None:
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listener = Listener(
            host, port, lambda: Session(self._backend, HANDLERS, REQUEST_GUARDS)
        )
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
                session.drop()
            self.clock = self._backend.clock = clock
            self._restart_window = restart_window
            self._backend.limits = dataclasses.replace(self._initial_limits)
            self._backend.rebuild()
            self._backend.transcript.clear()
            if self._loop is not None:
                self._faults.follow(self._schedule())

        self.call(start_over)

    # fault control (DESIGN.md): each runs on the fake's loop and returns once done

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
    def faults(self) -> Faults:
        """The fault controller (counters such as ``restarts``); read it through `call()`."""
        return self._faults

    @property
    def listening(self) -> bool:
        """False while a restart's downtime refuses connections."""
        return self.call(lambda: self._listener.listening)

    def connectivity_lost(self) -> None:
        """1100 (and farms broken, 2103/2105) to every client; market data pauses."""
        self.call(self._faults.connectivity_lost)

    def connectivity_restored(self, data_lost: bool = False) -> None:
        """1102, or with ``data_lost`` 1101 and every market-data subscription dropped; then
        farms OK (2104/2106) and market data flows again."""
        self.call(lambda: self._faults.connectivity_restored(data_lost))

    def farms_broken(self) -> None:
        """2103/2105: the market-data and historical farms are broken."""
        self.call(self._faults.farms_broken)

    def farms_ok(self) -> None:
        """2104/2106: the farms are back."""
        self.call(self._faults.farms_ok)

    def restart(self, downtime: float = 2.0) -> None:
        """TWS's daily restart: every socket closed with no message, connections refused for
        ``downtime`` seconds on the fake's clock, then back; orders, positions and ids kept."""
        self.call(lambda: self._faults.restart(downtime))

    def come_back(self) -> None:
        """End a restart's downtime now."""
        self.call(self._faults.come_back)

    def drop_clients(self) -> None:
        """Close every client socket with no message (a crash, or a network cut at TWS)."""
        self.call(self._faults.drop_clients)

    def fail_next(
        self, request: In | str, code: int, message: str | None = None, *, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests of kind ``request`` (``"placeOrder"``,
        ``"PLACE_ORDER"`` or `In.PLACE_ORDER`) with error ``code`` instead of handling them."""
        self.call(lambda: plan_failure(self._backend, request, code, message, times))

    def ignore_next(self, request: In | str, *, times: int = 1) -> None:
        """Leave the next ``times`` requests of kind ``request`` unanswered (a hung TWS)."""
        self.call(lambda: plan_failure(self._backend, request, None, times=times))

    # trading control (pytest_tws/fake/trading.py)

    def set_fill_policy(self, policy: str) -> None:
        """``"immediate"`` (default), ``"partial"`` (half of what remains per matching
        round) or ``"manual"`` (nothing fills until `fill()`)."""
        self.call(lambda: trading.set_fill_policy(self._backend, policy))

    def fill(
        self,
        order_id: int,
        quantity: float | None = None,
        price: float | None = None,
        *,
        client_id: int | None = None,
    ) -> list[Execution]:
        """Fill a working order now (all that remains unless ``quantity``), at ``price`` or
        where the market would; a combo's price is its net price. Returns the executions."""
        backend = self._backend
        return self.call(lambda: trading.control_fill(
            backend, trading.order_for_control(backend, order_id, client_id), quantity, price))

    def reject(self, order_id: int, reason: str, *, client_id: int | None = None) -> None:
        """TWS rejects a working order: error 201 ``Order rejected - reason:<reason>``."""
        backend = self._backend
        self.call(lambda: trading.reject(
            backend, trading.order_for_control(backend, order_id, client_id), reason))

    def orders(self) -> list[Order]:
        """A snapshot of every order the fake holds (open and done), in placement order."""
        return self.call(lambda: [dataclasses.replace(o) for o in self._backend.broker.orders])

    def executions(self) -> list[Execution]:
        """A snapshot of every execution, combos' own and their legs', in time order."""
        return self.call(lambda: list(self._backend.broker.executions))

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
                session.drop()
            if self._backend.market_feed is not None:
                self._backend.market_feed.cancel_task()
            await self._listener.aclose()

    def request_stop(self) -> None:
        """Ask a foreground `serve_forever` to end (safe from signal handlers)."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
