"""Vertical spreads as BAG combo orders: build, place once, monitor, cancel, reconcile.

    build_vertical_spread ─► place_vertical_spread ─► wait_for(trade, "Filled") / cancel(trade)
           (legs qualified)     (orderRef = idempotency tag;       (every status change is an
                                 refused while DEGRADED or live)     `OrderStatusChange` event)
    reconnect ─► reconcile(): open + completed orders and executions, by orderRef
                 (by itself after every reconnect while an order is unsettled)

An order is known by its orderRef: after a reconnect ib_async makes new Trade objects, so
every method looks the current one up by tag rather than trusting the object it was given.
An order whose socket died before TWS acknowledged it is looked up by its orderRef after the
reconnect and, if TWS has no trace of it, sent again (`tws_core.placements`); a caller waiting
on an order TWS can no longer account for gets `OrderLostError`. Never silence.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging

from eventkit import Event
from ib_async import Contract, LimitOrder, Order, Trade

from tws_core.clock import Clock
from tws_core.connection import ConnectionManager, NotConnectedError
from tws_core.events import ConnectionState, StateChange
from tws_core.order_reconcile import Reconciling
from tws_core.order_types import (
    NON_GUARANTEED,
    OrderError,
    OrderLostError,
    OrderRefusedError,
    OrderStatusChange,
    OrderTimeoutError,
    VerticalSpread,
    is_paper_account,
    qualify_vertical_spread,
)
from tws_core.placements import (
    DONE_STATUSES,
    Placement,
    next_change,
)

log = logging.getLogger("tws_core.orders")

__all__ = [
    "DONE_STATUSES",
    "OrderError",
    "OrderLostError",
    "OrderManager",
    "OrderRefusedError",
    "OrderStatusChange",
    "OrderTimeoutError",
    "VerticalSpread",
    "is_paper_account",
]


class OrderManager(Reconciling):
    """Places and follows vertical spreads over one `ConnectionManager`.

    Args:
        conn: The connection; its ib_async ``IB`` sends everything.
        clock: Where timeouts are measured; the connection's clock by default.
        allow_live: Place orders on a non-paper account too. Off by default: a test or a
            misconfigured run must never trade real money.
        ref_prefix: The start of generated orderRefs.

    Example::

        orders = OrderManager(conn)
        spread = await orders.build_vertical_spread("SPY", "20261218", "C", 600, 605)
        trade = await orders.place_vertical_spread(spread, 1, limit_price=2.10, order_ref="a1")
        await orders.wait_for(trade, "Filled", timeout=30)
    """

    def __init__(
        self,
        conn: ConnectionManager,
        *,
        clock: Clock | None = None,
        allow_live: bool = False,
        ref_prefix: str = "tws-core",
    ) -> None:
        self.conn = conn
        self.clock = clock or conn.clock
        self.allow_live = allow_live
        self.ref_prefix = ref_prefix
        self.status_changed = Event("status_changed")
        """emits an `OrderStatusChange` for every status change of a known order"""
        self._trades: dict[str, Trade] = {}
        """orderRef -> the current ib_async Trade"""
        self._last_status: dict[str, str] = {}
        self._placements: dict[str, Placement] = {}
        """orderRef -> what this manager sent under it, to find or send again after a loss"""
        self._woken = Event("order_woken")
        """emits an orderRef whose waiters must look again: it failed, or has a new Trade"""
        self._refs = itertools.count(1)
        self._stale = False
        self._generation = 0
        """counts connections: a new one each time the socket is up again after a loss"""
        self._lock: asyncio.Lock | None = None
        self._auto: asyncio.Task[None] | None = None
        conn.events.state_changed += self._on_state

    # building

    async def build_vertical_spread(
        self,
        symbol: str,
        expiry: str,
        right: str,
        long_strike: float,
        short_strike: float,
        *,
        exchange: str = "SMART",
        currency: str = "USD",
    ) -> VerticalSpread:
        """Qualify both options and combine them: buy ``long_strike``, sell ``short_strike``.

        Raises:
            OrderError: A leg is unknown to TWS or ambiguous, or the strikes are equal.
        """
        return await qualify_vertical_spread(self.conn.ib, symbol, expiry, right, long_strike,
                                             short_strike, exchange=exchange, currency=currency)

    # placing

    def new_order_ref(self) -> str:
        return f"{self.ref_prefix}-{self.conn.client_id}-{next(self._refs)}"

    async def place_vertical_spread(
        self,
        spread: VerticalSpread,
        quantity: int,
        limit_price: float,
        *,
        order_ref: str | None = None,
        tif: str = "DAY",
        non_guaranteed: bool = True,
    ) -> Trade:
        """Buy ``quantity`` spreads at ``limit_price`` (net: positive debit, negative credit).

        Placing again with an ``order_ref`` TWS already has returns that order instead: a
        retry after a reconnect never doubles a position.

        Raises:
            OrderRefusedError: Not connected, DEGRADED, or a live account without allow_live.
        """
        order = LimitOrder("BUY", quantity, limit_price, tif=tif,
                           orderRef=order_ref or self.new_order_ref())
        if non_guaranteed:
            order.smartComboRoutingParams = [NON_GUARANTEED]
        return await self.place(spread.contract, order)

    async def place(self, contract: Contract, order: Order) -> Trade:
        """Place ``order`` once per orderRef (see `place_vertical_spread`)."""
        self._check_may_trade()
        if not order.orderRef:
            order.orderRef = self.new_order_ref()
        if self._stale:
            await self._reconcile_if_stale()
        known = self._trades.get(order.orderRef)
        if known is not None:
            log.info("orderRef %s is already known (%s); not placing it again",
                     order.orderRef, known.orderStatus.status)
            return known
        if self.conn.account:
            order.account = self.conn.account
        asked = copy.copy(order)
        trade = self.conn.ib.placeOrder(contract, order)
        self._placements[order.orderRef] = Placement(order.orderRef, contract, asked, trade,
                                                     self._generation, self.conn.client_id)
        self._track(trade)
        return trade

    def _check_may_trade(self) -> None:
        state = self.conn.state
        if state is ConnectionState.DEGRADED:
            raise OrderRefusedError("TWS has lost its connection to IB (DEGRADED); "
                                    "no order is placed until connectivity is restored")
        if not state.is_up or not self.conn.ib.isConnected():
            raise OrderRefusedError(f"not connected (state {state.name}); nothing was sent")
        live = [a for a in self.conn.accounts if not is_paper_account(a)]
        if live and not self.allow_live:
            raise OrderRefusedError(f"account(s) {', '.join(live)} are not paper accounts; "
                                    "pass allow_live=True to trade them")

    # following

    def trade(self, order_ref: str) -> Trade | None:
        """The current Trade of an order the manager knows."""
        return self._trades.get(order_ref)

    def resends(self) -> dict[str, int]:
        """orderRef -> how often reconcile sent that order again (it never reached TWS)."""
        return {ref: p.resends for ref, p in self._placements.items() if p.resends}

    def current(self, trade: Trade) -> Trade:
        return self._trades.get(trade.order.orderRef, trade)

    async def wait_for(self, trade: Trade, status: str, timeout: float = 30.0) -> Trade:
        """Wait until the order reaches ``status``; returns its current Trade.

        Raises:
            OrderError: It ended in another final status first (e.g. Cancelled, Inactive).
            OrderTimeoutError: ``timeout`` seconds passed on the clock.
        """
        ref = trade.order.orderRef
        if ref and ref not in self._trades:
            self._track(trade)
        deadline = asyncio.ensure_future(self.clock.sleep(timeout))
        try:
            while True:
                placement = self._placements.get(ref)
                if placement is not None and placement.error is not None:
                    raise placement.error
                current = self.current(trade)
                now = current.orderStatus.status
                if now == status:
                    return current
                if now in DONE_STATUSES:
                    raise OrderError(f"order {ref or current.order.orderId} ended {now}, "
                                     f"not {status}")
                changed = self._next_change(ref)
                try:
                    await asyncio.wait({changed, deadline}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woke = changed.done()
                    changed.cancel()
                if not woke:
                    raise OrderTimeoutError(f"order {ref} not {status} after {timeout}s "
                                            f"(it is {self.current(trade).orderStatus.status})")
        finally:
            deadline.cancel()

    def _next_change(self, ref: str) -> asyncio.Future[None]:
        return next_change(self.status_changed, self._woken, ref)

    async def cancel(self, trade: Trade, timeout: float = 30.0) -> Trade:
        """Cancel the order and wait until TWS confirms it Cancelled.

        Raises:
            OrderError: It filled (or ended otherwise) before the cancel took.
            OrderTimeoutError: No confirmation within ``timeout``.
        """
        placement = self._placements.get(trade.order.orderRef)
        if placement is not None:
            placement.cancel_requested = True  # never sent again, whatever reconcile finds
            if not self.conn.is_connected:
                raise NotConnectedError(f"cannot cancel {placement.ref} while disconnected; "
                                        "if it never reached TWS it will not be sent again")
            if self._stale:
                await self._reconcile_if_stale()
            if placement.error is not None and not placement.acknowledged:
                return self._never_sent(placement)
        current = self.current(trade)
        if current.orderStatus.status == "Cancelled":
            return current
        if current.orderStatus.status in DONE_STATUSES:
            raise OrderError(f"order {current.order.orderRef} is already "
                             f"{current.orderStatus.status}")
        self.conn.ib.cancelOrder(current.order)
        return await self.wait_for(current, "Cancelled", timeout)

    # internals

    def _track(self, trade: Trade) -> None:
        ref = trade.order.orderRef
        previous = self._trades.get(ref)
        if previous is trade:
            return
        self._trades[ref] = trade
        placement = self._placements.get(ref)
        if placement is not None:
            placement.trade = trade
        trade.statusEvent += self._on_status
        old = self._last_status.get(ref, "")
        if trade.orderStatus.status != old:
            self._emit(ref, trade, old)
        elif previous is not None:
            self._woken.emit(ref)

    def _on_status(self, trade: Trade) -> None:
        ref = trade.order.orderRef
        if self._trades.get(ref) is not trade:
            return  # a Trade from before a reconnect
        self._emit(ref, trade, self._last_status.get(ref, ""))

    def _emit(self, ref: str, trade: Trade, old: str) -> None:
        new = trade.orderStatus.status
        if new == old:
            return
        self._last_status[ref] = new
        self.status_changed.emit(OrderStatusChange(ref, old, new, trade, self.clock.now()))

    def _on_state(self, change: StateChange) -> None:
        if change.new is ConnectionState.RECONNECTING or not change.new.is_up:
            self._stale = True
        elif change.new is ConnectionState.CONNECTED:
            if change.old in _CONNECTING:
                self._generation += 1  # a new socket: what went out on the old one is judged
            if self._stale and any(not p.settled for p in self._placements.values()):
                self._auto = asyncio.ensure_future(self._auto_reconcile())

    async def _auto_reconcile(self) -> None:
        try:
            await self._reconcile_if_stale()
        except NotConnectedError as exc:
            log.info("reconcile after reconnect interrupted (%s); again after the next", exc)
        except Exception:
            log.exception("reconcile after reconnect failed")


_CONNECTING = (ConnectionState.CONNECTING, ConnectionState.RECONNECTING)
