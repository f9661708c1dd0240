"""Behaviour specific to the embedded server: exact bytes, seeding, lifecycle, HTTP layer."""

from __future__ import annotations

import asyncio
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pytest_tws.netfault import ToxiproxyServer
from pytest_tws.netfault.jsonutil import float32_json, go_dumps, to_float32

from ._support import EchoServer, ToxiproxyApi, connect, recv_exactly, recv_until_eof


@pytest.fixture
def seeded() -> Iterator[ToxiproxyApi]:
    with ToxiproxyServer(seed=1234) as server:
        api = ToxiproxyApi("embedded", server.url)
        yield api
        api.session.close()


def test_version_bytes_exactly(embedded_url: str) -> None:
    api = ToxiproxyApi("embedded", embedded_url)
    response = api.get("/version")
    assert response.content == b'{"version": "2.12.0"}\n'
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"


def test_toxicity_draws_follow_the_seed(seeded: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = seeded.create("p", echo.address)
    seeded.add_toxic("p", "limit_data", attributes={"bytes": 0}, toxicity=0.5)
    outcomes = []
    for _ in range(12):
        with connect(proxy["listen"]) as sock:
            sock.sendall(b"x")
            outcomes.append(sock.recv(1) == b"")
    # One draw per toxic each time it starts on a link: here once per connection.
    rng = random.Random(1234)
    assert outcomes == [rng.random() < to_float32(0.5) for _ in range(12)]
    assert set(outcomes) == {True, False}  # some draws pass the toxic, some do not


def test_slicer_average_size_zero_passes_through(seeded: ToxiproxyApi, echo: EchoServer) -> None:
    proxy = seeded.create("p", echo.address)
    seeded.add_toxic("p", "slicer", attributes={"average_size": 0, "size_variation": 5})
    with connect(proxy["listen"]) as sock:
        sock.sendall(b"intact")
        assert recv_exactly(sock, 6) == b"intact"


def test_keep_alive_chunked_and_bad_requests(embedded_url: str) -> None:
    host, port = embedded_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        for _ in range(2):  # same connection twice
            conn.request("GET", "/proxies")
            response = conn.getresponse()
            assert response.status == 200 and response.read() == b"{}"
        body = iter([b'{"name": "", ', b'"upstream": "x"}'])
        conn.request("POST", "/proxies", body=body, encode_chunked=True)
        response = conn.getresponse()
        assert response.status == 400
        assert b"missing required field: name" in response.read()
    finally:
        conn.close()
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"NONSENSE\r\n\r\n")
        assert recv_until_eof(raw).startswith(b"HTTP/1.1 400 ")


def test_start_failure_raises_and_stop_is_idempotent() -> None:
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        server = ToxiproxyServer(port=blocker.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
    server = ToxiproxyServer().start()
    assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
    server.stop()
    server.stop()


async def test_serve_forever_in_running_loop() -> None:
    server = ToxiproxyServer()
    ready = asyncio.Event()
    task = asyncio.create_task(server.serve_forever(on_ready=ready.set))
    await asyncio.wait_for(ready.wait(), 5)
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.endswith(b'\r\n\r\n{"version": "2.12.0"}\n')
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(OSError):
        await asyncio.open_connection(server.host, server.port)


def test_run_cli_prints_one_line_and_exits_cleanly() -> None:
    code = (
        "import sys; from pytest_tws.netfault.server import run_cli;"
        " sys.exit(run_cli('127.0.0.1', 0))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"pytest-tws toxiproxy listening on 127\.0\.0\.1:(\d+)\n", line)
        assert match, line
        api = ToxiproxyApi("embedded", f"http://127.0.0.1:{match.group(1)}")
        assert api.get("/version").json() == {"version": "2.12.0"}
        api.session.close()
        # SIGTERM exercises the clean shutdown; Windows has only TerminateProcess.
        if os.name == "posix":
            process.send_signal(signal.SIGTERM)
        else:
            process.terminate()
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if os.name == "posix":
        assert process.returncode == 0, err
    assert out == ""


def test_go_json_shapes() -> None:
    assert float32_json(to_float32(0.2)) == 0.2
    assert float32_json(1.0) == 1 and isinstance(float32_json(1.0), int)
    assert go_dumps({"error": "<a&b>"}) == b'{"error":"\\u003ca\\u0026b\\u003e"}'
