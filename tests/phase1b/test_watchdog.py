"""Phase 1B: the watchdog keeps the connection up through drops, TWS's daily restart, IBKR's
nightly reset and pacing kicks. Real ib_async over loopback to the fake; all time virtual."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ib_async import LimitOrder, Stock

from pytest_tws.clock import VirtualClock
from pytest_tws.fake import FakeTWS, Limits
from pytest_tws.restart import RestartWindowControl, advance_until
from pytest_tws.target import TwsTarget
from tws_core import ConnectionManager, ConnectionState, OrderManager
from tws_core.market_data import MarketData
from tws_core.orders import OrderRefusedError
from tws_core.watchdog import (
    Backoff,
    RecoveryReason,
    Watchdog,
    WatchdogState,
    WatchdogStatus,
    WatchdogTransition,
)

pytestmark = [pytest.mark.phase1b, pytest.mark.fake_only]

# Where a test moves the clock while replies may still be in flight (long advances through
# streaming ticks), health probes are off: a virtual probe timeout would pass before a real
# reply lands. The health test drives the clock only while the watchdog is idle.

W = WatchdogState
WAIT = 5.0
AAPL = Stock("AAPL", "SMART", "USD", conId=265598)


async def until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Wait (real time) for a reaction to something that already happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.002)


def record(dog: Watchdog) -> list[WatchdogTransition]:
    seen: list[WatchdogTransition] = []
    dog.events.state_changed += seen.append
    return seen


def path(transitions: list[WatchdogTransition]) -> list[WatchdogState]:
    return [t.new for t in transitions]


def sent(tws: FakeTWS, name: str) -> int:
    """Requests of one kind among the fake's recent frames (use where few ticks flow)."""
    return sum(1 for f in tws.frames if f.direction == ">>" and f.name == name)


def lines(tws: FakeTWS) -> list[tuple[str, int]]:
    """The fake's live market-data lines: (symbol, reqId)."""
    return [(s.symbol, s.req_id) for s in tws.market.subscriptions]


@pytest.fixture
def clock(fake_tws: FakeTWS) -> Iterator[VirtualClock]:
    """A virtual clock for the fake and the code under test, at 09:30 New York: hours away
    from TWS's restart and IBKR's reset."""
    with VirtualClock() as virtual:
        fake_tws.use_clock(virtual)
        yield virtual
        fake_tws.use_clock(None)


@pytest.fixture
async def conn(
    fake_tws: FakeTWS, tws_target: TwsTarget, clock: VirtualClock
) -> AsyncIterator[ConnectionManager]:
    manager = ConnectionManager(fake_tws.host, fake_tws.port, tws_target.client_id,
                                clock=clock, timeout=WAIT)
    yield manager
    await manager.disconnect()


async def started(dog: Watchdog) -> Watchdog:
    dog.start()
    await until(lambda: dog.state is W.CONNECTED)
    return dog


# --- the seed scenarios ----------------------------------------------------------------------


async def test_watchdog_auto_reconnect(
    fake_tws: FakeTWS, conn: ConnectionManager, clock: VirtualClock
) -> None:
    backoff = Backoff(initial=2.0, factor=2.0, maximum=30.0, jitter=0.2, seed=7)
    dog = Watchdog(conn, clock=clock, backoff=backoff)
    transitions = record(dog)
    await started(dog)
    try:
        fake_tws.drop_clients()
        await until(lambda: dog.state is W.BACKING_OFF)
        assert conn.state is ConnectionState.DISCONNECTED
        lost_at = clock.now()
        took = await advance_until(clock, lambda: dog.state is W.CONNECTED, within=60,
                                   idle=dog.is_waiting)
        assert backoff.base(1) * 0.8 <= took <= backoff.bound(1)
        status = dog.status()
        assert (status.state, status.attempts, status.reconnects) == (W.CONNECTED, 2, 1)
        assert status.consecutive_failures == 0
        assert status.last_disconnected == lost_at
        assert status.last_connected is not None and status.last_connected > lost_at
        assert status.last_error is not None and "connection lost" in status.last_error
        assert path(transitions) == [W.CONNECTING, W.CONNECTED, W.BACKING_OFF, W.CONNECTING,
                                     W.CONNECTED]
        assert "connection lost" in transitions[2].cause
        assert conn.state is ConnectionState.CONNECTED and conn.ib.isConnected()
        assert fake_tws.client_ids() == [conn.client_id]
        await conn.health_check()
    finally:
        await dog.stop()


