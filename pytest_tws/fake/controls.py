"""`FakeTWS`'s controls grouped by what they act on: `tws.orders` (also `tws.trading`) and
`tws.faults`; `tws.market` is `pytest_tws.fake.market_control`. Thread-safe: each method
runs on the fake's loop (through `FakeTWS.call`) and returns once done.

The flat names of earlier versions (`tws.fill(...)`, `tws.connectivity_lost()`, …) stay on
`FakeTWS` and call these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from pytest_tws.fake import trading
from pytest_tws.fake.backend import Backend
from pytest_tws.fake.faults import Faults, plan_failure
from pytest_tws.model.orders import Execution, Order
from pytest_tws.wire.messages import In

T = TypeVar("T")
Caller = Callable[[Callable[[], Any]], Any]

__all__ = ["FaultControl", "OrderControl"]


class OrderControl:
    """The fake's order desk: fill policy, fills and rejections by hand, and snapshots.

    Calling it (``tws.orders()``) returns every order, as in earlier versions.

    Example::

        tws.orders.set_fill_policy("manual")
        ...                                     # the code under test places order 7
        tws.orders.fill(7, quantity=1)          # a partial fill now
        tws.orders.reject(7, "no margin")       # error 201, order Inactive
        assert [o.status for o in tws.orders.open()] == []
    """

    def __init__(self, backend: Backend, call: Caller) -> None:
        self._backend = backend
        self._call = call

    def __call__(self) -> list[Order]:
        return self.all()

    def all(self) -> list[Order]:
        """A snapshot of every order the fake holds (open and done), in placement order."""
        return self._call(lambda: [dataclasses.replace(o) for o in self._backend.broker.orders])

    def open(self) -> list[Order]:
        """The orders still working (neither filled, cancelled nor inactive)."""
        return [o for o in self.all() if o.is_active]

    def executions(self) -> list[Execution]:
        """A snapshot of every execution, combos' own and their legs', in time order."""
        return self._call(lambda: list(self._backend.broker.executions))

    @property
    def fill_policy(self) -> str:
        return str(self._call(lambda: trading.book(self._backend).fill_policy.value))

    def set_fill_policy(self, policy: str) -> None:
        """``"immediate"`` (default), ``"partial"`` (half of what remains per matching
        round) or ``"manual"`` (nothing fills until `fill()`)."""
        self._call(lambda: trading.set_fill_policy(self._backend, policy))

    def fill(
        self,
        order_id: int,
        quantity: float | None = None,
        price: float | None = None,
        *,
        client_id: int | None = None,
    ) -> list[Execution]:
        """Fill a working order now (all that remains unless ``quantity``), at ``price`` or
        where the market would; a combo's price is its net price. Returns the executions."""
        backend = self._backend
        return self._call(lambda: trading.control_fill(
            backend, trading.order_for_control(backend, order_id, client_id), quantity, price))

    def reject(self, order_id: int, reason: str, *, client_id: int | None = None) -> None:
        """TWS rejects a working order: error 201 ``Order rejected - reason:<reason>``."""
        backend = self._backend
        self._call(lambda: trading.reject(
            backend, trading.order_for_control(backend, order_id, client_id), reason))


class FaultControl:
    """What goes wrong: connectivity (1100/1101/1102), farms, the restart, dropped sockets,
    and planned answers to the next requests of a kind.

    Other attributes (``restarts``, ``resets``, ``connectivity_is_lost``, ``follow``) are the
    fake's own fault state; read them through `FakeTWS.call` while clients are connected.

    Example::

        tws.faults.fail_next("placeOrder", 201, "Order rejected - reason:margin")
        tws.faults.ignore_next("reqContractDetails")    # a hung TWS: no answer at all
        tws.faults.connectivity_lost()                  # 1100 to every client
        tws.faults.connectivity_restored(data_lost=True)  # 1101, subscriptions dropped
    """

    def __init__(self, faults: Faults, backend: Backend, call: Caller) -> None:
        self._faults = faults
        self._backend = backend
        self._call = call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._faults, name)

    def connectivity_lost(self) -> None:
        """1100 (and farms broken, 2103/2105) to every client; market data pauses."""
        self._call(self._faults.connectivity_lost)

    def connectivity_restored(self, data_lost: bool = False) -> None:
        """1102, or with ``data_lost`` 1101 and every market-data subscription dropped; then
        farms OK (2104/2106) and market data flows again."""
        self._call(lambda: self._faults.connectivity_restored(data_lost))

    def farms_broken(self) -> None:
        """2103/2105: the market-data and historical farms are broken."""
        self._call(self._faults.farms_broken)

    def farms_ok(self) -> None:
        """2104/2106: the farms are back."""
        self._call(self._faults.farms_ok)

    def restart(self, downtime: float = 2.0) -> None:
        """TWS's daily restart: every socket closed with no message, connections refused for
        ``downtime`` seconds on the fake's clock, then back; orders, positions and ids kept."""
        self._call(lambda: self._faults.restart(downtime))

    def come_back(self) -> None:
        """End a restart's downtime now."""
        self._call(self._faults.come_back)

    def drop_clients(self) -> None:
        """Close every client socket with no message (a crash, or a network cut at TWS)."""
        self._call(self._faults.drop_clients)

    def fail_next(
        self, request: In | str, code: int, message: str | None = None, *, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests of kind ``request`` (``"placeOrder"``,
        ``"PLACE_ORDER"`` or `In.PLACE_ORDER`) with error ``code`` instead of handling them.
        An unknown name is refused with the valid spellings."""
        self._call(lambda: plan_failure(self._backend, request, code, message, times))

    def ignore_next(self, request: In | str, *, times: int = 1) -> None:
        """Leave the next ``times`` requests of kind ``request`` unanswered (a hung TWS)."""
        self._call(lambda: plan_failure(self._backend, request, None, times=times))
