"""Toxic types, their registry by name, attribute schemas and the per-link behaviour.

A toxic type (``ToxicKind``) implements ``pipe(stage)``: move items from ``stage`` input to
output, doing its damage on the way. It must honour the stage contract (see ``stream``):
everything taken but not emitted stays in ``stage.held``, and it returns only after sending
end-of-stream (``None``). The ``Toxic`` dataclass is the REST shape
``{attributes, name, type, stream, toxicity}``.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import invalid_stream, invalid_toxic_type, toxic_exists
from .jsonutil import FLOAT32, INT, INT64, STRING, GoStruct, decode_struct, float32_json
from .stream import Chunk, Stage, noop_pipe

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"
DIRECTIONS = (UPSTREAM, DOWNSTREAM)


@dataclass
class Toxic:
    """A toxic as the API sees it; ``stream`` keeps the caller's spelling, as Go does."""

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, int]

    @property
    def direction(self) -> str:
        return self.stream.lower()

    @property
    def kind(self) -> ToxicKind:
        return TOXIC_KINDS[self.type]

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": float32_json(self.toxicity),
        }


class ToxicKind:
    """Base toxic type: passes data through unchanged (this is also ``noop``)."""

    name: ClassVar[str] = "noop"
    go_name: ClassVar[str] = "NoopToxic"
    fields: ClassVar[tuple[str, ...]] = ()
    #: The Go type of every attribute (``int64``; the slicer's are ``int``).
    field_kind: ClassVar[str] = INT64
    #: Capacity of the channel in front of the stage; latency pipelines through it.
    buffer_size: ClassVar[int] = 1

    def new_state(self) -> Any:
        return None

    async def pipe(self, stage: Stage) -> None:
        await noop_pipe(stage)

    async def before_remove(self, stage: Stage) -> bool:
        """Called when the toxic is removed from a live link; True closes the link."""
        return False


TOXIC_KINDS: dict[str, ToxicKind] = {}


def register(cls: type[ToxicKind]) -> type[ToxicKind]:
    """Class decorator adding a toxic type to the registry under ``cls.name``."""
    TOXIC_KINDS[cls.name] = cls()
    return cls


def _attrs(stage: Stage) -> dict[str, int]:
    assert stage.toxic is not None
    return stage.toxic.attributes


def _now() -> float:
    return asyncio.get_running_loop().time()


async def _sleep_until(deadline: float) -> None:
    delay = deadline - _now()
    if delay > 0:
        await asyncio.sleep(delay)


register(ToxicKind)


@register
class LatencyToxic(ToxicKind):
    """Each chunk leaves at its timestamp + latency ± jitter; order kept, throughput not cut.

    Chunks wait in the (large) input channel with their arrival stamps, so a burst is delayed
    once, not once per chunk.
    """

    name = "latency"
    go_name = "LatencyToxic"
    fields = ("latency", "jitter")
    buffer_size = 1024

    async def pipe(self, stage: Stage) -> None:
        while True:
            item = await stage.next()
            if item is None:
                await stage.emit()
                return
            attrs = _attrs(stage)
            delay_ms = attrs["latency"]
            if attrs["jitter"] > 0:
                delay_ms += stage.rng.randrange(-attrs["jitter"], attrs["jitter"])
            release = item.timestamp + delay_ms / 1000
            await _sleep_until(release)
            await stage.emit()
            # Stacked latency toxics add up because the next one starts from this release time.
            item.timestamp = max(item.timestamp, release)


@dataclass
class _BandwidthState:
    busy_until: float = 0.0


@register
class BandwidthToxic(ToxicKind):
    """``rate`` KB/s (1 KB = 1000 B); big chunks go out as 100 ms slices; 0 = unlimited."""

    name = "bandwidth"
    go_name = "BandwidthToxic"
    fields = ("rate",)

    def new_state(self) -> Any:
        return _BandwidthState()

    async def pipe(self, stage: Stage) -> None:
        state: _BandwidthState = stage.state
        while True:
            item = await stage.next()
            rate = _attrs(stage)["rate"]
            if item is None or rate <= 0:
                await stage.emit()
                if item is None:
                    return
                continue
            step = rate * 100
            if len(item.data) > step:
                data = item.data
                stage.replace_head(
                    Chunk(data[i : i + step], item.timestamp) for i in range(0, len(data), step)
                )
                item = stage.held[0]
                assert item is not None
            # Carry the schedule over between chunks so timer slop does not accumulate.
            due = max(state.busy_until, _now()) + len(item.data) / (rate * 1000)
            await _sleep_until(due)
            await stage.emit()
            state.busy_until = due


