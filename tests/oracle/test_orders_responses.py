"""Order messages the fake sends: its encoding, decoded by each client, equals what it meant.

openOrder and completedOrder are built the way the fake builds them: a randomised order goes
through ibapi's placeOrder encoder, the fake's placeOrder schema and its ticket converter, and
`order_layouts` turns the resulting Order back into the message; so a field the converter
drops, or a layout that shifts, fails here. "What the fake meant" is the fake's own decoding of
its encoding (`meant`), itself checked against the values it encoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pytest_tws.fake import order_layouts
from pytest_tws.fake.handlers.orders import ticket_from_values
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.margin import WhatIf
from pytest_tws.model.orders import FILLED, Order
from pytest_tws.wire import versions as v
from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Message, Values
from pytest_tws.wire.schemas import REQUESTS
from pytest_tws.wire.schemas.order_messages import (
    COMMISSION_AND_FEES_REPORT,
    EXECUTION_DATA,
    ORDER_BOUND,
    ORDER_STATUS,
)
from tests.oracle.clients import (
    TEXT_VERSIONS,
    Call,
    View,
    client_versions,
    decode_response,
    encode_request,
    mismatches,
)
from tests.oracle.order_specs import build_order, condition_view, order_specs
from tests.oracle.strategies import build_contract, ids, maybe_text, text

#: drawn from seeds: shrinking would only re-run slow cases
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
SETTINGS = settings(max_examples=8, deadline=None, phases=NO_SHRINK,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

#: gates of openOrder / completedOrder inside 100..200
ORDER_GATES = (
    v.MIN_SERVER_VER_PEGGED_TO_BENCHMARK, v.MIN_SERVER_VER_MODELS_SUPPORT,
    v.MIN_SERVER_VER_SOFT_DOLLAR_TIER, v.MIN_SERVER_VER_CASH_QTY,
    v.MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE, v.MIN_SERVER_VER_WHAT_IF_EXT_FIELDS,
    v.MIN_SERVER_VER_ORDER_CONTAINER - 1, v.MIN_SERVER_VER_ORDER_CONTAINER,
    v.MIN_SERVER_VER_D_PEG_ORDERS, v.MIN_SERVER_VER_PRICE_MGMT_ALGO, v.MIN_SERVER_VER_DURATION,
    v.MIN_SERVER_VER_POST_TO_ATS, v.MIN_SERVER_VER_AUTO_CANCEL_PARENT,
    v.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS, v.MIN_SERVER_VER_FA_PROFILE_DESUPPORT,
    v.MIN_SERVER_VER_CUSTOMER_ACCOUNT, v.MIN_SERVER_VER_PROFESSIONAL_CUSTOMER,
    v.MIN_SERVER_VER_BOND_ACCRUED_INTEREST, v.MIN_SERVER_VER_INCLUDE_OVERNIGHT,
    v.MIN_SERVER_VER_CME_TAGGING_FIELDS_IN_OPEN_ORDER, v.MIN_SERVER_VER_FULL_ORDER_PREVIEW_FIELDS,
    v.MIN_SERVER_VER_SUBMITTER, v.MIN_SERVER_VER_IMBALANCE_ONLY,
)
#: ibapi at every gate; ib_async / ib_insync at the listed versions (ib_async reads openOrder's
#: duration from v159, one version after ibapi's MIN_SERVER_VER_DURATION)
ORDER_PARAMS = (client_versions(("ibapi",), sorted({*TEXT_VERSIONS, *ORDER_GATES}))
                + client_versions(("ib_async", "ib_insync")))

ORDER_STATE_ALIASES = {"commissionAndFees": "commission",
                       "minCommissionAndFees": "minCommission",
                       "maxCommissionAndFees": "maxCommission",
                       "commissionAndFeesCurrency": "commissionCurrency"}


def _placed_order(client: str, seed: int, order_id: int, client_id: int,
                  perm_id: int) -> tuple[Order, Values]:
    """A random order as the fake holds it after placeOrder (decoded at v200), and the
    placeOrder values it came from."""
    contract_spec, spec = order_specs(v.TEXT_PROTOCOL_MAX, seed)
    fields = encode_request("ibapi", v.TEXT_PROTOCOL_MAX, "placeOrder", order_id,
                            build_contract("ibapi", contract_spec), build_order("ibapi", spec),
                            message_id=In.PLACE_ORDER)
    values = REQUESTS[In.PLACE_ORDER].decode(fields, v.TEXT_PROTOCOL_MAX)
    ticket = ticket_from_values(values, client_id)
    c = contract_spec
    resolved = ContractSpec(
        con_id=c["conId"], symbol=c["symbol"], sec_type=c["secType"], currency=c["currency"],
        exchange=c["exchange"], local_symbol=c["localSymbol"], trading_class=c["tradingClass"],
        last_trade_date=c["lastTradeDateOrContractMonth"], strike=c["strike"], right=c["right"],
        multiplier=c["multiplier"])
    return Order(ticket, perm_id, resolved), values


def _kept(meant: Mapping[str, Any], sent: Values) -> list[str]:
    """Every field the client sent that the message carries comes back as sent; the fake
    only fills in what TWS fills in (an empty clearingIntent becomes IB; usePriceMgmtAlgo
    unset reads as false)."""
    sent = dict(sent)
    if not sent.get("clearingIntent"):
        sent.pop("clearingIntent", None)
    if sent.get("usePriceMgmtAlgo") is None:
        sent.pop("usePriceMgmtAlgo", None)
    return _same_as_sent(meant, sent)


def _wire(message: Message, version: int) -> tuple[list[str], Values]:
    fields = encode_fields(message.fields(version))
    return fields, message.schema.decode(fields, version)


def _same_as_sent(meant: Mapping[str, Any], sent: Mapping[str, Any]) -> list[str]:
    """The fake's decoding of its encoding keeps every value it encoded."""
    return [m for m in mismatches(meant, sent) if not m.endswith("client has no such field")
            and "client has None" not in m]


