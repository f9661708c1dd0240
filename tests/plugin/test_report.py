"""The report of a failing test that used the fake, the default timeout, the unimplemented
request's answer and the duplicate clientId (issue 16, items 2, 3 and 6)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from pytest_tws.settings import OPTIONS

pytest_plugins = ["pytester"]

INI = """
[pytest]
addopts = -p no:hypothesispytest -p no:randomly
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

NEVER_FILLS = """
import asyncio
from ib_async import LimitOrder, Stock

async def test_order_never_fills(ib, fake_tws):
    fake_tws.market.set_price("SPY", 500.0)
    trade = ib.placeOrder(Stock("SPY", "SMART", "USD"), LimitOrder("BUY", 1, 490.0))
    while trade.orderStatus.status != "Submitted":
        await asyncio.wait_for(ib.updateEvent, 5)
    assert trade.orderStatus.status == "Filled"

async def test_passes(ib):
    assert await ib.reqCurrentTimeAsync()

def test_fails_without_the_fake():
    assert False
"""


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.Pytester]:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("PYTEST_TIMEOUT", raising=False)
    pytester.makeini(INI)
    yield pytester


def test_a_plain_assertion_failure_explains_why_the_order_did_not_fill(
    user: pytest.Pytester,
) -> None:
    user.makepyfile(NEVER_FILLS)
    result = user.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert out.count("- fake TWS -") == 1  # only the failing test that used the fake
    section = out.split("- fake TWS -", 1)[1]
    result.stdout.fnmatch_lines([
        "*- fake TWS -*",
        "fake TWS at 127.0.0.1:*; this test's frames*",
        "  .. client 1*: the ib fixture's connect and startup sync (* frames folded)",
        "  >> client 1* PLACE_ORDER orderId=* symbol=SPY secType=STK*action=BUY "
        "totalQuantity=1 orderType=LMT lmtPrice=490.0*",
        "  << client 1* ORDER_STATUS orderId=* status=Submitted filled=0 remaining=1*",
        "state of the fake now:",
        "  orders: 1 working, 0 done (fill policy 'immediate')",
        "    order * (client 1*) BUY 1 SPY STK LMT 490 DAY: Submitted, filled 0 of 1",
        "        why not filled: not marketable: the ask is * now and a BUY limit fills when "
        "the ask is at or below 490*",
        "  positions: none",
        "  market-data lines: 0 of 100",
        "  faults in force: none",
    ])
    # the frames are the test's own: the startup sync is one line, not its requests
    frames = section.split("state of the fake now:", 1)[0]
    assert "START_API" not in frames and "REQ_MANAGED_ACCTS" not in frames
    assert "no answer (yet)" not in frames  # the order was answered (Submitted)


def test_the_section_can_be_turned_off(user: pytest.Pytester) -> None:
    user.makepyfile(NEVER_FILLS)
    result = user.runpytest("-o", "tws_report=false")
    result.assert_outcomes(passed=1, failed=2)
    assert "- fake TWS -" not in result.stdout.str()
    result = user.runpytest("-p", "no:pytest_tws.report")
    result.assert_outcomes(passed=1, failed=2)
    assert "- fake TWS -" not in result.stdout.str()


@pytest.mark.skipif(
    not hasattr(signal, "SIGALRM"),
    reason="pytest-timeout's thread method (Windows) ends the whole process on a timeout",
)
def test_a_hanging_request_fails_at_the_default_timeout_naming_it(
    user: pytest.Pytester,
) -> None:
    user.makepyfile("""
        from ib_async import Stock

        async def test_hangs(ib, fake_tws):
            fake_tws.faults.ignore_next("reqContractDetails")
            await ib.reqContractDetailsAsync(Stock("SPY", "SMART", "USD"))
    """)
    result = user.runpytest("--tws-timeout=1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*Timeout*1.0*",
        "*>> client 1* REQ_CONTRACT_DATA version=8 reqId=* symbol=SPY*",
        "no answer (yet) to the last request of:",
        "  client 1* REQ_CONTRACT_DATA version=8 reqId=* symbol=SPY*",
        "  faults in force: REQ_CONTRACT_DATA reqId * left unanswered by ignore_next",
    ])


TIMEOUT_PROBE = """
import pytest

def _timeout(request):
    marker = request.node.get_closest_marker("timeout")
    return None if marker is None else marker.args[0]

def test_uses_the_fake(request, fake_tws):
    print("TIMEOUT", _timeout(request))

@pytest.mark.timeout(5)
def test_own_marker(request, fake_tws):
    print("OWN", _timeout(request))

def test_without_the_plugin(request):
    print("NONE", _timeout(request))
"""


@pytest.mark.parametrize(("args", "expected"), [
    ((), "TIMEOUT 60.0"),
    (("--tws-timeout=7",), "TIMEOUT 7.0"),
    (("-o", "tws_timeout=8"), "TIMEOUT 8.0"),
    (("--tws-timeout=0",), "TIMEOUT None"),
    (("--timeout=9",), "TIMEOUT None"),     # pytest-timeout's own setting wins
    (("-o", "timeout=9"), "TIMEOUT None"),
])
def test_default_timeout_settings(
    user: pytest.Pytester, args: tuple[str, ...], expected: str
) -> None:
    user.makepyfile(TIMEOUT_PROBE)
    result = user.runpytest("-s", *args)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([f"*{expected}*", "*OWN 5*", "*NONE None*"])


def test_the_environment_sets_the_timeout(
    user: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_TWS_TIMEOUT", "3")
    user.makepyfile(TIMEOUT_PROBE)
    result = user.runpytest("-s")
    result.stdout.fnmatch_lines(["*TIMEOUT 3.0*"])


def test_an_unimplemented_request_is_answered_at_once_and_fails_at_teardown(
    user: pytest.Pytester,
) -> None:
    user.makepyfile("""
        import asyncio
        from ib_async import Stock

        async def test_asks_for_a_histogram(ib):
            errors = []
            ib.errorEvent += lambda req_id, code, text, contract: errors.append((code, text))
            # answered at once: ib_async ends the request (empty) instead of waiting forever
            assert not await asyncio.wait_for(ib.reqHistogramDataAsync(
                Stock("SPY", "SMART", "USD", conId=756733), True, "1 week"), 5)
            [(code, text)] = errors
            assert code == 320 and "REQ_HISTOGRAM_DATA" in text
    """)
    result = user.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*FakeTWSFailure*",
        "*unimplemented request (client *): REQ_HISTOGRAM_DATA (id 88) is not implemented*",
        "*'fake TWS' section*",
        "*- fake TWS -*",
        "*<< client * ERR_MSG *errorCode=320 errorString=Server error when reading an API "
        "client request. REQ_HISTOGRAM_DATA (message id 88) is not implemented by the fake TWS*",
    ])


def test_a_duplicate_client_id_fails_the_ib_fixture_with_326_and_the_fix(
    user: pytest.Pytester,
) -> None:
    user.makepyfile("""
        import pytest
        from ib_async import IB

        @pytest.fixture
        def squatter(tws_target):
            other = IB()
            other.connect(tws_target.host, tws_target.port, clientId=tws_target.client_id)
            yield other
            other.disconnect()

        async def test_clash(squatter, ib):
            pass
    """)
    result = user.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*ib fixture: cannot connect to *: TWS error 326 \"Unable to connect as the client id "
        "is already in use. Retry with a unique client id.\"*",
        "*Fix: another connection holds this clientId*tws_target.new_client_id()*",
    ])