@dataclass
class _EofState:
    eof_at: float | None = None


@register
class SlowCloseToxic(ToxicKind):
    """Data passes; end-of-stream is held back ``delay`` ms."""

    name = "slow_close"
    go_name = "SlowCloseToxic"
    fields = ("delay",)

    def new_state(self) -> Any:
        return _EofState()

    async def pipe(self, stage: Stage) -> None:
        state: _EofState = stage.state
        while True:
            item = await stage.next()
            if item is None:
                if state.eof_at is None:
                    state.eof_at = _now()
                await _sleep_until(state.eof_at + _attrs(stage)["delay"] / 1000)
                await stage.emit()
                return
            await stage.emit()


@register
class TimeoutToxic(ToxicKind):
    """Drops data; closes after ``timeout`` ms without a chunk (never if 0) or on EOF.

    Removing it closes the link, as in Toxiproxy.
    """

    name = "timeout"
    go_name = "TimeoutToxic"
    fields = ("timeout",)

    async def pipe(self, stage: Stage) -> None:
        while True:
            timeout = _attrs(stage)["timeout"]
            if timeout > 0 and not await stage.wait_next(timeout / 1000):
                await stage.close_link()
                return
            item = await stage.next()
            if item is None:
                await stage.emit()
                return
            stage.drop()

    async def before_remove(self, stage: Stage) -> bool:
        return True


@dataclass
class _ResetState:
    triggered_at: float | None = None


@register
class ResetPeerToxic(ToxicKind):
    """Drops the first chunk (or EOF), waits ``timeout`` ms, then closes the link.

    The proxy sets SO_LINGER 0 on client sockets accepted while a reset_peer toxic exists, so
    that close becomes a TCP RST (ECONNRESET).
    """

    name = "reset_peer"
    go_name = "ResetToxic"
    fields = ("timeout",)

    def new_state(self) -> Any:
        return _ResetState()

    async def pipe(self, stage: Stage) -> None:
        state: _ResetState = stage.state
        if state.triggered_at is None:
            await stage.next()
            stage.drop()
            state.triggered_at = _now()
        await _sleep_until(state.triggered_at + _attrs(stage)["timeout"] / 1000)
        await stage.close_link()

    async def before_remove(self, stage: Stage) -> bool:
        state: _ResetState = stage.state
        if state.triggered_at is None or stage.closed:
            return False
        # Toxiproxy's wait is uninterruptible: removal blocks until the timer fires.
        await _sleep_until(state.triggered_at + _attrs(stage)["timeout"] / 1000)
        return True


@dataclass
class _SlicerState:
    pieces: deque[Chunk] = field(default_factory=deque)
    """pieces cut from the current chunk and not yet emitted (they head ``stage.held``)"""


@register
class SlicerToxic(ToxicKind):
    """Splits chunks into ~``average_size`` ± ``size_variation`` pieces, ``delay`` µs apart.

    ``average_size`` <= 0 passes data through (Toxiproxy recurses forever on 0).
    """

    name = "slicer"
    go_name = "SlicerToxic"
    fields = ("average_size", "size_variation", "delay")
    field_kind = INT

    def new_state(self) -> Any:
        return _SlicerState()

    async def pipe(self, stage: Stage) -> None:
        state: _SlicerState = stage.state
        while True:
            item = await stage.next()
            attrs = _attrs(stage)
            if item is None or attrs["average_size"] <= 0:
                await stage.emit()
                if item is None:
                    return
                continue
            # After a restart the head may already be a piece: do not cut it again.
            if not (state.pieces and item is state.pieces[0]):
                sizes = _piece_sizes(
                    len(item.data), attrs["average_size"], attrs["size_variation"], stage.rng
                )
                state.pieces.clear()
                offset = 0
                for size in sizes:
                    state.pieces.append(Chunk(item.data[offset : offset + size], item.timestamp))
                    offset += size
                stage.replace_head(state.pieces)
            while state.pieces and stage.held and stage.held[0] is state.pieces[0]:
                await stage.emit()
                state.pieces.popleft()
                if attrs["delay"] > 0:
                    await asyncio.sleep(attrs["delay"] / 1_000_000)


