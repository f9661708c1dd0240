"""`ConnectionManager`: one ib_async connection to TWS with a state machine and typed events.

States (`ConnectionState`)::

    DISCONNECTED -> CONNECTING -> CONNECTED <-> DEGRADED   (1100 until 1101/1102)
    lost: -> DISCONNECTED;  connect()/reconnect() after that: -> RECONNECTING -> CONNECTED
    disconnect(): -> STOPPED (connect() may start again from there)

Every transition is published on ``events.state_changed`` with its cause; every message
TWS sends through its error callback is published, classified, on ``events.error``.

All waiting is measured on the injected `Clock`: with a `VirtualClock`, timeouts pass only
when virtual time does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from ib_async import IB

from tws_core.clock import Clock, SystemClock
from tws_core.errors import Code, TwsCoreError
from tws_core.events import (
    ConnectionEvents,
    ConnectionLost,
    ConnectionState,
    ConnectivityRestored,
    StateChange,
    TwsErrorEvent,
)
from tws_core.throttle import configure_client_pacing

__all__ = [
    "ClientIdInUseError",
    "ConnectError",
    "ConnectionManager",
    "HealthCheckError",
    "NotConnectedError",
]

log = logging.getLogger("tws_core.connection")

T = TypeVar("T")

CONNECTIVITY_LOST = Code.CONNECTIVITY_LOST
RESTORED_DATA_LOST = Code.RESTORED_DATA_LOST
RESTORED_DATA_MAINTAINED = Code.RESTORED_DATA_MAINTAINED
CLIENT_ID_IN_USE = Code.CLIENT_ID_IN_USE


class ConnectError(TwsCoreError):
    """A connection attempt failed (refused, timed out, or the socket broke while syncing)."""


class ClientIdInUseError(ConnectError):
    """TWS answered 326: another client already holds this clientId."""

    def __init__(self, client_id: int, message: str) -> None:
        self.client_id = client_id
        self.code = CLIENT_ID_IN_USE
        super().__init__(f"clientId {client_id} is in use (TWS error 326: {message})")


class NotConnectedError(TwsCoreError):
    """The operation needs a connected API socket."""


class HealthCheckError(TwsCoreError):
    """The health check's round trip did not come back in time."""


class _TimedOut(Exception):
    pass


