"""Vertical spreads as BAG combo orders: build, place once, monitor, cancel, reconcile.

    build_vertical_spread ─► place_vertical_spread ─► wait_for(trade, "Filled") / cancel(trade)
           (legs qualified)     (orderRef = idempotency tag;       (every status change is an
                                 refused while DEGRADED or live)     `OrderStatusChange` event)
    reconnect ─► reconcile(): open + completed orders re-bound to their tags

An order is known by its orderRef: after a reconnect ib_async makes new Trade objects, so
every method looks the current one up by tag rather than trusting the object it was given.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime

from eventkit import Event
from ib_async import Bag, ComboLeg, Contract, LimitOrder, Option, Order, TagValue, Trade

from tws_core.clock import Clock
from tws_core.connection import ConnectionManager, NotConnectedError
from tws_core.errors import TwsCoreError
from tws_core.events import ConnectionState, StateChange

log = logging.getLogger("tws_core.orders")

__all__ = [
    "DONE_STATUSES",
    "OrderError",
    "OrderManager",
    "OrderRefusedError",
    "OrderStatusChange",
    "OrderTimeoutError",
    "VerticalSpread",
    "is_paper_account",
]

#: Statuses after which nothing changes any more (ib_async's OrderStatus.DoneStates).
DONE_STATUSES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})
#: What users of SMART-routed spreads set so IB may fill the legs separately (TWS asks for it).
NON_GUARANTEED = TagValue("NonGuaranteed", "1")


class OrderError(TwsCoreError):
    """An order did not do what the caller waited for."""


class OrderRefusedError(OrderError):
    """The manager refused to place an order; nothing was sent."""


class OrderTimeoutError(OrderError):
    """The awaited status did not come within the timeout (on the manager's clock)."""


def is_paper_account(account: str) -> bool:
    """IB paper accounts start with D (DU…, DF…)."""
    return account.upper().startswith("D")


@dataclass(frozen=True)
class OrderStatusChange:
    """One status change of an order the manager placed or reconciled."""

    order_ref: str
    old: str
    new: str
    trade: Trade = field(compare=False)
    at: datetime


@dataclass(frozen=True)
class VerticalSpread:
    """A vertical spread: a BAG of two qualified options, one bought and one sold."""

    contract: Contract
    long_leg: Option
    short_leg: Option

    @property
    def right(self) -> str:
        return self.long_leg.right

    @property
    def kind(self) -> str:
        """``debit`` when the bought leg is worth more (lower call / higher put strike)."""
        cheaper_long = (self.long_leg.strike > self.short_leg.strike) == (self.right == "C")
        return "credit" if cheaper_long else "debit"


class OrderManager:
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
        self._refs = itertools.count(1)
        self._stale = False
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
        if long_strike == short_strike:
            raise OrderError("a vertical spread needs two different strikes")
        right = right.upper()[:1]
        legs = [Option(symbol, expiry, strike, right, exchange, currency=currency)
                for strike in (long_strike, short_strike)]
        qualified = await self.conn.ib.qualifyContractsAsync(*legs)
        if len(qualified) != 2 or not all(getattr(c, "conId", 0) for c in qualified):
            raise OrderError(f"cannot qualify both legs of {symbol} {expiry} {right} "
                             f"{long_strike}/{short_strike}")
        long_leg, short_leg = legs
        bag = Bag(symbol=symbol, exchange=exchange, currency=currency, comboLegs=[
            ComboLeg(conId=long_leg.conId, ratio=1, action="BUY", exchange=exchange),
            ComboLeg(conId=short_leg.conId, ratio=1, action="SELL", exchange=exchange),
        ])
        return VerticalSpread(bag, long_leg, short_leg)

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
            await self.reconcile()
        known = self._trades.get(order.orderRef)
        if known is not None:
            log.info("orderRef %s is already at TWS (%s); not placing it again",
                     order.orderRef, known.orderStatus.status)
            return known
        if self.conn.account:
            order.account = self.conn.account
        trade = self.conn.ib.placeOrder(contract, order)
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
                current = self.current(trade)
                now = current.orderStatus.status
                if now == status:
                    return current
                if now in DONE_STATUSES:
                    raise OrderError(f"order {ref or current.order.orderId} ended {now}, "
                                     f"not {status}")
                changed = asyncio.ensure_future(self._next_change(ref))
                await asyncio.wait({changed, deadline}, return_when=asyncio.FIRST_COMPLETED)
                if not changed.done():
                    changed.cancel()
                    raise OrderTimeoutError(f"order {ref} not {status} after {timeout}s "
                                            f"(it is {self.current(trade).orderStatus.status})")
        finally:
            deadline.cancel()

    async def _next_change(self, ref: str) -> None:
        while True:
            change: OrderStatusChange = await self.status_changed
            if change.order_ref == ref:
                return

    async def cancel(self, trade: Trade, timeout: float = 30.0) -> Trade:
        """Cancel the order and wait until TWS confirms it Cancelled.

        Raises:
            OrderError: It filled (or ended otherwise) before the cancel took.
            OrderTimeoutError: No confirmation within ``timeout``.
        """
        current = self.current(trade)
        if current.orderStatus.status == "Cancelled":
            return current
        if current.orderStatus.status in DONE_STATUSES:
            raise OrderError(f"order {current.order.orderRef} is already "
                             f"{current.orderStatus.status}")
        self.conn.ib.cancelOrder(current.order)
        return await self.wait_for(current, "Cancelled", timeout)

    async def reconcile(self) -> list[Trade]:
        """Re-read open and completed orders from TWS and re-bind the known orderRefs (and
        any of this manager's prefix) to their current Trades. Call after a reconnect.

        Raises:
            NotConnectedError: The connection dropped before TWS answered; nothing is known
                to be lost, so reconcile again once reconnected.
        """
        ib = self.conn.ib
        try:
            await ib.reqOpenOrdersAsync()
            await ib.reqCompletedOrdersAsync(apiOnly=True)
        except ConnectionError as exc:
            self._stale = True
            raise NotConnectedError(f"reconcile interrupted: {exc}") from exc
        found: list[Trade] = []
        for trade in ib.trades():
            ref = trade.order.orderRef
            if ref and (ref in self._trades or ref.startswith(self.ref_prefix)):
                self._track(trade)
                found.append(trade)
        self._stale = False
        return found

    # internals

    def _track(self, trade: Trade) -> None:
        ref = trade.order.orderRef
        previous = self._trades.get(ref)
        if previous is trade:
            return
        self._trades[ref] = trade
        trade.statusEvent += self._on_status
        old = self._last_status.get(ref, "")
        if trade.orderStatus.status != old:
            self._emit(ref, trade, old)

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
