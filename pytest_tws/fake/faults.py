"""Fault control of the fake TWS: what the real one does to its clients on a bad night.

    connectivity_lost()          1100 + farms broken (2103/2105) to every ready client;
                                 market data pauses, orders stay
    connectivity_restored(lost)  1102, or 1101 with market-data subscriptions dropped;
                                 then farms OK (2104/2106); market data resumes
    restart(downtime)            every socket cut with no message, the listener closed (connects
                                 are refused) until `downtime` passes on the clock; the broker
                                 (orders, positions, next ids) lives on, as on IB's servers
    fail_next(request, code)     the next such request is answered with that error instead
    ignore_next(request)         the next such request gets no answer at all (a hung TWS)
    follow(window)               the restart and the nightly reset happen by themselves when
                                 the fake's clock gets there

Everything here runs on the fake's loop thread; `FakeTWS` exposes it thread-safely. Per-test
state (connectivity, planned failures) lives in ``backend.extensions``, so `reset()` clears it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from pytest_tws.clock import VirtualClock
from pytest_tws.fake.guards import Request, unschemed_request_id
from pytest_tws.fake.handlers import market_data
from pytest_tws.fake.names import resolve_request
from pytest_tws.model.errors import NO_REQUEST_ID, TEXTS, Code, TwsError, error_text
from pytest_tws.wire.fields import FieldError
from pytest_tws.wire.handshake import SERVER_MAX_VERSION
from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from tws_core.clock import RestartWindow

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend
    from pytest_tws.fake.session import Session

__all__ = [
    "DEFAULT_RESET_OUTAGE",
    "Faults",
    "Listening",
    "PlannedFailure",
    "plan_failure",
    "planned_failure_guard",
    "request_id_of",
    "resolve_request",
]

log = logging.getLogger("pytest_tws.fake")

#: How long IBKR's side stays away once the nightly reset starts, in clock seconds. The
#: window is 90 minutes; the outage a client sees inside it is minutes, not the whole window.
DEFAULT_RESET_OUTAGE = 120.0

#: Farms that report broken on 1100 and OK again on 1101/1102 (the startup farms but secdef,
#: whose 2157/2158 real traces do not show around a reset).
_FARMS: tuple[tuple[Code, Code, str], ...] = (
    (Code.MARKET_DATA_FARM_BROKEN, Code.MARKET_DATA_FARM_OK, "usfarm"),
    (Code.HMDS_FARM_BROKEN, Code.HMDS_FARM_OK, "ushmds"),
)

_STATE_KEY = "faults"


class Listening(Protocol):
    """The fake's listener as a restart needs it (`pytest_tws.fake.listener.Listener`)."""

    @property
    def listening(self) -> bool: ...

    def close(self) -> None: ...

    def reopen(self) -> None: ...


class _Cancellable(Protocol):
    def cancel(self) -> None: ...


# --- planned failures ----------------------------------------------------------------------


@dataclass
class PlannedFailure:
    """`fail_next`: the next ``times`` requests of this kind get error ``code`` instead;
    with ``code`` None (`ignore_next`) they get no answer at all."""

    request: In
    code: int | None
    message: str
    times: int = 1


@dataclass
class _State:
    connectivity_lost: bool = False
    planned: list[PlannedFailure] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    """requests `ignore_next` left unanswered, for failure reports"""


def _state(backend: Backend) -> _State:
    state = backend.extensions.get(_STATE_KEY)
    if not isinstance(state, _State):
        state = backend.extensions[_STATE_KEY] = _State()
    return state


def planned_failures(backend: Backend) -> list[PlannedFailure]:
    """`fail_next` / `ignore_next` plans not used up yet."""
    return list(_state(backend).planned)


def unanswered_requests(backend: Backend) -> list[str]:
    """Requests left unanswered by `ignore_next` (``REQ_CONTRACT_DATA reqId 7``)."""
    return list(_state(backend).unanswered)


def connectivity_is_lost(backend: Backend) -> bool:
    return _state(backend).connectivity_lost


def request_id_of(message_id: In, fields: list[str], version: int = SERVER_MAX_VERSION) -> int:
    """The request (or order) id a request carries, as its schema names it; -1 when it has
    none (or no schema)."""
    schema = REQUESTS.get(message_id)
    if schema is None:
        return unschemed_request_id(message_id, fields)
    try:
        values = schema.decode(fields, version)
    except FieldError as exc:
        values = getattr(exc, "partial", {})
    return schema.request_id(values, NO_REQUEST_ID)


