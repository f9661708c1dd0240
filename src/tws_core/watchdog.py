"""`Watchdog`: keeps a `ConnectionManager` connected through drops, restarts and resets.

How it sees trouble:

- the socket closes (``events.connection_lost``: a drop, TWS's daily restart, a kick after
  error 100 or a pacing violation);
- 1100 (TWS lost IBKR): DEGRADED until 1101/1102, with no reconnect; the socket is fine;
- a health probe (reqCurrentTime) that gets no answer, sent after ``health_interval`` seconds
  with nothing heard from TWS: a hung TWS or a half-open socket.

What it does then::

    CONNECTED ─lost─► BACKING_OFF ─delay─► CONNECTING ─ok─► RECOVERING ─hooks─► CONNECTED
                          ▲                    │fail
                          └────────────────────┘ (exponential backoff, seeded jitter)
    inside TWS's restart downtime: WAITING_FOR_WINDOW until it should be back (+ grace),
    attempts there and in the nightly reset window spend no retries;
    ``max_retries`` consecutive failures outside them: GAVE_UP (final; ``events.gave_up``)

After a reconnect, and after 1101 (data lost), it runs the registered recovery hooks
(resubscribe market data, reconcile orders). All time is the injected `Clock`'s, so with a
virtual clock a night of restarts takes milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from eventkit import Event

from tws_core.clock import Clock, RestartWindow
from tws_core.connection import (
    ConnectError,
    ConnectionManager,
    HealthCheckError,
    NotConnectedError,
)
from tws_core.errors import Code
from tws_core.events import ConnectionLost, ConnectionState, StateChange, TwsErrorEvent
from tws_core.watchdog_status import (
    Backoff,
    RecoveryHook,
    RecoveryReason,
    WatchdogState,
    WatchdogStatus,
    WatchdogTransition,
)

__all__ = [
    "Backoff",
    "RecoveryHook",
    "RecoveryReason",
    "Watchdog",
    "WatchdogState",
    "WatchdogStatus",
    "WatchdogTransition",
]

log = logging.getLogger("tws_core.watchdog")

MAX_RATE_EXCEEDED = Code.MAX_RATE_EXCEEDED
CONNECTIVITY_LOST = Code.CONNECTIVITY_LOST
RESTORED_DATA_LOST = Code.RESTORED_DATA_LOST


class _Lost(Exception):
    """The connection went away while the watchdog was waiting."""


class Watchdog:
    """Reconnects a `ConnectionManager` when it is lost. See the module docstring.

    Args:
        conn: The connection to keep up (the watchdog makes the first connect too).
        clock: Time for delays, windows and probes; the connection's clock by default.
        restart_window: TWS's restart and IBKR's reset schedule; None: no expected outages.
        max_retries: Consecutive failed attempts (outside windows) before giving up; None
            retries forever.
        backoff: Delays between attempts.
        health_interval: Seconds of silence from TWS before a health probe; None: no probes.
        health_timeout: Seconds a probe may take.
        restart_grace: Seconds after a restart's expected end before the first attempt.
        state_file: If given, the status is written there as JSON (atomically) on every
            transition.

    Events (aeventkit, on ``watchdog.events``): ``state_changed`` (`WatchdogTransition`),
    ``gave_up`` (`WatchdogStatus`), ``recovered`` (`RecoveryReason`, after the hooks ran).
    """

    def __init__(
        self,
        conn: ConnectionManager,
        *,
        clock: Clock | None = None,
        restart_window: RestartWindow | None = None,
        max_retries: int | None = None,
        backoff: Backoff | None = None,
        health_interval: float | None = 30.0,
        health_timeout: float = 5.0,
        restart_grace: float = 30.0,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if max_retries is not None and max_retries < 0:
            raise ValueError(f"max_retries must be >= 0 or None, got {max_retries!r}")
        if health_interval is not None and health_interval <= 0:
            raise ValueError(f"health_interval must be > 0 or None, got {health_interval!r}")
        self.conn = conn
        self.clock: Clock = clock or conn.clock
        self.restart_window = restart_window
        self.max_retries = max_retries
        self.backoff = backoff or Backoff()
        self.health_interval = health_interval
        self.health_timeout = health_timeout
        self.restart_grace = restart_grace
        self.state_file = Path(state_file) if state_file is not None else None
        self.events = _WatchdogEvents()
        self._hooks: list[RecoveryHook] = []
        self._state = WatchdogState.STOPPED
        self._cause = "not started"
        self._attempts = 0
        self._failures = 0
        self._reconnects = 0
        self._last_error: str | None = None
        self._last_connected: datetime | None = None
        self._connected_since: float | None = None
        self._last_disconnected: datetime | None = None
        self._next_attempt_at: datetime | None = None
        self._probes_ok = 0
        self._probes_failed = 0
        self._last_heard = self.clock.monotonic()
        self._lost_cause: str | None = None
        self._pacing_error: str | None = None
        self._sleeping = False
        self._wake: asyncio.Event | None = None
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._side_tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"Watchdog({self.conn!r}, state={self._state.name})"

    # what callers read

    @property
    def state(self) -> WatchdogState:
        return self._state

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def can_trade(self) -> bool:
        """True only while CONNECTED: not degraded, not reconnecting, not recovering."""
        return self._state is WatchdogState.CONNECTED

    def status(self) -> WatchdogStatus:
        now = self.clock.now()
        up = self._connected_since
        connected = self._state in (WatchdogState.CONNECTED, WatchdogState.DEGRADED,
                                    WatchdogState.RECOVERING)
        return WatchdogStatus(
            state=self._state,
            attempts=self._attempts,
            consecutive_failures=self._failures,
            reconnects=self._reconnects,
            last_error=self._last_error,
            last_connected=self._last_connected,
            last_disconnected=self._last_disconnected,
            in_restart_window=self._in_window(now),
            uptime=self.clock.monotonic() - up if connected and up is not None else 0.0,
            next_attempt_at=self._next_attempt_at,
            probes_ok=self._probes_ok,
            probes_failed=self._probes_failed,
            cause=self._cause,
        )

    def is_waiting(self) -> bool:
        """True while the watchdog waits on the clock (backing off, waiting for the restart
        window, or watching a quiet connection) rather than on the network."""
        return self._sleeping

    async def when_ready(self, timeout: float | None = None) -> None:
        """Wait until CONNECTED (e.g. before sending orders); ``timeout`` on the clock.

        Raises:
            TimeoutError: Not ready in time.
        """
        ready = self._ready_event()
        if ready.is_set():
            return
        waiter = asyncio.ensure_future(ready.wait())
        timer = asyncio.ensure_future(self.clock.sleep(timeout)) if timeout is not None else None
        try:
            await asyncio.wait({waiter, *([timer] if timer else [])},
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, timer):
                if task is not None and not task.done():
                    task.cancel()
        if not ready.is_set():
            raise TimeoutError(f"watchdog not CONNECTED within {timeout}s (state {self._state})")

    # configuration

    def add_recovery_hook(self, hook: RecoveryHook) -> Callable[[], None]:
        """Run ``hook(reason)`` (sync or async) after each reconnect and after 1101, in
        registration order; returns a function removing it. A failing hook is logged and
        recorded as ``last_error``; the others still run."""
        self._hooks.append(hook)

        def remove() -> None:
            if hook in self._hooks:
                self._hooks.remove(hook)

        return remove

    # lifecycle

    def start(self) -> None:
        """Start watching (and connect if needed) on the running loop. Idempotent."""
        if self.running:
            return
        self._failures = 0
        self._wake = asyncio.Event()
        self._subscribe()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="tws watchdog")

    async def stop(self) -> None:
        """Stop watching; no task of the watchdog is left running. Idempotent.

        The connection is left as it is (call ``conn.disconnect()`` to close it).
        """
        self._unsubscribe()
        tasks = [t for t in (self._task, *self._side_tasks) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            # wait(), not `await task`: a CancelledError here must be stop()'s own, never one
            # of the tasks' swallowed by mistake.
            await asyncio.wait(tasks)
        self._task = None
        self._side_tasks.clear()
        self._next_attempt_at = None
        self._set(WatchdogState.STOPPED, "stop requested")

    # the loop

    async def _run(self) -> None:
        try:
            if not self.conn.state.is_up:
                if not await self._connect_loop("start", first=True):
                    return
            else:
                self._connected("already connected")
            while True:
                cause = await self._watch()
                self._on_loss(cause)
                if not await self._connect_loop(cause, first=False):
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: make it visible in the status rather than vanish
            log.exception("watchdog loop failed")
            self._last_error = f"watchdog failed: {exc!r}"
            self._set(WatchdogState.GAVE_UP, self._last_error)
            self.events.gave_up.emit(self.status())

    async def _watch(self) -> str:
        """Return when the connection is lost (the cause), probing it while quiet."""
        self._last_heard = self.clock.monotonic()
        while True:
            if self._lost_cause is not None:
                return self._lost_cause
            if not self.conn.state.is_up:
                return f"connection {self.conn.state.value}"
            if self.health_interval is None:
                await self._sleep_unless_lost(None)
                continue
            quiet = self.clock.monotonic() - self._last_heard
            if quiet < self.health_interval:
                await self._sleep_unless_lost(self.health_interval - quiet)
                continue
            try:
                await self._unless_lost(self.conn.health_check(self.health_timeout))
            except _Lost:
                continue
            except NotConnectedError as exc:
                return str(exc)
            except HealthCheckError as exc:
                self._probes_failed += 1
                return f"health probe failed: {exc}"
            self._probes_ok += 1
            self._last_heard = self.clock.monotonic()

    async def _connect_loop(self, cause: str, *, first: bool) -> bool:
        """Attempt until connected (True) or the retry limit is reached (False)."""
        outage_attempt = 0
        while True:
            now = self.clock.now()
            back_at = self._restart_back_at(now)
            if back_at is not None:
                self._next_attempt_at = back_at
                self._set(WatchdogState.WAITING_FOR_WINDOW,
                          f"TWS restart expected; back at {back_at.isoformat()} ({cause})")
                await self._sleep((back_at - now).total_seconds())
            elif not (first and outage_attempt == 0):
                # After a loss the first attempt waits too: the peer has just gone away.
                delay = self.backoff.delay(outage_attempt + (0 if first else 1))
                self._next_attempt_at = now + timedelta(seconds=delay)
                self._set(WatchdogState.BACKING_OFF, f"next attempt in {delay:.2f}s ({cause})")
                await self._sleep(delay)
            outage_attempt += 1
            self._attempts += 1
            self._next_attempt_at = None
            self._set(WatchdogState.CONNECTING, f"attempt {outage_attempt} ({cause})")
            self._lost_cause = None
            try:
                if self.conn.state.is_up:
                    await self.conn.reconnect(cause)
                else:
                    await self.conn.connect()
            except ConnectError as exc:
                cause = f"connect failed: {exc}"
                self._last_error = str(exc)
                if self._in_window(self.clock.now()):
                    continue  # expected: TWS is restarting or IBKR is resetting
                self._failures += 1
                if self.max_retries is not None and self._failures > self.max_retries:
                    self._set(WatchdogState.GAVE_UP,
                              f"gave up after {self._failures} failed attempts: {exc}")
                    self.events.gave_up.emit(self.status())
                    return False
                continue
            if not first:
                self._reconnects += 1
            self._failures = 0
            self._pacing_error = None
            reason = None if first else RecoveryReason.RECONNECTED
            self._connected(f"connected on attempt {outage_attempt}", recovering=reason)
            await self._run_hooks(reason)
            return True

    def _connected(self, cause: str, recovering: RecoveryReason | None = None) -> None:
        self._last_connected = self.clock.now()
        self._connected_since = self.clock.monotonic()
        self._last_heard = self.clock.monotonic()
        # Straight to RECOVERING when hooks will run: CONNECTED (and so `can_trade`) only
        # once orders are reconciled and subscriptions are back.
        hooks_due = recovering is not None and bool(self._hooks)
        self._set(WatchdogState.RECOVERING if hooks_due else self._up_state(), cause)

    def _on_loss(self, cause: str) -> None:
        self._last_disconnected = self.clock.now()
        self._connected_since = None
        self._lost_cause = None
        if self._pacing_error is not None:
            cause = f"{cause}, after {self._pacing_error}"
        self._last_error = cause
        log.warning("connection lost: %s", cause)

    async def _run_hooks(self, reason: RecoveryReason | None) -> None:
        if reason is None or not self._hooks:
            return
        self._set(WatchdogState.RECOVERING, f"running {len(self._hooks)} recovery hooks "
                                            f"({reason.value})")
        for hook in list(self._hooks):
            try:
                result = hook(reason)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("recovery hook %r failed", hook)
                name = getattr(hook, "__qualname__", repr(hook))
                self._last_error = f"recovery hook {name} failed: {exc!r}"
        if self._state is WatchdogState.RECOVERING:
            self._set(self._up_state(), f"recovered ({reason.value})")
        self.events.recovered.emit(reason)

    # waiting on the clock, interrupted by a loss

    async def _sleep(self, seconds: float) -> None:
        self._sleeping = True
        try:
            await self.clock.sleep(max(0.0, seconds))
        finally:
            self._sleeping = False

    async def _sleep_unless_lost(self, seconds: float | None) -> None:
        async def sleep() -> None:
            # `is_waiting()` turns true in the very step the sleeper joins the clock: set
            # before the task runs, a test could see "waiting" with nothing on the clock yet.
            self._sleeping = True
            if seconds is None:
                await asyncio.Future()
            else:
                await self.clock.sleep(seconds)

        try:
            with contextlib.suppress(_Lost):
                await self._unless_lost(sleep())
        finally:
            self._sleeping = False

    async def _unless_lost(self, work: Awaitable[Any]) -> Any:
        wake = self._wake
        assert wake is not None
        wake.clear()
        if self._lost_cause is not None:
            if inspect.iscoroutine(work):
                work.close()
            raise _Lost
        task = asyncio.ensure_future(work)
        woken = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait({task, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            if not task.done():
                task.cancel()
                # wait() never raises the inner task's cancellation, so a cancel of *this*
                # task (Watchdog.stop) still propagates instead of being suppressed.
                await asyncio.wait({task})
        if task.cancelled():
            raise _Lost
        return task.result()

    # what the connection tells us

    def _subscribe(self) -> None:
        events = self.conn.events
        events.connection_lost += self._on_connection_lost
        events.error += self._on_error
        events.state_changed += self._on_conn_state
        self.conn.ib.updateEvent += self._on_data

    def _unsubscribe(self) -> None:
        events = self.conn.events
        events.connection_lost -= self._on_connection_lost
        events.error -= self._on_error
        events.state_changed -= self._on_conn_state
        self.conn.ib.updateEvent -= self._on_data

    def _on_data(self) -> None:
        self._last_heard = self.clock.monotonic()

    def _on_connection_lost(self, lost: ConnectionLost) -> None:
        self._signal_lost(lost.cause)

    def _signal_lost(self, cause: str) -> None:
        if self._lost_cause is None:
            self._lost_cause = cause
        if self._wake is not None:
            self._wake.set()

    def _on_error(self, event: TwsErrorEvent) -> None:
        if event.code == MAX_RATE_EXCEEDED:
            # TWS disconnects a client that keeps exceeding 50 msg/s; remember why.
            self._pacing_error = self._last_error = f"error 100: {event.message}"
            log.warning("TWS pacing violation: %s", event.message)
        elif event.code == CONNECTIVITY_LOST:
            self._last_error = f"error 1100: {event.message}"
        elif event.code == RESTORED_DATA_LOST and self._state in (
            WatchdogState.CONNECTED, WatchdogState.DEGRADED
        ):
            task = asyncio.get_running_loop().create_task(
                self._run_hooks(RecoveryReason.DATA_LOST))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)

    def _on_conn_state(self, change: StateChange) -> None:
        if self._state in (WatchdogState.CONNECTED, WatchdogState.DEGRADED):
            if change.new is ConnectionState.DEGRADED:
                self._set(WatchdogState.DEGRADED, change.cause)
            elif change.new is ConnectionState.CONNECTED:
                self._set(WatchdogState.CONNECTED, change.cause)

    def _up_state(self) -> WatchdogState:
        if self.conn.state is ConnectionState.DEGRADED:
            return WatchdogState.DEGRADED
        return WatchdogState.CONNECTED

    # windows

    def _in_window(self, t: datetime) -> bool:
        return self.restart_window is not None and self.restart_window.contains(t)

    def _restart_back_at(self, t: datetime) -> datetime | None:
        """When to try again if ``t`` is inside TWS's restart downtime, else None."""
        if self.restart_window is None:
            return None
        interval = self.restart_window.restart_interval(t)
        if interval is None:
            return None
        return interval[1] + timedelta(seconds=self.restart_grace)

    # transitions

    def _ready_event(self) -> asyncio.Event:
        if self._ready is None:
            self._ready = asyncio.Event()
            if self._state is WatchdogState.CONNECTED:
                self._ready.set()
        return self._ready

    def _set(self, new: WatchdogState, cause: str) -> None:
        old = self._state
        self._state = new
        self._cause = cause
        if self._ready is not None:
            if new is WatchdogState.CONNECTED:
                self._ready.set()
            else:
                self._ready.clear()
        if new is old:
            return
        transition = WatchdogTransition(old, new, cause, self.clock.now())
        log.info("watchdog: %s", transition)
        self._write_state()
        self.events.state_changed.emit(transition)

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        data = json.dumps(self.status().to_dict(), indent=2, sort_keys=True)
        target = self.state_file
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write a sibling temp file, then replace: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class _WatchdogEvents:
    def __init__(self) -> None:
        self.state_changed: Event = Event("state_changed")
        """`WatchdogTransition` on every change of state"""
        self.gave_up: Event = Event("gave_up")
        """`WatchdogStatus` when the retry limit is reached"""
        self.recovered: Event = Event("recovered")
        """`RecoveryReason` once the recovery hooks have run"""
