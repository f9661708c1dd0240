"""The ledger of orders an `OrderManager` sent: what it takes to find each one at TWS again
after a reconnect, or to send it again when it never got there.

    place() ─► Placement(ref, contract, order, sent_on = connection generation g)
    socket lost ─► reconnect (generation g+1) ─► reconcile() judges every unsettled placement:
        orderRef among TWS's open or completed orders ─► FOUND: re-bound to TWS's Trade
        orderRef only among the executions           ─► EXECUTED: reached TWS, not sent again
        sent on the live socket                      ─► IN_FLIGHT: TCP delivers it, or the
                                                         socket dies and a later reconcile judges
        sent on a dead socket, never acknowledged    ─► RESEND: sent again, once per lost socket
        acknowledged by TWS, and TWS no longer has it ─► VANISHED: waiters get OrderLostError

"Acknowledged" means TWS answered for it (an openOrder with a permId, or an orderStatus): only
then is it certain that TWS has it, so only an unacknowledged order is ever sent again, and only
after the lookup by orderRef came back empty on a socket opened after the one it went out on.
"""

from __future__ import annotations

import asyncio
import copy
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eventkit import Event
from ib_async import IB, Contract, Order, Trade

__all__ = [
    "DONE_STATUSES", "Placement", "Verdict", "executed_refs", "judge", "next_change",
    "orders_at_tws",
]

#: Statuses after which nothing changes any more (ib_async's OrderStatus.DoneStates).
DONE_STATUSES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})
#: What ib_async shows for an order TWS has not answered for yet.
UNACKNOWLEDGED = frozenset({"", "PendingSubmit"})


class Verdict(enum.Enum):
    FOUND = "found at TWS"
    EXECUTED = "found among the executions"
    IN_FLIGHT = "sent on the live socket"
    RESEND = "never reached TWS"
    VANISHED = "acknowledged, but TWS no longer reports it"


@dataclass
class Placement:
    """One order this manager sent, with what it takes to send it again."""

    ref: str
    contract: Contract
    order: Order
    """the order as the caller gave it, copied before ib_async stamped ids on it"""
    trade: Trade
    """the current Trade (a new one after a reconnect or a resend)"""
    sent_on: int
    """the connection generation it was last sent on"""
    client_id: int
    """the clientId it went out as (TWS shows a client its own open orders only)"""
    resends: int = 0
    cancel_requested: bool = False
    error: Exception | None = None
    """why it cannot be brought to TWS; raised to whoever waits on it"""

    @property
    def status(self) -> str:
        return self.trade.orderStatus.status

    @property
    def acknowledged(self) -> bool:
        return bool(self.trade.order.permId) or self.status not in UNACKNOWLEDGED

    @property
    def settled(self) -> bool:
        """Nothing more to reconcile: done at TWS, or failed here."""
        return self.error is not None or self.status in DONE_STATUSES

    def fresh_order(self) -> Order:
        """The caller's order without ids, for placing again (ib_async picks a new orderId)."""
        order = copy.copy(self.order)
        order.orderId = order.permId = order.clientId = 0
        return order


def orders_at_tws(trades: Iterable[Trade]) -> dict[str, Trade]:
    """orderRef -> the newest Trade (highest permId) among ib_async's open and completed
    orders."""
    found: dict[str, Trade] = {}
    for trade in trades:
        ref = trade.order.orderRef
        if not ref:
            continue
        known = found.get(ref)
        if known is None or trade.order.permId >= known.order.permId:
            found[ref] = trade
    return found


def executed_refs(ib: IB) -> set[str]:
    """orderRefs of the executions ib_async holds (reqExecutions' answer)."""
    return {fill.execution.orderRef for fill in ib.fills() if fill.execution.orderRef}


def judge(
    placement: Placement, at_tws: dict[str, Trade], executed: set[str], generation: int
) -> Verdict:
    """What reconcile does with one unsettled placement (see the module docstring)."""
    if placement.ref in at_tws:
        return Verdict.FOUND
    if placement.ref in executed:
        return Verdict.EXECUTED
    if placement.sent_on == generation:
        return Verdict.IN_FLIGHT
    if placement.acknowledged:
        return Verdict.VANISHED
    return Verdict.RESEND


def next_change(status_changed: Event, woken: Event, ref: str) -> asyncio.Future[None]:
    """A future done at the next emission for ``ref`` of either event: a status change
    (`OrderStatusChange`) or a wake-up (the orderRef). It listens from this call on, so no
    emission between the caller's last look and its await is missed."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_change(change: Any) -> None:
        if change.order_ref == ref and not done.done():
            done.set_result(None)

    def on_woken(woken_ref: str) -> None:
        if woken_ref == ref and not done.done():
            done.set_result(None)

    def stop_listening(_: asyncio.Future[None]) -> None:
        status_changed.disconnect(on_change)
        woken.disconnect(on_woken)

    status_changed += on_change
    woken += on_woken
    done.add_done_callback(stop_listening)
    return done
