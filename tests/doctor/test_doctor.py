"""`pytest-tws doctor` against the fake TWS configured to show each failure."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from ib_async import IB

from pytest_tws.clock import VirtualClock
from pytest_tws.doctor import (
    FIX_CLIENT_ID,
    FIX_LIVE,
    FIX_NO_HANDSHAKE,
    FIX_NOT_LISTENING,
    Report,
    Status,
    diagnose,
)
from pytest_tws.fake import FakeTWS

#: Short: every failure below is an answer that never comes or a refusal.
TIMEOUT = 2.0


def statuses(report: Report) -> dict[str, Status]:
    return {check.name: check.status for check in report.checks}


def check(report: Report, name: str):
    return next(c for c in report.checks if c.name == name)


@pytest.fixture
def fake() -> Iterator[FakeTWS]:
    with FakeTWS(announce=False) as tws:
        yield tws


async def test_a_healthy_paper_tws_passes_every_check(fake: FakeTWS) -> None:
    report = await diagnose(fake.host, fake.port, 999, TIMEOUT)

    assert report.ok
    assert report.server_version == 178
    assert report.accounts == ["DU1234567"]
    assert statuses(report) == {
        "ib_async": Status.OK, "port kind": Status.OK, "port open": Status.OK,
        "API handshake": Status.OK, "API session": Status.OK, "paper account": Status.OK,
        "read-only API": Status.OK, "clock": Status.OK, "data farms": Status.OK,
        "market data": Status.OK,
    }
    assert "live" in check(report, "market data").detail
    assert fake.failures == []


async def test_read_only_api_fails_with_the_setting_to_untick() -> None:
    with FakeTWS(read_only=True, announce=False) as tws:
        report = await diagnose(tws.host, tws.port, 999, TIMEOUT)

    read_only = check(report, "read-only API")
    assert read_only.status is Status.FAIL
    assert "untick 'Read-Only API'" in read_only.fix
    assert not report.ok
    assert [c.name for c in report.checks if c.status is Status.FAIL] == ["read-only API"]


async def test_a_live_account_fails() -> None:
    with FakeTWS(accounts=("U1234567",), announce=False) as tws:
        report = await diagnose(tws.host, tws.port, 999, TIMEOUT)

    account = check(report, "paper account")
    assert account.status is Status.FAIL
    assert account.detail == "U1234567 is a live account"
    assert account.fix == FIX_LIVE
    assert not report.ok


async def test_a_closed_port_fails_and_skips_the_rest() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    report = await diagnose("127.0.0.1", port, 999, TIMEOUT)

    port_open = check(report, "port open")
    assert port_open.status is Status.FAIL
    assert "Enable ActiveX and Socket Clients" in port_open.fix
    assert port_open.fix.startswith(FIX_NOT_LISTENING.split("{", 1)[0])
    later = [c for c in report.checks if c.name in ("API handshake", "clock", "market data")]
    assert [c.status for c in later] == [Status.SKIP] * 3


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts TCP and reads, but never answers: an API that ignores the handshake."""
    connections: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while await reader.read(4096):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in connections:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_an_api_that_never_answers_the_handshake_fails_quickly(silent_server: int) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    report = await diagnose("127.0.0.1", silent_server, 999, timeout=0.5)

    assert check(report, "port open").status is Status.OK
    handshake = check(report, "API handshake")
    assert handshake.status is Status.FAIL
    assert handshake.detail == "no answer to the API handshake within 0.5 s"
    assert handshake.fix.startswith(FIX_NO_HANDSHAKE.split("{", 1)[0])
    assert check(report, "API session").status is Status.SKIP
    # bounded by the handshake timeout, not by ib_async's connect timeout
    assert loop.time() - started < 5


async def test_a_client_id_in_use_is_named_with_the_fix(fake: FakeTWS) -> None:
    holder = IB()
    await holder.connectAsync(fake.host, fake.port, clientId=999, timeout=TIMEOUT)
    try:
        # ib_async waits out its timeout after TWS closes on 326: keep it short
        report = await diagnose(fake.host, fake.port, 999, timeout=1.0)
    finally:
        holder.disconnect()

    session = check(report, "API session")
    assert session.status is Status.FAIL
    assert session.fix == FIX_CLIENT_ID.format(client_id=999)


async def test_clock_skew_between_tws_and_this_machine_fails() -> None:
    hour_ahead = datetime.now(timezone.utc) + timedelta(hours=1)
    with FakeTWS(clock=VirtualClock(hour_ahead), announce=False) as tws:
        report = await diagnose(tws.host, tws.port, 999, TIMEOUT)

    clock = check(report, "clock")
    assert clock.status is Status.FAIL
    seconds = float(clock.detail.split()[2])
    assert 3597 < seconds < 3601  # whole seconds from TWS, and the time the test took
    assert clock.detail.endswith("s ahead of this machine")


async def test_delayed_market_data_is_a_warning_not_a_failure(fake: FakeTWS) -> None:
    fake.market.deny_permissions("SPY")

    report = await diagnose(fake.host, fake.port, 999, TIMEOUT)

    market_data = check(report, "market data")
    assert market_data.status is Status.WARN
    assert market_data.detail.startswith("delayed only")
    assert report.ok


async def test_a_live_port_number_is_a_warning() -> None:
    report = await diagnose("127.0.0.1", 7496, 999, timeout=0.5)

    assert check(report, "port kind").status is Status.WARN
    assert check(report, "port kind").detail == "7496 is the TWS live trading default"