def plan_failure(
    backend: Backend,
    request: In | str,
    code: int | None,
    message: str | None = None,
    times: int = 1,
) -> PlannedFailure:
    """Answer the next ``times`` requests of kind ``request`` with error ``code`` (None: do
    not answer them at all).

    Raises:
        ValueError: Unknown request, ``times`` < 1, or no ``message`` for a code without a
            known text.
    """
    if times < 1:
        raise ValueError(f"times must be >= 1, got {times!r}")
    if code is None:
        message = ""
    elif message is None:
        if code not in Code._value2member_map_ or Code(code) not in TEXTS:
            raise ValueError(f"error {code} has no known text; pass message=")
        message = error_text(Code(code))
    planned = PlannedFailure(
        resolve_request(request), None if code is None else int(code), message, times
    )
    _state(backend).planned.append(planned)
    return planned


def planned_failure_guard(session: Session, request: Request) -> bool:
    """The guard that carries out `plan_failure`: True when the request is planned to go
    unanswered; raises the planned TwsError; False to handle it as usual."""
    backend = session.backend
    state = backend.extensions.get(_STATE_KEY)
    if not isinstance(state, _State):
        return False
    message_id = request.message_id
    for planned in state.planned:
        if planned.request is message_id:
            planned.times -= 1
            if planned.times == 0:
                state.planned.remove(planned)
            req_id = request.req_id
            if planned.code is None:
                log.info("planned failure: %s goes unanswered", message_id.name)
                which = f" reqId {req_id}" if req_id >= 0 else ""
                state.unanswered.append(f"{message_id.name}{which}")
                return True
            if message_id is In.PLACE_ORDER and req_id >= 0:
                backend.broker.use_order_id(req_id)  # a rejected order still used its id
            log.info("planned failure: %s answered with %d", message_id.name, planned.code)
            raise TwsError(planned.code, planned.message, req_id)
    return False


# --- market data ------------------------------------------------------------------------


def pause_market_data(backend: Backend) -> None:
    """1100: nothing is published; the market keeps moving."""
    market_data.pause_all(backend)


def resume_market_data(backend: Backend) -> None:
    market_data.resume_all(backend)


def drop_market_data(backend: Backend) -> None:
    """1101: every subscription is gone; clients must request them again."""
    market_data.drop_all_subscriptions(backend)


# --- the fault controller --------------------------------------------------------------------


