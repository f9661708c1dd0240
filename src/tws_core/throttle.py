"""Pacing that ib_async does not do for us.

ib_async already holds its outgoing messages to ``Client.MaxRequests`` per
``Client.RequestsInterval`` (45 per second by default, under TWS's 50/s limit, error 100);
`configure_client_pacing` only sets those. What it lacks, and this module adds:

- `Throttle`: an awaitable token bucket for our own calls (orders, snapshots, probes).
- `HistoricalPacer`: TWS's historical-data pacing rules, which end in error 162 otherwise.
- `LineBudget`: the market-data line limit (100 by default), which ends in error 101.

All time comes from a `Clock`, so a `VirtualClock` makes every wait instant and exact.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Hashable
from typing import TYPE_CHECKING

from tws_core.clock import Clock, SystemClock
from tws_core.errors import TwsCoreError

if TYPE_CHECKING:
    from ib_async import IB

__all__ = [
    "HistoricalPacer",
    "LineBudget",
    "MarketDataLimitError",
    "Throttle",
    "configure_client_pacing",
]

# Float sums of refills land a hair short of a whole token; this much shortfall counts as full.
_EPSILON = 1e-9


def configure_client_pacing(ib: IB, max_requests: int = 45, interval: float = 1.0) -> None:
    """Set ib_async's own outgoing-message pacing on ``ib.client``.

    Args:
        ib: A connected or unconnected ib_async ``IB``.
        max_requests: Messages allowed per ``interval``; 0 disables ib_async's pacing.
        interval: The window in seconds.

    Raises:
        ValueError: A negative ``max_requests`` or a non-positive ``interval``.
    """
    if max_requests < 0:
        raise ValueError(f"max_requests must be >= 0, got {max_requests!r}")
    if not interval > 0:
        raise ValueError(f"interval must be > 0, got {interval!r}")
    ib.client.MaxRequests = max_requests
    # ib_async annotates this as int (its default is 1) but uses it as float seconds.
    ib.client.RequestsInterval = interval  # type: ignore[assignment]


class Throttle:
    """An awaitable token bucket: ``rate`` tokens per second, at most ``burst`` saved up.

    Waiters are served first come, first served. With the default ``burst=1`` calls are
    spaced evenly; a burst ``b`` lets up to ``b + rate`` through in any one second, which must
    stay under TWS's 50 messages/s together with everything else the client sends.

    Kept as a theoretical arrival time (GCRA), the equivalent of a bucket that is full once
    ``monotonic() >= tat``. A waiter is charged from its scheduled slot, not from when its
    sleep happened to return, so timer lateness does not erode the sustained rate; the credit
    is capped at one interval so a stalled event loop cannot cause a catch-up burst.

    Args:
        rate: Tokens added per second (> 0).
        burst: Bucket capacity (>= 1); the bucket starts full.
        clock: Where time comes from; `SystemClock` by default.

    Not thread-safe: use one `Throttle` from one event loop.
    """

    def __init__(self, rate: float, burst: float = 1.0, clock: Clock | None = None) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0, got {rate!r}")
        if not burst >= 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock: Clock = clock or SystemClock()
        self._tat = self._clock.monotonic()
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"Throttle(rate={self.rate}, burst={self.burst}, tokens={self.tokens:.3f})"

    @property
    def tokens(self) -> float:
        """Tokens available now."""
        debt = max(0.0, self._tat - self._clock.monotonic()) * self.rate
        return self.burst - debt

    def _wait_for(self, n: float, now: float) -> float:
        # Seconds until n tokens are there: the bucket may then hold burst - n of debt.
        return self._tat - (self.burst - n) / self.rate - now

    def _check(self, n: float) -> None:
        if not 0 < n <= self.burst:
            raise ValueError(f"n must be in (0, burst={self.burst}], got {n!r}")

    def try_acquire(self, n: float = 1) -> bool:
        """Take ``n`` tokens if they are there and nobody is queued; never waits."""
        self._check(n)
        if self._lock.locked():
            return False  # keep the queue fair: waiters first
        now = self._clock.monotonic()
        if self._wait_for(n, now) > _EPSILON:
            return False
        self._tat = max(self._tat, now) + n / self.rate
        return True

    async def acquire(self, n: float = 1) -> None:
        """Wait until ``n`` tokens are available and take them.

        Raises:
            ValueError: ``n`` is not positive or exceeds ``burst`` (it could never be served).
        """
        self._check(n)
        async with self._lock:
            waited = False
            while (wait := self._wait_for(n, self._clock.monotonic())) > _EPSILON:
                await self._clock.sleep(wait)
                waited = True
            now = self._clock.monotonic()
            base = max(self._tat, now - 1.0 / self.rate) if waited else max(self._tat, now)
            self._tat = base + n / self.rate


class HistoricalPacer:
    """TWS's historical-data pacing rules, waited out before a request instead of error 162.

    Per IBKR ("Historical Data Limitations"), a pacing violation is any of:

    - more than ``max_requests`` (60) requests within ``window`` (600 s);
    - an identical request within ``identical_interval`` (15 s);
    - ``same_contract_max + 1`` (six) or more requests for the same contract, exchange and tick
      type within ``same_contract_window`` (2 s), i.e. at most five are fine.

    A request is described by a hashable ``key``: identical requests have equal keys. Its
    ``group`` (contract, exchange, tick type) defaults to ``key[:3]``, so keys are best laid out
    as ``(contract, exchange, what_to_show, end, duration, bar_size, ...)``.

    Args:
        clock: Where time comes from; `SystemClock` by default.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        max_requests: int = 60,
        window: float = 600.0,
        identical_interval: float = 15.0,
        same_contract_max: int = 5,
        same_contract_window: float = 2.0,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self.max_requests = max_requests
        self.window = window
        self.identical_interval = identical_interval
        self.same_contract_max = same_contract_max
        self.same_contract_window = same_contract_window
        self._history: deque[tuple[float, tuple[Hashable, ...], Hashable]] = deque()
        """(monotonic time, key, group) of each recorded request, oldest first"""

    @staticmethod
    def _group(key: tuple[Hashable, ...], group: Hashable | None) -> Hashable:
        return key[:3] if group is None else group

    def _prune(self, now: float) -> None:
        keep = max(self.window, self.identical_interval, self.same_contract_window)
        while self._history and self._history[0][0] <= now - keep:
            self._history.popleft()

    def delay(self, key: tuple[Hashable, ...], group: Hashable | None = None) -> float:
        """Seconds to wait before a request ``key`` would break no rule (0.0: go now)."""
        now = self._clock.monotonic()
        self._prune(now)
        group = self._group(key, group)
        waits = [0.0]
        recent = [t for t, _, _ in self._history if t > now - self.window]
        if len(recent) >= self.max_requests:
            waits.append(recent[len(recent) - self.max_requests] + self.window - now)
        same = [t for t, k, _ in self._history if k == key and t > now - self.identical_interval]
        if same:
            waits.append(same[-1] + self.identical_interval - now)
        grouped = [
            t for t, _, g in self._history if g == group and t > now - self.same_contract_window
        ]
        if len(grouped) >= self.same_contract_max:
            oldest = grouped[len(grouped) - self.same_contract_max]
            waits.append(oldest + self.same_contract_window - now)
        return max(waits)

    def would_violate(self, key: tuple[Hashable, ...], group: Hashable | None = None) -> bool:
        """True if sending request ``key`` now would break a pacing rule."""
        return self.delay(key, group) > 0

    def record(self, key: tuple[Hashable, ...], group: Hashable | None = None) -> None:
        """Note a request sent now without waiting (e.g. one made outside this pacer)."""
        self._history.append((self._clock.monotonic(), key, self._group(key, group)))

    async def acquire(self, key: tuple[Hashable, ...], group: Hashable | None = None) -> None:
        """Wait until request ``key`` breaks no rule, then record it as sent."""
        while (wait := self.delay(key, group)) > 0:
            await self._clock.sleep(wait)
        self.record(key, group)


