"""Issue 11's order acceptance with IBKR's own `ibapi` 10.50 (text protocol, served at v200):
fill, cancel, what-if, and non-default fields read back on a second client.

ibapi is threaded: its reader thread calls the wrapper, which records every callback; the
test waits on the record with a timeout.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_tws import FakeTWS, TwsTarget
from pytest_tws.wire.protobuf import PROTOBUF_MAX_VERSION
from tests.clients import orders_spec as spec

if sys.version_info < (3, 11):
    # ibapi writes text message ids with str(): on 3.10 an IntEnum's str() is its name
    pytest.skip("ibapi's text protocol needs Python 3.11+", allow_module_level=True)

ibapi_client = pytest.importorskip("ibapi.client")
from ibapi.contract import Contract  # noqa: E402
from ibapi.order import Order  # noqa: E402
from ibapi.order_condition import Create, OrderCondition  # noqa: E402
from ibapi.tag_value import TagValue  # noqa: E402
from ibapi.wrapper import EWrapper  # noqa: E402

#: ibapi 10.50 announces v100..226; the fake serves it all of that (protobuf from 201; the
#: same scenarios capped at 200 run in tests/clients/test_ibapi_protobuf_workflows.py)
IBAPI_VERSION = PROTOBUF_MAX_VERSION
AAPL_PRICE = 200.0


class App(EWrapper, ibapi_client.EClient):
    """Records every wrapper callback as (name, args) for the test to wait on."""

    def __init__(self) -> None:
        EWrapper.__init__(self)
        ibapi_client.EClient.__init__(self, self)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._changed = threading.Condition()
        for name in ("nextValidId", "orderStatus", "openOrder", "openOrderEnd", "execDetails",
                     "commissionAndFeesReport", "error"):
            setattr(self, name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            with self._changed:
                self.calls.append((name, args))
                self._changed.notify_all()
        return record

    def of(self, name: str) -> list[tuple[Any, ...]]:
        with self._changed:
            return [args for called, args in self.calls if called == name]

    def wait(self, what: str, condition: Callable[[], object]) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, spec.TIMEOUT):
                raise AssertionError(f"timed out after {spec.TIMEOUT}s waiting for {what}; "
                                     f"callbacks: {[n for n, _ in self.calls]}")

    def statuses(self, order_id: int) -> list[str]:
        return [args[1] for args in self.of("orderStatus") if args[0] == order_id]


def start(tws: FakeTWS, client_id: int) -> tuple[App, threading.Thread]:
    app = App()
    app.connect(tws.host, tws.port, clientId=client_id)
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    app.wait("nextValidId", lambda: app.of("nextValidId"))
    assert app.serverVersion() == IBAPI_VERSION
    return app, thread


def stop(app: App, thread: threading.Thread) -> None:
    app.disconnect()
    thread.join(timeout=spec.TIMEOUT)


@pytest.fixture
def app(fake_tws: FakeTWS, tws_target: TwsTarget) -> Iterator[App]:
    client, thread = start(fake_tws, tws_target.client_id)
    yield client
    stop(client, thread)


def aapl() -> Contract:
    contract = Contract()
    contract.conId, contract.symbol, contract.secType = spec.AAPL_CON_ID, "AAPL", "STK"
    contract.exchange, contract.currency = "SMART", "USD"
    return contract


def limit(action: str, quantity: float, price: float) -> Order:
    order = Order()
    order.action, order.orderType, order.totalQuantity, order.lmtPrice = (
        action, "LMT", quantity, price)
    return order


def build_order(fields: dict[str, Any]) -> Order:
    order = Order()
    for name, value in fields.items():
        if name == "algoParams":
            value = [TagValue(tag, text) for tag, text in value]
        setattr(order, name, value)
    return order


def conditions() -> list[Any]:
    price = Create(OrderCondition.Price)
    price.conId, price.exchange = spec.PRICE_CONDITION["conId"], spec.PRICE_CONDITION["exch"]
    price.isMore, price.price = spec.PRICE_CONDITION["isMore"], spec.PRICE_CONDITION["price"]
    price.triggerMethod = spec.PRICE_CONDITION["triggerMethod"]
    time = Create(OrderCondition.Time)
    time.time, time.isMore = spec.TIME_CONDITION["time"], spec.TIME_CONDITION["isMore"]
    for condition in (price, time):
        condition.And()
    return [price, time]


def condition_fields(condition: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(condition).items() if not k.startswith("_")}


def order_fields(order: Order) -> dict[str, Any]:
    fields = {name: getattr(order, name) for name in spec.COMPARED}
    fields["totalQuantity"] = float(fields["totalQuantity"])  # a Decimal in ibapi
    fields["algoParams"] = [(p.tag, p.value) for p in order.algoParams or []]
    fields["conditions"] = [condition_fields(c) for c in order.conditions or []]
    return fields


def test_marketable_limit_fills_with_execution_and_commission(app: App, fake_tws: FakeTWS):
    fake_tws.market.set_price("AAPL", AAPL_PRICE)
    order_id = app.of("nextValidId")[0][0]
    app.placeOrder(order_id, aapl(), limit("BUY", 10, AAPL_PRICE + spec.MARKETABLE_MARGIN))
    app.wait("Filled, execDetails and a commission report",
             lambda: "Filled" in app.statuses(order_id) and app.of("execDetails")
             and app.of("commissionAndFeesReport"))
    [(_, contract, execution)] = app.of("execDetails")
    [(report,)] = app.of("commissionAndFeesReport")
    assert (execution.orderId, execution.side, float(execution.shares), contract.conId) == (
        order_id, "BOT", 10, spec.AAPL_CON_ID)
    assert report.execId == execution.execId and report.commissionAndFees > 0
    [held] = fake_tws.orders()
    assert held.status == "Filled"


def test_resting_limit_cancels(app: App, fake_tws: FakeTWS):
    order_id = app.of("nextValidId")[0][0]
    app.placeOrder(order_id, aapl(), limit("BUY", 5, spec.RESTING_LIMIT))
    app.wait("Submitted", lambda: "Submitted" in app.statuses(order_id))
    app.cancelOrder(order_id, ibapi_client.OrderCancel())
    app.wait("Cancelled", lambda: "Cancelled" in app.statuses(order_id))
    assert app.of("execDetails") == [] and fake_tws.executions() == []
    assert [o.status for o in fake_tws.orders()] == ["Cancelled"]


def test_what_if_returns_margins_and_leaves_no_order(app: App, fake_tws: FakeTWS):
    order_id = app.of("nextValidId")[0][0]
    order = limit("BUY", 10, 10_000.0)
    order.whatIf = True
    app.placeOrder(order_id, aapl(), order)
    app.wait("the what-if openOrder", lambda: app.of("openOrder"))
    [(answered_id, _, _, state)] = app.of("openOrder")
    assert answered_id == order_id and state.status == "PreSubmitted"
    assert [name for name in spec.WHAT_IF_FIGURES
            if not spec.is_figure(getattr(state, name))] == []
    assert float(state.initMarginChange) > 0
    assert fake_tws.orders() == [] and fake_tws.executions() == []
    assert app.of("orderStatus") == [] and app.of("execDetails") == []


def test_non_default_fields_read_back_on_a_second_client(
    app: App, fake_tws: FakeTWS, tws_target: TwsTarget
):
    first_id = app.of("nextValidId")[0][0]
    algo = build_order(spec.ALGO_LIMIT)
    algo.conditions = conditions()
    algo.conditionsIgnoreRth = spec.ALGO_LIMIT["conditionsIgnoreRth"]
    trailing = build_order(spec.TRAILING)
    placed = {first_id: algo, first_id + 1: trailing}
    for order_id, order in placed.items():
        app.placeOrder(order_id, aapl(), order)
    app.wait("both working", lambda: all(app.statuses(i) for i in placed))
    other, thread = start(fake_tws, tws_target.new_client_id())
    try:
        other.reqAllOpenOrders()
        other.wait("openOrderEnd", lambda: other.of("openOrderEnd"))
        seen = {args[0]: args for args in other.of("openOrder")}
    finally:
        stop(other, thread)
    assert sorted(seen) == sorted(placed)
    for order_id, order in placed.items():
        _, contract, read_back, _ = seen[order_id]
        assert order_fields(read_back) == order_fields(order)
        assert contract.conId == spec.AAPL_CON_ID
