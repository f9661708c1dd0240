"""The order messages decode in both Python clients, field for field.

ib_async's decoder is fed the fields as its reader would; ibapi's processing method is fed an
iterator that must be exhausted afterwards, which proves the field count exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from ib_async import IB
from ibapi.decoder import Decoder as IbapiDecoder
from ibapi.wrapper import EWrapper

from pytest_tws.fake import order_layouts
from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractQuery, ContractSpec
from pytest_tws.model.orders import (
    BAG_CON_ID,
    FILLED,
    SUBMITTED,
    ComboLeg,
    Execution,
    Order,
    OrderTicket,
    ResolvedLeg,
)
from pytest_tws.wire.fields import encode_field
from pytest_tws.wire.schema import Message

SERVER_VERSION = 178
NOW = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)


def _options() -> tuple[ContractSpec, ContractSpec]:
    catalog = Catalog(NOW.date())
    expiry = f"{catalog.expirations('SPY')[2]:%Y%m%d}"
    low, high = (
        catalog.find(ContractQuery(symbol="SPY", sec_type="OPT", last_trade_date=expiry,
                                   strike=k, right="C"))[0]
        for k in (600.0, 610.0)
    )
    return low, high


def bag_order(status: str = SUBMITTED) -> Order:
    low, high = _options()
    ticket = OrderTicket(
        order_id=12, client_id=7, action="BUY", total_quantity=2, order_type="LMT",
        limit_price=-1.25, account="DU1234567", order_ref="spread-1",
        legs=(ComboLeg(low.con_id, 1, "BUY"), ComboLeg(high.con_id, 1, "SELL")),
        combo_params=(("NonGuaranteed", "1"),),
    )
    bag = ContractSpec(con_id=BAG_CON_ID, symbol="SPY", sec_type="BAG")
    legs = (ResolvedLeg(ticket.legs[0], low), ResolvedLeg(ticket.legs[1], high))
    order = Order(ticket, 1_000_000_042, bag, legs, status=status)
    order.completed_time = "20261125 10:30:00 US/Eastern"
    order.completed_status = "Filled" if status == FILLED else ""
    return order


def stock_order() -> Order:
    spec = Catalog(NOW.date()).by_con_id(265598)
    assert spec is not None
    ticket = OrderTicket(order_id=3, client_id=7, action="SELL", total_quantity=10,
                         order_type="MKT", tif="GTC", account="DU1234567")
    return Order(ticket, 1_000_000_001, spec, status=SUBMITTED)


def leg_execution() -> Execution:
    low, _ = _options()
    return Execution(
        exec_id="00000001.6b06cc07.01.01", order_id=12, client_id=7, perm_id=1_000_000_042,
        contract=low, account="DU1234567", side="BOT", shares=2, price=5.3, time=NOW,
        cum_qty=2, avg_price=5.3, order_ref="spread-1", commission=1.3, realized_pnl=None,
    )


def _text(message: Message) -> list[str]:
    return [encode_field(f) for f in message.fields(SERVER_VERSION)]


# -- ib_async -------------------------------------------------------------------------------


@pytest.fixture
def ib_async_client(caplog: pytest.LogCaptureFixture) -> Iterator[IB]:
    ib = IB()
    ib.client.decoder.serverVersion = SERVER_VERSION
    ib.wrapper.clientId = 7
    with caplog.at_level(logging.ERROR, logger="ib_async"):
        yield ib
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_ib_async_decodes_a_bag_open_order_and_its_status(ib_async_client: IB) -> None:
    ib, order = ib_async_client, bag_order()
    ib.client.decoder.interpret(_text(order_layouts.open_order(order)))
    ib.client.decoder.interpret(_text(order_layouts.order_status(order)))
    trade = ib.wrapper.trades[(7, 12)]
    assert trade.contract.secType == "BAG"
    assert trade.contract.conId == BAG_CON_ID
    assert [(leg.conId, leg.ratio, leg.action) for leg in trade.contract.comboLegs] == [
        (order.legs[0].contract.con_id, 1, "BUY"), (order.legs[1].contract.con_id, 1, "SELL")
    ]
    assert [(p.tag, p.value) for p in trade.order.smartComboRoutingParams] == [
        ("NonGuaranteed", "1")
    ]
    assert trade.order.lmtPrice == -1.25
    assert trade.order.orderRef == "spread-1"
    assert trade.order.permId == 1_000_000_042
    assert trade.orderStatus.status == SUBMITTED
    assert trade.orderStatus.remaining == 2


def test_ib_async_decodes_a_stock_open_order_to_its_last_field(ib_async_client: IB) -> None:
    ib = ib_async_client
    ib.client.decoder.interpret(_text(order_layouts.open_order(stock_order())))
    trade = ib.wrapper.trades[(7, 3)]
    assert (trade.contract.symbol, trade.order.action, trade.order.totalQuantity) == (
        "AAPL", "SELL", 10)
    assert trade.order.tif == "GTC"
    assert trade.order.clearingIntent == "IB"
    assert trade.order.autoCancelParent is False
    assert trade.order.midOffsetAtHalf == pytest.approx(1.7976931348623157e308)


def test_ib_async_decodes_execution_and_commission(ib_async_client: IB) -> None:
    ib, execution = ib_async_client, leg_execution()
    ib.client.decoder.interpret(_text(order_layouts.exec_details(-1, execution)))
    ib.client.decoder.interpret(_text(order_layouts.commission_report(execution)))
    fill = ib.wrapper.fills[execution.exec_id]
    assert fill.contract.secType == "OPT"
    assert (fill.execution.side, fill.execution.shares, fill.execution.price) == ("BOT", 2, 5.3)
    assert fill.execution.time == NOW
    assert fill.execution.orderRef == "spread-1"
    assert fill.commissionReport.commission == 1.3
    assert fill.commissionReport.realizedPNL == 0.0  # unset, as ib_async maps it


async def test_ib_async_decodes_a_completed_bag_order(ib_async_client: IB) -> None:
    ib = ib_async_client
    ib.wrapper.startReq("completedOrders")
    order = bag_order(FILLED)
    order.filled = 2
    ib.client.decoder.interpret(_text(order_layouts.completed_order(order)))
    (trade,) = ib.wrapper._results["completedOrders"]
    assert trade.orderStatus.status == FILLED
    assert trade.order.permId == 1_000_000_042
    assert trade.order.filledQuantity == 2
    assert len(trade.contract.comboLegs) == 2
    assert trade.order.orderRef == "spread-1"


# -- ibapi ----------------------------------------------------------------------------------


class Recorder(EWrapper):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def openOrder(self, *args: Any) -> None:
        self.calls.append(("openOrder", args))

    def orderStatus(self, *args: Any) -> None:
        self.calls.append(("orderStatus", args))

    def execDetails(self, *args: Any) -> None:
        self.calls.append(("execDetails", args))

    def commissionAndFeesReport(self, *args: Any) -> None:
        self.calls.append(("commission", args))

    def completedOrder(self, *args: Any) -> None:
        self.calls.append(("completedOrder", args))


def ibapi_decode(fields: Message) -> tuple[str, tuple[Any, ...]]:
    """Decode one message in ibapi; every field must be consumed, no more and no fewer."""
    recorder = Recorder()
    decoder = IbapiDecoder(recorder, SERVER_VERSION)
    text = _text(fields)
    handler = decoder.msgId2handleInfo[int(text[0])]
    rest = iter([f.encode() for f in text[1:]])
    handler.processMeth(decoder, rest)
    assert next(rest, None) is None, "ibapi left fields unread"
    (call,) = recorder.calls
    return call


def test_ibapi_decodes_a_bag_open_order() -> None:
    name, (order_id, contract, order, state) = ibapi_decode(
        order_layouts.open_order(bag_order()))
    assert (name, order_id) == ("openOrder", 12)
    assert contract.secType == "BAG"
    assert [leg.action for leg in contract.comboLegs] == ["BUY", "SELL"]
    assert [(p.tag, p.value) for p in order.smartComboRoutingParams] == [("NonGuaranteed", "1")]
    assert order.lmtPrice == -1.25
    assert order.permId == 1_000_000_042
    assert state.status == SUBMITTED


def test_ibapi_decodes_a_stock_open_order() -> None:
    _, (_, contract, order, _) = ibapi_decode(order_layouts.open_order(stock_order()))
    assert (contract.symbol, order.action, order.totalQuantity) == ("AAPL", "SELL", Decimal(10))


def test_ibapi_decodes_order_status() -> None:
    name, args = ibapi_decode(order_layouts.order_status(bag_order()))
    assert name == "orderStatus"
    assert args[:3] == (12, SUBMITTED, Decimal(0))
    assert args[5] == 1_000_000_042


def test_ibapi_decodes_execution_and_commission() -> None:
    execution = leg_execution()
    name, (req_id, contract, detail) = ibapi_decode(order_layouts.exec_details(-1, execution))
    assert (name, req_id, contract.conId) == ("execDetails", -1, execution.contract.con_id)
    assert (detail.execId, detail.side, detail.price) == (execution.exec_id, "BOT", 5.3)
    assert detail.time == "20261125 10:30:00 US/Eastern"
    name, (report,) = ibapi_decode(order_layouts.commission_report(execution))
    assert (report.execId, report.commissionAndFees) == (execution.exec_id, 1.3)


def test_ibapi_decodes_a_completed_order() -> None:
    order = bag_order(FILLED)
    order.filled = 2
    name, (contract, decoded, state) = ibapi_decode(order_layouts.completed_order(order))
    assert name == "completedOrder"
    assert len(contract.comboLegs) == 2
    assert decoded.permId == 1_000_000_042
    assert (state.status, state.completedStatus) == (FILLED, "Filled")
