"""The fake bounds what each client may cost it (pytest_tws/fake/bounds.py): a handshake
timeout, TWS's 32-client limit, a maximum message size, a per-client buffer budget, a repeated
startApi recorded; each close logged with its reason, other clients unaffected, and memory back
to its baseline once the offenders are gone.

Raw sockets play the offenders (blocking, with timeouts: each wait is for an event, the close
of the socket, never a guessed sleep); a real ib_async client plays the bystander."""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import struct
import tracemalloc
from collections.abc import Iterator

import pytest
from ib_async import IB

from pytest_tws.fake import FakeTWS, Limits
from pytest_tws.fake.bounds import DEFAULT_MAX_CLIENTS, buffered_bytes
from pytest_tws.wire.framing import encode_frame

REACT = 10.0
MiB = 1024 * 1024


def handshake() -> bytes:
    version = b"v157..178"
    return b"API\0" + struct.pack(">I", len(version)) + version


def start_api(client_id: int) -> bytes:
    return encode_frame(["71", "2", str(client_id), ""])


def raw_client(tws: FakeTWS, *payloads: bytes) -> socket.socket:
    sock = socket.create_connection((tws.host, tws.port), timeout=REACT)
    for payload in payloads:
        sock.sendall(payload)
    return sock


def closed_by_peer(sock: socket.socket) -> bool:
    """Read until the fake closes the socket (True) or REACT seconds pass (False)."""
    sock.settimeout(REACT)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True  # reset: an abort with our input unread
    return True


def sessions(tws: FakeTWS) -> int:
    return tws.call(lambda: len(tws.backend.all_sessions))


def held(tws: FakeTWS) -> int:
    return tws.call(lambda: buffered_bytes(tws.backend))


def wait_for(condition: object, what: str) -> None:
    import time

    deadline = time.monotonic() + REACT
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


@pytest.fixture
def bystander() -> Iterator[tuple[FakeTWS, IB]]:
    """A fake with generous pacing and one well-behaved ib_async client on it."""
    with FakeTWS(limits=Limits(handshake_timeout=0.2)) as tws:
        ib = IB()
        ib.connect(tws.host, tws.port, clientId=1, timeout=REACT)
        try:
            yield tws, ib
        finally:
            ib.disconnect()


def still_served(ib: IB) -> None:
    assert ib.isConnected() and ib.reqCurrentTime()


def test_a_client_that_never_finishes_its_handshake_is_closed(
    bystander: tuple[FakeTWS, IB], caplog: pytest.LogCaptureFixture
) -> None:
    tws, ib = bystander
    caplog.set_level(logging.WARNING, "pytest_tws.fake")
    silent = raw_client(tws)
    halfway = raw_client(tws, handshake())  # a handshake, but never startApi
    assert closed_by_peer(silent) and closed_by_peer(halfway)
    assert caplog.text.count("no startApi within 0.2s of connecting") == 2
    still_served(ib)


def test_past_32_clients_the_next_socket_is_closed_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "pytest_tws.fake")
    with FakeTWS() as tws:
        ib = IB()
        ib.connect(tws.host, tws.port, clientId=1, timeout=REACT)
        idle = [raw_client(tws, handshake()) for _ in range(DEFAULT_MAX_CLIENTS - 1)]
        wait_for(lambda: sessions(tws) == DEFAULT_MAX_CLIENTS, "32 clients held")
        extra = raw_client(tws, handshake(), start_api(99))
        assert closed_by_peer(extra)
        assert "32 API clients are connected; TWS accepts at most 32 at once" in caplog.text
        assert sessions(tws) == DEFAULT_MAX_CLIENTS and tws.client_ids() == [1]
        still_served(ib)
        idle.pop().close()  # a slot frees up: the next client is admitted
        wait_for(lambda: sessions(tws) == DEFAULT_MAX_CLIENTS - 1, "a slot to free up")
        second = IB()
        second.connect(tws.host, tws.port, clientId=2, timeout=REACT)
        assert tws.client_ids() == [1, 2]
        second.disconnect()
        ib.disconnect()
        for sock in idle:
            sock.close()


