"""Chunks, bounded channels and stages: the plumbing every toxic runs on.

One direction of one connection (a *link*) is a chain of stages joined by channels::

    source -> [reader] -> ch0 -> Stage(head) -> ch1 -> Stage(toxic) -> ... -> [writer] -> dest

A stage takes items from its input channel into ``held`` and emits them from there. Everything a
stage has taken but not yet emitted is always in ``held``, at every await point. That invariant
is what makes live edits lossless: the link may cancel a stage's task at any await, rewire its
channels, and either restart it (resuming with ``held``) or forward ``held`` downstream when the
toxic is removed. ``None`` is the end-of-stream marker and travels through the chain like data.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from .toxics import Toxic

log = logging.getLogger(__name__)


@dataclass
class Chunk:
    """Bytes read from a socket in one go, stamped with the loop time they became due."""

    data: bytes
    timestamp: float


#: An item in a channel; ``None`` marks end of stream.
Item: TypeAlias = "Chunk | None"


class Channel:
    """A FIFO of items with a soft bound; ``put`` waits for room, ``push`` never does.

    Unlike ``asyncio.Queue`` it can be drained and over-filled, which the link needs when it
    forwards a removed stage's buffered items in one synchronous step.
    """

    __slots__ = ("_items", "_limit", "_waiters")

    def __init__(self, limit: int) -> None:
        self._items: deque[Item] = deque()
        self._limit = max(1, limit)
        self._waiters: list[asyncio.Future[None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait(self, timeout: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._waiters.append(fut)
        handle = None
        if timeout is not None:
            handle = loop.call_later(timeout, _resolve, fut)
        try:
            await fut
        finally:
            if handle is not None:
                handle.cancel()
            if fut in self._waiters:
                self._waiters.remove(fut)

    async def get(self) -> Item:
        while not self._items:
            await self._wait()
        item = self._items.popleft()
        self._wake()
        return item

    async def wait_readable(self, timeout: float) -> bool:
        """Wait until an item is available; False if ``timeout`` seconds pass first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._items:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self._wait(remaining)
        return True

    async def put(self, item: Item) -> None:
        while len(self._items) >= self._limit:
            await self._wait()
        self.push(item)

    def push(self, item: Item) -> None:
        self._items.append(item)
        self._wake()

    def drain(self) -> list[Item]:
        items = list(self._items)
        self._items.clear()
        self._wake()
        return items


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


PipeFn = Callable[["Stage"], Awaitable[None]]


class Stage:
    """One toxic (or the head no-op) running on one link.

    ``state`` is per-link toxic state (e.g. limit_data's byte count); it survives restarts
    caused by chain edits and updates, and is new when the toxic is re-added.
    """

    def __init__(
        self, toxic: Toxic | None, input: Channel, output: Channel, rng: random.Random
    ) -> None:
        self.toxic = toxic
        self.rng = rng
        self.input = input
        self.output = output
        self.held: deque[Item] = deque()
        self.state: Any = toxic.kind.new_state() if toxic is not None else None
        self.closed = False
        self.task: asyncio.Task[None] | None = None

    # -- the API toxics use -------------------------------------------------------------

    async def next(self) -> Item:
        """The oldest item not yet emitted, waiting for one if needed."""
        if not self.held:
            self.held.append(await self.input.get())
        return self.held[0]

    async def wait_next(self, timeout: float) -> bool:
        """Whether an item becomes available within ``timeout`` seconds."""
        if self.held:
            return True
        return await self.input.wait_readable(timeout)

    async def emit(self) -> None:
        """Forward the head item. Atomic: either it moved downstream or it is still held."""
        await self.output.put(self.held[0])
        self.held.popleft()

    def drop(self) -> None:
        self.held.popleft()

    def replace_head(self, items: Iterable[Item]) -> None:
        """Replace the head item with ``items`` (in order), e.g. slices of it."""
        self.held.popleft()
        self.held.extendleft(reversed(list(items)))

    async def close_link(self) -> None:
        """End this direction now: discard what is held and send end-of-stream."""
        self.held.clear()
        self.held.append(None)
        await self.emit()

    # -- lifecycle, driven by the link ---------------------------------------------------

    def start(self, pipe: PipeFn) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(pipe))
        self.task.add_done_callback(_log_failure)

    def interrupt(self) -> None:
        """Stop the task at its current await; ``held`` keeps whatever it had taken."""
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self, pipe: PipeFn) -> None:
        if not self.closed:
            await pipe(self)
            self.closed = True
        # A closed stage keeps consuming so the stages before it never block on a full channel.
        self.held.clear()
        while True:
            await self.input.get()


async def noop_pipe(stage: Stage) -> None:
    while True:
        item = await stage.next()
        await stage.emit()
        if item is None:
            return


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("netfault stage crashed", exc_info=task.exception())
