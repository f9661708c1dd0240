"""Benchmark: ib_async's own pacing, as `ConnectionManager` configures it (45 messages/s),
seen from the fake TWS's side of the socket.

Queues more reqCurrentTime messages than fit in ``--seconds`` (default 20) at once, and
timestamps each one where the fake receives it (the clock its 50/s limit uses). Reports
the sustained rate over the window, its deviation from 45/s, the most messages in any
one-second window, and how many error 100 the fake sent.

    python benchmarks/client_pacing.py [--seconds 20] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pytest_tws.fake import FakeTWS
from pytest_tws.fake.pacing import DEFAULT_JITTER
from tws_core import ConnectionManager

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section

RATE = 45


@dataclass(frozen=True)
class Result:
    seconds: float
    received: int
    sustained: float
    max_per_second: int
    max_per_jitter_window: int
    errors_100: int

    @property
    def deviation_pct(self) -> float:
        return (self.sustained - RATE) / RATE * 100.0


async def run(seconds: float) -> Result:
    with FakeTWS() as tws:
        stamps: list[float] = []
        wall = tws.backend.wall_monotonic

        def stamped() -> float:
            now = wall()
            stamps.append(now)
            return now

        conn = ConnectionManager(tws.host, tws.port, 1, max_requests=RATE)
        errors: list[int] = []
        conn.events.error += lambda e: errors.append(e.code) if e.code == 100 else None
        await conn.connect()
        tws.backend.wall_monotonic = stamped  # count only the paced burst
        total = int(RATE * (seconds + 2))
        for _ in range(total):
            conn.ib.client.reqCurrentTime()
        deadline = time.monotonic() + seconds + 5
        while len(stamps) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await conn.disconnect()
    start = stamps[0]
    # messages inside [start, start + seconds): whole seconds of batches, as the limit sees them
    inside = bisect.bisect_left(stamps, start + seconds)
    def most_within(span: float) -> int:
        return max(bisect.bisect_left(stamps, t + span) - i for i, t in enumerate(stamps))

    window = 1.0 - DEFAULT_JITTER
    return Result(seconds, inside, inside / seconds, most_within(1.0), most_within(window),
                  len(errors))


def render(result: Result) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "## ib_async's own pacing via ConnectionManager (`benchmarks/client_pacing.py`)",
        "",
        f"`ConnectionManager(max_requests={RATE})` sets ib_async's `Client.MaxRequests`; "
        f"{int(RATE * (result.seconds + 2))} reqCurrentTime queued at once, timestamped where "
        f"the fake TWS receives them, counted over {result.seconds:g} s.",
        "",
        "| measured | value |",
        "|---|---|",
        f"| received in {result.seconds:g} s | {result.received} |",
        f"| sustained rate | {result.sustained:.3f}/s (target {RATE}/s) |",
        f"| deviation | {result.deviation_pct:+.3f} % |",
        f"| most in any 1 s window | {result.max_per_second} |",
        f"| most in any {1 - DEFAULT_JITTER:g} s window | {result.max_per_jitter_window} "
        f"(the fake's limit: 50) |",
        f"| error 100 from the fake | {result.errors_100} |",
        "",
        "ib_async sends in batches: up to 45 at once, the next the moment a second has passed "
        "since the oldest. A batch that reaches the receiver a hair less than a second after "
        "the previous one puts two batches in one 1 s window, hence the first maximum; the "
        "fake's windows end 50 ms early to allow for that jitter (pytest_tws/fake/pacing.py).",
        "",
        f"Measured {when}, Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}.",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    result = asyncio.run(run(args.seconds))
    body = render(result)
    print(body)
    if args.write:
        write_section(args.write, "client-pacing", body)
    return 0 if abs(result.deviation_pct) <= 2.0 and result.errors_100 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
