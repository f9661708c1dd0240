"""Phase 1A: the production connection layer against TWS, through the wire.

Runs with ``--tws=fake`` (default) and ``--tws=paper``. Parts that need fault control (1100,
1102, dropping sockets, a burst the fake must punish) use ``fake_tws`` and skip on paper.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ib_async import Stock

from pytest_tws import FakeTWS, TwsTarget
from pytest_tws.model.accounts import is_paper_account
from pytest_tws.waiting import expect_event, wait_until
from tws_core import (
    ClientIdInUseError,
    ConnectionManager,
    ConnectionState,
    ErrorCategory,
    Severity,
    StateChange,
    TwsErrorEvent,
)
from tws_core.throttle import configure_client_pacing

pytestmark = pytest.mark.phase1a

S = ConnectionState
TIMEOUT = 10.0
BURST = 500
TWS_SERVER_VERSION = 178


@pytest.fixture
async def conn(tws_target: TwsTarget) -> AsyncIterator[ConnectionManager]:
    manager = ConnectionManager(tws_target.host, tws_target.port, tws_target.client_id,
                                timeout=TIMEOUT, account=tws_target.account)
    yield manager
    await manager.disconnect()


def record_states(conn: ConnectionManager) -> list[StateChange]:
    changes: list[StateChange] = []
    conn.events.state_changed += changes.append
    return changes


def record_errors(conn: ConnectionManager) -> list[TwsErrorEvent]:
    errors: list[TwsErrorEvent] = []
    conn.events.error += errors.append
    return errors


async def test_tws_connection_establishment(
    conn: ConnectionManager, tws_target: TwsTarget
) -> None:
    changes = record_states(conn)
    await conn.connect()

    assert conn.state is S.CONNECTED
    assert [(c.old, c.new) for c in changes] == [
        (S.DISCONNECTED, S.CONNECTING), (S.CONNECTING, S.CONNECTED)]
    assert conn.server_version == TWS_SERVER_VERSION
    assert tws_target.account in conn.accounts
    assert all(is_paper_account(a) for a in conn.accounts)
    # ib_async synced the account at connect: its values arrived over the wire
    assert any(v.tag == "NetLiquidation" for v in conn.ib.accountValues(tws_target.account))

    latency = await conn.health_check()
    assert 0 < latency < TIMEOUT
    assert conn.last_latency == latency


@pytest.mark.fake_only
async def test_connection_state_management(
    conn: ConnectionManager, fake_tws: FakeTWS
) -> None:
    changes = record_states(conn)
    await conn.connect()

    fake_tws.connectivity_lost()
    await wait_until(lambda: conn.state is S.DEGRADED, "DEGRADED after 1100")
    assert changes[-1].code == 1100
    await conn.health_check()  # the API socket still answers while TWS is cut off from IBKR

    restored = expect_event(conn.events.connectivity_restored)
    fake_tws.connectivity_restored(data_lost=False)
    assert (await restored).data_lost is False
    assert conn.state is S.CONNECTED and changes[-1].code == 1102

    lost = expect_event(conn.events.connection_lost)
    fake_tws.drop_clients()
    await lost
    assert conn.state is S.DISCONNECTED

    await conn.connect()
    await conn.health_check()
    await conn.disconnect()

    assert [(c.old, c.new) for c in changes] == [
        (S.DISCONNECTED, S.CONNECTING),
        (S.CONNECTING, S.CONNECTED),
        (S.CONNECTED, S.DEGRADED),
        (S.DEGRADED, S.CONNECTED),
        (S.CONNECTED, S.DISCONNECTED),
        (S.DISCONNECTED, S.RECONNECTING),
        (S.RECONNECTING, S.CONNECTED),
        (S.CONNECTED, S.STOPPED),
    ]
    assert all(c.cause for c in changes)
    await wait_until(lambda: fake_tws.client_ids() == [], "the fake to see the socket closed")


async def test_connection_cycle_without_faults(conn: ConnectionManager) -> None:
    changes = record_states(conn)
    await conn.connect()
    await conn.reconnect("replace the socket")
    await conn.health_check()
    await conn.disconnect()
    assert [c.new for c in changes] == [S.CONNECTING, S.CONNECTED, S.RECONNECTING,
                                        S.CONNECTED, S.STOPPED]
    assert not conn.ib.isConnected()


async def test_error_handling_with_real_errors(
    conn: ConnectionManager, tws_target: TwsTarget
) -> None:
    errors = record_errors(conn)
    await conn.connect()

    # farm status at connect: information, not failure
    farm_ok = [e for e in errors if e.code == 2104]
    assert farm_ok, f"no 2104 at connect; got {[e.code for e in errors]}"
    assert farm_ok[0].category is ErrorCategory.FARM_STATUS
    assert farm_ok[0].is_informational and farm_ok[0].severity is Severity.INFO
    assert conn.state is S.CONNECTED

    # 200: no security definition
    unknown = Stock("NOSUCHSYMBOL", "SMART", "USD")
    no_definition = expect_event(conn.events.error, lambda e: e.code == 200, TIMEOUT)
    assert await conn.ib.reqContractDetailsAsync(unknown) == []
    event = await no_definition
    assert event.category is ErrorCategory.REQUEST and event.severity is Severity.ERROR
    assert "No security definition" in event.message and event.req_id > 0

    # 321: a request TWS cannot validate (an account this login does not manage)
    req_id = conn.ib.client.getReqId()
    invalid = expect_event(conn.events.error, lambda e: e.req_id == req_id, TIMEOUT)
    conn.ib.client.reqAccountUpdatesMulti(req_id, "DU0000000", "", False)
    event = await invalid
    assert event.code == 321 and event.category is ErrorCategory.REQUEST
    assert event.message.startswith("Error validating request")

    # 326: a second client with our clientId is refused; we stay connected
    clash = ConnectionManager(tws_target.host, tws_target.port, conn.client_id,
                              timeout=TIMEOUT)
    with pytest.raises(ClientIdInUseError) as refused:
        await clash.connect()
    assert refused.value.code == 326 and clash.state is S.DISCONNECTED
    assert conn.state is S.CONNECTED
    await conn.health_check()

    assert not any(e.severity is Severity.ERROR and e.category is ErrorCategory.CONNECTIVITY
                   for e in errors)


async def _burst(conn: ConnectionManager, count: int) -> None:
    """``count`` reqCurrentTime messages through ib_async's send path, then wait until
    TWS has answered them all (each answer is one message in)."""
    stats = conn.ib.client.connectionStats
    received = stats().numMsgRecv
    for _ in range(count):
        conn.ib.client.reqCurrentTime()
    await wait_until(lambda: stats().numMsgRecv >= received + count,
                     f"{count} currentTime answers", timeout=count / 40 + TIMEOUT)
    await conn.health_check()  # anything TWS sent about the burst has arrived by now


async def test_rate_limiting_against_tws(
    conn: ConnectionManager, tws_target: TwsTarget
) -> None:
    errors = record_errors(conn)
    await conn.connect()
    assert (conn.ib.client.MaxRequests, conn.ib.client.RequestsInterval) == (45, 1)

    await _burst(conn, BURST)
    assert [e for e in errors if e.code == 100] == []
    assert conn.state is S.CONNECTED

    if tws_target.is_paper:
        return  # never provoke a real TWS into cutting us off
    configure_client_pacing(conn.ib, max_requests=0)
    await _burst(conn, BURST)
    exceeded = [e for e in errors if e.code == 100]
    assert exceeded, "the fake let an unpaced burst of 500 through without error 100"
    assert exceeded[0].category is ErrorCategory.PACING
    assert "Max rate of messages per second has been exceeded:max=50" in exceeded[0].message