def test_an_oversized_message_closes_only_that_client(
    bystander: tuple[FakeTWS, IB], caplog: pytest.LogCaptureFixture
) -> None:
    tws, ib = bystander
    caplog.set_level(logging.WARNING, "pytest_tws.fake")
    ten_mb = struct.pack(">I", 10 * MiB) + b"49\0"  # a valid id, an absurd length
    sock = raw_client(tws, handshake(), start_api(5), ten_mb)
    assert closed_by_peer(sock)
    assert "bad input" in caplog.text and str(10 * MiB) in caplog.text
    assert [f.kind for f in tws.transcript.take_failures()] == ["bad input"]
    still_served(ib)


def test_a_partial_message_over_the_buffer_budget_is_closed() -> None:
    limits = Limits(max_frame_bytes=8 * MiB, max_buffered_bytes=1 * MiB)
    with FakeTWS(limits=limits) as tws:
        sock = raw_client(tws, handshake(), start_api(5), struct.pack(">I", 4 * MiB))
        with contextlib.suppress(OSError):  # the fake may cut us mid-send
            sock.sendall(b"x" * (2 * MiB))
        assert closed_by_peer(sock)
        wait_for(lambda: sessions(tws) == 0 and held(tws) == 0, "the offender to be freed")


#: reqContractDetails for every SPY option, as ib_async writes it at v178: ~7 MB of answer,
#: more than the kernel's socket buffers hold for a client that does not read
SPY_OPTIONS = encode_frame(["9", "8", "1", "0", "SPY", "OPT", "", "0", "", "", "SMART", "", "",
                            "", "", "0", "", "", ""])


def test_a_client_that_does_not_read_its_output_is_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "pytest_tws.fake")
    with FakeTWS(limits=Limits(max_buffered_bytes=64 * 1024)) as tws:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and it never reads
        sock.connect((tws.host, tws.port))
        sock.sendall(handshake() + start_api(5) + SPY_OPTIONS)
        wait_for(lambda: "output the client has not read" in caplog.text, "the close")
        wait_for(lambda: sessions(tws) == 0 and held(tws) == 0, "the offender to be freed")
        sock.close()


def test_a_second_start_api_is_logged_and_recorded(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "pytest_tws.fake")
    with FakeTWS() as tws:
        sock = raw_client(tws, handshake(), start_api(7))
        wait_for(lambda: tws.client_ids() == [7], "clientId 7")
        sock.sendall(start_api(8))
        wait_for(lambda: tws.failures, "the repeated startApi to be recorded")
        (failure,) = tws.transcript.take_failures()
        assert failure.kind == "repeated startApi" and "clientId 8" in failure.message
        assert tws.client_ids() == [7]  # the connection keeps its first clientId
        assert "startApi again (clientId 8)" in caplog.text
        sock.close()


def test_memory_returns_to_baseline_once_the_offenders_are_gone(
    bystander: tuple[FakeTWS, IB],
) -> None:
    """20 clients each holding 0.9 MiB of an unfinished message (within every limit), then
    gone: the fake's buffer accounting goes back to zero and traced memory to its baseline."""
    tws, ib = bystander
    partial = struct.pack(">I", MiB - 16) + b"49\0" + b"x" * (MiB * 9 // 10)

    def offenders_come_and_go() -> int:
        socks = [raw_client(tws, handshake(), start_api(100 + n), partial) for n in range(20)]
        wait_for(lambda: held(tws) >= 20 * len(partial) - 20 * 16, "the offenders' buffers")
        at_peak = held(tws)
        for sock in socks:
            sock.close()
        wait_for(lambda: sessions(tws) == 1 and held(tws) == 0, "the offenders to be freed")
        return at_peak

    offenders_come_and_go()  # warm-up: first-time allocations (caches, code paths)
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        at_peak = offenders_come_and_go()
        gc.collect()
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert at_peak >= 18 * MiB and peak - baseline >= 18 * MiB  # the measure sees them
    assert now - baseline < MiB, f"{(now - baseline) / MiB:.2f} MiB still held"
    still_served(ib)
