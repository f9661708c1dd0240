"""What `pytest-tws -v fake` (connects) and `-vv fake` (every frame, by name) print."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from ib_async import IB

READY = re.compile(r"^pytest-tws fake TWS listening on 127\.0\.0\.1:(\d+)$")


def run_fake(verbosity: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_tws.cli", verbosity, "fake", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )
    assert process.stdout is not None
    match = READY.match(process.stdout.readline().rstrip("\n"))
    assert match
    yield process, int(match.group(1))
    process.kill()
    process.communicate(timeout=10)


@pytest.fixture
def fake_v() -> Iterator[tuple[subprocess.Popen[str], int]]:
    yield from run_fake("-v")


@pytest.fixture
def fake_vv() -> Iterator[tuple[subprocess.Popen[str], int]]:
    yield from run_fake("-vv")


def read_until(process: subprocess.Popen[str], pattern: str) -> list[str]:
    """stderr lines up to and including the first that matches; the test timeout bounds it."""
    assert process.stderr is not None
    seen = []
    while True:
        line = process.stderr.readline()
        assert line, f"stderr ended before {pattern!r}; got:\n{''.join(seen)}"
        seen.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return seen


def test_v_logs_each_client_connect_with_its_client_id_and_disconnect(fake_v) -> None:
    process, port = fake_v
    ib = IB()
    ib.connect("127.0.0.1", port, clientId=7, timeout=5)
    ib.disconnect()

    lines = read_until(process, r"client 7 \(127\.0\.0\.1:\d+\) disconnected")

    assert any(re.search(r"INFO client connected from 127\.0\.0\.1:\d+$", x) for x in lines)
    assert any(re.search(r"INFO client 7 started the API from 127\.0\.0\.1:\d+ "
                         r"\(server version 178\)$", x) for x in lines)
    assert not any(" DEBUG " in x for x in lines)


def test_vv_logs_every_frame_with_its_message_name(fake_vv) -> None:
    process, port = fake_vv
    ib = IB()
    ib.connect("127.0.0.1", port, clientId=8, timeout=5)
    ib.reqCurrentTime()
    ib.disconnect()

    lines = read_until(process, r"client 8 \(127\.0\.0\.1:\d+\) disconnected")
    frames = [x.split(" DEBUG ", 1)[1] for x in lines if " pytest_tws.fake DEBUG " in x]

    assert any(f.startswith("<< client - SERVER_VERSION: 178|") for f in frames)
    assert ">> client - START_API: 2|8|" in frames
    assert "<< client 8 MANAGED_ACCTS: 1|DU1234567" in frames
    assert ">> client 8 REQ_CURRENT_TIME: 1" in frames
    assert any(f.startswith("<< client 8 CURRENT_TIME: 1|") for f in frames)
