"""Orders and executions as IB's servers hold them: tickets, lifecycle, the order book. No I/O.

Lifecycle (TWS's status names)::

    PendingSubmit ─► PreSubmitted ─► Submitted ─► Filled
                          │              │
                          └──────────────┴─► PendingCancel ─► Cancelled
                                             (a rejection ends in Inactive)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.matching import FillPolicy
from pytest_tws.model.triggers import TriggerSpec, TriggerState

PENDING_SUBMIT = "PendingSubmit"
PRE_SUBMITTED = "PreSubmitted"
SUBMITTED = "Submitted"
PENDING_CANCEL = "PendingCancel"
FILLED = "Filled"
CANCELLED = "Cancelled"
INACTIVE = "Inactive"

ACTIVE_STATUSES = frozenset({PENDING_SUBMIT, PRE_SUBMITTED, SUBMITTED, PENDING_CANCEL})

#: The conId TWS reports for a USD SMART combo (BAG) contract.
BAG_CON_ID = 28812380


class IllegalTransition(RuntimeError):
    """A status change TWS never makes (e.g. filling a cancelled order)."""


@dataclass(frozen=True)
class ComboLeg:
    """A leg as placeOrder sends it (contract.comboLegs)."""

    con_id: int
    ratio: int
    action: str
    exchange: str = "SMART"
    open_close: int = 0
    short_sale_slot: int = 0
    designated_location: str = ""
    exempt_code: int = -1

    @property
    def sign(self) -> int:
        return 1 if self.action.upper() == "BUY" else -1


@dataclass(frozen=True)
class OrderTicket:
    """What a client asked for in placeOrder, normalised across ib_async, ibapi and @stoqey."""

    order_id: int
    client_id: int
    action: str
    total_quantity: float
    order_type: str
    limit_price: float | None = None
    aux_price: float | None = None
    tif: str = "DAY"
    account: str = ""
    order_ref: str = ""
    oca_group: str = ""
    open_close: str = ""
    origin: int = 0
    transmit: bool = True
    parent_id: int = 0
    outside_rth: bool = False
    hidden: bool = False
    good_after_time: str = ""
    good_till_date: str = ""
    what_if: bool = False
    algo_strategy: str = ""
    legs: tuple[ComboLeg, ...] = ()
    leg_prices: tuple[float | None, ...] = ()
    combo_params: tuple[tuple[str, str], ...] = ()
    """smartComboRoutingParams, e.g. (("NonGuaranteed", "1"),)"""
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """every order field the client sent, by IBKR's name (`trailStopPrice`, `algoParams`,
    `conditions`...): what openOrder and completedOrder give back, as TWS echoes an order"""
    contract_fields: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """the contract's fields as sent (`comboLegs`, `deltaNeutralContract`...)"""

    def same_instrument(self, other: OrderTicket) -> bool:
        """Whether a modification keeps what TWS does not let a modify change."""
        return self.action == other.action and self.legs == other.legs


@dataclass
class Execution:
    """One fill of one contract: a leg of a combo, the combo itself, or a plain order."""

    exec_id: str
    order_id: int
    client_id: int
    perm_id: int
    contract: ContractSpec
    account: str
    side: str
    """BOT or SLD"""
    shares: float
    price: float
    time: datetime
    cum_qty: float
    avg_price: float
    order_ref: str = ""
    exchange: str = "SMART"
    commission: float | None = None
    """None for the combo's own execution, which carries no commission report"""
    realized_pnl: float | None = None


@dataclass(frozen=True)
class ResolvedLeg:
    leg: ComboLeg
    contract: ContractSpec


