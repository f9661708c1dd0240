"""Phase 1B: the watchdog survives real network faults, injected by a Toxiproxy proxy
(`flaky_network`) between ib_async and the fake, in three states of the client.

Every case runs the same story: connect through the proxy with a `Watchdog`, enter the state
(idle / streaming AAPL / an order on its way), inject the fault, let the state's traffic meet
it, heal the network, and check the recovery:

- a **dead link** (reset_peer, timeout, proxy down) is noticed (the socket closes, or the
  watchdog's health probe times out on the virtual clock) and ends in exactly one reconnect;
- a **slow link** (latency 2 s, slicer with 1-byte pieces, bandwidth 1 KB/s) needs no
  reconnect: the watchdog stays CONNECTED and every request made meanwhile completes;
- afterwards market data streams again on one line, and the broker holds the order exactly
  once: not lost, not duplicated by the strategy's retry, as reconciled from TWS's open and
  completed orders.

All waiting in the code under test is on a `VirtualClock` shared with the fake; the toxics act
in real time, and each case takes well under a second or two of it. For "latency 2 s" the held
data is released by removing the toxic once 2 s of virtual time have passed (Toxiproxy forwards
a removed toxic's held chunks at once, in order), so the case does not sit out 2 real seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import pytest
from ib_async import LimitOrder, Stock, Ticker, Trade

from pytest_tws.clock import VirtualClock
from pytest_tws.fake import FakeTWS
from pytest_tws.netfault.fixture import FlakyNetwork
from pytest_tws.restart import advance_until
from pytest_tws.target import TwsTarget
from pytest_tws.waiting import wait_until
from tws_core import ConnectionManager, OrderManager
from tws_core.market_data import MarketData
from tws_core.orders import OrderRefusedError
from tws_core.watchdog import Backoff, RecoveryReason, Watchdog, WatchdogState, WatchdogTransition

pytestmark = [pytest.mark.phase1b, pytest.mark.fake_only]

W = WatchdogState
AAPL = Stock("AAPL", "SMART", "USD", conId=265598)
#: Real seconds to wait for something the network or the fake is doing right now.
REACT = 5.0
#: Virtual seconds a connect attempt may take.
CONNECT_TIMEOUT = 5.0
#: Virtual seconds of silence before the watchdog probes, and a probe may take.
HEALTH_INTERVAL = 5.0
HEALTH_TIMEOUT = 3.0
#: The latency fault, and how long (virtual) it holds data before the link heals.
LATENCY_MS = 2000
#: Market-data ticks per virtual second: few enough that a 1 KB/s link keeps up.
TICK_RATE = 1.0
ORDER_REF = "netfault-1"
LIMIT = 100.0  # far below AAPL: the order rests (and the fill policy is manual anyway)


def sent(tws: FakeTWS, name: str) -> int:
    """Requests of one kind among the fake's recent frames (few flow in these tests)."""
    return sum(1 for f in tws.frames if f.direction == ">>" and f.name == name)


def broker_orders(tws: FakeTWS, ref: str) -> list[tuple[int, int]]:
    """(orderId, permId) of the orders the fake's broker holds under an orderRef, open or
    done."""
    return [(o.order_id, o.perm_id) for o in tws.orders() if o.ticket.order_ref == ref]


# -- the client under test ------------------------------------------------------------------


@dataclass
class Client:
    """The production stack through the proxy, plus what the test saw of it."""

    tws: FakeTWS
    net: FlakyNetwork
    clock: VirtualClock
    conn: ConnectionManager
    dog: Watchdog
    data: MarketData
    orders: OrderManager
    transitions: list[WatchdogTransition] = field(default_factory=list)
    recoveries: list[RecoveryReason] = field(default_factory=list)
    ticker: Ticker | None = None
    ticks: int = 0

    # stepping virtual time

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass, deadline by deadline."""
        await self.clock.advance_async(seconds)

    async def until_probe_sent(self) -> None:
        """Step the clock until the watchdog's health probe has reached the fake."""
        before = sent(self.tws, "REQ_CURRENT_TIME")
        await advance_until(self.clock, lambda: sent(self.tws, "REQ_CURRENT_TIME") > before,
                            within=HEALTH_INTERVAL + 1.5, idle=self.dog.is_waiting)

    async def until_backing_off(self, within: float = 0.0) -> None:
        """The watchdog has noticed the loss: by a closed socket at once (``within`` 0),
        or by a probe timing out within ``within`` virtual seconds."""
        if within:
            await advance_until(self.clock, lambda: self.dog.state is W.BACKING_OFF,
                                within=within)
        else:
            await wait_until(lambda: self.dog.state is W.BACKING_OFF,
                             "the watchdog to see the loss", REACT)

    async def until_connected(self) -> None:
        await advance_until(self.clock, lambda: self.dog.state is W.CONNECTED, within=60.0,
                            idle=self.dog.is_waiting)

    # the states

    async def stream(self) -> None:
        self.ticker = await self.data.subscribe(AAPL)
        self.ticker.updateEvent += self._count_tick
        await self.next_ticks()

    def _count_tick(self, _ticker: Ticker) -> None:
        self.ticks += 1

    def market_moves(self) -> None:
        """AAPL moves (a trade prints): the fake publishes ticks for it now."""
        self.tws.market.move("AAPL", 0.1)

    async def next_ticks(self) -> None:
        """The market moves and its ticks arrive (on a clean link)."""
        before = self.ticks
        self.market_moves()
        await wait_until(lambda: self.ticks > before, "ticks to arrive", REACT)

    async def place(self) -> Trade:
        """Place (or, with the same orderRef, re-place) the strategy's order."""
        return await self.orders.place(AAPL, LimitOrder("BUY", 1, LIMIT, orderRef=ORDER_REF))

    def acknowledged(self) -> bool:
        trade = self.orders.trade(ORDER_REF)
        return trade is not None and trade.orderStatus.status not in ("", "PendingSubmit")


