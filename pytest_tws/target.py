"""What a test connects to (`TwsTarget`), and the clientIds handed out to tests."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field

#: clientIds of one xdist worker are ``base + (index + 1) * WORKER_STRIDE + n``.
WORKER_STRIDE = 100_000


def worker_index(workerid: str | None = None) -> int | None:
    """The xdist worker number (``gw3`` -> 3), or None outside a worker."""
    name = workerid if workerid is not None else os.environ.get("PYTEST_XDIST_WORKER", "")
    digits = name[2:] if name.startswith("gw") else ""
    return int(digits) if digits.isdigit() else None


class ClientIds:
    """Hands out clientIds that no other test of this run, in any worker, is given.

    The first id of a process (``probe_id``) is kept for the plugin's own paper check.
    """

    def __init__(self, base: int, worker: int | None = None) -> None:
        offset = 0 if worker is None else (worker + 1) * WORKER_STRIDE
        self.probe_id = base + offset
        self._next = itertools.count(self.probe_id + 1)

    def next(self) -> int:
        return next(self._next)


@dataclass(frozen=True)
class TwsTarget:
    """Where the current test's clients connect, and as whom.

    Attributes:
        mode: "fake" or "paper".
        host, port: The TWS API endpoint.
        client_id: This test's own clientId (distinct per test and per xdist worker).
        account: The (paper) account to trade in.
    """

    mode: str
    host: str
    port: int
    client_id: int
    account: str
    _allocate: Callable[[], int] = field(repr=False, compare=False, default=lambda: 0)

    @property
    def is_fake(self) -> bool:
        return self.mode == "fake"

    @property
    def is_paper(self) -> bool:
        return self.mode in ("paper", "record")

    def new_client_id(self) -> int:
        """Another clientId for a second client in the same test (never reused in the run)."""
        return self._allocate()
