"""Contract-details round trips for big answers: a bare symbol with many listings and whole
option chains (every strike x expiry), the fake vs ib_async's decode of the same frames.

    python benchmarks/catalog.py [--repeat 5] [--write docs/benchmarks.md]

The fake runs in its own process (as TWS does); ib_async runs here and times
reqContractDetailsAsync end to end. The same answer is then built in this process — the
catalog's match plus the layout's fields, i.e. the fake's share — and fed to ib_async's own
decoder without a socket, which is the client's share of the same frames.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ib_async import IB, Contract, Future, FuturesOption, Option
from ib_async.decoder import Decoder
from ib_async.wrapper import Wrapper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from connect import ServerProcess

from pytest_tws.fake import layouts
from pytest_tws.fake.convert import contract_query
from pytest_tws.model.catalog import Catalog
from pytest_tws.wire.fields import encode_fields

SERVER_VERSION = 178

CASES: tuple[tuple[str, Callable[[], Contract]], ...] = (
    ("bare symbol AMD (every listing)", lambda: Contract(symbol="AMD", secType="STK")),
    ("bare EUR currency pairs", lambda: Contract(symbol="EUR", secType="CASH")),
    ("ES futures, every month", lambda: Future("ES", exchange="CME")),
    ("AAPL option chain", lambda: Option("AAPL", exchange="SMART")),
    ("SPY option chain", lambda: Option("SPY", exchange="SMART")),
    ("SPX option chain", lambda: Option("SPX", exchange="SMART")),
    ("ES futures options", lambda: FuturesOption("ES", exchange="CME")),
)


def frames_for(catalog: Catalog, contract: Contract) -> list[list[str]]:
    """The fake's answer built here: match, then the layout's fields as text."""
    query = contract_query({
        "conId": contract.conId, "symbol": contract.symbol, "secType": contract.secType,
        "lastTradeDateOrContractMonth": contract.lastTradeDateOrContractMonth,
        "strike": contract.strike, "right": contract.right, "exchange": contract.exchange,
        "currency": contract.currency})
    today = catalog.today
    exchange = query.exchange or "SMART"
    found = [encode_fields(layouts.contract_data(1, spec.with_exchange(exchange), today))
             for spec in catalog.find(query)]
    return [*found, encode_fields(layouts.contract_data_end(1))]


async def decode_seconds(frames: list[list[str]]) -> float:
    wrapper = Wrapper(IB())
    decoder = Decoder(wrapper, SERVER_VERSION)
    future = wrapper.startReq(1, Contract())
    start = time.perf_counter()
    for fields in frames:
        decoder.interpret(fields)
    elapsed = time.perf_counter() - start
    assert future.done() and len(future.result()) == len(frames) - 1
    return elapsed


async def round_trips(host: str, port: int, repeat: int) -> dict[str, tuple[int, float]]:
    ib = IB()
    await ib.connectAsync(host, port, clientId=1, timeout=10)
    results = {}
    try:
        for name, make in CASES:
            times, count = [], 0
            for _ in range(repeat):
                start = time.perf_counter()
                details = await ib.reqContractDetailsAsync(make())
                times.append(time.perf_counter() - start)
                count = len(details)
            results[name] = (count, statistics.median(times))
    finally:
        ib.disconnect()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    args = parser.parse_args()
    with ServerProcess("-m", "pytest_tws.cli", "fake", "--port", "0") as tws:
        trips = asyncio.run(round_trips(tws.host, tws.port, args.repeat))
    catalog = Catalog(date.today())
    rows = []
    for name, make in CASES:
        count, trip = trips[name]
        build, decode = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            frames = frames_for(catalog, make())
            build.append(time.perf_counter() - start)
            decode.append(asyncio.run(decode_seconds(frames)))
        assert len(frames) - 1 == count, (name, len(frames), count)
        rows.append(f"| {name} | {count} | {trip * 1000:.0f} | "
                    f"{statistics.median(build) * 1000:.0f} | "
                    f"{statistics.median(decode) * 1000:.0f} |")
    body = (
        "## Contract details: `benchmarks/catalog.py`\n\n"
        "reqContractDetails answered with many contracts. *Round trip*: ib_async's "
        "reqContractDetailsAsync against the fake in its own process, end to end. *Fake*: the "
        "catalog match plus the contractData layouts for the same answer, in one process. "
        "*ib_async decode*: ib_async's own Decoder reading those frames, no socket. Medians of "
        f"{args.repeat} runs, one run of the script, server version {SERVER_VERSION}.\n\n"
        "| request | contracts | round trip (ms) | fake (ms) | ib_async decode (ms) |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    print(body)
    if args.write:
        write_section(args.write, "catalog", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
