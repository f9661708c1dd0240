"""`pytest-tws fake` as a separate process, as users and CI run it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from ib_async import IB

READY = re.compile(r"^pytest-tws fake TWS listening on (127\.0\.0\.1):(\d+)$")


@pytest.fixture
def fake_process() -> Iterator[tuple[subprocess.Popen[str], str, int]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_tws.cli",
            "fake",
            "--port",
            "0",
            "--account",
            "DU7654321",
            "--account",
            "DU7654322",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().rstrip("\n")
    match = READY.match(line)
    assert match, f"unexpected ready line {line!r}"
    yield process, match.group(1), int(match.group(2))
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


async def test_cli_prints_exactly_the_ready_line_and_serves(fake_process):
    _, host, port = fake_process
    ib = IB()
    await ib.connectAsync(host, port, clientId=1, timeout=5)
    try:
        assert ib.managedAccounts() == ["DU7654321", "DU7654322"]
    finally:
        ib.disconnect()


def test_cli_stops_cleanly_on_terminate(fake_process):
    process, _, _ = fake_process
    process.terminate()
    code = process.wait(timeout=10)
    assert code == 0 if sys.platform != "win32" else code is not None
    assert process.stdout is not None and process.stdout.read() == ""