def _order_view(client: str, order: Any, contract: Any, state: Any) -> View:
    conditions = [condition_view(client, c) for c in (order.conditions or [])]
    if client != "ibapi":
        state = View(state, **{k: getattr(state, a) for k, a in ORDER_STATE_ALIASES.items()})
    return View(order, contract=contract, orderState=state, conditions=conditions)


def _preview(seed: int) -> WhatIf:
    x = float(seed % 10_000)
    return WhatIf(init_before=x, maint_before=x / 2, equity_before=1e6, init_after=x + 500,
                  maint_after=x / 2 + 250, equity_after=1e6 - 1.25, commission=1.25)


@pytest.mark.parametrize(("client", "version"), ORDER_PARAMS)
@SETTINGS
@given(seed=st.integers(0, 2**32), order_id=ids, client_id=st.integers(0, 99), perm_id=ids,
       status=st.sampled_from(["PreSubmitted", "Submitted", "Filled"]), what_if=st.booleans())
def test_open_order(client: str, version: int, seed: int, order_id: int, client_id: int,
                    perm_id: int, status: str, what_if: bool) -> None:
    order, sent = _placed_order(client, seed, order_id, client_id, perm_id)
    message = order_layouts.open_order(order, status, _preview(seed) if what_if else None)
    fields, meant = _wire(message, version)
    assert _same_as_sent(meant, message.values) == []
    assert _kept(meant, sent) == []
    (call,) = decode_response(client, version, fields)
    assert call.name == "openOrder"
    decoded_id, contract, decoded, state = call.args
    assert decoded_id == order_id
    assert mismatches(meant, _order_view(client, decoded, contract, state),
                      ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), ORDER_PARAMS)
@SETTINGS
@given(seed=st.integers(0, 2**32), order_id=ids, perm_id=ids, when=text, why=maybe_text)
def test_completed_order(client: str, version: int, seed: int, order_id: int, perm_id: int,
                         when: str, why: str) -> None:
    order, sent = _placed_order(client, seed, order_id, 3, perm_id)
    order.status, order.filled = FILLED, order.ticket.total_quantity
    order.completed_time, order.completed_status = when, why
    message = order_layouts.completed_order(order)
    fields, meant = _wire(message, version)
    assert _same_as_sent(meant, message.values) == []
    assert _kept(meant, sent) == []
    (call,) = decode_response(client, version, fields)
    assert call.name == "completedOrder"
    contract, decoded, state = call.args
    assert mismatches(meant, _order_view(client, decoded, contract, state),
                      ignore={"version"}) == []


STATUS_NAMES = ("orderId", "status", "filled", "remaining", "avgFillPrice", "permId",
                "parentId", "lastFillPrice", "clientId", "whyHeld", "mktCapPrice")
SIMPLE_VERSIONS = sorted({*TEXT_VERSIONS, v.MIN_SERVER_VER_MARKET_CAP_PRICE - 1,
                          v.MIN_SERVER_VER_LAST_LIQUIDITY - 1, v.MIN_SERVER_VER_SUBMITTER})


