"""Order requests: each client's own encoder -> the fake's schema -> every field equal.

placeOrder is drawn with the fields that change its layout (BAG legs, delta-neutral blocks,
scale blocks, hedge, algo, PEG BENCH/BEST/MID, IBKRATS, conditions) at every version and at
every gate of the message.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tws.wire import versions as v
from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from tests.oracle.clients import TEXT_VERSIONS, View, client_versions, encode_request, mismatches
from tests.oracle.order_specs import build_order, order_specs, order_view
from tests.oracle.strategies import build_contract, ids, maybe_text, text

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

#: gates of placeOrder inside 100..200 (the version before and the version itself)
PLACE_ORDER_GATES = (
    v.MIN_SERVER_VER_PEGGED_TO_BENCHMARK, v.MIN_SERVER_VER_ORDER_CONTAINER - 1,
    v.MIN_SERVER_VER_ORDER_CONTAINER, v.MIN_SERVER_VER_DURATION, v.MIN_SERVER_VER_POST_TO_ATS,
    v.MIN_SERVER_VER_AUTO_CANCEL_PARENT, v.MIN_SERVER_VER_ADVANCED_ORDER_REJECT,
    v.MIN_SERVER_VER_MANUAL_ORDER_TIME, v.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS - 1,
    v.MIN_SERVER_VER_FA_PROFILE_DESUPPORT, v.MIN_SERVER_VER_CUSTOMER_ACCOUNT,
    v.MIN_SERVER_VER_PROFESSIONAL_CUSTOMER, v.MIN_SERVER_VER_UNDO_RFQ_FIELDS,
    v.MIN_SERVER_VER_INCLUDE_OVERNIGHT, v.MIN_SERVER_VER_CME_TAGGING_FIELDS - 1,
    v.MIN_SERVER_VER_CME_TAGGING_FIELDS, v.MIN_SERVER_VER_IMBALANCE_ONLY - 1,
    v.MIN_SERVER_VER_IMBALANCE_ONLY,
)
VERSIONS = tuple(sorted(set(TEXT_VERSIONS + PLACE_ORDER_GATES)))
#: ibapi 10.50 refuses every placeOrder below MIN_SERVER_VER_CASH_QTY: its default cashQty is
#: UNSET_DOUBLE, which its `if order.cashQty:` check takes as set (error 503).
PLACE_ORDER_PARAMS = [p for p in client_versions(versions=(*VERSIONS, v.MIN_SERVER_VER_CASH_QTY))
                      if p.values[0] != "ibapi" or p.values[1] >= v.MIN_SERVER_VER_CASH_QTY]


@pytest.mark.parametrize(("client", "version"), PLACE_ORDER_PARAMS)
@SETTINGS
@given(seed=st.integers(0, 2**32), order_id=ids)
def test_place_order(client: str, version: int, seed: int, order_id: int) -> None:
    contract_spec, spec = order_specs(version, seed)
    contract = build_contract(client, contract_spec)
    order = build_order(client, spec)
    fields = encode_request(client, version, "placeOrder", order_id, contract, order,
                            message_id=In.PLACE_ORDER)
    values = REQUESTS[In.PLACE_ORDER].decode(fields, version)
    expected = order_view(client, order, orderId=order_id, contract=contract)
    assert mismatches(values, expected, ignore={"version"}) == []
    # the layout-changing fields were really read (not only defaulted)
    if spec["algoStrategy"]:
        assert [p["tag"] for p in values["algoParams"]] == [t for t, _ in spec["algoParams"]]


@pytest.mark.parametrize(("client", "version"), client_versions(
    versions=sorted({*TEXT_VERSIONS, v.MIN_SERVER_VER_MANUAL_ORDER_TIME,
                     v.MIN_SERVER_VER_RFQ_FIELDS, v.MIN_SERVER_VER_CME_TAGGING_FIELDS})))
@settings(max_examples=10, deadline=None)
@given(order_id=ids, when=maybe_text, operator=maybe_text, indicator=st.integers(0, 1))
def test_cancel_order(client: str, version: int, order_id: int, when: str, operator: str,
                      indicator: int) -> None:
    if client == "ibapi":
        from ibapi.order_cancel import OrderCancel

        cancel = OrderCancel()
        if version >= v.MIN_SERVER_VER_MANUAL_ORDER_TIME:
            cancel.manualOrderCancelTime = when
        if version >= v.MIN_SERVER_VER_CME_TAGGING_FIELDS:
            cancel.extOperator, cancel.manualOrderIndicator = operator, indicator
        args: tuple[Any, ...] = (cancel,)
        expected = View(cancel, orderId=order_id)
    else:
        when = when if version >= v.MIN_SERVER_VER_MANUAL_ORDER_TIME else ""
        args = (when,)
        expected = View(orderId=order_id, manualOrderCancelTime=when)
    fields = encode_request(client, version, "cancelOrder", order_id, *args,
                            message_id=In.CANCEL_ORDER)
    values = REQUESTS[In.CANCEL_ORDER].decode(fields, version)
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions(
    versions=sorted(set((*TEXT_VERSIONS, v.MIN_SERVER_VER_CME_TAGGING_FIELDS)))))
def test_req_global_cancel(client: str, version: int) -> None:
    if client == "ibapi":
        from ibapi.order_cancel import OrderCancel

        cancel = OrderCancel()
        if version >= v.MIN_SERVER_VER_CME_TAGGING_FIELDS:
            cancel.extOperator, cancel.manualOrderIndicator = "op", 1
        fields = encode_request(client, version, "reqGlobalCancel", cancel,
                                message_id=In.REQ_GLOBAL_CANCEL)
        expected: Any = cancel
    else:
        fields = encode_request(client, version, "reqGlobalCancel",
                                message_id=In.REQ_GLOBAL_CANCEL)
        expected = View()
    values = REQUESTS[In.REQ_GLOBAL_CANCEL].decode(fields, version)
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@pytest.mark.parametrize(("method", "message_id", "args", "expected"), [
    ("reqOpenOrders", In.REQ_OPEN_ORDERS, (), {}),
    ("reqAllOpenOrders", In.REQ_ALL_OPEN_ORDERS, (), {}),
    ("reqAutoOpenOrders", In.REQ_AUTO_OPEN_ORDERS, (True,), {"bAutoBind": True}),
    ("reqAutoOpenOrders", In.REQ_AUTO_OPEN_ORDERS, (False,), {"bAutoBind": False}),
    ("reqCompletedOrders", In.REQ_COMPLETED_ORDERS, (True,), {"apiOnly": True}),
    ("reqCompletedOrders", In.REQ_COMPLETED_ORDERS, (False,), {"apiOnly": False}),
])
def test_order_list_requests(client: str, version: int, method: str, message_id: In,
                             args: tuple[Any, ...], expected: dict[str, Any]) -> None:
    fields = encode_request(client, version, method, *args, message_id=message_id)
    values = REQUESTS[message_id].decode(fields, version)
    assert mismatches(values, View(**expected), ignore={"version"}) == []
    assert set(values) - {"version"} == set(expected)


EXEC_VERSIONS = sorted(set((*TEXT_VERSIONS, v.MIN_SERVER_VER_PARAMETRIZED_DAYS_OF_EXECUTIONS - 1)))


@pytest.mark.parametrize(("client", "version"), client_versions(versions=EXEC_VERSIONS))
@settings(max_examples=15, deadline=None)
@given(req_id=ids, client_id=st.integers(0, 99), account=maybe_text, time=maybe_text,
       symbol=maybe_text, sec_type=maybe_text, exchange=maybe_text,
       side=st.sampled_from(["", "BUY", "SELL"]), days=st.integers(1, 7),
       dates=st.lists(st.integers(20200101, 20301231), max_size=3), _t=text)
def test_req_executions(client: str, version: int, req_id: int, client_id: int, account: str,
                        time: str, symbol: str, sec_type: str, exchange: str, side: str,
                        days: int, dates: list[int], _t: str) -> None:
    mod = __import__("ibapi.execution" if client == "ibapi" else f"{client}.objects",
                     fromlist=["ExecutionFilter"])
    flt = mod.ExecutionFilter()
    for name, value in dict(clientId=client_id, acctCode=account, time=time, symbol=symbol,
                            secType=sec_type, exchange=exchange, side=side).items():
        setattr(flt, name, value)
    overrides: dict[str, Any] = {"reqId": req_id}
    if client == "ibapi" and version >= v.MIN_SERVER_VER_PARAMETRIZED_DAYS_OF_EXECUTIONS:
        flt.lastNDays, flt.specificDates = days, dates
        overrides["specificDates"] = [{"date": d} for d in dates]
    fields = encode_request(client, version, "reqExecutions", req_id, flt,
                            message_id=In.REQ_EXECUTIONS)
    values = REQUESTS[In.REQ_EXECUTIONS].decode(fields, version)
    assert mismatches(values, View(flt, **overrides), ignore={"version"}) == []
