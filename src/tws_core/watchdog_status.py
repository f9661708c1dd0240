"""The watchdog's vocabulary: its states, transitions, status snapshot and backoff policy."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class WatchdogState(str, Enum):
    STOPPED = "stopped"
    """not started, or stopped"""
    CONNECTING = "connecting"
    """a connect attempt is under way"""
    RECOVERING = "recovering"
    """connected again; the recovery hooks are running"""
    CONNECTED = "connected"
    """connected and watched"""
    DEGRADED = "degraded"
    """socket up, TWS without IBKR (1100): no orders until 1101/1102"""
    BACKING_OFF = "backing_off"
    """waiting before the next attempt"""
    WAITING_FOR_WINDOW = "waiting_for_window"
    """inside TWS's restart downtime: waiting until it should be back"""
    GAVE_UP = "gave_up"
    """the retry limit was reached; final until `start()` is called again"""


class RecoveryReason(str, Enum):
    RECONNECTED = "reconnected"
    """a new API session: TWS forgot market-data lines; orders need reconciling"""
    DATA_LOST = "data_lost"
    """1101: same session, but every market-data line is gone"""


RecoveryHook = Callable[[RecoveryReason], "Awaitable[object] | object"]


@dataclass(frozen=True)
class WatchdogTransition:
    """One change of `WatchdogState`, with why."""

    old: WatchdogState
    new: WatchdogState
    cause: str
    at: datetime

    def __str__(self) -> str:
        return f"{self.old.name} -> {self.new.name} ({self.cause})"


@dataclass(frozen=True)
class WatchdogStatus:
    """A snapshot of the watchdog; `to_dict` is what the state file holds."""

    state: WatchdogState
    attempts: int
    """connect attempts made by the watchdog so far"""
    consecutive_failures: int
    """failed attempts since the last success, outside restart/reset windows"""
    reconnects: int
    """successful reconnects after a loss"""
    last_error: str | None
    last_connected: datetime | None
    last_disconnected: datetime | None
    in_restart_window: bool
    uptime: float
    """seconds connected since `last_connected` (0 when not connected)"""
    next_attempt_at: datetime | None
    probes_ok: int
    probes_failed: int
    cause: str
    """why the last transition happened"""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        for key in ("last_connected", "last_disconnected", "next_attempt_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data


@dataclass
class Backoff:
    """Delays between reconnect attempts: ``initial * factor**(n-1)`` capped at ``maximum``,
    each spread by ±``jitter`` (a fraction) from a seeded RNG."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    jitter: float = 0.1
    seed: int | None = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.factor < 1 or self.maximum < self.initial:
            raise ValueError(f"need initial > 0, factor >= 1, maximum >= initial: {self!r}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter!r}")
        self._rng = random.Random(self.seed)

    def base(self, attempt: int) -> float:
        """The delay before attempt number ``attempt`` (1-based) without jitter."""
        return min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))

    def bound(self, attempt: int) -> float:
        """The longest delay jitter can make before attempt ``attempt``."""
        return self.base(attempt) * (1 + self.jitter)

    def delay(self, attempt: int) -> float:
        spread = self.jitter * (2 * self._rng.random() - 1)
        return self.base(attempt) * (1 + spread)
