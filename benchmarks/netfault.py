"""Overhead of the embedded Toxiproxy server (no toxics) against talking to the upstream directly.

Run ``python benchmarks/netfault.py`` to print a markdown table, or add
``--write docs/benchmarks.md`` to replace the section between the ``netfault`` markers there.
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import socket
import statistics
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from _report import write_section  # benchmarks/_report.py, shared by every benchmark

from pytest_tws.netfault import ToxiproxyServer

MIB = 1024 * 1024


def _serve(handler: Callable[[socket.socket], None]) -> int:
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return int(listener.getsockname()[1])


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)


def _sink(conn: socket.socket) -> None:
    """Reads an 8-byte length and that many bytes, then acknowledges with one byte."""
    with conn:
        while header := _recv_exactly(conn, 8):
            remaining = struct.unpack(">Q", header)[0]
            while remaining:
                remaining -= len(conn.recv(min(remaining, 1 << 20)))
            conn.sendall(b"k")


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return bytes(data)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _create_proxy(server: ToxiproxyServer, name: str, upstream_port: int) -> int:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    body = json.dumps({"name": name, "upstream": f"127.0.0.1:{upstream_port}"})
    conn.request("POST", "/proxies", body=body, headers={"Content-Type": "application/json"})
    reply = json.loads(conn.getresponse().read())
    conn.close()
    return int(reply["listen"].rsplit(":", 1)[1])


def round_trips(port: int, count: int) -> list[float]:
    """Seconds per 32-byte echo round trip, after a warm-up."""
    payload = b"x" * 32
    times = []
    with _connect(port) as sock:
        for index in range(count + 200):
            start = time.perf_counter()
            sock.sendall(payload)
            _recv_exactly(sock, len(payload))
            if index >= 200:
                times.append(time.perf_counter() - start)
    return times


def throughput(port: int, size: int) -> float:
    """MB/s (10^6 bytes) pushing ``size`` bytes one way and waiting for the ack."""
    block = b"\0" * (256 * 1024)
    with _connect(port) as sock:
        start = time.perf_counter()
        sock.sendall(struct.pack(">Q", size))
        for _ in range(size // len(block)):
            sock.sendall(block)
        assert _recv_exactly(sock, 1) == b"k"
        elapsed = time.perf_counter() - start
    return size / elapsed / 1e6


def measure(trips: int, size: int, repeats: int) -> dict[str, float]:
    echo_port, sink_port = _serve(_echo), _serve(_sink)
    with ToxiproxyServer() as server:
        proxy_echo = _create_proxy(server, "echo", echo_port)
        proxy_sink = _create_proxy(server, "sink", sink_port)
        direct_rtt = statistics.median(round_trips(echo_port, trips))
        proxy_rtt = statistics.median(round_trips(proxy_echo, trips))
        direct_mbs = statistics.median(throughput(sink_port, size) for _ in range(repeats))
        proxy_mbs = statistics.median(throughput(proxy_sink, size) for _ in range(repeats))
    return {
        "direct_rtt_us": direct_rtt * 1e6,
        "proxy_rtt_us": proxy_rtt * 1e6,
        "direct_mbs": direct_mbs,
        "proxy_mbs": proxy_mbs,
    }


def render(result: dict[str, float], trips: int, size: int, repeats: int) -> str:
    overhead = result["proxy_rtt_us"] - result["direct_rtt_us"]
    ratio = result["proxy_mbs"] / result["direct_mbs"]
    return "\n".join(
        [
            "## netfault: embedded Toxiproxy overhead (`benchmarks/netfault.py`)",
            "",
            "A proxy with no toxics against talking to the upstream directly, measured in the same "
            "run over loopback (client, upstreams and the server's thread share one process): "
            f"median of {trips} 32-byte echo round trips, and the median of {repeats} "
            f"{size // MIB} MiB one-way transfers.",
            "",
            "| measure | direct | through proxy | difference |",
            "|---|---:|---:|---:|",
            f"| round trip (median) | {result['direct_rtt_us']:.0f} µs "
            f"| {result['proxy_rtt_us']:.0f} µs | +{overhead:.0f} µs |",
            f"| throughput | {result['direct_mbs']:.0f} MB/s "
            f"| {result['proxy_mbs']:.0f} MB/s | {ratio:.0%} of direct |",
            "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
            f"Python {platform.python_version()}, {platform.system()} {platform.machine()}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="markdown file to update (marked section)")
    parser.add_argument("--trips", type=int, default=2000)
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    size = args.mib * MIB
    section = render(measure(args.trips, size, args.repeats), args.trips, size, args.repeats)
    print(section)
    if args.write is not None:
        write_section(args.write, "netfault", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
