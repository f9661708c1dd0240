"""Typed events of the connection layer, on aeventkit (the event library ib_async uses).

Each event carries one frozen dataclass, so a handler receives a single typed argument::

    conn.events.state_changed += lambda change: log.info("%s", change)
    change = await conn.events.state_changed      # wait for the next one

Handlers run synchronously on the loop that emits (ib_async's loop): keep them short and
schedule work with ``asyncio.create_task`` when it has to wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from eventkit import Event

from tws_core.errors import ErrorCategory, Severity, info

__all__ = [
    "ConnectionEvents",
    "ConnectionLost",
    "ConnectionState",
    "ConnectivityRestored",
    "StateChange",
    "TwsErrorEvent",
]


class ConnectionState(str, Enum):
    """Where a `ConnectionManager` is.

    ``DISCONNECTED -> CONNECTING -> CONNECTED <-> DEGRADED``; a lost connection goes back to
    ``DISCONNECTED`` and a later ``connect()``/``reconnect()`` passes through ``RECONNECTING``.
    ``STOPPED`` means the owner called ``disconnect()``: nobody should reconnect on their own.
    """

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"
    """the API socket is up but TWS lost its link to IBKR (1100), until 1101/1102"""
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"

    @property
    def is_up(self) -> bool:
        """The API socket is usable (requests may still fail while DEGRADED)."""
        return self in (ConnectionState.CONNECTED, ConnectionState.DEGRADED)


@dataclass(frozen=True)
class StateChange:
    """One transition, with why it happened."""

    old: ConnectionState
    new: ConnectionState
    cause: str
    at: datetime
    code: int | None = None
    """the TWS error code behind the change (1100, 1102, 326 …), if there was one"""

    def __str__(self) -> str:
        return f"{self.old.name} -> {self.new.name} ({self.cause})"


@dataclass(frozen=True)
class TwsErrorEvent:
    """A message TWS sent through its error callback, classified by `tws_core.errors`."""

    req_id: int
    code: int
    message: str
    at: datetime
    contract: Any = None
    """the ib_async ``Contract`` of the request it refers to, if ib_async knows it"""

    @property
    def category(self) -> ErrorCategory:
        return info(self.code).category

    @property
    def severity(self) -> Severity:
        return info(self.code).severity

    @property
    def is_informational(self) -> bool:
        """A notice of good health (farm OK, 1102), not a failure."""
        return self.severity is Severity.INFO

    def __str__(self) -> str:
        return (f"TWS {self.severity.value} {self.code} ({self.category.value}), "
                f"reqId {self.req_id}: {self.message}")


@dataclass(frozen=True)
class ConnectionLost:
    """The API socket closed without the owner asking for it."""

    cause: str
    at: datetime


@dataclass(frozen=True)
class ConnectivityRestored:
    """TWS got its link to IBKR back: 1102 (data maintained) or 1101 (data lost, so every
    market-data subscription must be made again)."""

    data_lost: bool
    at: datetime


class ConnectionEvents:
    """The events one `ConnectionManager` publishes. Each emits one dataclass instance."""

    def __init__(self) -> None:
        self.state_changed: Event = Event("state_changed")
        """`StateChange` on every transition"""
        self.error: Event = Event("error")
        """`TwsErrorEvent` for every error, warning and notice TWS sends"""
        self.connection_lost: Event = Event("connection_lost")
        """`ConnectionLost` when the socket drops on its own"""
        self.connectivity_restored: Event = Event("connectivity_restored")
        """`ConnectivityRestored` on 1101/1102"""

    def clear(self) -> None:
        """Disconnect every handler (for owners shutting down for good)."""
        for event in (self.state_changed, self.error, self.connection_lost,
                      self.connectivity_restored):
            event.clear()