class ConnectionManager:
    """One API connection to TWS / IB Gateway.

    Args:
        host: TWS host (loopback in tests).
        port: TWS API port (7497 paper TWS, 4002 paper Gateway).
        client_id: The API clientId; it changes if ``client_id_retries`` picks another.
        clock: Where time comes from; `SystemClock` by default.
        timeout: Seconds (on ``clock``) a connect attempt may take, startup sync included.
        client_id_retries: On error 326, try up to this many following clientIds.
        max_requests: ib_async's own outgoing pacing, messages per second (0: off).
        account: The account ib_async syncs at connect ("" when there is exactly one).
        readonly: Connect read-only (ib_async does not fetch open orders).
        ib: An ib_async ``IB`` to use instead of a new one.

    Example::

        conn = ConnectionManager("127.0.0.1", 7497, client_id=1)
        await conn.connect()
        latency = await conn.health_check()
        await conn.disconnect()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 7497,
        client_id: int = 1,
        *,
        clock: Clock | None = None,
        timeout: float = 10.0,
        client_id_retries: int = 0,
        max_requests: int = 45,
        account: str = "",
        readonly: bool = False,
        ib: IB | None = None,
    ) -> None:
        if client_id_retries < 0:
            raise ValueError(f"client_id_retries must be >= 0, got {client_id_retries!r}")
        self.host = host
        self.port = port
        self.client_id = client_id
        self.timeout = timeout
        self.client_id_retries = client_id_retries
        self.account = account
        self.readonly = readonly
        self.clock: Clock = clock or SystemClock()
        self.events = ConnectionEvents()
        self.last_latency: float | None = None
        """seconds of the last successful health check"""
        self._ib = ib or IB()
        configure_client_pacing(self._ib, max_requests)
        self._state = ConnectionState.DISCONNECTED
        self._was_up = False
        self._closing = False
        self._last_socket_error = ""
        self._refused: asyncio.Future[str] | None = None
        self._attempting: asyncio.Future[Any] | None = None
        self._lock: asyncio.Lock | None = None
        self._ib.errorEvent += self._on_error
        self._ib.client.apiError += self._on_api_error
        self._ib.client.apiEnd += self._on_api_end

    def __repr__(self) -> str:
        return (f"ConnectionManager({self.host}:{self.port}, client_id={self.client_id}, "
                f"state={self._state.name})")

    # what callers read

    @property
    def ib(self) -> IB:
        """The ib_async client; usable for requests while `state.is_up`."""
        return self._ib

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def is_connected(self) -> bool:
        return self._state.is_up

    @property
    def accounts(self) -> list[str]:
        """The managed accounts TWS reported at connect."""
        return list(self._ib.managedAccounts())

    @property
    def server_version(self) -> int:
        return int(self._ib.client.serverVersion() or 0)

    # lifecycle

    async def connect(self) -> None:
        """Connect unless already up. After a lost connection this is a reconnect.

        Raises:
            ClientIdInUseError: 326, and no retry left.
            ConnectError: Refused, timed out or broken during the startup sync.
        """
        async with self._connect_lock():
            if self._state.is_up:
                return
            await self._connect(reconnecting=self._was_up and self._state is not
                                ConnectionState.STOPPED, cause="connect requested")

    async def reconnect(self, cause: str = "reconnect requested") -> None:
        """Drop the current socket (if any) and connect again, passing through RECONNECTING.

        The watchdog calls this after a loss, or to replace a connection that stopped answering.
        """
        async with self._connect_lock():
            if self._ib.isConnected():
                self._disconnect_socket()
            await self._connect(reconnecting=True, cause=cause)

    async def disconnect(self) -> None:
        """Close the connection on purpose (aborting a connect attempt); STOPPED."""
        if self._attempting is not None and not self._attempting.done():
            self._attempting.cancel()
        self._disconnect_socket()
        self._set_state(ConnectionState.STOPPED, "disconnect requested")

    async def health_check(self, timeout: float = 5.0) -> float:
        """One reqCurrentTime round trip; returns its latency in seconds (on the clock).

        Raises:
            NotConnectedError: The API socket is not up.
            HealthCheckError: No answer within ``timeout``.
        """
        if not self._state.is_up or not self._ib.isConnected():
            raise NotConnectedError(f"health check needs a connection; state is {self._state.name}")
        started = self.clock.monotonic()
        try:
            await self._within(self._ib.reqCurrentTimeAsync(), timeout)
        except _TimedOut:
            raise HealthCheckError(f"reqCurrentTime got no answer within {timeout}s") from None
        except ConnectionError as exc:
            # ib_async fails the pending request when the socket drops under it.
            raise NotConnectedError(f"connection lost during the health check: {exc}") from exc
        self.last_latency = self.clock.monotonic() - started
        return self.last_latency

    # internals: connecting

    def _connect_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _connect(self, reconnecting: bool, cause: str) -> None:
        target = ConnectionState.RECONNECTING if reconnecting else ConnectionState.CONNECTING
        self._set_state(target, cause)
        first_id = self.client_id
        for client_id in range(first_id, first_id + self.client_id_retries + 1):
            self.client_id = client_id
            try:
                await self._attempt(client_id)
            except ClientIdInUseError as exc:
                if client_id < first_id + self.client_id_retries:
                    log.warning("%s; trying clientId %d", exc, client_id + 1)
                    continue
                self._attempt_failed(str(exc), CLIENT_ID_IN_USE)
                raise
            except ConnectError as exc:
                self._attempt_failed(str(exc))
                raise
            self._was_up = True
            self._set_state(ConnectionState.CONNECTED,
                            f"connected as clientId {client_id}, server version "
                            f"{self.server_version}")
            return

    def _attempt_failed(self, cause: str, code: int | None = None) -> None:
        # a disconnect() while the attempt ran has the last word: STOPPED stays STOPPED
        if self._state is not ConnectionState.STOPPED:
            self._set_state(ConnectionState.DISCONNECTED, cause, code)

    async def _attempt(self, client_id: int) -> None:
        loop = asyncio.get_running_loop()
        self._refused = loop.create_future()
        refused = self._refused
        connecting = asyncio.ensure_future(self._ib.connectAsync(
            self.host, self.port, clientId=client_id, timeout=None,
            readonly=self.readonly, account=self.account,
        ))
        self._attempting = connecting
        try:
            await self._within(self._first_of(connecting, refused), self.timeout)
        except _TimedOut:
            raise ConnectError(f"connect to {self.host}:{self.port} as clientId {client_id} "
                               f"timed out after {self.timeout}s") from None
        except ClientIdInUseError:
            raise
        except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
            raise ConnectError(f"connect to {self.host}:{self.port} as clientId {client_id} "
                               f"failed: {exc!r}") from exc
        finally:
            self._refused = None
            self._attempting = None
            if not connecting.done():
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)

    async def _first_of(
        self, connecting: asyncio.Future[Any], refused: asyncio.Future[str]
    ) -> None:
        done, _ = await asyncio.wait({connecting, refused},
                                     return_when=asyncio.FIRST_COMPLETED)
        if refused in done:
            raise ClientIdInUseError(self.client_id, refused.result())
        if connecting.cancelled():
            raise ConnectError(f"connect to {self.host}:{self.port} aborted by disconnect()")
        connecting.result()

    async def _within(self, work: Awaitable[T], timeout: float | None) -> T:
        """``work``'s result, or `_TimedOut` once ``timeout`` seconds pass on the clock."""
        task = asyncio.ensure_future(work)
        if timeout is None:
            return await task
        timer = asyncio.ensure_future(self.clock.sleep(timeout))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if task.cancelled():
            raise _TimedOut
        return task.result()

    def _disconnect_socket(self) -> None:
        self._closing = True
        try:
            self._ib.disconnect()
        finally:
            self._closing = False

    # internals: what ib_async tells us

    def _set_state(self, new: ConnectionState, cause: str, code: int | None = None) -> None:
        old = self._state
        if new is old:
            return
        self._state = new
        change = StateChange(old, new, cause, self.clock.now(), code)
        log.info("connection %s:%s clientId %d: %s", self.host, self.port, self.client_id, change)
        self.events.state_changed.emit(change)

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        event = TwsErrorEvent(req_id, code, message, self.clock.now(), contract)
        if code == CLIENT_ID_IN_USE and self._refused is not None and not self._refused.done():
            self._refused.set_result(message)
        elif code == CONNECTIVITY_LOST and self._state is ConnectionState.CONNECTED:
            self._set_state(ConnectionState.DEGRADED, message, code)
        elif code in (RESTORED_DATA_LOST, RESTORED_DATA_MAINTAINED):
            if self._state is ConnectionState.DEGRADED:
                self._set_state(ConnectionState.CONNECTED, message, code)
            self.events.connectivity_restored.emit(
                ConnectivityRestored(code == RESTORED_DATA_LOST, event.at))
        self.events.error.emit(event)

    def _on_api_error(self, message: str) -> None:
        self._last_socket_error = message

    def _on_api_end(self) -> None:
        if self._closing or not self._state.is_up:
            return
        cause = f"connection lost: {self._last_socket_error or 'socket closed'}"
        self._set_state(ConnectionState.DISCONNECTED, cause)
        self.events.connection_lost.emit(ConnectionLost(cause, self.clock.now()))