@pytest.mark.parametrize(("client", "version"), client_versions(versions=SIMPLE_VERSIONS))
@settings(max_examples=10, deadline=None, phases=NO_SHRINK)
@given(order_id=ids, status=st.sampled_from(["Submitted", "Filled", "Cancelled"]),
       filled=st.integers(0, 10_000), remaining=st.integers(0, 10_000),
       price=st.floats(0, 1e5).map(lambda x: round(x, 4)), perm_id=ids,
       parent_id=st.integers(0, 10_000), client_id=st.integers(0, 99), why=maybe_text)
def test_order_status(client: str, version: int, order_id: int, status: str, filled: int,
                      remaining: int, price: float, perm_id: int, parent_id: int,
                      client_id: int, why: str) -> None:
    values = dict(zip(STATUS_NAMES, (order_id, status, filled, remaining, price, perm_id,
                                     parent_id, price / 2, client_id, why, price * 2),
                      strict=True))
    message = Message(ORDER_STATUS, values)
    fields, meant = _wire(message, version)
    (call,) = decode_response(client, version, fields)
    assert call.name == "orderStatus"
    decoded = dict(zip(STATUS_NAMES, call.args, strict=False))
    if version < v.MIN_SERVER_VER_MARKET_CAP_PRICE:
        meant.pop("version")
    assert mismatches(meant, decoded) == []


@pytest.mark.parametrize(("client", "version"), client_versions(versions=SIMPLE_VERSIONS))
@settings(max_examples=10, deadline=None, phases=NO_SHRINK)
@given(req_id=st.integers(-1, 2**31 - 2), seed=st.integers(0, 2**32), exec_id=text,
       account=text, side=st.sampled_from(["BOT", "SLD"]), shares=st.integers(1, 10_000),
       price=st.floats(0.01, 1e5).map(lambda x: round(x, 4)), order_ref=maybe_text,
       commission=st.floats(0, 100).map(lambda x: round(x, 4)),
       pnl=st.one_of(st.none(), st.floats(-1e5, 1e5).map(lambda x: round(x, 2))))
def test_exec_details_and_commission(client: str, version: int, req_id: int, seed: int,
                                     exec_id: str, account: str, side: str, shares: int,
                                     price: float, order_ref: str, commission: float,
                                     pnl: float | None) -> None:
    order, _ = _placed_order(client, seed, 7, 2, 1_000_000_042)
    execution_values = {
        "orderId": 7, "execId": exec_id, "time": "20260413 15:27:04 US/Eastern",
        "acctNumber": account, "exchange": "ISLAND", "side": side, "shares": shares,
        "price": price, "permId": order.perm_id, "clientId": 2, "liquidation": 0,
        "cumQty": shares, "avgPrice": price, "orderRef": order_ref, "evRule": "",
        "evMultiplier": None, "modelCode": "m1", "lastLiquidity": 2,
        "pendingPriceRevision": True, "submitter": "sub",
    }
    message = Message(EXECUTION_DATA, {
        "reqId": req_id, "contract": order_layouts.contract_values(order.contract, "ISLAND"),
        "execution": execution_values})
    fields, meant = _wire(message, version)
    assert _same_as_sent(meant, message.values) == []
    (call,) = decode_response(client, version, fields)
    assert call.name == "execDetails"
    decoded_req, contract, execution = call.args
    assert decoded_req == req_id
    ignore = {"version"} if client == "ibapi" else {"version", "execution.time"}
    assert mismatches(meant, View(reqId=req_id, contract=contract, execution=execution),
                      ignore=ignore) == []

    report = Message(COMMISSION_AND_FEES_REPORT, {
        "execId": exec_id, "commissionAndFees": commission, "currency": "USD",
        "realizedPNL": pnl, "yield_": None, "yieldRedemptionDate": None})
    fields, meant = _wire(report, version)
    (call,) = decode_response(client, version, fields)
    (decoded_report,) = call.args
    aliases = {} if client == "ibapi" else {"commissionAndFees": "commission"}
    assert mismatches(meant, decoded_report, aliases=aliases, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
def test_end_markers_and_order_bound(client: str, version: int) -> None:
    for message, name, args in (
        (order_layouts.open_order_end(), "openOrderEnd", ()),
        (order_layouts.exec_details_end(42), "execDetailsEnd", (42,)),
        (order_layouts.completed_orders_end(), "completedOrdersEnd", ()),
        (Message(ORDER_BOUND, {"permId": 9_000_000_001, "clientId": 3,
                                             "orderId": 17}),
         "orderBound", (9_000_000_001, 3, 17)),
    ):
        fields = encode_fields(message.fields(version))
        calls: list[Call] = decode_response(client, version, fields)
        assert [(c.name, tuple(c.args)) for c in calls] == [(name, args)]
