"""Every response the fake sends, as the fake really sends it, read by ibapi both ways: the
messages of a phase 1A-1D session (captured from the fake at ibapi's maximum version) are
encoded again as text at 200 and at each protobuf version, fed to ibapi's own reader loop, and
ibapi must call back the same things with the same values.

The text side is proven field by field by the text oracle tests (tests/oracle/test_*_responses);
this proves the protobuf side equal to it, message by message.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from pytest_tws import FakeTWS
from pytest_tws.wire import protobuf
from pytest_tws.wire.protobuf_codec import Codec
from pytest_tws.wire.schema import Message
from pytest_tws.wire.versions import TEXT_PROTOCOL_MAX
from tests.oracle.clients import normalise
from tests.oracle.protobuf_oracle import (
    PROTOBUF_VERSIONS,
    fake_sends,
    ibapi_receives,
    needs_protobuf,
    unused_names,
)

pytestmark = needs_protobuf
MAX = protobuf.PROTOBUF_MAX_VERSION
#: fields the proto files have no place for (docs/protobuf.md)
LOST_IN_PROTOBUF = {"auctionStrategy", "basisPoints", "basisPointsType"}


def absent_is_zero(got: Any, wanted: Any) -> bool:
    """An unset value, which each decoder of ibapi spells its own way: text carries
    UNSET_DOUBLE (normalised to None here) where protobuf leaves the field out and ibapi's
    protobuf decoder reads 0 (the commission report's realizedPNL: `... if
    HasField('realizedPNL') else 0.0`); or text carries "" that ibapi's text decoder reads as
    0/False where its protobuf decoder keeps the object's None (openOrder's
    usePriceMgmtAlgo, left unset by the client)."""
    return (wanted is None and got == 0) or (got is None and wanted == 0)


def completed_orders(app: Any, tws: FakeTWS) -> None:
    from tests.clients import test_ibapi_protobuf_workflows as flows

    flows.test_resting_stock_order_cancels(app, tws)
    app.reqCompletedOrders(False)
    app.wait("a completed order", lambda: app.of("completedOrdersEnd"))


def session_messages() -> list[Message]:
    """The Messages the fake sends in a phase 1A-1D session with ibapi at MAX."""
    from tests.clients import test_ibapi_protobuf_workflows as flows

    captured: list[Message] = []
    original, original_repeated = Codec.message, Codec.repeated
    lock = threading.Lock()

    def recording(self: Codec, message: Message) -> Any:
        with lock:
            captured.append(message)
        return original(self, message)

    def recording_repeated(self: Codec, message: Any) -> Any:
        # memoised messages may be served from the codec's cache without `message`
        if type(message) is Message:
            with lock:
                captured.append(message)
        return original_repeated(self, message)

    flows_run = [
        lambda app, tws: flows.test_contract_details_and_error_200(app),
        lambda app, tws: flows.test_option_chain(app, tws),
        lambda app, tws: flows.test_historical_bars(app),
        lambda app, tws: flows.test_head_timestamp(app),
        lambda app, tws: flows.test_real_time_bars(tws),
        flows.test_stock_order_fill_execution_position_and_account,
        flows.test_resting_stock_order_cancels,
        lambda app, tws: flows.test_bag_order_fills_and_books_both_legs(app),
        flows.test_what_if_returns_margins_and_leaves_no_order,
        completed_orders,
    ]
    Codec.message = recording  # type: ignore[method-assign]
    Codec.repeated = recording_repeated  # type: ignore[method-assign]
    try:
        for flow in flows_run:
            with FakeTWS() as tws:  # each flow on a fresh fake, as the tests run them
                app, thread = flows.start(tws, 3, MAX)
                try:
                    flow(app, tws)
                finally:
                    flows.stop(app, thread)
    finally:
        Codec.message = original  # type: ignore[method-assign]
        Codec.repeated = original_repeated  # type: ignore[method-assign]
    by_kind: dict[str, list[Message]] = {}
    for message in captured:
        kind = by_kind.setdefault(message.schema.name, [])
        if len(kind) < 3:
            kind.append(message)
    return [m for kind in by_kind.values() for m in kind]


@pytest.fixture(scope="module")
def messages() -> Iterator[list[Message]]:
    yield session_messages()


def flatten(value: Any, path: str = "", depth: int = 0) -> dict[str, Any]:
    """A decoded value as path -> normalised leaf (objects by their attributes)."""
    if depth > 6:
        return {path: repr(value)}
    if isinstance(value, (list, tuple, set)):
        items = sorted(value, key=repr) if isinstance(value, set) else value
        out: dict[str, Any] = {f"{path}#": len(items)}
        for i, item in enumerate(items):
            out.update(flatten(item, f"{path}[{i}]", depth + 1))
        return out
    if isinstance(value, dict):
        out = {}
        for name, item in value.items():
            out.update(flatten(item, f"{path}.{name}", depth + 1))
        return out
    if (hasattr(value, "__dict__") and not isinstance(value, (Decimal, float, int, str, type))
            and not callable(value)):
        out = {}
        for name, item in vars(value).items():
            out.update(flatten(item, f"{path}.{name}", depth + 1))
        return out
    if isinstance(value, float) and math.isnan(value):
        return {path: None}
    if isinstance(value, str) and value.strip():
        try:
            number = Decimal(value)
        except ArithmeticError:
            return {path: value}
        if number.is_finite():
            return {path: normalise(float(number))}
    return {path: normalise(value)}


def test_the_session_covers_the_responses(messages: list[Message]) -> None:
    names = {m.schema.name for m in messages}
    assert {"OPEN_ORDER", "ORDER_STATUS", "EXECUTION_DATA", "COMMISSION_AND_FEES_REPORT",
            "CONTRACT_DATA", "CONTRACT_DATA_END", "SECURITY_DEFINITION_OPTION_PARAMETER",
            "HISTORICAL_DATA", "HEAD_TIMESTAMP", "REAL_TIME_BARS", "POSITION_DATA",
            "ACCOUNT_SUMMARY", "ACCT_VALUE",
            "PORTFOLIO_VALUE", "ERR_MSG", "NEXT_VALID_ID", "MANAGED_ACCTS"} <= names, names


@pytest.mark.parametrize("version", [v for v in PROTOBUF_VERSIONS if v > TEXT_PROTOCOL_MAX])
def test_ibapi_reads_the_same_from_protobuf_as_from_text(messages: list[Message],
                                                         version: int) -> None:
    problems: list[str] = []
    for message in messages:
        lost = unused_names(message)
        text_calls = ibapi_receives(TEXT_PROTOCOL_MAX, fake_sends(TEXT_PROTOCOL_MAX, message))
        calls = ibapi_receives(version, fake_sends(version, message))
        if [c.name for c in calls] != [c.name for c in text_calls]:
            problems.append(f"{message.schema.name}: {[c.name for c in calls]} != text "
                            f"{[c.name for c in text_calls]}")
            continue
        for call, text_call in zip(calls, text_calls, strict=True):
            got, wanted = flatten(call.args), flatten(text_call.args)
            for path in sorted(set(got) | set(wanted)):
                if got.get(path) != wanted.get(path) and not absent_is_zero(
                        got.get(path), wanted.get(path)):
                    problems.append(f"{message.schema.name} v{version} {call.name}{path}: "
                                    f"{got.get(path)!r} != text {wanted.get(path)!r}")
        lost = [n for n in lost if n.rsplit(".", 1)[-1] not in LOST_IN_PROTOBUF]
        if lost:
            problems.append(f"{message.schema.name}: no proto field for {lost}")
    assert problems == [], "\n".join(problems)