class Faults:
    """Connectivity, farm, restart and schedule control of one fake. On the fake's loop only."""

    def __init__(self, backend: Backend, listener: Listening) -> None:
        self.backend = backend
        self.listener = listener
        self.window: RestartWindow | None = None
        """the schedule being followed, if any"""
        self.reset_outage = DEFAULT_RESET_OUTAGE
        self.reset_data_lost = False
        self.restarts = 0
        """restarts so far (by hand and by the schedule)"""
        self.resets = 0
        """nightly reset sequences played so far"""
        self._comeback: _Cancellable | None = None
        self._restore: _Cancellable | None = None
        self._next_restart: _Cancellable | None = None
        self._next_reset: _Cancellable | None = None

    # connectivity between TWS and IBKR

    @property
    def connectivity_is_lost(self) -> bool:
        return _state(self.backend).connectivity_lost

    def connectivity_lost(self) -> None:
        """1100 and farms broken to every ready client; market data pauses. Idempotent."""
        state = _state(self.backend)
        if state.connectivity_lost:
            return
        state.connectivity_lost = True
        self._broadcast(Code.CONNECTIVITY_LOST)
        self.farms_broken()
        pause_market_data(self.backend)

    def connectivity_restored(self, data_lost: bool = False) -> None:
        """1102 (or 1101, subscriptions dropped), then farms OK; market data resumes."""
        _state(self.backend).connectivity_lost = False
        if data_lost:
            drop_market_data(self.backend)
            self._broadcast(Code.RESTORED_DATA_LOST)
        else:
            self._broadcast(Code.RESTORED_DATA_MAINTAINED)
        self.farms_ok()
        resume_market_data(self.backend)

    def farms_broken(self) -> None:
        """2103 (usfarm) and 2105 (ushmds) to every ready client."""
        for broken, _, farm in _FARMS:
            self._broadcast(broken, farm)

    def farms_ok(self) -> None:
        """2104 (usfarm) and 2106 (ushmds) to every ready client."""
        for _, ok, farm in _FARMS:
            self._broadcast(ok, farm)

    def _broadcast(self, code: Code, *args: object) -> None:
        text = error_text(code, *args)
        for session in self.backend.ready_sessions():
            session.send_error(NO_REQUEST_ID, code, text)

    # the TWS process

    def restart(self, downtime: float) -> None:
        """Go away: cut every socket with no message, refuse connections for ``downtime``
        seconds on the fake's clock, then listen again. Broker state is kept.

        Raises:
            ValueError: A negative downtime.
        """
        if downtime < 0:
            raise ValueError(f"downtime must be >= 0, got {downtime!r}")
        self.restarts += 1
        self._cancel_restore()
        self._cancel("_comeback")
        self.listener.close()
        self.drop_clients("TWS restarting: every socket cut")
        state = _state(self.backend)
        if state.connectivity_lost:  # a fresh TWS process starts with its link to IBKR up
            state.connectivity_lost = False
            resume_market_data(self.backend)
        log.info("FakeTWS restarting; back in %ss of clock time", downtime)
        self._comeback = self._call_later(downtime, self.come_back)

    def come_back(self) -> None:
        """Listen again now (the end of a restart's downtime)."""
        self._cancel("_comeback")
        self.listener.reopen()

    def drop_clients(self, reason: str = "drop_clients(): cut with no message") -> None:
        """Cut every client socket at once with no message."""
        for session in list(self.backend.all_sessions):
            session.drop(reason)

    # the schedule

    def follow(
        self,
        window: RestartWindow | None,
        *,
        reset_outage: float = DEFAULT_RESET_OUTAGE,
        reset_data_lost: bool = False,
    ) -> None:
        """Restart at ``window``'s restart times and play the nightly-reset sequence
        (1100 … ``reset_outage`` s … 1102, or 1101 if ``reset_data_lost``) at its reset
        starts, as the fake's clock reaches them. None stops following.
        """
        self.unfollow()
        self.window = window
        self.reset_outage = reset_outage
        self.reset_data_lost = reset_data_lost
        if window is not None:
            now = self.backend.now()
            self._arm_restart(window, now)
            self._arm_reset(window, now)

    def unfollow(self) -> None:
        self.window = None
        self._cancel("_next_restart")
        self._cancel("_next_reset")

    def cancel_timers(self) -> None:
        """Forget the schedule and every pending comeback or restore (the fake stops)."""
        self.unfollow()
        self._cancel_restore()
        self._cancel("_comeback")

    def start_over(self) -> None:
        """`cancel_timers`, zero the counters, and listen again if a restart is under way
        (the fake's reset)."""
        self.cancel_timers()
        self.restarts = self.resets = 0
        if not self.listener.listening:
            self.listener.reopen()

    def _arm_restart(self, window: RestartWindow, after: datetime) -> None:
        start = window.next_restart(after)
        if start is not None:
            self._next_restart = self._call_at(start, lambda: self._scheduled_restart(start))

    def _arm_reset(self, window: RestartWindow, after: datetime) -> None:
        start = window.next_reset(after)
        if start is not None:
            self._next_reset = self._call_at(start, lambda: self._scheduled_reset(start))

    def _scheduled_restart(self, start: datetime) -> None:
        # Timed from the scheduled start, not from now: a clock jumped far ahead may run this
        # late, and then the comeback is due at once.
        window = self.window
        if window is None:
            return
        self._next_restart = None
        end = start + window.restart_downtime
        self.restart(max(0.0, (end - self.backend.now()).total_seconds()))
        self._arm_restart(window, start)

    def _scheduled_reset(self, start: datetime) -> None:
        window = self.window
        if window is None:
            return
        self._next_reset = None
        self.resets += 1
        log.info("FakeTWS: nightly reset starts")
        self.connectivity_lost()
        data_lost = self.reset_data_lost
        self._cancel_restore()
        self._restore = self._call_at(
            start + timedelta(seconds=self.reset_outage),
            lambda: self.connectivity_restored(data_lost),
        )
        self._arm_reset(window, start)

    # timers on the fake's clock

    def _call_at(self, when: datetime, callback: Callable[[], object]) -> _Cancellable:
        return self._call_later((when - self.backend.now()).total_seconds(), callback)

    def _call_later(self, delay: float, callback: Callable[[], object]) -> _Cancellable:
        loop = asyncio.get_running_loop()
        if delay <= 0:
            return loop.call_soon(callback)
        clock = self.backend.clock
        if isinstance(clock, VirtualClock):
            return clock.call_later(delay, callback, loop=loop)
        return loop.call_later(delay, callback)

    def _cancel(self, slot: str) -> None:
        timer: _Cancellable | None = getattr(self, slot)
        if timer is not None:
            timer.cancel()
        setattr(self, slot, None)

    def _cancel_restore(self) -> None:
        self._cancel("_restore")
