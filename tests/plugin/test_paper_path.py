"""CI covers the paper path: `pytest-tws fake` runs as its own process, like a paper TWS, and
suites run against it with ``--tws=paper``; plus ``-n 2 --tws=fake`` (one fake per worker)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ib_async import IB, Trade

from pytest_tws.settings import OPTIONS

pytest_plugins = ["pytester"]

READY_TIMEOUT = 20.0
INI = """
[pytest]
addopts = -p no:hypothesispytest -p no:randomly
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

SUITE = """
import pytest
from ib_async import LimitOrder, Stock

async def test_connected_to_a_paper_account(ib, tws_target):
    assert tws_target.is_paper and tws_target.account.startswith("D")
    assert await ib.reqCurrentTimeAsync()

async def test_leaves_an_order_open(ib, tws_target):
    contract = Stock("AAPL", "SMART", "USD")
    await ib.qualifyContractsAsync(contract)
    trade = ib.placeOrder(contract, LimitOrder("BUY", 1, 1.00, account=tws_target.account))
    while trade.orderStatus.status not in ("Submitted", "PreSubmitted"):
        assert not trade.isDone(), trade.log
        await ib.updateEvent
    # left open on purpose: the ib fixture must cancel it at teardown

@pytest.mark.fake_only
def test_fault_control(fake_tws):
    raise AssertionError("must be skipped on paper")
"""


class CliFake:
    """`pytest-tws fake` in a process of its own, as a paper TWS stands in for CI."""

    def __init__(self, tmp: Path, *accounts: str) -> None:
        script = Path(sys.executable).parent / ("pytest-tws.exe" if os.name == "nt"
                                                  else "pytest-tws")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "pytest_tws.cli"]
        command += ["-v", "fake", "--port", "0"]
        for account in accounts:
            command += ["--account", account]
        self.log_path = tmp / "fake.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log,
                                        text=True)
        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout

        def pump() -> None:
            for line in stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        try:
            ready = lines.get(timeout=READY_TIMEOUT)
        except queue.Empty:
            self.stop()
            raise AssertionError(f"no ready line; log:\n{self.log_path.read_text()}") from None
        prefix = "pytest-tws fake TWS listening on "
        assert ready.startswith(prefix), ready
        self.host, port = ready[len(prefix):].strip().rsplit(":", 1)
        self.port = int(port)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture
def cli_fake(tmp_path: Path) -> Iterator[Callable[..., CliFake]]:
    started: list[CliFake] = []

    def start(*accounts: str) -> CliFake:
        fake = CliFake(tmp_path, *accounts)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    pytester.makeini(INI)
    return pytester


async def orders_seen_by(fake: CliFake) -> tuple[list[Trade], list[Trade]]:
    """(open, completed) orders of every client, as TWS reports them to a newcomer."""
    ib = IB()
    await ib.connectAsync(fake.host, fake.port, clientId=0, timeout=10)
    try:
        return await ib.reqAllOpenOrdersAsync(), await ib.reqCompletedOrdersAsync(False)
    finally:
        ib.disconnect()


async def test_paper_suite_runs_against_a_paper_account_and_cancels_what_it_left_open(
    user: pytest.Pytester, cli_fake: Callable[..., CliFake]
) -> None:
    fake = cli_fake("DU2468013")
    user.makepyfile(SUITE)
    result = user.runpytest_subprocess("--tws=paper", f"--tws-port={fake.port}")
    result.assert_outcomes(passed=2, skipped=1)
    still_open, completed = await orders_seen_by(fake)
    assert still_open == []
    assert [(t.order.account, t.orderStatus.status) for t in completed] == [
        ("DU2468013", "Cancelled")]


async def test_paper_suite_is_refused_on_a_live_account_and_no_order_reaches_it(
    user: pytest.Pytester, cli_fake: Callable[..., CliFake]
) -> None:
    fake = cli_fake("U1357924")
    user.makepyfile(SUITE)
    result = user.runpytest_subprocess("--tws=paper", f"--tws-port={fake.port}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pytest-tws refuses to run: TWS at 127.0.0.1:* manages "
                                 "account U1357924, which is not a paper account*"])
    assert await orders_seen_by(fake) == ([], [])
    assert "client connected" in fake.log_path.read_text()  # the paper check did connect


def test_xdist_runs_one_fake_per_worker(user: pytest.Pytester, tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    seen.mkdir()
    user.makepyfile(f"""
        import os, pathlib, pytest

        @pytest.mark.parametrize("n", range(6))
        async def test_record(n, ib, fake_tws, tws_target):
            assert await ib.reqCurrentTimeAsync()
            worker = os.environ["PYTEST_XDIST_WORKER"]
            line = f"{{worker}} {{fake_tws.port}} {{tws_target.client_id}}"
            (pathlib.Path({str(seen)!r}) / str(n)).write_text(line)
    """)
    result = user.runpytest_subprocess("-n", "2", "--tws=fake")
    result.assert_outcomes(passed=6)
    rows = [p.read_text().split() for p in seen.iterdir()]
    workers = {worker: port for worker, port, _ in rows}
    assert len(workers) == 2, rows
    assert len(set(workers.values())) == 2  # a fake per worker, each on its own port
    assert len({client_id for _, _, client_id in rows}) == 6