async def test_daily_tws_restart_handling(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    clock, window = restart_window.clock, restart_window.window
    conn = ConnectionManager(fake_tws.host, fake_tws.port, tws_target.client_id, clock=clock,
                             timeout=WAIT)
    dog = Watchdog(conn, clock=clock, restart_window=window, max_retries=2,
                   restart_grace=20.0, health_interval=None)
    reasons: list[RecoveryReason] = []
    dog.add_recovery_hook(reasons.append)
    transitions = record(dog)
    await started(dog)
    data = MarketData(conn)
    try:
        ticker = await data.subscribe(AAPL)
        assert ticker.bid > 0 and len(lines(fake_tws)) == 1

        back_expected = await restart_window.cross_restart()  # 23:45 ET
        assert lines(fake_tws) == []  # gone with the session
        await until(lambda: dog.state is W.WAITING_FOR_WINDOW)
        status = dog.status()
        assert status.in_restart_window and status.consecutive_failures == 0
        assert status.next_attempt_at is not None and status.next_attempt_at > back_expected
        await restart_window.finish_restart()  # the fake listens again; the dog still waits
        assert dog.state is W.WAITING_FOR_WINDOW

        await advance_until(clock, lambda: dog.state is W.CONNECTED, within=60,
                            idle=dog.is_waiting)
        status = dog.status()
        assert status.consecutive_failures == 0 and status.reconnects == 1
        assert status.attempts == 2  # the first connect, and one after the downtime
        assert W.GAVE_UP not in path(transitions) and W.BACKING_OFF not in path(transitions)
        assert reasons == [RecoveryReason.RECONNECTED]
        assert path(transitions)[-4:] == [W.WAITING_FOR_WINDOW, W.CONNECTING, W.RECOVERING,
                                          W.CONNECTED]  # never tradeable before the hooks
        assert clock.now() >= back_expected

        # market data is flowing again: re-requested on the new session, and ticking
        await until(lambda: len(lines(fake_tws)) == 1)
        assert lines(fake_tws)[0][0] == "AAPL"
        updates: list[object] = []
        data.tickers[0].updateEvent += updates.append
        await restart_window.advance(2.0)
        await until(lambda: len(updates) > 0)
    finally:
        data.close()
        await dog.stop()
        await conn.disconnect()


async def test_connection_lost_recovery(
    fake_tws: FakeTWS, conn: ConnectionManager, clock: VirtualClock
) -> None:
    dog = Watchdog(conn, clock=clock, health_interval=None)
    reasons: list[RecoveryReason] = []
    dog.add_recovery_hook(reasons.append)
    await started(dog)
    data = MarketData(conn)
    orders = OrderManager(conn)
    try:
        await data.subscribe(AAPL)
        assert len(lines(fake_tws)) == 1

        # 1100: DEGRADED, and no order reaches TWS while it lasts
        fake_tws.connectivity_lost()
        await until(lambda: dog.state is W.DEGRADED)
        assert conn.state is ConnectionState.DEGRADED and not dog.can_trade
        with pytest.raises(OrderRefusedError):
            await orders.place(AAPL, LimitOrder("BUY", 1, 100.0))

        async def strategy() -> None:
            await dog.when_ready()
            await orders.place(AAPL, LimitOrder("BUY", 1, 100.0))

        waiting_order = asyncio.ensure_future(strategy())
        await clock.advance_async(120.0)
        assert not waiting_order.done() and sent(fake_tws, "PLACE_ORDER") == 0
        assert dog.status().reconnects == 0  # the socket is fine: no reconnect

        # 1101: data lost, so subscriptions are requested again; the order goes out
        fake_tws.connectivity_restored(data_lost=True)
        assert lines(fake_tws) == []  # TWS forgot them
        await until(lambda: dog.state is W.CONNECTED and reasons == [RecoveryReason.DATA_LOST])
        await until(lambda: len(lines(fake_tws)) == 1)  # asked again
        resubscribed = lines(fake_tws)
        requests = sent(fake_tws, "REQ_MKT_DATA")
        await asyncio.wait_for(waiting_order, WAIT)
        assert sent(fake_tws, "PLACE_ORDER") == 1

        # 1102: data maintained, nothing is requested again
        fake_tws.connectivity_lost()
        await until(lambda: dog.state is W.DEGRADED)
        fake_tws.connectivity_restored(data_lost=False)
        await until(lambda: dog.state is W.CONNECTED)
        await conn.health_check()  # a round trip: anything re-requested would be in by now
        assert lines(fake_tws) == resubscribed
        assert sent(fake_tws, "REQ_MKT_DATA") == requests
        assert reasons == [RecoveryReason.DATA_LOST]
    finally:
        data.close()
        await dog.stop()


# --- more ----------------------------------------------------------------------------------


async def test_start_and_stop_are_idempotent_and_leave_no_task(
    conn: ConnectionManager, clock: VirtualClock
) -> None:
    dog = Watchdog(conn, clock=clock)
    assert dog.status().state is W.STOPPED and not dog.running
    others_sleeping = clock.pending()  # the fake's restart and reset timers
    dog.start()
    dog.start()
    await until(lambda: dog.state is W.CONNECTED)
    assert len([t for t in asyncio.all_tasks() if t.get_name() == "tws watchdog"]) == 1
    await dog.stop()
    await dog.stop()
    assert dog.state is W.STOPPED and not dog.running
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "tws watchdog"]
    assert clock.pending() == others_sleeping  # its sleeper left the clock too
    assert conn.state is ConnectionState.CONNECTED  # stopping watching is not disconnecting
    dog.start()  # and it can watch again
    await until(lambda: dog.running and dog.state is W.CONNECTED)
    await dog.stop()


