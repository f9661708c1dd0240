"""TWS's limit of 50 client messages per second (error 100), as a pure counter.

The rule, documented in docs/ (TWS's own is not published beyond "50 messages per second"
and "TWS will eventually close the connection"):

* Messages are counted in one-second windows; a window starts with the first message after
  the previous one ended.
* The first message over the limit in a window draws one error 100,
  `Max rate of messages per second has been exceeded:max=50 rec=51 (N)`, where N counts the
  consecutive windows that went over. Every message is still processed: TWS queues, it does
  not drop.
* When `kick_after` consecutive windows (default 3) go over, the client is disconnected.
* A window ends `jitter` (50 ms) early. A client pacing to exactly 45 per second (ib_async
  sends its next batch the instant a second has passed) reaches TWS with scheduling and
  network jitter; a batch landing a hair under a second after the previous one must not be
  counted with it, or a client that real TWS accepts would draw error 100 here.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_MESSAGES_PER_SECOND = 50
DEFAULT_KICK_AFTER_WINDOWS = 3
DEFAULT_JITTER = 0.05


@dataclass(frozen=True)
class RateVerdict:
    exceeded: bool
    """this message is the first over the limit in its window: send error 100"""
    received: int
    """messages in the current window, this one included"""
    violations: int
    """consecutive windows over the limit, this one included"""
    disconnect: bool
    """the excess has persisted: close the client"""


class MessageRateLimit:
    def __init__(
        self,
        limit: int = DEFAULT_MAX_MESSAGES_PER_SECOND,
        window: float = 1.0,
        kick_after: int = DEFAULT_KICK_AFTER_WINDOWS,
        jitter: float = DEFAULT_JITTER,
    ) -> None:
        self.limit = limit
        self.window = window
        self.kick_after = kick_after
        self.jitter = jitter
        self._window_start: float | None = None
        self._count = 0
        self._violations = 0
        self._window_violated = False

    def record(self, now: float) -> RateVerdict:
        if self._window_start is None or now - self._window_start >= self.window - self.jitter:
            contiguous = (
                self._window_start is not None and now - self._window_start < 2 * self.window
            )
            if not (self._window_violated and contiguous):
                self._violations = 0
            self._window_start = now
            self._count = 0
            self._window_violated = False
        self._count += 1
        exceeded = self.limit > 0 and self._count == self.limit + 1
        if exceeded:
            self._window_violated = True
            self._violations += 1
        return RateVerdict(
            exceeded=exceeded,
            received=self._count,
            violations=self._violations,
            disconnect=exceeded and self._violations >= self.kick_after,
        )