@dataclass
class Order:
    """An order in the book: its ticket, the contract it resolved to, and its progress."""

    ticket: OrderTicket
    perm_id: int
    contract: ContractSpec
    """the resolved contract; for a combo, a BAG spec standing for the whole"""
    legs: tuple[ResolvedLeg, ...] = ()
    status: str = PENDING_SUBMIT
    filled: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    commission_charged: float = 0.0
    why_held: str = ""
    completed_time: str = ""
    completed_status: str = ""
    executions: list[Execution] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    """every status the order has been in, in order"""
    trigger: TriggerState = field(default_factory=TriggerState)
    placed_at: datetime | None = None
    """the fake's clock when the order was submitted (a MOC/LOC waits for that day's close)"""
    """a STP/MIT/TRAIL... order's trigger (model/triggers.py)"""

    @property
    def trigger_spec(self) -> TriggerSpec:
        t = self.ticket
        return TriggerSpec(
            action=t.action, order_type=t.order_type, limit_price=t.limit_price,
            aux_price=t.aux_price, trailing_percent=t.fields.get("trailingPercent"),
            trail_stop_price=t.fields.get("trailStopPrice"),
            limit_offset=t.fields.get("lmtPriceOffset"),
        )

    @property
    def order_id(self) -> int:
        return self.ticket.order_id

    @property
    def client_id(self) -> int:
        return self.ticket.client_id

    @property
    def key(self) -> tuple[int, int]:
        return (self.ticket.client_id, self.ticket.order_id)

    @property
    def is_combo(self) -> bool:
        return bool(self.legs)

    @property
    def remaining(self) -> float:
        return max(0.0, self.ticket.total_quantity - self.filled)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def move_to(self, status: str) -> None:
        if not self.is_active and status != self.status:
            raise IllegalTransition(f"order {self.key} is {self.status}; cannot become {status}")
        self.status = status
        self.history.append(status)

    def record_fill(self, quantity: float, price: float) -> None:
        """Book `quantity` at `price` (the combo's net price for a BAG) into the averages."""
        if not self.is_active:
            raise IllegalTransition(f"order {self.key} is {self.status}; cannot fill")
        if quantity <= 0 or quantity > self.remaining + 1e-9:
            raise ValueError(f"cannot fill {quantity} of order {self.key}: {self.remaining} left")
        total = self.avg_fill_price * self.filled + price * quantity
        self.filled += quantity
        self.avg_fill_price = round(total / self.filled, 8)
        self.last_fill_price = price

    def modified(self, ticket: OrderTicket) -> None:
        self.ticket = replace(ticket, client_id=self.ticket.client_id)


class OrderBook:
    """Every order and execution of one fake IB back end, and how fills happen."""

    def __init__(self) -> None:
        self.orders: dict[int, Order] = {}
        """permId -> Order, in placement order"""
        self.executions: list[Execution] = []
        self.fill_policy = FillPolicy.IMMEDIATE
        self.highest_order_id: dict[int, int] = {}
        """clientId -> the highest order id it has used (ids must go up)"""
        self._exec_seq = 0

    def __iter__(self) -> Iterator[Order]:
        return iter(self.orders.values())

    def add(self, order: Order) -> None:
        self.orders[order.perm_id] = order
        used = self.highest_order_id.get(order.client_id, 0)
        self.highest_order_id[order.client_id] = max(used, order.order_id)

    def find(self, client_id: int, order_id: int) -> Order | None:
        """The order a client knows by `order_id` (the latest, if an id was ever reused)."""
        found = None
        for order in self.orders.values():
            if order.key == (client_id, order_id):
                found = order
        return found

    def find_any(self, order_id: int) -> Order | None:
        """An active order of any client with this id, if exactly one has it."""
        matches = [o for o in self.orders.values() if o.order_id == order_id and o.is_active]
        return matches[0] if len(matches) == 1 else None

    def by_ref(self, order_ref: str) -> list[Order]:
        return [o for o in self.orders.values() if o.ticket.order_ref == order_ref]

    def open_orders(self, client_id: int | None = None) -> list[Order]:
        return [o for o in self.orders.values()
                if o.is_active and client_id in (None, o.client_id)]

    def completed_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if not o.is_active]

    def executions_of(self, order: Order) -> list[Execution]:
        return [e for e in self.executions if e.perm_id == order.perm_id]

    def new_exec_id(self, epoch_seconds: int, leg: int = 1) -> str:
        """IB's shape, e.g. `0000e0d5.69dd7411.01.01`: one id per execution."""
        self._exec_seq += 1
        return f"0000{self._exec_seq:04x}.{epoch_seconds & 0xFFFFFFFF:08x}.{leg:02d}.01"