async def test_health_probes_pass_on_a_responsive_fake_and_catch_a_stalled_one(
    fake_tws: FakeTWS, conn: ConnectionManager, clock: VirtualClock
) -> None:
    dog = Watchdog(conn, clock=clock, health_interval=30.0, health_timeout=5.0)
    await started(dog)
    try:
        took = await advance_until(clock, lambda: dog.status().probes_ok == 2, within=61,
                                   idle=dog.is_waiting)
        assert 60.0 <= took <= 61.0  # one probe per 30 s of silence
        assert dog.status().probes_failed == 0
        assert sent(fake_tws, "REQ_CURRENT_TIME") == 2

        fake_tws.ignore_next("reqCurrentTime")  # TWS hangs on the next probe
        await advance_until(clock, lambda: sent(fake_tws, "REQ_CURRENT_TIME") == 3, within=31,
                            idle=dog.is_waiting)
        probe_due = clock.monotonic() + 5.0
        await until(lambda: clock.next_deadline() == probe_due)  # the probe's timeout
        await clock.advance_async(5.0)
        await until(lambda: dog.status().probes_failed == 1)
        await until(lambda: dog.state is W.BACKING_OFF)
        status = dog.status()
        assert status.last_error is not None and "health probe failed" in status.last_error
        await advance_until(clock, lambda: dog.state is W.CONNECTED, within=10,
                            idle=dog.is_waiting)
        assert dog.status().reconnects == 1
    finally:
        await dog.stop()


async def test_retry_limit_reached_gives_up_with_a_final_state(
    fake_tws: FakeTWS, conn: ConnectionManager, clock: VirtualClock
) -> None:
    dog = Watchdog(conn, clock=clock, max_retries=2,
                   backoff=Backoff(initial=1.0, factor=2.0, maximum=8.0, jitter=0.0))
    gave_up: list[WatchdogStatus] = []
    dog.events.gave_up += gave_up.append
    await started(dog)
    fake_tws.restart(downtime=3600.0)  # unexpected: no restart window given to the dog
    await until(lambda: dog.state is W.BACKING_OFF)
    took = await advance_until(clock, lambda: dog.state is W.GAVE_UP, within=60,
                               idle=dog.is_waiting)
    assert took == pytest.approx(1.0 + 2.0 + 4.0)
    status = dog.status()
    assert (status.attempts, status.consecutive_failures) == (4, 3)
    assert "refused" in (status.last_error or "").lower() or "failed" in (status.last_error or "")
    assert gave_up == [status] and "gave up after 3" in status.cause
    await until(lambda: not dog.running)
    await dog.stop()
    assert dog.state is W.STOPPED