def _piece_sizes(total: int, average: int, variation: int, rng: random.Random) -> list[int]:
    """Toxiproxy's cut: halve (± a draw in [-variation, variation)) until a piece is at most
    ``average + variation`` bytes. Toxiproxy can cut out of range when ``variation`` exceeds
    half a piece (and then panics); here the cut is kept inside the piece."""
    sizes: list[int] = []
    pending = [(0, total)]
    while pending:
        start, end = pending.pop()
        if (end - start) - average <= variation:
            sizes.append(end - start)
            continue
        mid = start + (end - start) // 2
        if variation > 0:
            mid += rng.randrange(variation * 2) - variation
            mid = min(max(mid, start + 1), end - 1)
        pending.append((mid, end))
        pending.append((start, mid))
    return sizes


@dataclass
class _LimitState:
    transmitted: int = 0


@register
class LimitDataToxic(ToxicKind):
    """Forwards up to ``bytes`` per link (cutting the crossing chunk), then closes it."""

    name = "limit_data"
    go_name = "LimitDataToxic"
    fields = ("bytes",)

    def new_state(self) -> Any:
        return _LimitState()

    async def pipe(self, stage: Stage) -> None:
        state: _LimitState = stage.state
        while True:
            item = await stage.next()
            if item is None:
                await stage.emit()
                return
            limit = _attrs(stage)["bytes"]
            remaining = max(0, limit - state.transmitted)
            if len(item.data) > remaining:
                item.data = item.data[:remaining]
            if item.data:
                await stage.emit()
                state.transmitted += len(item.data)
            else:
                stage.drop()
            if limit - state.transmitted <= 0:
                await stage.close_link()
                return


# -- decoding toxics from API bodies ---------------------------------------------------------

#: The first decode of a new toxic: ``attributes`` is still a ``NoopToxic`` then.
_WRAPPER = GoStruct("ToxicWrapper", "toxics.ToxicWrapper", {
    "attributes": GoStruct("NoopToxic", "toxics.NoopToxic"),
    "name": STRING,
    "type": STRING,
    "stream": STRING,
    "toxicity": FLOAT32,
})
_ATTRIBUTES_TYPE = 'Attributes interface {} "json:\\"attributes\\""'
_TOXICITY_TYPE = 'Toxicity float32 "json:\\"toxicity\\""'


def _kind_struct(kind: ToxicKind) -> GoStruct:
    return GoStruct(kind.go_name, f"toxics.{kind.go_name}",
                    {name: kind.field_kind for name in kind.fields})


def _attributes(
    kind: ToxicKind, decoded: dict[str, Any], base: Mapping[str, int]
) -> dict[str, int]:
    """Decoded ``attributes`` merged into ``base``: missing ones kept (or 0)."""
    attrs = {name: base.get(name, 0) for name in kind.fields}
    attrs.update(decoded.get("attributes", {}))
    return attrs


def parse_new_toxic(body: object, exists: Callable[[str], bool]) -> Toxic:
    """Validate a create-toxic body in Toxiproxy's order.

    JSON shape, then stream, then the default name, then type, then the name conflict, then
    the attributes (decoded a second time, now into the toxic's own type).
    """
    fields = decode_struct(body, _WRAPPER)
    name: str = fields.get("name", "")
    type_: str = fields.get("type", "")
    stream: str = fields.get("stream", DOWNSTREAM)
    toxicity: float = fields.get("toxicity", 1.0)
    if stream.lower() not in DIRECTIONS:
        raise invalid_stream()
    if not name:
        name = f"{type_}_{stream}"
    kind = TOXIC_KINDS.get(type_)
    if kind is None:
        raise invalid_toxic_type()
    if exists(name):
        raise toxic_exists()
    schema = GoStruct("", f"struct {{ {_ATTRIBUTES_TYPE} }}", {"attributes": _kind_struct(kind)})
    attributes = _attributes(kind, decode_struct(body, schema), {})
    return Toxic(name, type_, stream, toxicity, attributes)


@dataclass
class ToxicUpdate:
    toxicity: float
    attributes: dict[str, int] = field(default_factory=dict)


def parse_toxic_update(body: object, toxic: Toxic) -> ToxicUpdate:
    """``{attributes?, toxicity?}`` merged into the current values; other keys are ignored."""
    schema = GoStruct("", f"struct {{ {_ATTRIBUTES_TYPE}; {_TOXICITY_TYPE} }}",
                      {"attributes": _kind_struct(toxic.kind), "toxicity": FLOAT32})
    fields = decode_struct(body, schema)
    toxicity = fields.get("toxicity", toxic.toxicity)
    return ToxicUpdate(toxicity, _attributes(toxic.kind, fields, toxic.attributes))
