"""Soak: 20 clients x 50 market-data lines for a minute while others come and go and trade.

    python benchmarks/soak.py [--seconds 60] [--write docs/benchmarks.md]

The fake runs in a child process (as a real TWS is another process) on the system clock. Here,
in one event loop:

- 20 streaming ib_async clients hold 50 lines each (1000 lines) and count what they decode;
- 4 traders (tws_core ConnectionManager + OrderManager) place resting orders 5 at a time,
  cancel two of each batch, and now and then cut their own socket right after placing
  (orders in flight), reconnect and let the OrderManager reconcile;
- 2 churners connect, ask the time and disconnect, over and over.

Afterwards every orderRef a trader placed must be held exactly once by the fake's broker (no
order lost, none doubled), ib_async must have logged no decode error and the fake no
server-side failure. The fake's RSS and open fds are read before any client connects and once
every client has gone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ib_async import IB, LimitOrder, Stock, Trade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section

SYMBOLS = ("SPY", "QQQ", "IWM", "DIA", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA",
           "AMD")
STREAMERS = 20
LINES_PER_STREAMER = 50
TRADERS = 4
CHURNERS = 2
BATCH = 5
CANCELS_PER_BATCH = 2
CUT_CHANCE = 0.3
RESTING = 1.0  # far below any price: the orders rest until cancelled
REACT = 30.0
SEED = 17


# -- the fake, in its own process ----------------------------------------------------------


def rss_mb() -> float | None:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


def open_fds() -> int | None:
    fd_dir = Path("/proc/self/fd")
    return len(list(fd_dir.iterdir())) if fd_dir.exists() else None


def serve() -> None:
    import logging

    from pytest_tws import FakeTWS
    from pytest_tws.fake.backend import Limits

    logging.basicConfig(level=logging.WARNING, format="fake: %(message)s")  # closes, failures
    limits = Limits(market_data_lines=STREAMERS * LINES_PER_STREAMER + 100)
    with FakeTWS(limits=limits) as tws:
        print(tws.port, flush=True)
        for command in sys.stdin:
            command = command.strip()
            if command == "stats":
                orders = Counter(o.ticket.order_ref for o in tws.orders())
                status = {o.ticket.order_ref: o.status for o in tws.orders()}
                print(json.dumps({
                    "rss": rss_mb(), "fds": open_fds(),
                    "sessions": tws.call(lambda: len(tws.backend.all_sessions)),
                    "orders": orders, "status": status,
                    "failures": [str(f) for f in tws.transcript.take_failures()],
                }), flush=True)
            else:
                break


class Fake:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--serve"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def stats(self) -> dict[str, object]:
        assert self.process.stdout is not None and self.process.stdin is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)


# -- the clients, here ---------------------------------------------------------------------


@dataclass
class Tally:
    placed: dict[str, Trade] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    cuts: int = 0
    batches: int = 0
    churn_connects: int = 0
    resends: int = 0
    ticks: int = 0


async def streamer(port: int, client_id: int, tally: Tally, stop: asyncio.Event) -> None:
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=client_id, timeout=REACT)
    contracts = [Stock(s, "SMART", "USD") for s in SYMBOLS]
    await ib.qualifyContractsAsync(*contracts)
    for i in range(LINES_PER_STREAMER):
        ib.reqMktData(contracts[i % len(contracts)])
    before = ib.client._numMsgRecv
    await stop.wait()
    tally.ticks += ib.client._numMsgRecv - before
    ib.disconnect()


async def connect_again(conn: object) -> None:
    from tws_core import ConnectError

    for _ in range(100):
        try:
            await conn.connect()  # type: ignore[attr-defined]
            return
        except ConnectError:  # 326 until the fake has seen our old socket close
            await asyncio.sleep(0.05)
    raise RuntimeError("could not reconnect")


async def trader(port: int, client_id: int, tally: Tally, stop: asyncio.Event) -> None:
    from tws_core import ConnectionManager, ConnectionState, OrderManager

    rng = random.Random(SEED + client_id)
    conn = ConnectionManager("127.0.0.1", port, client_id, timeout=REACT)
    orders = OrderManager(conn, ref_prefix=f"soak-{client_id}")
    contract = Stock("AAPL", "SMART", "USD", conId=265598)
    await connect_again(conn)
    while not stop.is_set():
        batch = []
        for _ in range(BATCH):
            trade = await orders.place(contract, LimitOrder("BUY", 1, RESTING))
            tally.placed[trade.order.orderRef] = trade
            batch.append(trade)
        tally.batches += 1
        if rng.random() < CUT_CHANCE:  # the socket dies under the orders just sent
            conn.ib.client.conn.transport.abort()
            tally.cuts += 1
            while conn.state is not ConnectionState.DISCONNECTED:
                await asyncio.sleep(0.005)
            await connect_again(conn)
        for trade in batch:
            await orders.wait_for(trade, "Submitted", timeout=REACT)
        for trade in batch[:CANCELS_PER_BATCH]:
            await orders.cancel(trade, timeout=REACT)
            tally.cancelled.add(trade.order.orderRef)
    tally.resends += sum(orders.resends().values())
    await conn.disconnect()


async def churner(port: int, client_id: int, tally: Tally, stop: asyncio.Event) -> None:
    while not stop.is_set():
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=client_id, timeout=REACT)
        await ib.reqCurrentTimeAsync()
        ib.disconnect()
        tally.churn_connects += 1
        await asyncio.sleep(0.05)  # the fake sees the close before the id is reused


async def soak(seconds: float) -> tuple[dict[str, object], dict[str, object], Tally,
                                        list[str], float]:
    from pytest_tws.ib_log import IbAsyncErrors

    errors = IbAsyncErrors()
    errors.install()
    fake = Fake()
    try:
        before = fake.stats()
        tally, stop = Tally(), asyncio.Event()
        tasks = [asyncio.ensure_future(streamer(fake.port, 100 + i, tally, stop))
                 for i in range(STREAMERS)]
        tasks += [asyncio.ensure_future(trader(fake.port, 300 + i, tally, stop))
                  for i in range(TRADERS)]
        tasks += [asyncio.ensure_future(churner(fake.port, 400 + i, tally, stop))
                  for i in range(CHURNERS)]
        started = time.perf_counter()
        await asyncio.wait(tasks, timeout=seconds)
        stop.set()
        await asyncio.gather(*tasks)  # a task that failed early raises here
        elapsed = time.perf_counter() - started
        deadline = time.monotonic() + REACT
        after = fake.stats()
        while after["sessions"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            after = fake.stats()
        return before, after, tally, errors.take(), elapsed
    finally:
        errors.uninstall()
        fake.close()


def load_text() -> str:
    """The machine's load when the run ended (a shared CI box slows every figure here)."""
    if not hasattr(os, "getloadavg"):
        return ""
    return f", load average {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return

    before, after, tally, decode_errors, elapsed = asyncio.run(soak(args.seconds))
    held: Counter[str] = Counter(after["orders"])  # type: ignore[arg-type]
    lost = [ref for ref in tally.placed if held[ref] == 0]
    doubled = [ref for ref in tally.placed if held[ref] > 1]
    stray = [ref for ref in held if ref not in tally.placed]
    status: dict[str, str] = after["status"]  # type: ignore[assignment]
    not_cancelled = [ref for ref in tally.cancelled if status.get(ref) != "Cancelled"]
    failures: list[str] = after["failures"]  # type: ignore[assignment]

    def figure(value: object, unit: str = "") -> str:
        return "n/a" if value is None else f"{value:.0f}{unit}" if isinstance(
            value, float) else f"{value}{unit}"

    lines = [
        "## Soak (`benchmarks/soak.py`)",
        "",
        f"{STREAMERS} ib_async clients x {LINES_PER_STREAMER} lines for {elapsed:.0f} s, while "
        f"{TRADERS} traders (ConnectionManager + OrderManager) place resting orders "
        f"{BATCH} at a time, cancel {CANCELS_PER_BATCH} of each batch and, in "
        f"{CUT_CHANCE:.0%} of batches, cut their own socket right after placing and "
        f"reconnect; and {CHURNERS} clients connect, ask the time and disconnect, over and "
        "over. The fake runs in its own process on the system clock.",
        "",
        "| measured | value |",
        "|---|---|",
        f"| messages decoded (all streamers) | {tally.ticks:,} ({tally.ticks / elapsed:,.0f}/s) |",
        f"| orders placed / cancelled | {len(tally.placed)} / {len(tally.cancelled)} |",
        f"| sockets cut under orders in flight / orders resent by reconcile | "
        f"{tally.cuts} / {tally.resends} |",
        f"| churn connects | {tally.churn_connects} |",
        f"| orders lost / doubled / stray at the broker | {len(lost)} / {len(doubled)} / "
        f"{len(stray)} |",
        f"| cancels not Cancelled at the broker | {len(not_cancelled)} |",
        f"| ib_async decode errors / fake server-side failures | {len(decode_errors)} / "
        f"{len(failures)} |",
        f"| fake RSS before / after | {figure(before['rss'], ' MB')} / "
        f"{figure(after['rss'], ' MB')} |",
        f"| fake open fds before / after | {figure(before['fds'])} / {figure(after['fds'])} |",
        f"| fake sessions left after | {after['sessions']} |",
        "",
        "A cut right after placing rarely loses an order here: on loopback the orders are "
        "already in the fake's socket buffer when the client aborts. The resend path is "
        "forced by tests/core/test_order_faults.py (the fake cuts sockets with unread input).",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs{load_text()}.",
    ]
    body = "\n".join(lines)
    print(body)
    for name, items in (("lost", lost), ("doubled", doubled), ("stray", stray),
                        ("not cancelled", not_cancelled), ("decode errors", decode_errors),
                        ("failures", failures)):
        if items:
            print(f"{name}: {items[:10]}", file=sys.stderr)
    if args.write:
        write_section(args.write, "soak", body)
    ok = not (lost or doubled or stray or not_cancelled or decode_errors or failures)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
