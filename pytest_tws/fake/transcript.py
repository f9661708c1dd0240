"""Recent frames in both directions, and the server-side failures a test must hear about."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_tws.wire.messages import In, Out

#: How many frames a failure report can show.
TRANSCRIPT_LENGTH = 400


def message_name(direction: str, fields: Sequence[str]) -> str:
    """`REQ_MKT_DATA`-style name of a frame's message id, or `?id` when unknown."""
    if not fields:
        return "?"
    ids = In if direction == ">>" else Out
    try:
        return ids(int(fields[0])).name
    except ValueError:
        return f"?{fields[0]}"


@dataclass(frozen=True)
class Frame:
    """One message on one client's socket. `>>` is client to fake, `<<` fake to client."""

    direction: str
    client_id: int | None
    fields: tuple[str, ...]
    label: str = ""
    """a name for frames that are not messages (the handshake answer)"""

    @property
    def name(self) -> str:
        return self.label or message_name(self.direction, self.fields)

    def __str__(self) -> str:
        who = "-" if self.client_id is None else str(self.client_id)
        body = "|".join(self.fields if self.label else self.fields[1:])
        if len(body) > 240:
            body = body[:240] + "…"
        return f"{self.direction} client {who} {self.name}: {body}"


@dataclass(frozen=True)
class ServerFailure:
    """Something the fake could not do: a handler crash, an undecodable or unimplemented
    request. The fixture fails the test with these at teardown."""

    kind: str
    message: str
    client_id: int | None = None

    def __str__(self) -> str:
        who = "" if self.client_id is None else f" (client {self.client_id})"
        return f"{self.kind}{who}: {self.message}"


_Raw = tuple[str, "int | None", "Sequence[str] | str", str]


def _frames(raw: list[_Raw]) -> list[Frame]:
    return [
        Frame(d, c, tuple(f[:-1].split("\0") if isinstance(f, str) else f), label)
        for d, c, f, label in raw
    ]


@dataclass(frozen=True)
class Fold:
    """Frames ``start`` (inclusive) to ``end`` (exclusive) of one client, shown as one line."""

    client_id: int | None
    start: int
    end: int
    label: str

    def covers(self, number: int, frame: Frame) -> bool:
        return self.start <= number < self.end and frame.client_id in (None, self.client_id)


class Transcript:
    """Thread-safe ring of recent frames plus the list of failures."""

    def __init__(self, length: int = TRANSCRIPT_LENGTH) -> None:
        # Raw tuples: recording is on the fake's hot path, Frame objects are made on reading.
        self._frames: deque[tuple[str, int | None, Sequence[str] | str, str]] = deque(
            maxlen=length
        )
        self._failures: list[ServerFailure] = []
        self._count = 0
        """frames recorded since the last clear, dropped ones included"""
        self.folds: list[Fold] = []
        """stretches of frames a report shows as one line (the `ib` fixture's startup sync)"""
        self._lock = threading.Lock()

    def record(
        self, direction: str, client_id: int | None, fields: Sequence[str] | str, label: str = ""
    ) -> None:
        """Remember a frame: its fields, or its payload text (`a\\x00b\\x00`), split on
        reading so the hot path stays cheap."""
        with self._lock:
            self._frames.append((direction, client_id, fields, label))
            self._count += 1

    def record_many(
        self, direction: str, client_id: int | None, many: Sequence[Sequence[str]]
    ) -> None:
        """`record` for a batch of frames, under one lock."""
        with self._lock:
            append = self._frames.append
            for fields in many:
                append((direction, client_id, fields, ""))
            self._count += len(many)

    @property
    def count(self) -> int:
        """Frames recorded since the last clear (also those the ring no longer holds)."""
        return self._count

    def fold(self, client_id: int | None, start: int, label: str) -> None:
        """Show the frames of ``client_id`` (and client-less ones, the handshake) recorded
        since `count` was ``start`` as one line saying ``label`` in failure reports."""
        with self._lock:
            self.folds.append(Fold(client_id, start, self._count, label))

    def numbered(self) -> list[tuple[int, Frame]]:
        """The frames still held, each with its number since the last clear (0-based)."""
        with self._lock:
            raw, count = list(self._frames), self._count
        return list(enumerate(_frames(raw), start=count - len(raw)))

    def fail(self, kind: str, message: str, client_id: int | None = None) -> None:
        with self._lock:
            self._failures.append(ServerFailure(kind, message, client_id))

    @property
    def frames(self) -> list[Frame]:
        with self._lock:
            raw = list(self._frames)
        return _frames(raw)

    @property
    def failures(self) -> list[ServerFailure]:
        with self._lock:
            return list(self._failures)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._failures.clear()
            self._count = 0
            self.folds = []

    def take_failures(self) -> list[ServerFailure]:
        """Return the failures so far and forget them."""
        with self._lock:
            failures, self._failures = self._failures, []
            return failures

    def tail(self, count: int = 30) -> str:
        return "\n".join(str(frame) for frame in self.frames[-count:])