class MarketDataLimitError(TwsCoreError):
    """No market-data line is left (TWS would answer error 101).

    Attributes:
        key: The subscription that did not fit.
        limit: The budget's size.
    """

    def __init__(self, key: Hashable, limit: int) -> None:
        self.key = key
        self.limit = limit
        super().__init__(
            f"market data line limit reached ({limit} lines in use); cannot subscribe {key!r}"
        )


class LineBudget:
    """Counts market-data lines so a subscription past the limit fails here, not at TWS.

    Reserving or releasing the same key twice is a no-op. Thread-safe.

    Args:
        limit: Lines available (100 for a default IBKR account).
    """

    def __init__(self, limit: int = 100) -> None:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit!r}")
        self.limit = limit
        self._keys: set[Hashable] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LineBudget(limit={self.limit}, used={self.used})"

    @property
    def used(self) -> int:
        """Lines reserved."""
        return len(self._keys)

    @property
    def available(self) -> int:
        """Lines still free (never negative, even if ``limit`` was lowered)."""
        return max(0, self.limit - len(self._keys))

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def reserve(self, key: Hashable) -> bool:
        """Take a line for ``key``.

        Returns:
            True if a line was taken, False if ``key`` already held one.

        Raises:
            MarketDataLimitError: Every line is in use.
        """
        with self._lock:
            if key in self._keys:
                return False
            if len(self._keys) >= self.limit:
                raise MarketDataLimitError(key, self.limit)
            self._keys.add(key)
            return True

    def release(self, key: Hashable) -> bool:
        """Give back the line of ``key``; returns False if it held none."""
        with self._lock:
            if key not in self._keys:
                return False
            self._keys.discard(key)
            return True

    def clear(self) -> None:
        """Release every line (after a 1101, say, when all subscriptions are gone)."""
        with self._lock:
            self._keys.clear()
