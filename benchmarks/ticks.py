"""Benchmark: is the fake ever the bottleneck of a market-data stream?

    python benchmarks/ticks.py [--seconds 4] [--write docs/benchmarks.md]

The fake runs in a child process (as a real TWS is another process), on a `VirtualClock` that
a task on the fake's own loop moves one tick interval each time round, so its feed publishes
back to back, as many ticks as it can make, each a real tick's work (one market step). The
clients (ib_async) run here and count the messages they decode, with one client and with
ten, each holding 100 lines. The bytes one client received are then fed again, in the same
chunks, through the same ib_async client code in-process: the rate at which ib_async decodes
that stream with no fake and no socket. Target: live >= 0.8 x in-process.

Then 32 clients x 100 lines at the real-time tick rate, and the fake's resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from ib_async import IB, Stock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section

SYMBOLS = ("SPY", "QQQ", "IWM", "DIA", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA",
           "AMD")
LINES_PER_CLIENT = 100


# -- the fake, in its own process ----------------------------------------------------------


def rss_mb() -> float | None:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)
    except ImportError:  # Windows
        return None


def serve(speed: float) -> None:
    """The fake for the clients. `speed` 0: as fast as it can, one market step per tick (a
    task on the fake's own loop moves the virtual clock one tick interval each time the loop
    comes round, so the fake does a real tick's work per tick, never a jump's worth); else the
    clock auto-advances at `speed` times real time."""
    from pytest_tws import FakeTWS
    from pytest_tws.clock import VirtualClock
    from pytest_tws.fake.backend import Limits
    from pytest_tws.fake.market_feed import DEFAULT_TICK_RATE
    from tws_core.clock import RestartWindow

    clock = VirtualClock(auto_advance=speed or None)
    limits = Limits(messages_per_second=1_000_000, market_data_lines=1_000_000)

    async def drive() -> None:
        while True:
            feed = tws.backend.market_feed
            if feed is None or not feed.needed():
                await asyncio.sleep(0.001)  # nobody subscribed yet: let virtual time rest
                continue
            clock.advance(1.0 / DEFAULT_TICK_RATE)
            await asyncio.sleep(0)  # the feed wakes and publishes; I/O is served between

    # No daily restart or nightly reset: virtual time runs far ahead of real time here.
    quiet = RestartWindow(restart_enabled=False, reset_enabled=False)
    with FakeTWS(clock=clock, limits=limits, restart_window=quiet) as tws:
        if not speed:
            tws.call(lambda: asyncio.get_running_loop().create_task(drive()))
        print(tws.port, flush=True)
        for command in sys.stdin:
            if command.strip() == "rss":
                print(f"{rss_mb() or -1:.1f}", flush=True)
            else:
                break
    clock.close()


class Fake:
    def __init__(self, speed: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--speed", str(speed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.port = int(self.process.stdout.readline())

    def rss(self) -> float | None:
        assert self.process.stdout is not None and self.process.stdin is not None
        self.process.stdin.write("rss\n")
        self.process.stdin.flush()
        value = float(self.process.stdout.readline())
        return None if value < 0 else value

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)


# -- the clients, here ---------------------------------------------------------------------


async def connect(port: int, client_id: int) -> IB:
    ib = IB()
    ib.client.MaxRequests = 0  # the benchmark fake has no message-rate limit
    await ib.connectAsync("127.0.0.1", port, clientId=client_id, timeout=30)
    contracts = [Stock(s, "SMART", "USD") for s in SYMBOLS]
    await ib.qualifyContractsAsync(*contracts)
    for i in range(LINES_PER_CLIENT):
        ib.reqMktData(contracts[i % len(contracts)])
    return ib


async def measure(clients: list[IB], seconds: float, record: IB | None = None) -> tuple[
    float, list[bytes]
]:
    """Messages per second all `clients` decoded over `seconds`; the chunks `record` got."""
    chunks: list[bytes] = []
    if record is not None:
        record.client.conn.hasData += chunks.append
    await asyncio.sleep(1.0)  # warm up: first pictures out of the way
    chunks.clear()
    if record is not None:  # start the recording on a frame boundary
        chunks.append(bytes(record.client._data))
    before = sum(ib.client._numMsgRecv for ib in clients)
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    count = sum(ib.client._numMsgRecv for ib in clients) - before
    elapsed = time.perf_counter() - start
    if record is not None:
        record.client.conn.hasData -= chunks.append
    return count / elapsed, chunks


def replay_rate(ib: IB, chunks: list[bytes]) -> float:
    """Decode `chunks` again through `ib`'s own client code, here, as fast as it goes."""
    client = ib.client
    client._data = b""  # what the live stream left half-read
    before = client._numMsgRecv
    start = time.perf_counter()
    for chunk in chunks:
        client._onSocketHasData(chunk)
    elapsed = time.perf_counter() - start
    return (client._numMsgRecv - before) / elapsed


async def throughput(seconds: float, clients: int) -> tuple[float, float]:
    fake = Fake(speed=0.0)
    try:
        ibs = [await connect(fake.port, 100 + i) for i in range(clients)]
        live, chunks = await measure(ibs, seconds, record=ibs[0])
        # Synchronous: nothing else arrives meanwhile; it updates the same tickers.
        replay = replay_rate(ibs[0], chunks)
        for ib in ibs:
            ib.disconnect()
        return live, replay
    finally:
        fake.close()


async def memory(seconds: float, clients: int) -> tuple[float | None, float]:
    fake = Fake(speed=1.0)
    try:
        ibs = await asyncio.gather(*(connect(fake.port, 200 + i) for i in range(clients)))
        rate, _ = await measure(list(ibs), seconds)
        rss = fake.rss()
        for ib in ibs:
            ib.disconnect()
        return rss, rate
    finally:
        fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--speed", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.speed)
        return

    one_live, one_replay = asyncio.run(throughput(args.seconds, 1))
    ten_live, ten_replay = asyncio.run(throughput(args.seconds, 10))
    rss, rate32 = asyncio.run(memory(args.seconds, 32))
    rows = [
        ("1 client x 100 lines", one_live, one_replay),
        ("10 clients x 100 lines", ten_live, ten_replay),
    ]
    lines = [
        "## Market-data ticks (`benchmarks/ticks.py`)",
        "",
        "The fake in its own process on a `VirtualClock` moved one tick interval per tick, "
        "publishing as fast as it can; ib_async clients in this process count the messages "
        "they decode. "
        "\"In-process\" feeds the bytes one client received, in the same chunks, through the "
        "same ib_async client code with no fake and no socket. Target: live >= 0.8 x "
        "in-process (the fake is never the bottleneck).",
        "",
        "| clients | live (msgs/s, all clients) | ib_async in-process decode (msgs/s) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name, live, replay in rows:
        lines.append(f"| {name} | {live:,.0f} | {replay:,.0f} | {live / replay:.2f} |")
    rss_text = "n/a (no /proc or resource module)" if rss is None else f"{rss:.0f} MB"
    lines += [
        "",
        f"32 clients x 100 lines at the real-time tick rate (4/s): fake RSS {rss_text} "
        f"(target <= 200 MB); the clients decoded {rate32:,.0f} msgs/s.",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{args.seconds:g} s windows, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs.",
    ]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section(args.write, "ticks", body)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
