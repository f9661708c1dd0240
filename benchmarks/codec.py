"""The fake's schema codec per message type, against ib_async's own decoder, in one run.

    python benchmarks/codec.py [--seconds 0.3] [--write docs/benchmarks.md]

First a scripted ib_async session against an in-process FakeTWS (connect, contracts, option
chain, streaming and snapshot market data, history, orders through fill and cancel, a what-if,
executions, positions) records the real frames in both directions. Then, for every message
type that has a schema in `pytest_tws.wire.schemas`, the same recorded frames are timed:

- requests (client to fake): `schema.decode(fields, version)`, what the session does with
  each request;
- responses (fake to client): `schema.encode(values, version)` + `encode_fields`, what the
  session does to send one (the values are the frame's own, decoded once beforehand), and
  ib_async's `Decoder.interpret(fields)` on the very same fields: what the client then does
  with it (its wrapper included, as in a live client; its logging silenced).

Both sides start from and end at field lists (framing and sockets, shared by both, are left
out), so the ratio says whether the fake's codec could ever be what a client waits for.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from ib_async import IB, LimitOrder, MarketOrder, Option, Stock

from pytest_tws import FakeTWS
from pytest_tws.fake.transcript import Frame
from pytest_tws.wire.fields import FieldError, encode_fields
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import Schema
from pytest_tws.wire.schemas import REQUESTS, RESPONSES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section

#: ib_async 2.1's Client.MaxClientVersion: the version the fake serves it at
VERSION = 178
TIMEOUT = 10.0
#: distinct recorded frames kept per message type (the timing cycles through them)
SAMPLES = 64
TICK_ROUNDS = 4


async def _until(condition: Callable[[], object], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"benchmark session: no {what} within {TIMEOUT}s")
        await asyncio.sleep(0.001)


class Recorder:
    """Frames of the fake's transcript, kept per (direction, message id) as they happen."""

    def __init__(self, tws: FakeTWS) -> None:
        self.tws = tws
        self.frames: dict[tuple[str, int], list[tuple[str, ...]]] = {}

    def take(self) -> None:
        for frame in self.tws.call(lambda: list(self.tws.transcript.frames)):
            self._keep(frame)
        self.tws.call(self.tws.transcript.clear)

    def pending(self, message_id: Out) -> bool:
        """A `message_id` frame has been sent since the last `take`."""
        wanted = str(int(message_id))
        return self.tws.call(lambda: any(f.direction == "<<" and f.fields[:1] == (wanted,)
                                         for f in self.tws.transcript.frames))

    def _keep(self, frame: Frame) -> None:
        if frame.label or not frame.fields or not frame.fields[0].isdigit():
            return
        kept = self.frames.setdefault((frame.direction, int(frame.fields[0])), [])
        if len(kept) < SAMPLES and frame.fields not in kept:
            kept.append(frame.fields)


