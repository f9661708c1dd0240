"""Every request the fake implements, through ibapi's own encoder at 200, each family's threshold
and ibapi's maximum: text, binary id + text, or protobuf as ibapi chooses, decoded by the fake
into the values its text schema gives, compared with ibapi's objects (as the text oracle tests).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tws.wire import versions as v
from pytest_tws.wire.messages import In
from tests.oracle.clients import UNSET_DOUBLE, View, mismatches
from tests.oracle.order_specs import build_order, order_specs, order_view
from tests.oracle.protobuf_oracle import (
    expected_kind,
    fake_values,
    frame_kind,
    needs_protobuf,
    versions,
)
from tests.oracle.strategies import build_contract, contracts, ids, maybe_text, text

pytestmark = needs_protobuf
SETTINGS = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
NUMERIC = st.sampled_from(["", "1", "100", "0.5"])
#: fields of Order that ibapi's protobuf encoder does not carry (Order.proto has no field)
LOST_IN_PROTOBUF = {"auctionStrategy"}
#: TagValue lists that protobuf carries as maps (order of the pairs not kept)
TAG_MAPS = ("algoParams", "smartComboRoutingParams")


def decoded(version: int, message_id: In, method: str, *args: Any,
            attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    values, frame = fake_values(version, message_id, method, *args, attrs=attrs)
    assert frame_kind(version, frame) == expected_kind(version, message_id)
    return values


def tag_pairs(text_value: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in text_value.split(";") if p)


# -- connection ----------------------------------------------------------------------------


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(client_id=st.integers(0, 2**31 - 2), capabilities=text)
def test_start_api(client: str, version: int, client_id: int, capabilities: str) -> None:
    values = decoded(version, In.START_API, "startApi",
                     attrs={"clientId": client_id, "optCapab": capabilities})
    assert mismatches(values, {"clientId": client_id, "optCapab": capabilities},
                      ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(count=st.integers(1, 1000))
def test_req_ids(client: str, version: int, count: int) -> None:
    assert decoded(version, In.REQ_IDS, "reqIds", count)["numIds"] == count


@pytest.mark.parametrize(("client", "version"), versions())
@pytest.mark.parametrize(("method", "message_id"), [
    ("reqCurrentTime", In.REQ_CURRENT_TIME), ("reqManagedAccts", In.REQ_MANAGED_ACCTS),
    ("reqPositions", In.REQ_POSITIONS), ("cancelPositions", In.CANCEL_POSITIONS),
])
def test_requests_without_arguments(client: str, version: int, method: str, message_id: In) -> None:
    values = decoded(version, message_id, method)
    assert set(values) <= {"version"}


@pytest.mark.parametrize(("client", "version"), versions())
@pytest.mark.parametrize("data_type", [1, 2, 3, 4])
def test_req_market_data_type(client: str, version: int, data_type: int) -> None:
    values = decoded(version, In.REQ_MARKET_DATA_TYPE, "reqMarketDataType", data_type)
    assert values["marketDataType"] == data_type


# -- accounts and positions ----------------------------------------------------------------


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(subscribe=st.booleans(), account=maybe_text)
def test_req_account_updates(client: str, version: int, subscribe: bool, account: str) -> None:
    values = decoded(version, In.REQ_ACCT_DATA, "reqAccountUpdates", subscribe, account)
    assert mismatches(values, {"subscribe": subscribe, "acctCode": account},
                      ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(req_id=ids, account=text, model=maybe_text, ledger=st.booleans())
def test_req_account_updates_multi(client: str, version: int, req_id: int, account: str, model: str,
                                   ledger: bool) -> None:
    values = decoded(version, In.REQ_ACCOUNT_UPDATES_MULTI, "reqAccountUpdatesMulti", req_id,
                     account, model, ledger)
    expected = {"reqId": req_id, "account": account, "modelCode": model, "ledgerAndNLV": ledger}
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(req_id=ids, group=text, tags=st.lists(text, min_size=1, max_size=4).map(",".join))
def test_req_account_summary(client: str, version: int, req_id: int, group: str, tags: str) -> None:
    values = decoded(version, In.REQ_ACCOUNT_SUMMARY, "reqAccountSummary", req_id, group, tags)
    assert mismatches(values, {"reqId": req_id, "groupName": group, "tags": tags},
                      ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
@pytest.mark.parametrize(("method", "message_id"), [
    ("cancelAccountUpdatesMulti", In.CANCEL_ACCOUNT_UPDATES_MULTI),
    ("cancelAccountSummary", In.CANCEL_ACCOUNT_SUMMARY),
    ("cancelMktData", In.CANCEL_MKT_DATA),
    ("cancelHistoricalData", In.CANCEL_HISTORICAL_DATA),
])
def test_cancels(client: str, version: int, method: str, message_id: In) -> None:
    assert decoded(version, message_id, method, 4242)["reqId"] == 4242


@pytest.mark.parametrize(("client", "version"), [
    p for p in versions(extra=(v.MIN_SERVER_VER_CANCEL_CONTRACT_DATA,))
    if p.values[1] >= v.MIN_SERVER_VER_CANCEL_CONTRACT_DATA])  # ibapi refuses it below
@SETTINGS
@given(req_id=ids)
def test_cancel_contract_data_is_protobuf_only(client: str, version: int, req_id: int) -> None:
    assert expected_kind(version, In.CANCEL_CONTRACT_DATA) == "protobuf"
    assert decoded(version, In.CANCEL_CONTRACT_DATA, "cancelContractData", req_id) == {
        "reqId": req_id}


# -- contracts and history -----------------------------------------------------------------


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(spec=contracts(sec_types=("STK", "OPT", "FUT", "CASH", "IND", "BOND")),
       multiplier=NUMERIC, req_id=ids)
def test_req_contract_details(client: str, version: int, spec: dict[str, Any], multiplier: str,
                              req_id: int) -> None:
    spec["multiplier"] = multiplier
    contract = build_contract("ibapi", spec)
    values = decoded(version, In.REQ_CONTRACT_DATA, "reqContractDetails", req_id, contract)
    assert mismatches(values, View(reqId=req_id, contract=contract), ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(req_id=ids, symbol=text, exchange=maybe_text, sec_type=st.sampled_from(["STK", "IND"]),
       con_id=ids)
def test_req_sec_def_opt_params(client: str, version: int, req_id: int, symbol: str, exchange: str,
                                sec_type: str, con_id: int) -> None:
    values = decoded(version, In.REQ_SEC_DEF_OPT_PARAMS, "reqSecDefOptParams", req_id, symbol,
                     exchange, sec_type, con_id)
    assert values == {"reqId": req_id, "underlyingSymbol": symbol, "futFopExchange": exchange,
                      "underlyingSecType": sec_type, "underlyingConId": con_id}


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(spec=contracts(sec_types=("STK", "OPT", "FUT", "CASH", "BAG")), multiplier=NUMERIC,
       req_id=ids, end=st.sampled_from(["", "20260102 16:00:00 US/Eastern"]),
       duration=st.sampled_from(["1 D", "2 W", "1 Y"]),
       bar=st.sampled_from(["1 min", "5 mins", "1 day"]),
       what=st.sampled_from(["TRADES", "MIDPOINT", "BID_ASK"]), rth=st.integers(0, 1),
       date_format=st.sampled_from([1, 2]), update=st.booleans())
def test_req_historical_data(client: str, version: int, spec: dict[str, Any], multiplier: str,
                             req_id: int, end: str, duration: str, bar: str, what: str, rth: int,
                             date_format: int, update: bool) -> None:
    spec["multiplier"] = multiplier
    contract = build_contract("ibapi", spec)
    end = "" if update else end  # ibapi refuses an end date with keepUpToDate
    values = decoded(version, In.REQ_HISTORICAL_DATA, "reqHistoricalData", req_id, contract,
                     end, duration, bar, what, rth, date_format, update, [])
    expected = View(reqId=req_id, contract=contract, endDateTime=end, durationStr=duration,
                    barSizeSetting=bar, whatToShow=what, useRTH=rth, formatDate=date_format,
                    keepUpToDate=update, chartOptions="")
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(spec=contracts(sec_types=("STK", "OPT", "FUT", "CASH")), multiplier=NUMERIC, req_id=ids,
       what=st.sampled_from(["TRADES", "MIDPOINT", "BID_ASK"]), rth=st.integers(0, 1),
       date_format=st.sampled_from([1, 2]))
def test_req_head_timestamp(client: str, version: int, spec: dict[str, Any], multiplier: str,
                            req_id: int, what: str, rth: int, date_format: int) -> None:
    spec["multiplier"] = multiplier
    contract = build_contract("ibapi", spec)
    values = decoded(version, In.REQ_HEAD_TIMESTAMP, "reqHeadTimeStamp", req_id, contract, what,
                     rth, date_format)
    expected = View(reqId=req_id, contract=contract, whatToShow=what, useRTH=rth,
                    formatDate=date_format)
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
def test_cancel_head_timestamp(client: str, version: int) -> None:
    assert decoded(version, In.CANCEL_HEAD_TIMESTAMP, "cancelHeadTimeStamp", 4242) == {
        "reqId": 4242}


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(spec=contracts(sec_types=("STK", "OPT", "FUT", "CASH")), multiplier=NUMERIC, req_id=ids,
       bar_size=st.integers(1, 60), what=st.sampled_from(["TRADES", "MIDPOINT", "BID", "ASK"]),
       rth=st.booleans())
def test_req_real_time_bars(client: str, version: int, spec: dict[str, Any], multiplier: str,
                            req_id: int, bar_size: int, what: str, rth: bool) -> None:
    spec["multiplier"] = multiplier
    contract = build_contract("ibapi", spec)
    values = decoded(version, In.REQ_REAL_TIME_BARS, "reqRealTimeBars", req_id, contract,
                     bar_size, what, rth, [])
    expected = View(reqId=req_id, contract=contract, barSize=bar_size, whatToShow=what,
                    useRTH=rth, realTimeBarsOptions="")
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
def test_cancel_real_time_bars(client: str, version: int) -> None:
    assert decoded(version, In.CANCEL_REAL_TIME_BARS, "cancelRealTimeBars", 4242)["reqId"] == 4242


# -- orders --------------------------------------------------------------------------------


@pytest.mark.parametrize(("client", "version"), versions())
@SETTINGS
@given(seed=st.integers(0, 2**32), order_id=ids)
def test_place_order(client: str, version: int, seed: int, order_id: int) -> None:
    contract_spec, spec = order_specs(version, seed)
    contract_spec["multiplier"] = ""  # a double in protobuf; drawn as any text
    contract = build_contract("ibapi", contract_spec)
    order = build_order("ibapi", spec)
    values = decoded(version, In.PLACE_ORDER, "placeOrder", order_id, contract, order)
    overrides: dict[str, Any] = {}
    ignore = {"version", "orderMiscOptions", *TAG_MAPS}
    if expected_kind(version, In.PLACE_ORDER) == "protobuf":
        ignore |= LOST_IN_PROTOBUF
        # per-leg prices ride on the contract's legs: only as many as there are legs, up to
        # the last set one (ibapi client_utils.createComboLegProtoList)
        prices = [p.price for p in order.orderComboLegs or []][:len(contract.comboLegs or [])]
        prices = [p if p is not None and p < UNSET_DOUBLE else None for p in prices]
        while prices and prices[-1] is None:
            prices.pop()
        overrides["orderComboLegs"] = [{"price": p} for p in prices]
    expected = order_view("ibapi", order, orderId=order_id, contract=contract, **overrides)
    assert mismatches(values, expected, ignore=ignore) == []
    assert tag_pairs(values["orderMiscOptions"]) == {
        t.tag: t.value for t in order.orderMiscOptions or []}
    for name in TAG_MAPS:  # a proto map: the same pairs, in no particular order
        got = {e["tag"]: e["value"] for e in values.get(name) or []}
        assert got == {t.tag: t.value for t in getattr(order, name) or []}, name


@pytest.mark.parametrize(("client", "version"), versions())
@settings(max_examples=10, deadline=None)
@given(order_id=ids, when=maybe_text, operator=maybe_text, indicator=st.integers(0, 1))
def test_cancel_order(client: str, version: int, order_id: int, when: str, operator: str,
                      indicator: int) -> None:
    from ibapi.order_cancel import OrderCancel

    cancel = OrderCancel()
    cancel.manualOrderCancelTime, cancel.extOperator = when, operator
    cancel.manualOrderIndicator = indicator
    values = decoded(version, In.CANCEL_ORDER, "cancelOrder", order_id, cancel)
    assert mismatches(values, View(cancel, orderId=order_id), ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
def test_req_global_cancel(client: str, version: int) -> None:
    from ibapi.order_cancel import OrderCancel

    cancel = OrderCancel()
    cancel.extOperator, cancel.manualOrderIndicator = "op", 1
    values = decoded(version, In.REQ_GLOBAL_CANCEL, "reqGlobalCancel", cancel)
    assert mismatches(values, cancel, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), versions())
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
    values = decoded(version, message_id, method, *args)
    assert mismatches(values, View(**expected), ignore={"version"}) == []
    assert set(values) - {"version"} == set(expected)


@pytest.mark.parametrize(("client", "version"), versions())
@settings(max_examples=10, deadline=None)
@given(req_id=ids, client_id=st.integers(0, 99), account=maybe_text, time=maybe_text,
       symbol=maybe_text, sec_type=maybe_text, exchange=maybe_text,
       side=st.sampled_from(["", "BUY", "SELL"]), days=st.integers(1, 7),
       dates=st.lists(st.integers(20200101, 20301231), max_size=3))
def test_req_executions(client: str, version: int, req_id: int, client_id: int, account: str,
                        time: str, symbol: str, sec_type: str, exchange: str, side: str, days: int,
                        dates: list[int]) -> None:
    from ibapi.execution import ExecutionFilter

    flt = ExecutionFilter()
    for name, value in dict(clientId=client_id, acctCode=account, time=time, symbol=symbol,
                            secType=sec_type, exchange=exchange, side=side, lastNDays=days,
                            specificDates=dates).items():
        setattr(flt, name, value)
    values = decoded(version, In.REQ_EXECUTIONS, "reqExecutions", req_id, flt)
    expected = View(flt, reqId=req_id, specificDates=[{"date": d} for d in dates])
    assert version >= v.MIN_SERVER_VER_PARAMETRIZED_DAYS_OF_EXECUTIONS
    assert mismatches(values, expected, ignore={"version"}) == []
