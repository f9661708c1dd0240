"""`--tws=record` / `--tws=replay` end to end: a user's suite recorded through the plugin from
a FakeTWS standing in for the paper TWS, the upstream stopped, the suite replayed green; a test
changed after recording fails with the side-by-side message; a test never recorded says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_tws import FakeTWS
from pytest_tws.cassette import format as fmt
from pytest_tws.cassette.fixture import cassette_name
from pytest_tws.settings import OPTIONS

pytest_plugins = ["pytester"]

ACCOUNT = "DU2468013"
INI = """
[pytest]
addopts = -p no:hypothesispytest -p no:randomly -p no:cacheprovider
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""
SUITE = """
import pytest
from ib_async import LimitOrder, Stock

QUANTITY = {quantity}

async def test_current_time(ib):
    assert await ib.reqCurrentTimeAsync()

async def test_order(ib, tws_target):
    contract = Stock("AAPL", "SMART", "USD")
    await ib.qualifyContractsAsync(contract)
    trade = ib.placeOrder(contract, LimitOrder("BUY", QUANTITY, 1.00, orderRef="mine",
                                               account=tws_target.account))
    while trade.orderStatus.status not in ("Submitted", "PreSubmitted"):
        assert not trade.isDone(), trade.log
        await ib.updateEvent

@pytest.mark.fake_only
def test_fault_control(fake_tws):
    raise AssertionError("needs the fake: skipped")
"""


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    pytester.makeini(INI)
    return pytester


@pytest.fixture
def paper() -> Iterator[FakeTWS]:
    with FakeTWS(accounts=[ACCOUNT]) as tws:
        yield tws


def test_record_then_replay_without_the_upstream(user: pytest.Pytester, paper: FakeTWS) -> None:
    user.makepyfile(test_suite=SUITE.format(quantity=1))
    recorded = user.runpytest_subprocess("--tws=record", f"--tws-port={paper.port}",
                                         "--tws-cassettes", "cass", "-n", "2")
    recorded.assert_outcomes(passed=2, skipped=1)
    directory = Path(user.path) / "cass"
    names = sorted(p.name for p in directory.iterdir())
    assert names == [cassette_name("test_suite.py::test_current_time"),
                     cassette_name("test_suite.py::test_order")]
    order = fmt.load(directory / cassette_name("test_suite.py::test_order"))
    assert order.meta["test"] == "test_suite.py::test_order"
    assert order.meta["account"] == "DU0000001"
    assert any(e.name == "PLACE_ORDER" for e in order.entries)
    assert ACCOUNT not in (directory / names[1]).read_text()
    paper.stop()  # no TWS from here on

    replayed = user.runpytest_subprocess("--tws=replay", "--tws-cassettes", "cass", "-n", "2")
    replayed.assert_outcomes(passed=2, skipped=1)

    user.makepyfile(test_suite=SUITE.format(quantity=3))  # the test changed after recording
    changed = user.runpytest_subprocess("--tws=replay", "--tws-cassettes", "cass")
    changed.assert_outcomes(passed=1, skipped=1, failed=1, errors=1)  # the call, the teardown
    text = changed.stdout.str()
    assert "no recorded answer for PLACE_ORDER" in text
    assert "differing in totalQuantity" in text
    assert "! totalQuantity" in text
    assert "Order rejected - reason:pytest-tws replay: no recorded answer" in text


def test_replay_without_a_cassette_names_the_test(user: pytest.Pytester) -> None:
    user.makepyfile(test_suite=SUITE.format(quantity=1))
    result = user.runpytest_subprocess("--tws=replay", "-k", "current_time")
    result.assert_outcomes(errors=1, deselected=2)
    text = result.stdout.str()
    assert "test_suite.py::test_current_time has no cassette" in text
    assert "record it with pytest --tws=record" in text
