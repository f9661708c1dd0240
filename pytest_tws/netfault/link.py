"""One direction of one proxied connection: reader, a chain of stages, writer.

::

    source -> [reader] -> ch0 -> head(noop) -> ch1 -> toxic 1 -> ... -> chN -> [writer] -> dest

``stages[0]`` is a permanent no-op head so every toxic stage has a predecessor to rewire, and
``stages[i]`` (i >= 1) runs ``chain[i - 1]`` of the proxy's toxics for this direction. All edits
are synchronous on the event loop, so no item is in flight between a cancel and a rewire.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from .stream import Channel, Chunk, Stage, noop_pipe
from .toxics import Toxic

READ_SIZE = 32 * 1024


class Link:
    """Pumps ``source`` into ``dest`` through the toxics of one direction.

    When the writer finishes (end-of-stream reached it, or the destination failed) it closes
    ``dest`` fully; half-close is not passed on, as in Toxiproxy. ``on_done`` is then called.
    """

    def __init__(
        self,
        chain: list[Toxic],
        source: asyncio.StreamReader,
        dest: asyncio.StreamWriter,
        rng: random.Random,
        on_done: Callable[[], None],
    ) -> None:
        self.source = source
        self.dest = dest
        self.rng = rng
        self.on_done = on_done
        self.done = False
        self._tasks: list[asyncio.Task[None]] = []
        self.output = Channel(4)
        head = Stage(None, Channel(4), self.output, rng)
        self.input = head.input
        self.stages: list[Stage] = [head]
        for toxic in chain:
            self._append(toxic)

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read()), loop.create_task(self._write())]
        for stage in self.stages:
            self._run(stage)

    def stop(self) -> None:
        """Cancel every task of this link (the sockets are closed by the connection)."""
        self.done = True
        for task in self._tasks:
            task.cancel()
        for stage in self.stages:
            stage.interrupt()

    def _run(self, stage: Stage) -> None:
        if self.done:
            return
        toxic = stage.toxic
        # Toxicity is drawn each time a toxic (re)starts on a link, like Toxiproxy's stubs.
        if toxic is not None and self.rng.random() < toxic.toxicity:
            stage.start(toxic.kind.pipe)
        else:
            stage.start(noop_pipe)

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await self.source.read(READ_SIZE)
                if not data:
                    break
                await self.input.put(Chunk(data, loop.time()))
        except OSError:
            pass  # a reset or aborted source is just the end of this direction
        await self.input.put(None)

    async def _write(self) -> None:
        try:
            while True:
                item = await self.output.get()
                if item is None or self.dest.is_closing():
                    break
                self.dest.write(item.data)
                await self.dest.drain()
        except OSError:
            pass
        finally:
            self.dest.close()
        self.done = True
        self.on_done()

    # -- live edits ----------------------------------------------------------------------

    def _append(self, toxic: Toxic) -> Stage:
        last = self.stages[-1]
        channel = Channel(toxic.kind.buffer_size)
        stage = Stage(toxic, channel, last.output, self.rng)
        last.output = channel
        # Anything after a closed stage will never see end-of-stream; it is closed too.
        stage.closed = last.closed
        self.stages.append(stage)
        return stage

    def add(self, toxic: Toxic) -> None:
        last = self.stages[-1]
        last.interrupt()
        stage = self._append(toxic)
        self._run(last)
        self._run(stage)

    def update(self, index: int) -> None:
        stage = self.stages[index + 1]
        stage.interrupt()
        self._run(stage)

    def stage_at(self, index: int) -> Stage:
        return self.stages[index + 1]

    def remove(self, index: int, close: bool) -> None:
        """Take ``chain[index]`` out; its held and queued items go downstream at once, in order.

        With ``close`` the link is ended instead (what removing a timeout toxic does).
        """
        position = index + 1
        stage, prev = self.stages[position], self.stages[position - 1]
        stage.interrupt()
        prev.interrupt()
        if not stage.closed:
            if close:
                stage.input.drain()
                stage.output.push(None)
                prev.closed = True
            else:
                for item in stage.held:
                    stage.output.push(item)
                for item in stage.input.drain():
                    stage.output.push(item)
        stage.held.clear()
        prev.output = stage.output
        del self.stages[position]
        self._run(prev)
