"""`pytest-tws doctor` as users run it: a separate process, its output and its exit code."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pytest_tws.fake import FakeTWS


def doctor(*args: str, encoding: str = "utf-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run(
        [sys.executable, "-m", "pytest_tws.cli", "doctor", "--timeout", "2", *args],
        capture_output=True, text=True, encoding=encoding, env=env, timeout=60,
    )


@pytest.fixture
def fake() -> Iterator[FakeTWS]:
    with FakeTWS(announce=False) as tws:
        yield tws


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_exit_0_and_a_checklist_of_ticks_when_ready(fake: FakeTWS) -> None:
    result = doctor("--port", str(fake.port))

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"pytest-tws doctor: TWS at 127.0.0.1:{fake.port}, clientId 999"
    assert "  ✓ paper account: DU1234567 (paper)" in lines
    assert "  ✓ read-only API: off (orders can be placed)" in lines
    assert lines[-1] == f"Ready: pytest --tws=paper --tws-host 127.0.0.1 --tws-port {fake.port}"
    assert result.stderr == ""


def test_exit_1_with_the_fix_under_each_failure(closed_port: int) -> None:
    result = doctor("--port", str(closed_port), "--client-id", "5")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = lines.index(next(line for line in lines if line.startswith("  ✗ port open:")))
    assert lines[failed + 1].startswith("      fix: Start TWS or IB Gateway")
    assert lines[-1] == "Not ready: 1 check(s) failed (port open)."


def test_json_output(closed_port: int) -> None:
    result = doctor("--port", str(closed_port), "--json")

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["port"] == closed_port
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["port open"]["status"] == "fail"
    assert "Enable ActiveX and Socket Clients" in by_name["port open"]["fix"]
    assert by_name["clock"]["status"] == "skip"


def test_a_legacy_code_page_gets_ascii_marks(closed_port: int) -> None:
    # As on a Windows console or pipe whose code page has no ✓ / ✗.
    result = doctor("--port", str(closed_port), encoding="cp1252")

    assert result.returncode == 1
    assert "  [FAIL] port open: " in result.stdout
    assert "  [ok] ib_async: " in result.stdout
    assert "TWS: Configure > API > Settings" in result.stdout
