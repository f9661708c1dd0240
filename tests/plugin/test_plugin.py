"""The plugin seen from a user's test run (pytester): options, markers, header, paper mode,
and the teardown report of server-side failures and ib_async decode errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_tws import FakeTWS
from pytest_tws.settings import OPTIONS
from pytest_tws.wire.messages import In

pytest_plugins = ["pytester"]

# hypothesis's plugin would import (and assertion-rewrite) its whole package in every
# in-process run: 1.5 s each, for nothing these runs need.
INI = """
[pytest]
addopts = -p no:hypothesispytest -p no:randomly
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

PAPER_SUITE = """
import pytest

async def test_ib_is_connected(ib, tws_target):
    assert tws_target.is_paper
    assert await ib.reqCurrentTimeAsync()
    assert ib.managedAccounts() == [tws_target.account]

def test_each_test_has_its_own_client_id(tws_target):
    assert tws_target.client_id != tws_target.new_client_id()

def test_paper_tws_fixture(paper_tws):
    assert paper_tws.server_version == 178

@pytest.mark.fake_only
def test_needs_fault_control():
    raise AssertionError("fake_only must not run on paper")

def test_asks_for_the_fake(fake_tws):
    raise AssertionError("fake_tws must skip on paper")
"""


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.Pytester]:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    pytester.makeini(INI)
    yield pytester


def test_markers_are_registered_with_help(user: pytest.Pytester) -> None:
    result = user.runpytest("--markers")
    for marker in ("phase1a", "phase1b", "phase1c", "phase1d", "fake_only"):
        result.stdout.fnmatch_lines([f"@pytest.mark.{marker}: *"])


def test_header_names_the_fake_target(user: pytest.Pytester) -> None:
    user.makepyfile("def test_nothing(): pass")
    result = user.runpytest("--tws-seed=5")
    result.stdout.fnmatch_lines(["tws: fake TWS on 127.0.0.1, a free port per worker "
                                 "(default), seed 5"])
    assert result.ret == 0


def test_a_bad_value_is_a_usage_error_naming_its_source(
    user: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    user.makepyfile("def test_nothing(): pass")
    monkeypatch.setenv("PYTEST_TWS", "live")
    result = user.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tws: 'live' is not one of fake, paper, record, replay, "
                                 "from environment PYTEST_TWS*"])
    result = user.runpytest("--tws=fake")  # the command line wins over the environment
    assert result.ret == 0


def test_ini_setting_is_used_below_env(
    user: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    user.makeini(INI + "tws_seed = 11\n")
    user.makepyfile("def test_seed(tws_settings):\n    assert tws_settings.seed == 11\n")
    assert user.runpytest().ret == 0
    monkeypatch.setenv("PYTEST_TWS_SEED", "12")
    result = user.runpytest()
    result.stdout.fnmatch_lines(["*seed 12*"])


def test_fake_run_gives_each_test_a_reset_fake_and_a_connected_ib(user: pytest.Pytester) -> None:
    user.makepyfile("""
        import pytest
        from ib_async import Stock

        async def test_one(ib, fake_tws, tws_target):
            assert tws_target.is_fake and tws_target.port == fake_tws.port
            await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            assert fake_tws.client_ids() == [tws_target.client_id]

        def test_two_sync_api(ib, fake_tws):
            assert ib.reqCurrentTime()
            assert not any(f.name == "REQ_CONTRACT_DATA" for f in fake_tws.frames)

        @pytest.mark.fake_only
        def test_fake_only_runs_on_the_fake(fake_tws):
            pass
    """)
    result = user.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_teardown_report_names_server_failures_and_shows_named_frames(
    user: pytest.Pytester,
) -> None:
    user.makepyfile(f"""
        async def test_sends_a_request_the_fake_cannot_decode(ib):
            ib.client.send({int(In.REQ_MARKET_DATA_TYPE)}, "one", "two")
            assert await ib.reqCurrentTimeAsync()
    """)
    result = user.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_sends_a_request_the_fake_cannot_decode*",
        "*FakeTWSFailure: the fake TWS recorded server-side failures during this test:",
        "*undecodable request (client *): REQ_MARKET_DATA_TYPE*",
        "*the 'fake TWS' section*",
        "*- fake TWS -*",
        "*>> client * REQ_MARKET_DATA_TYPE one|two*",
        "*<< client * ERR_MSG *errorCode=321*",
        "*<< client * CURRENT_TIME *",
    ])


def test_ib_async_decode_errors_fail_the_test_at_teardown(user: pytest.Pytester) -> None:
    user.makepyfile("""
        from pytest_tws.wire.messages import Out

        async def test_fake_sends_garbage(ib, fake_tws):
            def garbage():
                for session in fake_tws.backend.ready_sessions():
                    session.send([int(Out.CURRENT_TIME), 1, "not-a-time"])
            fake_tws.call(garbage)
            assert await ib.reqCurrentTimeAsync()
    """)
    result = user.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ib_async logged errors decoding what the fake sent:*",
        "*ib_async.Decoder: Error handling fields*not-a-time*",
        "*<< client * CURRENT_TIME: 1|not-a-time*",
    ])


def test_tws_errors_logged_by_ib_async_are_not_decode_errors(user: pytest.Pytester) -> None:
    user.makepyfile("""
        from ib_async import Stock

        async def test_unknown_symbol(ib):
            assert await ib.reqContractDetailsAsync(Stock("NOSUCH", "SMART", "USD")) == []
    """)
    user.runpytest().assert_outcomes(passed=1)


@pytest.fixture
def paper_fake() -> Iterator[FakeTWS]:
    with FakeTWS(accounts=("DU7654321",)) as tws:
        yield tws


def test_paper_run_skips_fake_only_and_uses_the_paper_account(
    user: pytest.Pytester, paper_fake: FakeTWS
) -> None:
    user.makepyfile(PAPER_SUITE)
    result = user.runpytest("--tws=paper", f"--tws-port={paper_fake.port}", "-rs")
    result.assert_outcomes(passed=3, skipped=2)
    result.stdout.fnmatch_lines([
        f"tws: paper TWS at 127.0.0.1:{paper_fake.port} (command line --tws)*",
        "SKIPPED*fake_only: needs the fake TWS's fault control, and this run is --tws=paper",
        "SKIPPED*needs the fake TWS (fake_tws), and this run is --tws=paper",
    ])


def test_paper_run_refuses_a_live_account_and_sends_nothing(
    user: pytest.Pytester,
) -> None:
    user.makepyfile(PAPER_SUITE)
    with FakeTWS(accounts=("DU7654321", "U1234567")) as live:
        result = user.runpytest("--tws=paper", f"--tws-port={live.port}")
        sent = [f.name for f in live.frames if f.direction == ">>"]
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines([
        f"*pytest-tws refuses to run: TWS at 127.0.0.1:{live.port} manages account U1234567, "
        "which is not a paper account*"])
    assert not any(word in result.stdout.str() for word in ("passed", "failed", "skipped"))
    assert sent == ["START_API"]  # the check's handshake, and not one request
