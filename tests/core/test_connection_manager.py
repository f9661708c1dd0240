"""ConnectionManager against the fake over loopback: states, events, 326, timeouts, losses."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import pytest

from pytest_tws.clock import VirtualClock
from pytest_tws.fake import FakeTWS
from tws_core import (
    ClientIdInUseError,
    ConnectError,
    ConnectionManager,
    ConnectionState,
    NotConnectedError,
    StateChange,
)
from tws_core.events import ConnectionLost, ConnectivityRestored

S = ConnectionState
WAIT = 5.0


def record(conn: ConnectionManager) -> list[StateChange]:
    changes: list[StateChange] = []
    conn.events.state_changed += changes.append
    return changes


async def until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Wait for ``condition`` on the loop, failing after ``timeout`` real seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def broadcast_error(tws: FakeTWS, code: int, text: str) -> None:
    def send() -> None:
        for session in tws.backend.ready_sessions():
            session.send_error(-1, code, text)

    tws.call(send)


@pytest.fixture
async def conn(fake_tws: FakeTWS) -> AsyncIterator[ConnectionManager]:
    manager = ConnectionManager(fake_tws.host, fake_tws.port, 11, timeout=WAIT)
    yield manager
    await manager.disconnect()


async def test_connect_health_check_disconnect(conn: ConnectionManager) -> None:
    changes = record(conn)
    assert conn.state is S.DISCONNECTED
    await conn.connect()
    assert conn.state is S.CONNECTED and conn.is_connected
    assert conn.server_version == 178
    assert conn.accounts == ["DU1234567"]
    latency = await conn.health_check()
    assert 0 <= latency < WAIT and conn.last_latency == latency
    await conn.connect()  # already up: nothing happens
    await conn.disconnect()
    assert [(c.old, c.new) for c in changes] == [
        (S.DISCONNECTED, S.CONNECTING), (S.CONNECTING, S.CONNECTED), (S.CONNECTED, S.STOPPED)]
    assert "clientId 11" in changes[1].cause
    with pytest.raises(NotConnectedError):
        await conn.health_check()


async def test_duplicate_client_id_raises_326_fast_or_retries(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    await conn.connect()
    clash = ConnectionManager(fake_tws.host, fake_tws.port, 11, timeout=WAIT)
    changes = record(clash)
    with pytest.raises(ClientIdInUseError) as refused:
        await clash.connect()
    assert refused.value.client_id == 11 and refused.value.code == 326
    assert clash.state is S.DISCONNECTED and changes[-1].code == 326

    retrying = ConnectionManager(fake_tws.host, fake_tws.port, 11, timeout=WAIT,
                                 client_id_retries=2)
    await retrying.connect()
    assert retrying.client_id == 12 and retrying.state is S.CONNECTED
    assert sorted(fake_tws.client_ids()) == [11, 12]
    await retrying.disconnect()


async def test_refused_port_is_a_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connecting is refused
        conn = ConnectionManager("127.0.0.1", port, 1, timeout=WAIT)
        with pytest.raises(ConnectError, match="failed"):
            await conn.connect()
    assert conn.state is S.DISCONNECTED


async def test_connect_timeout_is_measured_on_the_clock() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # a TWS that accepts and never answers the handshake
        writer.close()  # from 3.12.1, server.wait_closed() waits for this

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clock = VirtualClock()
    conn = ConnectionManager("127.0.0.1", port, 1, clock=clock, timeout=30.0)
    attempt = asyncio.ensure_future(conn.connect())
    try:
        await until(lambda: clock.pending() > 0)
        assert not attempt.done()
        await clock.advance_async(30.0)
        with pytest.raises(ConnectError, match=r"timed out after 30\.0s"):
            await asyncio.wait_for(attempt, WAIT)
    finally:
        attempt.cancel()
        server.close()
        await server.wait_closed()
    assert conn.state is S.DISCONNECTED


async def test_loss_then_connect_goes_through_reconnecting(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    lost: list[ConnectionLost] = []
    conn.events.connection_lost += lost.append
    await conn.connect()
    changes = record(conn)
    fake_tws.drop_clients()
    await until(lambda: conn.state is S.DISCONNECTED)
    assert len(lost) == 1 and "connection lost" in lost[0].cause
    await conn.connect()
    assert [(c.old, c.new) for c in changes] == [
        (S.CONNECTED, S.DISCONNECTED), (S.DISCONNECTED, S.RECONNECTING),
        (S.RECONNECTING, S.CONNECTED)]
    await conn.health_check()


async def test_reconnect_replaces_a_live_socket(conn: ConnectionManager) -> None:
    lost: list[ConnectionLost] = []
    conn.events.connection_lost += lost.append
    await conn.connect()
    changes = record(conn)
    await conn.reconnect("watchdog: health check failed")
    assert [c.new for c in changes] == [S.RECONNECTING, S.CONNECTED]
    assert changes[0].cause == "watchdog: health check failed"
    assert lost == []  # our own disconnect is not a loss
    await conn.health_check()


async def test_degraded_on_1100_until_1101_with_data_lost(
    fake_tws: FakeTWS, conn: ConnectionManager
) -> None:
    restored: list[ConnectivityRestored] = []
    conn.events.connectivity_restored += restored.append
    await conn.connect()
    broadcast_error(fake_tws, 1100, "Connectivity between IBKR and Trader Workstation has "
                                    "been lost.")
    await until(lambda: conn.state is S.DEGRADED)
    broadcast_error(fake_tws, 1101, "Connectivity between IB and Trader Workstation has been "
                                    "restored - data lost.")
    await until(lambda: conn.state is S.CONNECTED)
    assert [r.data_lost for r in restored] == [True]


async def test_disconnect_during_a_connect_attempt_stays_stopped() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    conn = ConnectionManager("127.0.0.1", server.sockets[0].getsockname()[1], 1, timeout=WAIT)
    attempt = asyncio.ensure_future(conn.connect())
    try:
        await until(lambda: conn.state is S.CONNECTING)
        await conn.disconnect()
        with pytest.raises(ConnectError, match="aborted by disconnect"):
            await asyncio.wait_for(attempt, WAIT)
        assert conn.state is S.STOPPED
    finally:
        attempt.cancel()
        server.close()
        await server.wait_closed()