# -- the faults -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    name: str
    dead: bool
    """the link dies (one reconnect expected) rather than slows down (none expected)"""
    inject: Callable[[FlakyNetwork], object]


def both_ways(add: Callable[[FlakyNetwork, str], str]) -> Callable[[FlakyNetwork], object]:
    return lambda net: [add(net, stream) for stream in ("downstream", "upstream")]


FAULTS = [
    Fault("reset_peer", True, lambda net: net.reset_peer()),
    Fault("timeout", True, lambda net: net.timeout(0)),  # a black hole until removed
    Fault("latency_2s", False, lambda net: net.latency(LATENCY_MS)),
    Fault("slicer_1_byte", False, both_ways(lambda net, stream: net.slice(1, stream=stream))),
    Fault("bandwidth_1kb_s", False,
          both_ways(lambda net, stream: net.bandwidth(1, stream=stream))),
    Fault("proxy_down", True, lambda net: net.disable()),
]
STATES = ["idle", "streaming", "order_in_flight"]


def heal(net: FlakyNetwork) -> None:
    if not net.enabled:
        net.enable()
    net.clear()


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def clock(fake_tws: FakeTWS) -> Iterator[VirtualClock]:
    with VirtualClock() as virtual:
        fake_tws.use_clock(virtual)
        yield virtual
        fake_tws.use_clock(None)


@pytest.fixture
async def client(
    fake_tws: FakeTWS, flaky_network: FlakyNetwork, tws_target: TwsTarget, clock: VirtualClock
) -> AsyncIterator[Client]:
    fake_tws.market.set_tick_rate(TICK_RATE)
    fake_tws.set_fill_policy("manual")
    conn = ConnectionManager(flaky_network.host, flaky_network.port, tws_target.client_id,
                             clock=clock, timeout=CONNECT_TIMEOUT)
    dog = Watchdog(conn, clock=clock, health_interval=HEALTH_INTERVAL,
                   health_timeout=HEALTH_TIMEOUT,
                   backoff=Backoff(initial=1.0, factor=2.0, maximum=8.0, jitter=0.1, seed=5))
    orders = OrderManager(conn)
    data = MarketData(conn)
    c = Client(fake_tws, flaky_network, clock, conn, dog, data, orders)
    dog.events.state_changed += c.transitions.append

    async def reconcile_orders(reason: RecoveryReason) -> None:
        c.recoveries.append(reason)
        await orders.reconcile()

    dog.add_recovery_hook(reconcile_orders)
    dog.start()
    await wait_until(lambda: dog.state is W.CONNECTED, "the first connect", REACT)
    try:
        yield c
    finally:
        data.close()
        try:
            await stop_within(dog, REACT)
        finally:
            await conn.disconnect()


async def stop_within(dog: Watchdog, seconds: float) -> None:
    """`Watchdog.stop`, failing the test (rather than hanging it) if it does not return."""
    stopping = asyncio.ensure_future(dog.stop())
    done, _ = await asyncio.wait({stopping}, timeout=seconds)
    if not done:
        stopping.cancel()
        await asyncio.gather(stopping, return_exceptions=True)
        pytest.fail(f"Watchdog.stop() did not return within {seconds} s (state {dog.state})")
    stopping.result()


# -- the matrix -----------------------------------------------------------------------------


async def enter(c: Client, state: str) -> None:
    if state == "streaming":
        await c.stream()
    elif state == "order_in_flight":
        await c.orders.reconcile()  # what a strategy does at start: the placement sends only
        # the order, not a reconcile first


async def meet_fault(c: Client, fault: Fault, state: str) -> None:
    """The state's traffic meets the fault; returns once the effect is visible."""
    if fault.name == "proxy_down":
        await meet_proxy_down(c, fault, state)
    elif fault.dead:
        await meet_dead_link(c, fault, state)
    else:
        await meet_slow_link(c, fault, state)


async def send_traffic(c: Client, state: str) -> None:
    """What the state puts on the wire next: a probe, ticks, or the order."""
    if state == "idle":
        await c.until_probe_sent()
    elif state == "streaming":
        c.market_moves()
    else:
        await c.place()
        # Upstream is untouched by these faults: the order reaches the broker; its ack may not.
        await wait_until(lambda: broker_orders(c.tws, ORDER_REF), "the order at the broker",
                         REACT)


