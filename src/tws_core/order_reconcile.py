"""`OrderManager.reconcile`: after a reconnect, find each order at TWS by its orderRef, or
send it again when it never got there (the verdicts are `tws_core.placements`'s)."""

from __future__ import annotations

import asyncio
import logging

from eventkit import Event
from ib_async import Trade
from ib_async.objects import TradeLogEntry

from tws_core.clock import Clock
from tws_core.connection import ConnectionManager, NotConnectedError
from tws_core.events import ConnectionState
from tws_core.order_types import OrderLostError, OrderRefusedError
from tws_core.placements import (
    DONE_STATUSES,
    Placement,
    Verdict,
    executed_refs,
    judge,
    orders_at_tws,
)

log = logging.getLogger("tws_core.orders")


class Reconciling:
    """The reconcile half of `OrderManager` (its state is set up there)."""

    conn: ConnectionManager
    clock: Clock
    ref_prefix: str
    _trades: dict[str, Trade]
    _last_status: dict[str, str]
    _placements: dict[str, Placement]
    _woken: Event
    _stale: bool
    _generation: int
    _lock: asyncio.Lock | None

    def _track(self, trade: Trade) -> None:
        raise NotImplementedError

    def _emit(self, ref: str, trade: Trade, old: str) -> None:
        raise NotImplementedError

    def _check_may_trade(self) -> None:
        raise NotImplementedError

    async def reconcile(self) -> list[Trade]:
        """Re-read open and completed orders and executions from TWS; re-bind the known
        orderRefs (and any of this manager's prefix) to their current Trades; send again each
        order that went out on a socket which died before TWS acknowledged it and of which
        TWS has no trace (see `tws_core.placements`). Runs by itself after a reconnect while
        an order is unsettled; callers may run it any time.

        Returns:
            The current Trades of the orders found at TWS.

        Raises:
            NotConnectedError: The connection dropped before TWS answered; nothing is known
                to be lost, so reconcile again once reconnected (it does so by itself).
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            return await self._reconcile()

    async def _reconcile_if_stale(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._stale:
                await self._reconcile()

    async def _reconcile(self) -> list[Trade]:
        ib = self.conn.ib
        generation = self._generation
        try:
            # this client's open orders only: after reqAllOpenOrders TWS also reports other
            # clients' order events here, and ib_async files an error such as 202 for another
            # client's orderId N under its own order N (wrapper.error keys by own clientId)
            await ib.reqOpenOrdersAsync()
            await ib.reqCompletedOrdersAsync(apiOnly=True)
            await ib.reqExecutionsAsync()
        except ConnectionError as exc:
            self._stale = True
            raise NotConnectedError(f"reconcile interrupted: {exc}") from exc
        at_tws = orders_at_tws(ib.trades())
        found: list[Trade] = []
        for ref, trade in at_tws.items():
            if ref in self._trades or ref.startswith(self.ref_prefix):
                self._track(trade)
                found.append(trade)
        executed = executed_refs(ib)
        deferred = False
        for placement in list(self._placements.values()):
            if not placement.settled:
                verdict = judge(placement, at_tws, executed, generation)
                deferred |= not self._settle(placement, verdict)
        self._stale = (deferred or generation != self._generation
                       or not self.conn.is_connected)
        return found

    def _settle(self, placement: Placement, verdict: Verdict) -> bool:
        """Act on a verdict; False when the placement must be judged again later."""
        ref = placement.ref
        if verdict in (Verdict.VANISHED, Verdict.RESEND) and (
                placement.client_id != self.conn.client_id):
            # reqOpenOrders shows this clientId's orders only: the old one's are out of sight
            self._fail(placement, OrderLostError(
                f"order {ref} went out as clientId {placement.client_id}, and the connection "
                f"is now clientId {self.conn.client_id}: it cannot be verified, so it is not "
                "sent again; look it up with reqAllOpenOrders or from clientId 0"))
        elif verdict is Verdict.VANISHED:
            self._fail(placement, OrderLostError(
                f"order {ref} (permId {placement.trade.order.permId}) was acknowledged by TWS, "
                "which reports it no more among open or completed orders or executions"))
        elif verdict is Verdict.EXECUTED:
            log.info("order %s is known to TWS by its executions only", ref)
        elif verdict is Verdict.RESEND:
            return self._resend(placement)
        return True

    def _resend(self, placement: Placement) -> bool:
        ref = placement.ref
        if placement.cancel_requested:
            self._never_sent(placement)
            return True
        try:
            self._check_may_trade()
        except OrderRefusedError as exc:
            if self.conn.state is ConnectionState.DEGRADED or not self.conn.is_connected:
                return False  # judged again after the next reconnect or restore
            self._fail(placement, OrderLostError(f"order {ref} never reached TWS and may not "
                                                 f"be sent again: {exc}"))
            return True
        placement.resends += 1
        log.warning("order %s never reached TWS (its socket died before an answer and TWS has "
                    "no trace of it); sending it again (resend %d)", ref, placement.resends)
        trade = self.conn.ib.placeOrder(placement.contract, placement.fresh_order())
        placement.sent_on = self._generation
        self._track(trade)
        return True

    def _never_sent(self, placement: Placement) -> Trade:
        """A cancelled order that never reached TWS: Cancelled here, as ib_async marks an
        order TWS refused while PendingSubmit."""
        trade = placement.trade
        if trade.orderStatus.status not in DONE_STATUSES:
            trade.orderStatus.status = "Cancelled"
            trade.log.append(TradeLogEntry(self.clock.now(), "Cancelled",
                                           "never reached TWS; cancelled before a resend"))
            self._emit(placement.ref, trade, self._last_status.get(placement.ref, ""))
        placement.error = None
        return trade

    def _fail(self, placement: Placement, error: OrderLostError) -> None:
        log.error("%s", error)
        placement.error = error
        self._woken.emit(placement.ref)
