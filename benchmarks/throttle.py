"""Benchmark: does `Throttle(rate=45)` sustain 45 acquisitions/s on the real clock?

Drives one `Throttle` with `SystemClock` as fast as it lets through, for ``--seconds``
(default 20), and reports the sustained rate, its deviation from 45/s, and the most
acquisitions seen in any one-second window (TWS cuts off at 50 messages/s).

    python benchmarks/throttle.py [--seconds 20] [--rate 45] [--write docs/benchmarks.md]

``--write`` replaces the section between ``<!-- throttle:start -->`` and
``<!-- throttle:end -->`` in that file (appending it, or creating the file, if missing).
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

try:
    from tws_core.clock import SystemClock
    from tws_core.throttle import Throttle
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tws_core.clock import SystemClock
    from tws_core.throttle import Throttle

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section


@dataclass(frozen=True)
class Result:
    rate: float
    seconds: float
    acquisitions: int
    sustained: float
    max_per_second: int

    @property
    def deviation_pct(self) -> float:
        return (self.sustained - self.rate) / self.rate * 100.0


async def run(rate: float, seconds: float) -> Result:
    """Acquire from a fresh `Throttle` until ``seconds`` of real time have passed."""
    throttle = Throttle(rate=rate, clock=SystemClock())
    stamps: list[float] = []
    deadline = time.monotonic() + seconds
    while True:
        await throttle.acquire()
        now = time.monotonic()
        if now >= deadline:
            break
        stamps.append(now)
    # The first token is free (a full bucket); the rate is the spacing after it.
    span = stamps[-1] - stamps[0]
    sustained = (len(stamps) - 1) / span if span > 0 else float("nan")
    max_window = max(bisect.bisect_left(stamps, t + 1.0) - i for i, t in enumerate(stamps))
    return Result(rate, seconds, len(stamps), sustained, max_window)


def render(result: Result) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "## Throttle (`benchmarks/throttle.py`)",
            "",
            f"`Throttle(rate={result.rate:g})` (burst 1) on `SystemClock`, one task acquiring "
            f"as fast as allowed for {result.seconds:g} s.",
            "",
            "| measured | value |",
            "|---|---|",
            f"| acquisitions | {result.acquisitions} |",
            f"| sustained rate | {result.sustained:.3f}/s (target {result.rate:g}/s) |",
            f"| deviation | {result.deviation_pct:+.3f} % |",
            f"| most in any 1 s window | {result.max_per_second} (TWS limit: 50) |",
            "",
            f"Measured {when}, Python {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to run")
    parser.add_argument("--rate", type=float, default=45.0, help="throttle rate per second")
    parser.add_argument("--write", type=Path, help="markdown file to update")
    args = parser.parse_args(argv)
    if args.seconds <= 1:
        parser.error("--seconds must be more than 1")
    result = asyncio.run(run(args.rate, args.seconds))
    print(
        f"{result.acquisitions} acquisitions in {args.seconds:g} s: "
        f"{result.sustained:.3f}/s vs {args.rate:g}/s ({result.deviation_pct:+.3f} %), "
        f"max {result.max_per_second} in any 1 s"
    )
    if args.write:
        write_section(args.write, "throttle", render(result))
        print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
