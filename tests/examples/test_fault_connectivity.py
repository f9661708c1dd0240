"""Cookbook: IBKR's servers go away while TWS stays up (1100, then 1102 or 1101)."""

from __future__ import annotations

import pytest
from ib_async import IB, Stock

from pytest_tws import FakeTWS
from pytest_tws.waiting import expect_event, wait_until

pytestmark = pytest.mark.fake_only


def tws_error(code: int):
    """Matches ib_async's errorEvent(reqId, errorCode, errorString, contract) for `code`."""
    return lambda req_id, error_code, text, contract: error_code == code


async def test_connectivity_lost_then_restored_with_data_maintained(
    ib: IB, fake_tws: FakeTWS
) -> None:
    lost = expect_event(ib.errorEvent, tws_error(1100))
    fake_tws.connectivity_lost()
    _, _, text, _ = await lost
    assert text == "Connectivity between IBKR and Trader Workstation has been lost."

    restored = expect_event(ib.errorEvent, tws_error(1102))
    fake_tws.connectivity_restored()
    await restored
    assert ib.isConnected()  # the socket to TWS stayed up all along


async def test_data_lost_means_subscribing_again(ib: IB, fake_tws: FakeTWS) -> None:
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    ib.reqMktData(spy)
    await wait_until(lambda: len(fake_tws.market.subscriptions) == 1, "the SPY line")

    fake_tws.connectivity_lost()
    restored = expect_event(ib.errorEvent, tws_error(1101))
    fake_tws.connectivity_restored(data_lost=True)
    await restored

    assert fake_tws.market.subscriptions == []  # TWS dropped the line: ask again