async def record_session(tws: FakeTWS) -> Recorder:
    """The phase 1A-1D workflows with ib_async, every frame recorded."""
    recorder = Recorder(tws)
    ib = IB()
    await ib.connectAsync(tws.host, tws.port, clientId=1, timeout=TIMEOUT)
    recorder.take()
    try:
        aapl, spy = Stock("AAPL", "SMART", "USD"), Stock("SPY", "SMART", "USD")
        await ib.qualifyContractsAsync(aapl, spy)
        chains = await ib.reqSecDefOptParamsAsync("SPY", "", "STK", spy.conId)
        chain = next(c for c in chains if c.exchange == "SMART")
        expiry = sorted(chain.expirations)[1]
        strikes = sorted(chain.strikes)[len(chain.strikes) // 2:][:4]
        options = [Option("SPY", expiry, k, r, "SMART") for k in strikes for r in "CP"]
        await ib.qualifyContractsAsync(*options)
        recorder.take()
        tickers = [ib.reqMktData(c) for c in (aapl, spy, *options)]
        await _until(lambda: all(t.bid == t.bid for t in tickers), "quotes")  # not NaN
        for _ in range(TICK_ROUNDS):  # a few rounds of streaming ticks after the first quotes
            recorder.take()
            await _until(lambda: recorder.pending(Out.TICK_PRICE), "more ticks")
        recorder.take()
        for contract in (aapl, spy, *options):
            ib.cancelMktData(contract)
        await ib.reqTickersAsync(aapl, spy)
        await ib.reqHistoricalDataAsync(spy, "", "2 D", "1 hour", "TRADES", True)
        recorder.take()
        filled = ib.placeOrder(aapl, MarketOrder("BUY", 10))
        resting = ib.placeOrder(aapl, LimitOrder("BUY", 5, 1.0))
        await _until(lambda: filled.isDone() and resting.orderStatus.status == "Submitted",
                     "fill and working order")
        ib.cancelOrder(resting.order)
        await _until(lambda: resting.isDone(), "cancel")
        try:
            await asyncio.wait_for(ib.whatIfOrderAsync(aapl, LimitOrder("BUY", 1, 1.0)),
                                   TIMEOUT)
        except asyncio.TimeoutError:
            print("benchmark session: the what-if got no answer (recorded anyway)",
                  file=sys.stderr)
        await ib.reqExecutionsAsync()
        await ib.reqPositionsAsync()
        await ib.reqAllOpenOrdersAsync()
        recorder.take()
    finally:
        ib.disconnect()
    return recorder


def rate(work: Callable[[Any], object], frames: Sequence[Any], seconds: float) -> float:
    """Messages per second of `work` over `frames` (cycled), timed for about `seconds`."""
    batch = max(1, 2000 // len(frames)) * len(frames)
    done, start = 0, time.perf_counter()
    while True:
        for i in range(batch):
            work(frames[i % len(frames)])
        done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def _decodable(schema: Schema, frames: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    ok = []
    for fields in frames:
        try:
            schema.decode(fields, VERSION)
        except (FieldError, ValueError):
            continue
        ok.append(fields)
    return ok


def _encode(schema: Schema, values: dict[str, Any]) -> list[str]:
    """What the session does to send a response: schema encode, then the fields' text."""
    return encode_fields(schema.encode(values, VERSION))


def measure(recorder: Recorder, ib: IB, seconds: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # requests first, then responses, each by message id
    for (direction, number), frames in sorted(recorder.frames.items(),
                                              key=lambda item: (item[0][0] != ">>", item[0][1])):
        table: dict[Any, Schema] = REQUESTS if direction == ">>" else RESPONSES  # type: ignore
        kind = In if direction == ">>" else Out
        schema = table.get(kind(number))
        if schema is None:
            continue
        usable = _decodable(schema, frames)
        row: dict[str, Any] = {"name": kind(number).name, "direction": direction,
                               "samples": len(usable), "skipped": len(frames) - len(usable)}
        if usable and direction == ">>":
            row["fake"] = rate(partial(schema.decode, version=VERSION), usable, seconds)
        elif usable:
            values = [schema.decode(f, VERSION) for f in usable]
            row["fake"] = rate(partial(_encode, schema), values, seconds)
            row["client"] = rate(ib.client.decoder.interpret, [list(f) for f in usable], seconds)
        rows.append(row)
    return rows


async def run(seconds: float) -> list[dict[str, Any]]:
    with FakeTWS() as tws:
        recorder = await record_session(tws)
        ib = IB()  # a live client's decoder and wrapper, connected, to decode into
        await ib.connectAsync(tws.host, tws.port, clientId=2, timeout=TIMEOUT)
        quiet = logging.getLogger("ib_async")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            return measure(recorder, ib, seconds)
        finally:
            quiet.setLevel(level)
            ib.disconnect()


def report(rows: list[dict[str, Any]], seconds: float) -> str:
    lines = ["| message | direction | frames | fake (msgs/s) | ib_async decode (msgs/s) | "
             "fake / ib_async |", "|---|---|---:|---:|---:|---:|"]
    ratios = []
    for row in rows:
        fake, client = row.get("fake"), row.get("client")
        side = "request: decode" if row["direction"] == ">>" else "response: encode"
        fake_text = f"{fake:,.0f}" if fake else f"— ({row['skipped']} undecodable)"
        client_text = f"{client:,.0f}" if client else "—"
        ratio = f"{fake / client:.1f}x" if fake and client else "—"
        if fake and client:
            ratios.append(fake / client)
        lines.append(f"| {row['name']} | {side} | {row['samples']} | {fake_text} | "
                     f"{client_text} | {ratio} |")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    summary = (f"Over the {len(ratios)} response types: the fake encodes "
               f"{min(ratios):.1f}x to {max(ratios):.1f}x (median "
               f"{statistics.median(ratios):.1f}x) as fast as ib_async decodes.\n\n"
               if ratios else "")
    return (
        "## Codec: `benchmarks/codec.py`\n\n"
        "Every message type with a schema, timed on the frames a scripted ib_async session "
        f"(phase 1A-1D workflows) exchanged with the fake at v{VERSION}; each figure is about "
        f"{seconds:g} s of one core cycling through those frames, field lists in and out. "
        "Requests: the fake's `schema.decode`. Responses: the fake's `schema.encode` + "
        "`encode_fields`, and ib_async's `Decoder.interpret` (wrapper included) on the same "
        "fields. Message types without a schema yet are not listed. The tick messages' figures "
        "are `schema.encode`'s: the fake's streaming path sends them through payload builders "
        "compiled from the same schemas (pytest_tws/fake/market_layouts.py), which "
        "`benchmarks/ticks.py` measures.\n\n"
        + "\n".join(lines) + "\n\n" + summary +
        f"Measured {when}, Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs{load}.\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.3, help="timing per figure")
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    body = report(asyncio.run(run(args.seconds)), args.seconds)
    print(body)
    if args.write:
        write_section(args.write, "codec", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
