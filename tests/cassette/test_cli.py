"""`pytest-tws record` / `replay` as separate processes, as a user in front of their TWS runs
them (here a FakeTWS stands in for the paper TWS)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ib_async import IB

from pytest_tws import FakeTWS
from pytest_tws.cassette import format as fmt
from pytest_tws.cli import parse_args

TIMEOUT = 10.0
READY = re.compile(r"^pytest-tws (?:recording proxy|replay of .*) listening on "
                   r"(127\.0\.0\.1):(\d+)")


def launch(*args: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen([sys.executable, "-m", "pytest_tws.cli", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().rstrip("\n")
    match = READY.match(line)
    if not match:
        process.kill()
        raise AssertionError(f"unexpected ready line {line!r}: {process.communicate()}")
    return process, int(match.group(2))


def finish(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=TIMEOUT)


@pytest.fixture
def upstream() -> Iterator[FakeTWS]:
    with FakeTWS(accounts=["DU7654321"]) as tws:
        yield tws


def wait_file(path: Path, name: str) -> fmt.Cassette:
    pause = threading.Event()
    for _ in range(int(TIMEOUT / 0.05)):
        if path.exists():
            try:
                cassette = fmt.load(path)
            except fmt.CassetteError:  # caught between write and flush
                cassette = fmt.Cassette()
            if any(e.name == name for e in cassette.entries):
                return cassette
        pause.wait(0.05)
    raise AssertionError(f"{path} has no {name}")


def test_options_before_or_after_the_command() -> None:
    first = parse_args(["record", "--upstream", "127.0.0.1:7497", "--out", "x.cassette"])
    second = parse_args(["--upstream", "127.0.0.1:7497", "--out", "x.cassette", "record"])
    assert first.upstream == second.upstream == ("127.0.0.1", 7497)
    assert first.out == second.out == "x.cassette" and first.port == second.port == 0


def test_upstream_must_be_host_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["record", "--upstream", "7497", "--out", "x"])
    assert "is not HOST:PORT" in capsys.readouterr().err


def test_record_writes_a_cassette_per_session(upstream: FakeTWS, tmp_path: Path) -> None:
    out = tmp_path / "cli.cassette"
    process, port = launch("record", "--upstream", f"127.0.0.1:{upstream.port}",
                           "--out", str(out))
    try:
        ib = IB()
        ib.connect("127.0.0.1", port, clientId=2, timeout=TIMEOUT)
        assert ib.managedAccounts() == ["DU7654321"]  # the client sees the real values
        ib.reqCurrentTime()
        ib.disconnect()
        cassette = wait_file(out, "CURRENT_TIME")
    finally:
        finish(process)
    assert cassette.server_version == 178
    assert "DU7654321" not in out.read_text()


def test_replay_serves_what_record_wrote(upstream: FakeTWS, tmp_path: Path) -> None:
    out = tmp_path / "cli.cassette"
    recorder, port = launch("record", "--upstream", f"127.0.0.1:{upstream.port}", "--port",
                            "0", "--out", str(out))
    try:
        ib = IB()
        ib.connect("127.0.0.1", port, clientId=2, timeout=TIMEOUT)
        ib.reqCurrentTime()
        ib.disconnect()
        wait_file(out, "CURRENT_TIME")
    finally:
        finish(recorder)
    upstream.stop()  # nothing behind the replay
    replayer, port = launch("--port", "0", "replay", str(out))
    try:
        ib = IB()
        ib.connect("127.0.0.1", port, clientId=4, timeout=TIMEOUT)
        assert ib.managedAccounts() == ["DU0000001"]
        assert ib.reqCurrentTime() is not None
        ib.disconnect()
    finally:
        finish(replayer)
    assert replayer.stderr is not None and "no recorded answer" not in replayer.stderr.read()


def test_replay_of_a_missing_file_says_so(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pytest_tws.cli", "replay",
                             str(tmp_path / "none.cassette")], capture_output=True, text=True,
                            timeout=TIMEOUT * 3)
    assert result.returncode == 2 and "none.cassette" in result.stderr