async def test_error_100_kick_is_survived(tws_target: TwsTarget) -> None:
    limits = Limits(messages_per_second=20, kick_after_windows=1)
    with VirtualClock() as clock, FakeTWS(clock=clock, limits=limits) as tws:
        conn = ConnectionManager(tws.host, tws.port, tws_target.client_id, clock=clock,
                                 timeout=WAIT, max_requests=0)  # ib_async's pacing off
        dog = Watchdog(conn, clock=clock)
        errors: list[int] = []
        conn.events.error += lambda event: errors.append(event.code)
        await started(dog)
        try:
            # One request at a time, each answered before the next: the fake has read all
            # the client sent when it kicks, so it closes with FIN after error 100 (unread
            # input would make the kernel send RST, which can destroy the error in transit).
            lost = asyncio.ensure_future(_next(conn.events.connection_lost))
            while not lost.done():
                answer = asyncio.ensure_future(conn.ib.reqCurrentTimeAsync())
                await asyncio.wait({answer, lost}, return_when=asyncio.FIRST_COMPLETED)
            answer.cancel()
            await until(lambda: dog.state is W.BACKING_OFF)
            assert 100 in errors
            assert "error 100" in (dog.status().last_error or "")
            await advance_until(clock, lambda: dog.state is W.CONNECTED, within=10,
                                idle=dog.is_waiting)
            assert dog.status().reconnects == 1
            await conn.health_check()
        finally:
            await dog.stop()
            await conn.disconnect()


async def _next(event: Any) -> Any:
    return await event


async def test_state_file_follows_every_transition(
    fake_tws: FakeTWS, conn: ConnectionManager, clock: VirtualClock, tmp_path: Path
) -> None:
    state_file = tmp_path / "state" / "watchdog.json"
    dog = Watchdog(conn, clock=clock, state_file=state_file)
    written: list[str] = []
    dog.events.state_changed += lambda _t: written.append(
        json.loads(state_file.read_text())["state"])
    await started(dog)
    fake_tws.drop_clients()
    await until(lambda: dog.state is W.BACKING_OFF)
    await advance_until(clock, lambda: dog.state is W.CONNECTED, within=10,
                        idle=dog.is_waiting)
    await dog.stop()
    assert written == ["connecting", "connected", "backing_off", "connecting", "connected",
                       "stopped"]
    saved = json.loads(state_file.read_text())
    assert saved["state"] == "stopped" and saved["reconnects"] == 1
    assert saved["last_disconnected"] is not None
    assert sorted(p.name for p in state_file.parent.iterdir()) == ["watchdog.json"]


@pytest.mark.restart_window(restart_enabled=False)
async def test_failures_inside_the_reset_window_are_not_counted(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    clock = restart_window.clock
    conn = ConnectionManager(fake_tws.host, fake_tws.port, tws_target.client_id, clock=clock,
                             timeout=WAIT)
    dog = Watchdog(conn, clock=clock, restart_window=restart_window.window, max_retries=1,
                   backoff=Backoff(initial=1.0, maximum=4.0, jitter=0.0), health_interval=None)
    await started(dog)
    try:
        await restart_window.cross_reset()  # 00:15 ET: 1100
        await until(lambda: dog.state is W.DEGRADED)
        fake_tws.restart(downtime=60.0)  # and TWS goes away inside the window
        await until(lambda: dog.state is W.BACKING_OFF)
        await advance_until(clock, lambda: dog.status().attempts >= 5, within=30,
                            idle=dog.is_waiting)
        assert dog.status().consecutive_failures == 0 and dog.state is not W.GAVE_UP
        await advance_until(clock, lambda: dog.state is W.CONNECTED, within=120,
                            idle=dog.is_waiting)
        assert dog.status().in_restart_window  # still in the reset window, connected again
    finally:
        await dog.stop()
        await conn.disconnect()


def test_backoff_is_seeded_grows_and_is_capped() -> None:
    one, two = Backoff(seed=3), Backoff(seed=3)
    assert [one.delay(n) for n in range(1, 9)] == [two.delay(n) for n in range(1, 9)]
    backoff = Backoff(initial=1.0, factor=2.0, maximum=10.0, jitter=0.1)
    assert [backoff.base(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    for n in range(1, 10):
        assert backoff.base(n) * 0.9 <= backoff.delay(n) <= backoff.bound(n)
    with pytest.raises(ValueError):
        Backoff(initial=0)
    with pytest.raises(ValueError):
        Backoff(jitter=1.0)
