"""A placeOrder whose fields do not fit its schema at the negotiated version gets TWS's 321
naming the field, the client keeps its connection, and nothing reaches the order book."""

from __future__ import annotations

import sys

import pytest

from pytest_tws import FakeTWS
from pytest_tws.testing import RawTwsClient
from pytest_tws.wire.framing import encode_frame
from pytest_tws.wire.messages import In, Out

if sys.version_info < (3, 11):
    pytest.skip("ibapi's text protocol needs Python 3.11+", allow_module_level=True)

from ibapi.contract import Contract
from ibapi.order import Order

from tests.oracle.clients import encode_request

SERVER_VERSION = 178
ORDER_ID = 5


def place_order_fields() -> list[str]:
    contract = Contract()
    contract.conId, contract.symbol, contract.secType = 265598, "AAPL", "STK"
    contract.exchange, contract.currency = "SMART", "USD"
    order = Order()
    order.action, order.totalQuantity, order.orderType = "BUY", 3, "MKT"
    return encode_request("ibapi", SERVER_VERSION, "placeOrder", ORDER_ID, contract, order,
                          message_id=In.PLACE_ORDER)


async def error_321(client: RawTwsClient) -> list[str]:
    error = await client.next_of(str(int(Out.ERR_MSG)))
    while error[3] != "321":
        error = await client.next_of(str(int(Out.ERR_MSG)))
    return error


@pytest.mark.parametrize(("change", "named"), [
    (lambda f: f[:-3], "present (message too short)"),
    (lambda f: [*f, "surplus"], "fields left over"),
])
async def test_a_placeorder_that_does_not_fit_is_321_and_nothing_is_placed(
    fake_tws: FakeTWS, change, named: str  # type: ignore[no-untyped-def]
) -> None:
    client = await RawTwsClient.open(fake_tws.host, fake_tws.port, client_id=4)
    try:
        client.writer.write(encode_frame(change(place_order_fields())))
        error = await error_321(client)
        assert error[2] == str(ORDER_ID)
        assert fake_tws.orders() == []
        client.writer.write(encode_frame(place_order_fields()))  # the same order, well formed
        status = await client.next_of(str(int(Out.ORDER_STATUS)))
        assert status[1] == str(ORDER_ID)
        assert [o.order_id for o in fake_tws.orders()] == [ORDER_ID]
    finally:
        client.close()
    [failure] = fake_tws.transcript.take_failures()
    assert failure.kind == "undecodable request" and named in failure.message
