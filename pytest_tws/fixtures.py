"""Fixtures: the target (fake or paper), the fake TWS, and a connected ib_async client.

- `fake_tws`: one FakeTWS per test session (per xdist worker, on a free port), reset for every
  test. Server-side failures and ib_async decode errors fail the test at teardown; any
  failing test that used it gets the "fake TWS" report section (pytest_tws/report.py).
- `paper_tws`: the paper TWS the session checked (skipped unless ``--tws=paper``).
- `tws_target`: host, port, clientId, account and mode of the current test's target.
- `ib`: an ib_async ``IB`` connected to the target: ``await ib.reqCurrentTimeAsync()`` in
  ``async def`` tests, ``ib.reqCurrentTime()`` in plain ones. On paper, orders it left open
  are cancelled at teardown. Every connect is checked for live accounts (`guard_paper_only`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest
import pytest_asyncio
from ib_async import IB

from pytest_tws.connect_errors import ConnectErrors
from pytest_tws.fake import FakeTWS
from pytest_tws.ib_log import IbAsyncErrors
from pytest_tws.live_guard import LiveAccountError, guard_paper_only
from pytest_tws.model.accounts import DEFAULT_ACCOUNT
from pytest_tws.paper import PaperSession
from pytest_tws.report import FAKE_KEY, SECTION, report_enabled
from pytest_tws.settings import CASSETTE_MODES, TwsSettings
from pytest_tws.target import ClientIds, TwsTarget

#: Seconds the `ib` fixture waits for connect (startup sync included) and for cancels.
IB_TIMEOUT = 10.0
#: Seconds a blocking ``ib`` call (``ib.reqCurrentTime()``) waits for its answer.
IB_REQUEST_TIMEOUT = 30.0
REPORT_FRAMES = 30
#: Fixtures that reset the fake when set up, so `ib` sets them up before it connects.
SET_UP_BEFORE_IB = ("restart_window",)


class FakeTWSFailure(AssertionError):
    """The fake saw something during the test that a real TWS would not have accepted
    silently (an undecodable or unimplemented request, a crash in a handler), or ib_async
    could not decode what the fake sent."""


class IbAsyncDecodeError(AssertionError):
    """ib_async logged a decode error (or an inconsistency) during the test."""


def failure_report(
    tws: FakeTWS,
    failures: Sequence[object],
    client_errors: Sequence[str] = (),
    frames: int = REPORT_FRAMES,
) -> str:
    lines: list[str] = []
    if failures:
        lines.append("the fake TWS recorded server-side failures during this test:")
        lines += [f"  - {failure}" for failure in failures]
    if client_errors:
        lines.append("ib_async logged errors decoding what the fake sent:")
        lines += [f"  - {error}" for error in client_errors]
    if frames:
        lines += [f"last {frames} wire frames (>> client to fake, << fake to client):",
                  tws.transcript.tail(frames)]
    else:
        lines.append(f"(this test's frames and the fake's state: the '{SECTION}' section)")
    return "\n".join(lines)


def _plugin_state(config: pytest.Config) -> tuple[TwsSettings, ClientIds, IbAsyncErrors]:
    from pytest_tws import plugin

    return (config.stash[plugin.SETTINGS_KEY], config.stash[plugin.CLIENT_IDS_KEY],
            config.stash[plugin.IB_ERRORS_KEY])


@pytest.fixture(scope="session")
def tws_settings(pytestconfig: pytest.Config) -> TwsSettings:
    """The resolved ``--tws*`` settings (command line > env > ini > default)."""
    return _plugin_state(pytestconfig)[0]


@pytest.fixture
def _ib_async_errors(pytestconfig: pytest.Config) -> Iterator[IbAsyncErrors]:
    errors = _plugin_state(pytestconfig)[2]
    errors.take()
    yield errors
    left = errors.take()
    if left:
        raise IbAsyncDecodeError("ib_async logged errors during this test:\n"
                                 + "\n".join(f"  - {e}" for e in left))


@pytest.fixture(scope="session")
def _fake_tws_server(tws_settings: TwsSettings) -> Iterator[FakeTWS]:
    if not tws_settings.uses_fake:
        pytest.skip(f"needs the fake TWS (fake_tws), and this run is --tws={tws_settings.mode}")
    accounts = (tws_settings.account or DEFAULT_ACCOUNT,)
    with FakeTWS(accounts=accounts, seed=tws_settings.seed,
                 catalog=tws_settings.catalog or None) as tws:
        yield tws


@pytest.fixture
def fake_tws(
    request: pytest.FixtureRequest, _fake_tws_server: FakeTWS, _ib_async_errors: IbAsyncErrors
) -> Iterator[FakeTWS]:
    """A running FakeTWS with fresh state; server-side failures fail the test at teardown."""
    tws = _fake_tws_server
    tws.reset()
    request.node.stash[FAKE_KEY] = tws
    yield tws
    failures = tws.transcript.take_failures()
    client_errors = _ib_async_errors.take()
    if failures or client_errors:
        shown = 0 if report_enabled(request.config) else REPORT_FRAMES
        raise FakeTWSFailure(failure_report(tws, list(failures), client_errors, shown))


@pytest.fixture(scope="session")
def paper_tws(pytestconfig: pytest.Config, tws_settings: TwsSettings) -> PaperSession:
    """The paper TWS this session checked at start; skipped unless ``--tws=paper``."""
    from pytest_tws import plugin

    if not tws_settings.is_paper:
        pytest.skip("needs --tws=paper")
    return pytestconfig.stash[plugin.PAPER_KEY]


@pytest.fixture
def tws_target(request: pytest.FixtureRequest, tws_settings: TwsSettings) -> TwsTarget:
    """Where this test connects: the per-worker fake, or the paper TWS; a fresh clientId."""
    client_ids = _plugin_state(request.config)[1]
    if tws_settings.mode in CASSETTE_MODES:  # through this test's recording proxy / replay
        host, port, account = request.getfixturevalue("tws_cassette")
        return TwsTarget(tws_settings.mode, host, port, client_ids.next(), account,
                         client_ids.next)
    if tws_settings.is_paper:
        paper: PaperSession = request.getfixturevalue("paper_tws")
        return TwsTarget("paper", paper.host, paper.port, client_ids.next(), paper.account,
                         client_ids.next)
    tws: FakeTWS = request.getfixturevalue("fake_tws")
    return TwsTarget("fake", tws.host, tws.port, client_ids.next(), tws.accounts[0],
                     client_ids.next)


@pytest_asyncio.fixture
async def ib(
    request: pytest.FixtureRequest, tws_target: TwsTarget, _ib_async_errors: IbAsyncErrors
) -> AsyncIterator[IB]:
    """An ib_async ``IB`` connected (and synced) to the target as this test's clientId.

    Guarded by `guard_paper_only` on every connect: on a TWS managing a live account the test
    fails before any request is sent (a paper TWS may have become a live login since the
    session's first check)."""
    for name in SET_UP_BEFORE_IB:
        if name in request.fixturenames:
            # These start the fake over (dropping its clients): they must come first,
            # whatever the order of the test's arguments.
            request.getfixturevalue(name)
    client = IB()
    # ib_async's blocking (sync) calls wait this long at most; its *Async calls are bounded
    # by the test's timeout (tws_timeout).
    client.RequestTimeout = IB_REQUEST_TIMEOUT
    guard = guard_paper_only(client)
    fake: FakeTWS | None = request.getfixturevalue("fake_tws") if tws_target.is_fake else None
    start = fake.transcript.count if fake is not None else 0
    refused = ConnectErrors(client)
    try:
        await refused.connect(guard.connect(
            tws_target.host, tws_target.port, clientId=tws_target.client_id,
            timeout=IB_TIMEOUT, account=tws_target.account))
    except LiveAccountError as exc:
        pytest.fail(f"ib fixture: {exc}", pytrace=False)
    except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
        # ib_async 2.1's disconnect() itself raises "Not connected" when the refusal came
        # between its socket connect and its API start (its connectionStats needs isReady)
        with contextlib.suppress(ConnectionError):
            client.disconnect()
        pytest.fail(refused.explain(tws_target, exc), pytrace=False)
    finally:
        refused.detach()
    if fake is not None:
        fake.transcript.fold(tws_target.client_id, start,
                             f"client {tws_target.client_id}: the ib fixture's connect and "
                             "startup sync")
    try:
        yield client
    finally:
        if tws_target.is_paper and client.isConnected():
            await cancel_open_orders(client)
        client.disconnect()


async def cancel_open_orders(client: IB, timeout: float = IB_TIMEOUT) -> list[int]:
    """Cancel every order this client placed that is still working; returns their orderIds.

    Waits (up to ``timeout``) until TWS confirms each one is done.
    """
    trades = [t for t in client.openTrades() if not t.isDone()]
    for trade in trades:
        client.cancelOrder(trade.order)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(not t.isDone() for t in trades) and loop.time() < deadline:
        try:
            await asyncio.wait_for(_next_update(client), deadline - loop.time())
        except asyncio.TimeoutError:
            break
    return [t.order.orderId for t in trades]


async def _next_update(client: IB) -> None:
    await client.updateEvent
