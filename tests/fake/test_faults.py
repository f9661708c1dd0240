"""Fault control of the fake, seen by unmodified ib_async clients over loopback TCP:
1100/1101/1102 with farm messages, restarts, planned failures, and the clock-driven schedule."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from ib_async import IB, LimitOrder, Stock
from ib_async.wrapper import RequestError

from pytest_tws import FakeTWS
from pytest_tws.fake.faults import request_id_of, resolve_request
from pytest_tws.restart import RestartWindowControl
from pytest_tws.target import TwsTarget
from pytest_tws.wire.messages import In

WAIT = 5.0
FARMS_BROKEN = [(2103, "usfarm"), (2105, "ushmds")]
FARMS_OK = [(2104, "usfarm"), (2106, "ushmds")]


class Client:
    """An ib_async client that remembers every error/notice code it was sent."""

    def __init__(self, tws: FakeTWS, client_id: int) -> None:
        self.tws = tws
        self.client_id = client_id
        self.ib = IB()
        self.ib.RaiseRequestErrors = True
        self.errors: list[tuple[int, int, str]] = []
        self.ib.errorEvent += lambda req_id, code, text, _contract: self.errors.append(
            (req_id, code, text)
        )

    async def connect(self) -> Client:
        await self.ib.connectAsync(self.tws.host, self.tws.port, clientId=self.client_id,
                                   timeout=WAIT)
        self.errors.clear()  # the startup farm notices
        return self

    def codes(self) -> list[int]:
        return [code for _, code, _ in self.errors]

    def farm_notices(self) -> list[tuple[int, str]]:
        return [(code, text.rsplit(":", 1)[-1]) for _, code, text in self.errors
                if 2100 <= code < 2200]


async def until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.002)


def refused(tws: FakeTWS) -> bool:
    try:
        socket.create_connection((tws.host, tws.port), timeout=WAIT).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.fixture
async def clients(fake_tws: FakeTWS, tws_target: TwsTarget) -> AsyncIterator[list[Client]]:
    made = [Client(fake_tws, tws_target.client_id), Client(fake_tws, tws_target.new_client_id())]
    for client in made:
        await client.connect()
    yield made
    for client in made:
        client.ib.disconnect()


# --- connectivity between TWS and IBKR ---------------------------------------------------


async def test_connectivity_lost_and_restored_reach_every_client_with_farm_notices(
    fake_tws: FakeTWS, clients: list[Client]
) -> None:
    fake_tws.connectivity_lost()
    fake_tws.connectivity_lost()  # already lost: nothing more is sent
    await until(lambda: all(len(c.errors) >= 3 for c in clients))
    fake_tws.connectivity_restored()
    await until(lambda: all(len(c.errors) >= 6 for c in clients))
    for client in clients:
        assert client.codes() == [1100, 2103, 2105, 1102, 2104, 2106]
        assert client.errors[0] == (
            -1, 1100, "Connectivity between IBKR and Trader Workstation has been lost.")
        assert client.errors[3][2].endswith("restored - data maintained.")
        assert client.farm_notices() == FARMS_BROKEN + FARMS_OK
    assert all(c.ib.isConnected() for c in clients)  # the API sockets stay up


async def test_restored_with_data_lost_sends_1101(
    fake_tws: FakeTWS, clients: list[Client]
) -> None:
    fake_tws.connectivity_lost()
    fake_tws.connectivity_restored(data_lost=True)
    await until(lambda: all(len(c.errors) >= 6 for c in clients))
    for client in clients:
        assert client.codes() == [1100, 2103, 2105, 1101, 2104, 2106]
        assert client.errors[3][2].endswith("restored - data lost.")
    assert fake_tws.call(lambda: not fake_tws.faults.connectivity_is_lost)


async def test_farm_notices_on_their_own(fake_tws: FakeTWS, clients: list[Client]) -> None:
    fake_tws.farms_broken()
    fake_tws.farms_ok()
    await until(lambda: len(clients[0].errors) >= 4)
    assert clients[0].farm_notices() == FARMS_BROKEN + FARMS_OK
    assert 1100 not in clients[0].codes()


# --- market data across a connectivity loss -------------------------------------------------

TICKS = ("TICK_PRICE", "TICK_SIZE", "TICK_GENERIC", "TICK_STRING")


def ticks_after(tws: FakeTWS, marker: Callable[[list[str]], bool]) -> int:
    """Tick frames the fake sent after the last frame ``marker`` picks."""
    frames = tws.frames
    last = max(i for i, f in enumerate(frames) if marker(list(f.fields)))
    return sum(1 for f in frames[last + 1:] if f.direction == "<<" and f.name in TICKS)


def is_error(code: int) -> Callable[[list[str]], bool]:
    return lambda fields: fields[:1] == ["4"] and str(code) in fields[2:4]


async def test_market_data_pauses_on_1100_and_flows_again_on_1102(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    client = await Client(fake_tws, tws_target.client_id).connect()
    ticker = client.ib.reqMktData(Stock("AAPL", "SMART", "USD", conId=265598))
    await until(lambda: ticker.bid > 0)
    fake_tws.connectivity_lost()
    await restart_window.advance(10.0)  # forty feed ticks of clock time
    await client.ib.reqCurrentTimeAsync()  # everything sent so far has arrived
    assert 1100 in client.codes()
    assert ticks_after(fake_tws, is_error(1100)) == 0
    assert len(fake_tws.market.subscriptions) == 1  # paused, not dropped

    fake_tws.connectivity_restored()
    await restart_window.advance(2.0)
    await until(lambda: ticks_after(fake_tws, is_error(1102)) > 0)
    client.ib.disconnect()


async def test_market_data_subscriptions_are_dropped_on_1101(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    client = await Client(fake_tws, tws_target.client_id).connect()
    ticker = client.ib.reqMktData(Stock("AAPL", "SMART", "USD", conId=265598))
    await until(lambda: ticker.bid > 0)
    fake_tws.connectivity_lost()
    fake_tws.connectivity_restored(data_lost=True)
    await restart_window.advance(10.0)
    await client.ib.reqCurrentTimeAsync()
    assert client.codes()[:4] == [1100, 2103, 2105, 1101]
    assert fake_tws.market.subscriptions == []
    assert ticks_after(fake_tws, is_error(1101)) == 0
    client.ib.disconnect()


# --- restarts --------------------------------------------------------------------------------


async def test_drop_clients_closes_sockets_without_a_message(
    fake_tws: FakeTWS, clients: list[Client]
) -> None:
    fake_tws.drop_clients()
    await until(lambda: not any(c.ib.isConnected() for c in clients))
    assert all(c.errors == [] for c in clients)
    assert not refused(fake_tws)  # a drop is not a restart: the fake still listens


async def test_restart_refuses_connections_for_its_downtime_and_keeps_broker_state(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    client = await Client(fake_tws, tws_target.client_id).connect()
    fake_tws.fail_next("placeOrder", 201, "Order rejected - reason:test")
    trade = client.ib.placeOrder(Stock("AAPL", "SMART", "USD"), LimitOrder("BUY", 1, 100.0))
    rejected_id = trade.order.orderId
    await until(lambda: trade.orderStatus.status == "Cancelled")
    broker = fake_tws.broker
    frames_before = len(fake_tws.frames)

    fake_tws.restart(downtime=60.0)
    await until(lambda: not client.ib.isConnected())
    sent_at_restart = [f for f in fake_tws.frames[frames_before:] if f.direction == "<<"]
    assert sent_at_restart == []  # no goodbye message
    assert not fake_tws.listening and refused(fake_tws)
    with pytest.raises(ConnectionRefusedError):
        await Client(fake_tws, tws_target.new_client_id()).connect()

    await restart_window.advance(59.0)
    assert refused(fake_tws)
    await restart_window.advance(1.0)
    await until(lambda: fake_tws.listening)
    again = await Client(fake_tws, tws_target.client_id).connect()
    try:
        assert fake_tws.broker is broker
        next_ids = [int(f.fields[2]) for f in fake_tws.frames if f.name == "NEXT_VALID_ID"]
        assert next_ids[-1] > rejected_id
        assert fake_tws.call(lambda: fake_tws.faults.restarts) == 1
    finally:
        again.ib.disconnect()


async def test_restart_with_no_downtime_and_come_back(
    fake_tws: FakeTWS, tws_target: TwsTarget
) -> None:
    fake_tws.restart(downtime=3600.0)  # on the system clock: only come_back ends it
    assert refused(fake_tws)
    fake_tws.come_back()
    client = await Client(fake_tws, tws_target.client_id).connect()
    client.ib.disconnect()
    fake_tws.restart(downtime=0.0)
    await until(lambda: fake_tws.listening)
    with pytest.raises(ValueError):
        fake_tws.restart(downtime=-1.0)


async def test_reset_ends_a_restart_under_way(fake_tws: FakeTWS) -> None:
    fake_tws.restart(downtime=3600.0)
    fake_tws.reset()
    assert fake_tws.listening and not refused(fake_tws)


# --- planned failures ------------------------------------------------------------------------


async def test_fail_next_answers_one_request_with_the_error(
    fake_tws: FakeTWS, clients: list[Client]
) -> None:
    ib = clients[0].ib
    aapl = Stock("AAPL", "SMART", "USD")
    fake_tws.fail_next("reqContractDetails", 200)
    with pytest.raises(RequestError) as failed:
        await ib.reqContractDetailsAsync(aapl)
    assert failed.value.code == 200
    assert "No security definition" in failed.value.message
    details = await ib.reqContractDetailsAsync(aapl)
    assert details[0].contract is not None and details[0].contract.conId == 265598


async def test_fail_next_place_order_rejects_that_order_id(
    fake_tws: FakeTWS, clients: list[Client]
) -> None:
    ib = clients[0].ib
    fake_tws.fail_next(In.PLACE_ORDER, 201, "Order rejected - reason:no trading permissions")
    trade = ib.placeOrder(Stock("AAPL", "SMART", "USD"), LimitOrder("BUY", 1, 100.0))
    await until(lambda: trade.orderStatus.status == "Cancelled")
    req_id, code, text = clients[0].errors[-1]
    assert (req_id, code) == (trade.order.orderId, 201)
    assert text == "Order rejected - reason:no trading permissions"
    assert fake_tws.broker.next_order_id > trade.order.orderId


async def test_fail_next_times_and_validation(fake_tws: FakeTWS, clients: list[Client]) -> None:
    ib = clients[0].ib
    fake_tws.fail_next("REQ_CONTRACT_DATA", 200, times=2)
    for _ in range(2):
        with pytest.raises(RequestError):
            await ib.reqContractDetailsAsync(Stock("MSFT", "SMART", "USD"))
    assert await ib.reqContractDetailsAsync(Stock("MSFT", "SMART", "USD"))
    with pytest.raises(ValueError, match="no request"):
        fake_tws.fail_next("reqNothing", 200)
    with pytest.raises(ValueError, match="known text"):
        fake_tws.fail_next("placeOrder", 12345)
    with pytest.raises(ValueError, match="times"):
        fake_tws.fail_next("placeOrder", 201, times=0)


async def test_ignore_next_leaves_one_request_unanswered(
    fake_tws: FakeTWS, clients: list[Client]
) -> None:
    ib = clients[0].ib
    fake_tws.ignore_next("reqCurrentTime")
    ib.client.reqCurrentTime()  # goes unanswered
    assert await ib.reqCurrentTimeAsync()  # only that one: this one is answered
    names = [f.name for f in fake_tws.frames]
    assert names.count("REQ_CURRENT_TIME") == 2 and names.count("CURRENT_TIME") == 1


def test_request_names_and_ids() -> None:
    assert resolve_request("placeOrder") is In.PLACE_ORDER
    assert resolve_request("PLACE_ORDER") is In.PLACE_ORDER
    assert resolve_request("reqMktData") is In.REQ_MKT_DATA
    assert resolve_request("reqContractDetails") is In.REQ_CONTRACT_DATA
    assert resolve_request("reqSecDefOptParams") is In.REQ_SEC_DEF_OPT_PARAMS
    assert request_id_of(In.PLACE_ORDER, ["3", "17", "0"]) == 17
    assert request_id_of(In.REQ_MKT_DATA, ["1", "11", "42"]) == 42
    assert request_id_of(In.REQ_CURRENT_TIME, ["49", "1"]) == -1
    assert request_id_of(In.REQ_MKT_DATA, ["1", "11"]) == -1


# --- the schedule on a virtual clock ---------------------------------------------------------


async def test_clock_crossing_the_restart_time_restarts_the_fake(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    client = await Client(fake_tws, tws_target.client_id).connect()
    assert not restart_window.in_window
    expected_end = await restart_window.cross_restart()
    assert expected_end - restart_window.now() < restart_window.window.restart_downtime
    await until(lambda: not client.ib.isConnected())
    assert client.errors == [] and refused(fake_tws)
    assert restart_window.in_window
    await restart_window.finish_restart()
    assert restart_window.now() >= expected_end and not restart_window.in_window
    again = await Client(fake_tws, tws_target.client_id).connect()
    again.ib.disconnect()


async def test_clock_crossing_the_reset_window_plays_1100_then_1102(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    await restart_window.cross_restart()
    await restart_window.finish_restart()
    client = await Client(fake_tws, tws_target.client_id).connect()
    await restart_window.cross_reset()
    await until(lambda: len(client.errors) >= 3)
    assert client.codes() == [1100, 2103, 2105]
    assert restart_window.in_window
    await restart_window.finish_reset()
    await until(lambda: len(client.errors) >= 6)
    assert client.codes()[3:] == [1102, 2104, 2106]
    assert client.ib.isConnected()
    client.ib.disconnect()


@pytest.mark.restart_window(restart_enabled=False, reset_outage=30, reset_data_lost=True)
async def test_reset_window_with_data_lost_sends_1101(
    fake_tws: FakeTWS, restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    client = await Client(fake_tws, tws_target.client_id).connect()
    outage_end = await restart_window.cross_reset()
    await restart_window.finish_reset()
    await until(lambda: len(client.errors) >= 6)
    assert client.codes() == [1100, 2103, 2105, 1101, 2104, 2106]
    assert restart_window.now() >= outage_end
    client.ib.disconnect()


async def test_a_whole_night_in_one_jump_plays_restart_then_reset(
    fake_tws: FakeTWS, restart_window: RestartWindowControl
) -> None:
    await restart_window.advance(24 * 3600)
    await until(lambda: fake_tws.listening)
    counts = fake_tws.call(lambda: (fake_tws.faults.restarts, fake_tws.faults.resets))
    assert counts == (1, 1)
    assert fake_tws.call(lambda: not fake_tws.faults.connectivity_is_lost)
