"""Data-plane behaviour of proxies and toxics (TOXIPROXY.md section 5), over real sockets.

Timing checks use wide bounds; every wait is on data or EOF with a socket timeout.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from ._support import (
    EchoServer,
    OneShotServer,
    ToxiproxyApi,
    connect,
    recv_exactly,
    recv_until_eof,
    split_address,
)


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> float:
    start = time.perf_counter()
    sock.sendall(payload)
    assert recv_exactly(sock, len(payload)) == payload
    return time.perf_counter() - start


def assert_nothing_arrives(sock: socket.socket, within: float = 0.2) -> None:
    sock.settimeout(within)
    with pytest.raises(socket.timeout):
        sock.recv(1)
    sock.settimeout(5)


def test_echo_small_large_and_two_part(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    with connect(proxy["listen"]) as sock:
        round_trip(sock, b"hello")
        big = bytes(range(256)) * 256  # 64 KiB
        sock.sendall(big)
        assert recv_exactly(sock, len(big)) == big
        sock.sendall(b"two ")
        sock.sendall(b"parts")
        assert recv_exactly(sock, 9) == b"two parts"


def test_upstream_down_gives_eof(toxiproxy: ToxiproxyApi) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead = f"127.0.0.1:{closed.getsockname()[1]}"
    proxy = toxiproxy.create("p", dead)
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        assert recv_until_eof(sock) == b""
        assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("streams", "expected"),
    [(["downstream"], 0.1), (["upstream"], 0.1), (["upstream", "downstream"], 0.2)],
)
def test_latency(
    toxiproxy: ToxiproxyApi, echo: EchoServer, streams: list[str], expected: float
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    for stream in streams:
        toxiproxy.add_toxic("p", "latency", stream=stream, attributes={"latency": 100})
    with connect(proxy["listen"]) as sock:
        elapsed = round_trip(sock)
    assert expected - 0.01 <= elapsed < 1.0


def test_latency_toxics_add_up_and_keep_throughput(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "latency", name="a", attributes={"latency": 100})
    toxiproxy.add_toxic("p", "latency", name="b", attributes={"latency": 100})
    payload = b"x" * (8 * 1024 * 1024)
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        assert recv_exactly(sock, len(payload)) == payload
        sender.join()
        elapsed = time.perf_counter() - start
    # Each chunk is delayed 200 ms, but chunks are pipelined: not 200 ms per chunk.
    assert 0.19 <= elapsed < 2.0


def test_toxics_apply_to_open_connections(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) < 0.09
        toxiproxy.add_toxic("p", "latency", attributes={"latency": 100})
        assert 0.09 <= round_trip(sock) < 1.0
        toxiproxy.post("/proxies/p/toxics/latency_downstream", json={"attributes": {"latency": 0}})
        assert round_trip(sock) < 0.09


def test_removing_a_toxic_flushes_held_data_in_order(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    payload = b"".join(struct.pack(">I", i) for i in range(16384))
    with connect(proxy["listen"]) as sock:
        toxiproxy.add_toxic("p", "latency", attributes={"latency": 10_000})
        for offset in range(0, len(payload), 4096):
            sock.sendall(payload[offset : offset + 4096])
        assert_nothing_arrives(sock)
        start = time.perf_counter()
        toxiproxy.remove_toxic("p", "latency_downstream")
        assert recv_exactly(sock, len(payload)) == payload
        assert time.perf_counter() - start < 2.0


CHURNS = {
    # Toxiproxy's own check: one latency toxic added and removed in a tight loop.
    "latency": [("latency", {"latency": 1000})],
    # Several stages, removed middle-first so a stage is unlinked between two live ones.
    "mixed": [
        ("latency", {"latency": 1000}),
        ("slicer", {"average_size": 64, "size_variation": 32, "delay": 0}),
        ("bandwidth", {"rate": 100_000}),
    ],
}


@pytest.mark.parametrize("churn_kind", sorted(CHURNS))
def test_no_data_dropped_under_toxic_churn(toxiproxy: ToxiproxyApi, churn_kind: str) -> None:
    """65,535 ordered writes survive toxics being added and removed, then EOF."""
    churning = threading.Event()
    source = OneShotServer([struct.pack(">H", i) for i in range(65535)], start=churning)
    proxy = toxiproxy.create("p", source.address)
    finished = threading.Event()
    toxics = CHURNS[churn_kind]
    removal_order = [1, 0, 2] if len(toxics) == 3 else [0]
    cycles = 0

    def churn() -> None:
        nonlocal cycles
        while not finished.is_set():
            for index, (type_, attributes) in enumerate(toxics):
                toxiproxy.add_toxic("p", type_, name=f"t{index}", attributes=attributes)
            churning.set()
            for index in removal_order:
                toxiproxy.remove_toxic("p", f"t{index}")
            cycles += 1

    churner = threading.Thread(target=churn)
    with connect(proxy["listen"]) as sock:
        churner.start()
        try:
            received = recv_until_eof(sock)
        finally:
            finished.set()
            churner.join()
    assert source.error is None
    assert len(received) == 2 * 65535
    values = struct.unpack(">65535H", received)
    assert values == tuple(range(65535))
    assert cycles > 1


def test_toxicity_zero_passes_data(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "timeout", attributes={"timeout": 0}, toxicity=0)
    with connect(proxy["listen"]) as sock:
        round_trip(sock)


def test_timeout_closes_after_idle_time(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "timeout", attributes={"timeout": 100}, toxicity=1)
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        assert recv_until_eof(sock) == b""
        assert 0.09 <= time.perf_counter() - start < 1.0


def test_removing_timeout_toxic_closes_connection(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    with connect(proxy["listen"]) as sock:
        round_trip(sock)
        toxiproxy.add_toxic("p", "timeout", attributes={"timeout": 0})
        sock.sendall(b"dropped")
        assert_nothing_arrives(sock)
        toxiproxy.remove_toxic("p", "timeout_downstream")
        assert recv_until_eof(sock) == b""
    # The upstream side is closed too.
    assert echo.eofs.acquire(timeout=5)


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_reset_peer_gives_econnreset(
    toxiproxy: ToxiproxyApi, echo: EchoServer, stream: str
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "reset_peer", stream=stream, attributes={"timeout": 50})
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            recv_until_eof(sock)
        assert 0.04 <= time.perf_counter() - start < 1.0


def test_reset_peer_on_older_connection_gives_eof(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    with connect(proxy["listen"]) as sock:
        round_trip(sock)
        toxiproxy.add_toxic("p", "reset_peer", stream="upstream", attributes={"timeout": 0})
        sock.sendall(b"hello")
        assert recv_until_eof(sock) == b""


def test_slicer_reassembles_in_many_pieces(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    attributes = {"average_size": 1024, "size_variation": 512, "delay": 2000}
    toxiproxy.add_toxic("p", "slicer", attributes=attributes)
    payload = b"hello world " * 4000  # 48 KB, about 47 pieces
    with connect(proxy["listen"]) as sock:
        sock.sendall(payload)
        received, reads = bytearray(), 0
        while len(received) < len(payload):
            chunk = sock.recv(65536)
            assert chunk
            received += chunk
            reads += 1
    assert bytes(received) == payload
    assert reads >= 10


def test_limit_data_truncates_then_closes(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "limit_data", attributes={"bytes": 10})
    with connect(proxy["listen"]) as sock:
        sock.sendall(bytes(range(100)))
        assert recv_until_eof(sock) == bytes(range(10))


def test_limit_data_zero_closes_on_first_chunk(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "limit_data", stream="upstream", attributes={"bytes": 0})
    with connect(proxy["listen"]) as sock:
        sock.sendall(b"x")
        assert recv_until_eof(sock) == b""


def test_bandwidth_limits_rate(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "bandwidth", attributes={"rate": 100})  # 100 KB/s
    payload = b"b" * 20_000
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        sock.sendall(payload)
        assert recv_exactly(sock, len(payload)) == payload
        assert 0.15 <= time.perf_counter() - start < 2.0


def test_slow_close_delays_eof(toxiproxy: ToxiproxyApi) -> None:
    source = OneShotServer([b"bye"])
    proxy = toxiproxy.create("p", source.address)
    toxiproxy.add_toxic("p", "slow_close", attributes={"delay": 150})
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        assert recv_until_eof(sock) == b"bye"
        assert 0.14 <= time.perf_counter() - start < 1.5


def test_disable_refuses_and_enable_restores_same_port(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "noop")
    with connect(proxy["listen"]) as open_before:
        round_trip(open_before)
        assert toxiproxy.post("/proxies/p", json={"enabled": False}).status_code == 200
        assert recv_until_eof(open_before) == b""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(split_address(proxy["listen"]), timeout=5).close()
    enabled = toxiproxy.post("/proxies/p", json={"enabled": True}).json()
    assert enabled["listen"] == proxy["listen"]
    assert [t["name"] for t in enabled["toxics"]] == ["noop_downstream"]
    with connect(enabled["listen"]) as sock:
        round_trip(sock)


def test_echo_survives_reset_and_churn(
    private_toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    toxiproxy = private_toxiproxy  # POST /reset acts on every proxy of the server
    proxy = toxiproxy.create("p", echo.address)
    with connect(proxy["listen"]) as sock:
        for i in range(20):
            toxiproxy.add_toxic("p", "latency", attributes={"latency": 1})
            toxiproxy.add_toxic("p", "bandwidth", stream="upstream", attributes={"rate": 10_000})
            round_trip(sock, b"%d" % i)
            assert toxiproxy.post("/reset").status_code == 204
            round_trip(sock, b"after %d" % i)


def test_removing_triggered_reset_peer_waits_for_its_timer(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    toxiproxy.add_toxic("p", "reset_peer", stream="upstream", attributes={"timeout": 400})
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        sock.sendall(b"trigger")
        assert_nothing_arrives(sock, within=0.05)
        toxiproxy.remove_toxic("p", "reset_peer_upstream")
        assert time.perf_counter() - start >= 0.35
        with pytest.raises(ConnectionResetError):
            recv_until_eof(sock)


def test_listen_update_moves_port(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    with socket.create_server(("127.0.0.1", 0)) as probe:
        target = f"127.0.0.1:{probe.getsockname()[1]}"
    moved = toxiproxy.patch("/proxies/p", json={"listen": target}).json()
    assert moved["listen"] == target
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(split_address(proxy["listen"]), timeout=5).close()
    with connect(target) as sock:
        round_trip(sock)


def test_localhost_listen_update_keeps_connections(
    toxiproxy: ToxiproxyApi, echo: EchoServer
) -> None:
    proxy = toxiproxy.create("p", echo.address)
    port = split_address(proxy["listen"])[1]
    with connect(proxy["listen"]) as sock:
        round_trip(sock)
        same = toxiproxy.patch("/proxies/p", json={"listen": f"localhost:{port}"})
        assert same.json()["listen"] == proxy["listen"]
        round_trip(sock)


def test_second_proxy_on_same_address_fails(toxiproxy: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = toxiproxy.create("p", echo.address)
    body = {"name": "q", "upstream": echo.address, "listen": proxy["listen"]}
    assert toxiproxy.post("/proxies", json=body).status_code == 500
