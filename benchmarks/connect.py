"""Connect + full startup sync + disconnect with ib_async: the fake vs a bare minimal responder.

    python benchmarks/connect.py [--cycles 30] [--write docs/benchmarks.md]

Both servers run as separate processes, as a real TWS does (in one process they would share
the client's GIL and measure contention, not the server); the client (ib_async) runs here. The
minimal responder answers only what ib_async's connect waits for, so the ratio is the fake's
overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

from ib_async import IB

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section


def frame(*fields: object) -> bytes:
    payload = "".join(f"{f}\0" for f in fields).encode()
    return struct.pack(">I", len(payload)) + payload


class MinimalResponder(asyncio.Protocol):
    """Just enough TWS for ib_async's connect: the replies its startup sync waits for."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""
        self.greeted = False

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.greeted:
            if len(self.buffer) < 8:
                return
            size = struct.unpack(">I", self.buffer[4:8])[0]
            self.buffer = self.buffer[8 + size :]
            self.greeted = True
            self.transport.write(frame(178, "20261125 09:30:00 EST"))  # type: ignore[attr-defined]
        while len(self.buffer) >= 4:
            size = struct.unpack(">I", self.buffer[:4])[0]
            if len(self.buffer) < 4 + size:
                return
            fields = self.buffer[4 : 4 + size].decode().split("\0")
            self.buffer = self.buffer[4 + size :]
            self.transport.write(self.answer(fields))  # type: ignore[attr-defined]

    def answer(self, fields: list[str]) -> bytes:
        match fields[0]:
            case "71":
                return frame(15, 1, "DU1") + frame(9, 1, 1)
            case "61":
                return frame(62, 1)
            case "5":
                return frame(53, 1)
            case "99":
                return frame(102)
            case "6":
                return frame(54, 1, fields[3])
            case "76":
                return frame(74, 1, fields[2])
            case "7":
                return frame(55, 1, fields[2])
        return b""


async def serve_minimal() -> None:
    server = await asyncio.get_running_loop().create_server(MinimalResponder, "127.0.0.1", 0)
    print(
        f"minimal responder listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True
    )
    await server.serve_forever()


class ServerProcess:
    """A server in its own process; its first stdout line ends with HOST:PORT."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        host, port = line.rsplit(" ", 1)[-1].rsplit(":", 1)
        self.host, self.port = host, int(port)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def cycle_times(host: str, port: int, cycles: int) -> list[float]:
    times = []
    for client_id in range(1, cycles + 1):
        ib = IB()
        start = time.perf_counter()
        await ib.connectAsync(host, port, clientId=client_id, timeout=5, raiseSyncErrors=True)
        ib.disconnect()
        times.append(time.perf_counter() - start)
    return times


async def measure(cycles: int, rounds: int) -> list[tuple[float, float]]:
    """(fake, minimal) median seconds per round of `cycles` interleaved connects."""
    with (
        ServerProcess("-m", "pytest_tws.cli", "fake", "--port", "0") as tws,
        ServerProcess(__file__, "--serve-minimal") as bare,
    ):
        await cycle_times(tws.host, tws.port, 3)  # warm both paths up
        await cycle_times(bare.host, bare.port, 3)
        results = []
        for _ in range(rounds):
            fake: list[float] = []
            minimal: list[float] = []
            for _ in range(cycles):  # interleaved, so machine noise hits both alike
                fake += await cycle_times(tws.host, tws.port, 1)
                minimal += await cycle_times(bare.host, bare.port, 1)
            results.append((statistics.median(fake), statistics.median(minimal)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5,
                        help="repeat the measurement; the figure is the median round's")
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    parser.add_argument("--serve-minimal", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_minimal:
        asyncio.run(serve_minimal())
        return 0
    rounds = asyncio.run(measure(args.cycles, args.rounds))
    ratios = sorted(fake / minimal for fake, minimal in rounds)
    ratio = statistics.median(ratios)
    fake_ms = statistics.median(fake for fake, _ in rounds) * 1000
    minimal_ms = statistics.median(minimal for _, minimal in rounds) * 1000
    body = (
        "## Connect: `benchmarks/connect.py`\n\n"
        f"ib_async connect + full startup sync + disconnect, against each server in its own "
        f"process. A round is the median of {args.cycles} cycles, interleaved between the two "
        f"servers; {args.rounds} rounds, and the figures are the median round's.\n\n"
        "| server | median (ms) |\n|---|---|\n"
        f"| FakeTWS | {fake_ms:.2f} |\n| minimal responder | {minimal_ms:.2f} |\n"
        f"| **ratio** | **{ratio:.2f}x** (target ≤ 1.5x) |\n\n"
        f"Ratios of the rounds: {', '.join(f'{r:.2f}' for r in ratios)}.\n"
    )
    print(body)
    if args.write:
        write_section(args.write, "connect", body)
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
