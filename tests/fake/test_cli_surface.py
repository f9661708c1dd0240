"""The command line as users type it (issue 16, item 6): options before or after the command,
--version, the fake's limit flags, and doctor recognising the fake."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS
from pytest_tws.cli import main, make_fake, parse_args
from pytest_tws.doctor import Status, diagnose, format_report

READY = re.compile(r"^pytest-tws fake TWS listening on 127\.0\.0\.1:(\d+)$")
WAIT = 5.0


@pytest.mark.parametrize("argv", [
    ["-v", "fake"], ["fake", "-v"], ["--verbose", "fake"], ["fake", "--verbose"],
])
def test_verbose_before_or_after_the_command(argv: list[str]) -> None:
    args = parse_args(argv)
    assert (args.command, args.verbose) == ("fake", 1)


def test_any_option_may_come_before_the_command() -> None:
    args = parse_args(["--port", "0", "-v", "fake", "-v", "--seed", "3"])
    assert (args.command, args.port, args.seed, args.verbose) == ("fake", 0, 3, 2)
    args = parse_args(["--json", "doctor", "--port", "4002"])
    assert (args.command, args.json, args.port) == ("doctor", True, 4002)


@pytest.mark.parametrize("argv", [["--version"], ["fake", "--version"], ["--version", "doctor"]])
def test_version(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    assert re.fullmatch(r"pytest-tws \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def test_bad_limit_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        parse_args(["fake", "--market-data-lines", "0"])
    assert done.value.code == 2
    assert "'0' is not a positive integer" in capsys.readouterr().err


async def test_the_fakes_flags_set_its_limits_accounts_and_read_only() -> None:
    args = parse_args(["fake", "--port", "0", "--accounts", "DU1111111,DU2222222",
                       "--account", "DU3333333", "--market-data-lines", "1",
                       "--messages-per-second", "20", "--read-only", "--seed", "7"])
    tws = make_fake(args)
    assert (tws.limits.market_data_lines, tws.limits.messages_per_second) == (1, 20)
    assert tws.seed == 7
    async with tws:
        ib = IB()
        await ib.connectAsync(tws.host, tws.port, clientId=1, timeout=WAIT)
        try:
            assert ib.managedAccounts() == ["DU3333333", "DU1111111", "DU2222222"]
            errors: list[int] = []
            ib.errorEvent += lambda req_id, code, text, contract: errors.append(code)
            ib.placeOrder(Stock("SPY", "SMART", "USD", conId=756733), LimitOrder("BUY", 1, 1.0))
            while 321 not in errors:
                await asyncio.wait_for(ib.errorEvent, WAIT)
        finally:
            ib.disconnect()


def test_fake_v_runs_as_a_process() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_tws.cli", "fake", "-v", "--port", "0",
         "--market-data-lines", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        assert READY.match(process.stdout.readline().rstrip("\n"))
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_doctor_recognises_the_fake_and_says_so() -> None:
    async with FakeTWS() as tws:
        report = await diagnose(tws.host, tws.port, client_id=998, timeout=WAIT)
    statuses = {c.name: c.status for c in report.checks}
    assert statuses["real TWS"] is Status.FAIL
    assert report.fake and not report.ok
    text = format_report(report)
    assert "this is pytest-tws's fake TWS" in text
    assert "This is the fake TWS (pytest-tws fake), not a paper TWS" in text
    assert "Ready:" not in text
    assert report.to_json()["fake_tws"] is True
