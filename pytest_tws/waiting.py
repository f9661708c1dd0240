"""Waiting in tests: for a condition or an event, never longer than a real-time timeout.

Tests wait on the state they expect rather than sleeping a guessed amount::

    await wait_until(lambda: conn.state is ConnectionState.DEGRADED, "DEGRADED after 1100")
    connected = expect_event(conn.events.state_changed, lambda c: c.new is CONNECTED)
    fake_tws.connectivity_restored()
    change = await connected
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

from eventkit import Event

DEFAULT_TIMEOUT = 5.0
_POLL = 0.005


async def wait_until(
    condition: Callable[[], object], what: str = "condition", timeout: float = DEFAULT_TIMEOUT
) -> None:
    """Return once ``condition()`` is true; `AssertionError` naming ``what`` after ``timeout``
    real seconds. The loop keeps running meanwhile, so ib_async's callbacks do too."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(_POLL)


class expect_event:  # named like a function: it is used as `await expect_event(...)`
    """The next emission of ``event`` whose arguments satisfy ``predicate``, when awaited.

    It listens from the moment it is made, so make it before the action that triggers the
    event and await it after. Awaiting returns the single argument (a tuple for several) or
    raises `AssertionError` after ``timeout`` real seconds.
    """

    def __init__(
        self,
        event: Event,
        predicate: Callable[..., object] = lambda *args: True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.event = event
        self.predicate = predicate
        self.timeout = timeout
        self.matches: list[Any] = []
        event += self._on_emit

    def _on_emit(self, *args: Any) -> None:
        if self.predicate(*args):
            self.matches.append(args[0] if len(args) == 1 else args)

    async def _wait(self) -> Any:
        try:
            await wait_until(lambda: self.matches, f"event {self.event.name()}", self.timeout)
        finally:
            self.event -= self._on_emit
        return self.matches[0]

    def __await__(self) -> Generator[Any, None, Any]:
        return self._wait().__await__()
