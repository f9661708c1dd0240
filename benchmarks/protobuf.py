"""Benchmark: IBKR's ibapi 10.50 against the fake at its maximum version (protobuf) and capped at
200 (text), in one run.

    python benchmarks/protobuf.py [--rounds 20] [--ticks 10000] [--write docs/benchmarks.md]

For each protocol the fake runs in a child process (as a real TWS is another process) on a
`VirtualClock` that a task on the fake's own loop moves one tick interval each time round, so
its feed publishes as fast as it can, each tick a real market step. Here, ibapi (its reader
thread and its `run` loop, as an application uses it):

- connect + startup sync: connect, then nextValidId, managedAccounts, positions, account
  updates (accountDownloadEnd) and open orders (openOrderEnd), `--rounds` times; median;
- a stream: 10 market-data lines, until ibapi has called back `--ticks` ticks; ticks/s.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section

SYMBOLS = ("SPY", "QQQ", "IWM", "DIA", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA")
TIMEOUT = 60.0
TICK_CALLBACKS = ("tickPrice", "tickSize", "tickString", "tickGeneric")


def serve(version: int) -> None:
    """The fake, capped at `version`, its clock driven one tick interval per loop turn."""
    from pytest_tws import FakeTWS
    from pytest_tws.clock import VirtualClock
    from pytest_tws.fake.backend import Limits
    from pytest_tws.fake.market_feed import DEFAULT_TICK_RATE
    from tws_core.clock import RestartWindow

    clock = VirtualClock()
    limits = Limits(messages_per_second=1_000_000, market_data_lines=1_000_000)

    async def drive() -> None:
        while True:
            feed = tws.backend.market_feed
            if feed is None or not feed.needed():
                await asyncio.sleep(0.001)
                continue
            clock.advance(1.0 / DEFAULT_TICK_RATE)
            await asyncio.sleep(0)

    quiet = RestartWindow(restart_enabled=False, reset_enabled=False)
    with FakeTWS(clock=clock, limits=limits, restart_window=quiet,
                 max_server_version=version) as tws:
        task = tws.call(lambda: asyncio.get_running_loop().create_task(drive()))
        print(tws.port, flush=True)
        sys.stdin.readline()
        tws.call(task.cancel)
    clock.close()


class App:
    """An ibapi client counting callbacks, with a condition to wait on."""

    def __init__(self) -> None:
        from ibapi.client import EClient
        from ibapi.wrapper import EWrapper

        class _App(EWrapper, EClient):  # type: ignore[misc]
            def __init__(inner) -> None:
                EWrapper.__init__(inner)
                EClient.__init__(inner, inner)

        self.client = _App()
        self.counts: dict[str, int] = {}
        self.changed = threading.Condition()
        for name in ("nextValidId", "managedAccounts", "positionEnd", "accountDownloadEnd",
                     "openOrderEnd", "error", *TICK_CALLBACKS):
            setattr(self.client, name, self._counter(name))
        self.thread: threading.Thread | None = None

    def _counter(self, name: str) -> Callable[..., None]:
        def count(*_: Any) -> None:
            with self.changed:
                self.counts[name] = self.counts.get(name, 0) + 1
                self.changed.notify_all()
        return count

    def wait(self, check: Callable[[], bool]) -> None:
        with self.changed:
            if not self.changed.wait_for(check, TIMEOUT):
                raise TimeoutError(f"waited {TIMEOUT}s; counts {self.counts}")

    def has(self, name: str, n: int = 1) -> bool:
        return self.counts.get(name, 0) >= n

    def ticks(self) -> int:
        return sum(self.counts.get(name, 0) for name in TICK_CALLBACKS)

    def connect(self, port: int, client_id: int) -> None:
        self.client.connect("127.0.0.1", port, clientId=client_id)
        self.thread = threading.Thread(target=self.client.run, daemon=True)
        self.thread.start()

    def disconnect(self) -> None:
        self.client.disconnect()
        if self.thread is not None:
            self.thread.join(TIMEOUT)


def connect_and_sync(port: int, client_id: int) -> tuple[float, int]:
    """(seconds to connect and sync, negotiated version)."""
    app = App()
    start = time.perf_counter()
    app.connect(port, client_id)
    app.wait(lambda: app.has("nextValidId") and app.has("managedAccounts"))
    app.client.reqPositions()
    app.client.reqAccountUpdates(True, "")
    app.client.reqOpenOrders()
    app.wait(lambda: app.has("positionEnd") and app.has("accountDownloadEnd")
             and app.has("openOrderEnd"))
    elapsed = time.perf_counter() - start
    version = app.client.serverVersion()
    app.disconnect()
    return elapsed, version


def stream(port: int, ticks: int) -> float:
    """Ticks per second ibapi calls back over `ticks` ticks on 10 lines."""
    from ibapi.contract import Contract

    app = App()
    app.connect(port, 900)
    app.wait(lambda: app.has("nextValidId"))
    for req_id, symbol in enumerate(SYMBOLS, 1):
        contract = Contract()
        contract.symbol, contract.secType, contract.exchange, contract.currency = (
            symbol, "STK", "SMART", "USD")
        app.client.reqMktData(req_id, contract, "", False, False, [])
    app.wait(lambda: app.ticks() >= 100)  # the first pictures out of the way
    first = app.ticks()
    start = time.perf_counter()
    app.wait(lambda: app.ticks() >= first + ticks)
    elapsed = time.perf_counter() - start
    received = app.ticks() - first
    app.disconnect()
    return received / elapsed


def fake_encoding(version: int, count: int = 20_000) -> float:
    """Fresh tick payloads (none repeated) the fake frames per second at `version`,
    in-process: its own share of a stream."""
    from pytest_tws.fake import market_layouts
    from pytest_tws.wire.protobuf_codec import Codec

    codec = Codec(version)
    payloads = [market_layouts.tick_price(i % 100, 1, 100 + i * 0.01, i % 500, version)
                for i in range(count)]
    start = time.perf_counter()
    for payload in payloads:
        codec.payload(payload)
    return count / (time.perf_counter() - start)


def run(version: int, rounds: int, ticks: int) -> dict[str, float]:
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(version)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdin is not None
    port = int(process.stdout.readline())
    try:
        timings, negotiated = [], 0
        for n in range(rounds):
            elapsed, negotiated = connect_and_sync(port, 100 + n)
            timings.append(elapsed)
        rate = stream(port, ticks)
    finally:
        process.stdin.write("quit\n")
        process.stdin.flush()
        process.wait(timeout=30)
    return {"version": negotiated, "connect_ms": statistics.median(timings) * 1000,
            "ticks_per_s": rate, "encode_per_s": fake_encoding(version)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=10_000)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    from pytest_tws.wire.protobuf import PROTOBUF_MAX_VERSION
    from pytest_tws.wire.versions import TEXT_PROTOCOL_MAX

    results = {label: run(version, args.rounds, args.ticks)
               for label, version in (("protobuf", PROTOBUF_MAX_VERSION),
                                      ("text", TEXT_PROTOCOL_MAX))}
    proto, text = results["protobuf"], results["text"]
    body = "\n".join([
        "## ibapi: protobuf vs text (`benchmarks/protobuf.py`)", "",
        f"IBKR's ibapi 10.50 against the fake (child process) at v{int(proto['version'])} "
        f"(protobuf) and capped at v{int(text['version'])} (text), one run; "
        f"{datetime.now(timezone.utc):%Y-%m-%d}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}.", "",
        "| measured | protobuf | text | protobuf / text |", "|---|---:|---:|---:|",
        f"| connect + startup sync (median of {args.rounds}, ms) | {proto['connect_ms']:.1f} "
        f"| {text['connect_ms']:.1f} | {proto['connect_ms'] / text['connect_ms']:.2f} |",
        f"| {args.ticks:,}-tick stream, 10 lines (ticks/s ibapi called back) "
        f"| {proto['ticks_per_s']:,.0f} | {text['ticks_per_s']:,.0f} "
        f"| {proto['ticks_per_s'] / text['ticks_per_s']:.2f} |",
        f"| the fake framing fresh tick payloads (in-process, per s) "
        f"| {proto['encode_per_s']:,.0f} | {text['encode_per_s']:,.0f} "
        f"| {proto['encode_per_s'] / text['encode_per_s']:.2f} |", "",
        "Startup sync: nextValidId, managedAccounts, positions, account updates, open orders. "
        "The stream is paced by ibapi's own decoding (a reader thread and the `run` loop): "
        "the fake's clock advances as fast as it can publish. Text is already framed as the "
        "payload is written; protobuf builds IBKR's message class per fresh payload (repeated "
        "payloads reuse their frame). Figures vary with the machine's load (2 cores shared).",
    ])
    print(body)
    if args.write:
        write_section(args.write, "protobuf", body)


if __name__ == "__main__":
    main()
