"""The live-account guard: every connect the plugin makes (and any ``IB`` a user guards) is
refused on a TWS that manages a live account, before any request is sent.

A FakeTWS logged in to a live-looking account (U…) stands in for a TWS that was a paper
login at the session's check and is a live one now."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ib_async import IB

from pytest_tws import FakeTWS, LiveAccountError, guard_paper_only
from pytest_tws.fake.backend import Backend
from pytest_tws.settings import OPTIONS

pytest_plugins = ["pytester"]

PAPER = "DU2468013"
LIVE = "U1234567"
TIMEOUT = 10.0


def requests_sent(tws: FakeTWS) -> list[str]:
    """What clients sent after the handshake, by message name."""
    return [f.name for f in tws.frames if f.direction == ">>"]


def log_in(tws: FakeTWS, *accounts: str) -> None:
    """The TWS behind the port is now logged in to ``accounts`` (a fresh broker)."""

    def switch(backend: Backend = tws.backend) -> None:
        backend.account_names = accounts
        backend.rebuild()

    tws.call(switch)


@pytest.fixture
def live_tws() -> Iterator[FakeTWS]:
    with FakeTWS(accounts=(LIVE,)) as tws:
        yield tws


async def test_a_guarded_ib_is_refused_on_a_live_account_before_any_request(
    live_tws: FakeTWS,
) -> None:
    ib = IB()
    guard = guard_paper_only(ib)
    with pytest.raises(LiveAccountError, match=f"manages account {LIVE}, which is not a paper"):
        await guard.connect(live_tws.host, live_tws.port, clientId=3, timeout=TIMEOUT)
    assert not ib.isConnected()
    assert requests_sent(live_tws) == ["START_API"]  # the handshake's own, nothing else
    assert live_tws.orders() == [] and guard.checks == 1


async def test_one_live_account_among_paper_ones_is_enough_to_refuse() -> None:
    with FakeTWS(accounts=(PAPER, LIVE)) as tws:
        guard = guard_paper_only(IB())
        with pytest.raises(LiveAccountError, match=f"account {LIVE},"):
            await guard.connect(tws.host, tws.port, clientId=3, timeout=TIMEOUT)
        assert requests_sent(tws) == ["START_API"]


async def test_the_guard_checks_every_connect_of_the_same_ib() -> None:
    with FakeTWS(accounts=(PAPER,)) as tws:
        ib = IB()
        guard = guard_paper_only(ib)
        await guard.connect(tws.host, tws.port, clientId=3, timeout=TIMEOUT)
        assert ib.managedAccounts() == [PAPER] and await ib.reqCurrentTimeAsync()
        ib.disconnect()
        log_in(tws, LIVE)  # same host and port, a live login now
        with pytest.raises(LiveAccountError):
            await guard.connect(tws.host, tws.port, clientId=3, timeout=TIMEOUT)
        # a plain connectAsync is stopped too: ib_async fails, the guard says why
        with pytest.raises(ConnectionError):
            await ib.connectAsync(tws.host, tws.port, clientId=3, timeout=TIMEOUT)
        assert isinstance(guard.violation, LiveAccountError) and guard.checks == 3
        assert requests_sent(tws)[-2:] == ["START_API", "START_API"]
        log_in(tws, PAPER)
        await guard.connect(tws.host, tws.port, clientId=3, timeout=TIMEOUT)
        assert guard.violation is None
        guard.remove()
        ib.disconnect()


class LiveLogin:
    """A pytest plugin for the inner run: the fake it points at, and a fixture that turns it
    into a live login after the session's paper check."""

    def __init__(self, tws: FakeTWS) -> None:
        self.tws = tws

    @pytest.fixture
    def tws_became_live(self) -> None:
        log_in(self.tws, LIVE)


INNER_SUITE = """
from ib_async import LimitOrder, Stock

async def test_places_an_order(tws_became_live, ib, tws_target):
    ib.placeOrder(Stock("AAPL", "SMART", "USD", conId=265598),
                  LimitOrder("BUY", 1, 1.0, account=tws_target.account))
    raise AssertionError("the test body must not run on a live account")
"""


def test_the_ib_fixture_refuses_a_tws_that_became_live_after_the_session_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    pytester.makeini("[pytest]\nasyncio_mode = auto\n"
                     "asyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(INNER_SUITE)
    with FakeTWS(accounts=(PAPER,)) as tws:
        result = pytester.runpytest_inprocess(
            "--tws=paper", f"--tws-port={tws.port}", "-p", "no:randomly",
            plugins=[LiveLogin(tws)])
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines([f"*ib fixture: pytest-tws refused the connection: TWS at "
                                     f"127.0.0.1:{tws.port} manages account {LIVE}*"])
        # the session's paper check, then the fixture's connect: two startApi, nothing more
        assert requests_sent(tws) == ["START_API", "START_API"]
        assert tws.orders() == []