async def meet_dead_link(c: Client, fault: Fault, state: str) -> None:
    fault.inject(c.net)
    await send_traffic(c, state)
    if fault.name == "reset_peer":
        await c.until_backing_off()  # the first chunk back resets the connection
    else:
        # Nothing comes back and nothing closes: only the health probe can tell.
        await c.until_backing_off(within=HEALTH_INTERVAL + HEALTH_TIMEOUT + 2.0)
        assert c.dog.status().probes_failed == 1


async def meet_proxy_down(c: Client, fault: Fault, state: str) -> None:
    if state == "order_in_flight":
        await c.place()
        await wait_until(c.acknowledged, "the order acknowledged", REACT)
    fault.inject(c.net)
    await c.until_backing_off()
    if state == "order_in_flight":
        with pytest.raises(OrderRefusedError):
            await c.place()  # nothing can be sent now, and nothing is
        # ... while the broker fills the working order during the outage.
        ((order_id, _),) = broker_orders(c.tws, ORDER_REF)
        c.tws.fill(order_id, client_id=c.conn.client_id)
    attempts = c.dog.status().attempts
    # Attempts are refused while the proxy is down, and backed off on the virtual clock.
    await advance_until(c.clock, lambda: c.dog.status().attempts >= attempts + 2, within=30.0,
                        idle=c.dog.is_waiting)
    assert c.dog.state is W.BACKING_OFF
    assert "refused" in (c.dog.status().last_error or "").lower()


async def meet_slow_link(c: Client, fault: Fault, state: str) -> None:
    probes_ok = c.dog.status().probes_ok
    ticks = c.ticks
    fault.inject(c.net)
    await send_traffic(c, state)
    if fault.name == "latency_2s":
        # The answer is held for 2 s: the watchdog does not give up on it meanwhile.
        await c.advance(LATENCY_MS / 1000)
        assert c.dog.state is W.CONNECTED
        assert (c.dog.status().probes_ok, c.ticks, c.acknowledged()) == (probes_ok, ticks, False)
        heal(c.net)  # the held chunks are delivered now, in order
    if state == "idle":
        await wait_until(lambda: c.dog.status().probes_ok > probes_ok, "the probe's answer",
                         REACT)
    elif state == "streaming":
        await wait_until(lambda: c.ticks > ticks, "ticks through the slow link", REACT)
    else:
        await wait_until(c.acknowledged, "the order acknowledged through the slow link", REACT)


async def check_recovered(c: Client, fault: Fault, state: str) -> None:
    status = c.dog.status()
    assert status.state is W.CONNECTED and c.dog.can_trade
    assert status.probes_failed == (1 if fault.name == "timeout" else 0)
    if fault.dead:
        assert status.reconnects == 1
        assert c.recoveries == [RecoveryReason.RECONNECTED]
        path = [t.new for t in c.transitions]
        after_loss = path[path.index(W.BACKING_OFF):]
        assert W.RECOVERING in after_loss and path[-1] is W.CONNECTED, path
    else:
        assert status.reconnects == 0 and c.recoveries == []
        assert [t.new for t in c.transitions] == [W.CONNECTING, W.CONNECTED]
    await c.conn.health_check()
    assert c.tws.client_ids() == [c.conn.client_id]
    if state == "streaming":
        await check_streaming(c)
    if state == "order_in_flight":
        await check_order_once(c, fault)


async def check_streaming(c: Client) -> None:
    await wait_until(lambda: [s.symbol for s in c.tws.market.subscriptions] == ["AAPL"],
                     "AAPL streaming again on one line", REACT)
    assert c.data.tickers and c.data.tickers[0] is c.ticker  # the caller's ticker updates
    await c.next_ticks()


async def check_order_once(c: Client, fault: Fault) -> None:
    expected = "Filled" if fault.name == "proxy_down" else "Submitted"
    retried = await c.place()  # the strategy retries: the orderRef makes it a no-op
    reconciled = [t for t in await c.orders.reconcile() if t.order.orderRef == ORDER_REF]
    held = broker_orders(c.tws, ORDER_REF)
    assert len(held) == 1, f"the broker holds {len(held)} orders under {ORDER_REF}"
    assert len(reconciled) == 1
    # Completed orders carry no orderId (TWS sends permIds for them): match on permId.
    assert reconciled[0] is retried and retried.order.permId == held[0][1]
    assert reconciled[0].orderStatus.status == expected
    assert sent(c.tws, "PLACE_ORDER") == 1


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_watchdog_survives_network_fault(client: Client, fault: Fault, state: str) -> None:
    await enter(client, state)
    await meet_fault(client, fault, state)
    heal(client.net)
    if fault.dead:
        await wait_until(lambda: not client.tws.client_ids(), "the fake to drop the session",
                         REACT)
    await client.until_connected()
    await check_recovered(client, fault, state)
