"""Controls: a FakeTWS of your own, its settings, and running code on its loop."""

from __future__ import annotations

from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS, Limits, wait_until


async def test_a_fake_with_tighter_limits() -> None:
    limits = Limits(market_data_lines=2, messages_per_second=20)
    async with FakeTWS(accounts=("DU1111111", "DU2222222"), seed=7, limits=limits) as tws:
        ib = IB()
        await ib.connectAsync(tws.host, tws.port, clientId=5)   # tws.address: "host:port"
        try:
            assert ib.managedAccounts() == ["DU1111111", "DU2222222"]
            assert tws.client_ids() == [5]
            assert tws.limits.market_data_lines == 2
            # anything else, read or changed on the fake's own loop thread:
            assert tws.call(lambda: tws.broker.next_order_id) >= 1
        finally:
            ib.disconnect()
        tws.reset()            # fresh broker, market and transcript; clients dropped


async def test_read_only_api() -> None:
    async with FakeTWS(read_only=True) as tws:   # as TWS with "Read-Only API" ticked
        ib = IB()
        await ib.connectAsync(tws.host, tws.port, clientId=1)
        try:
            errors: list[int] = []
            ib.errorEvent += lambda req_id, code, text, contract: errors.append(code)
            ib.placeOrder(Stock("SPY", "SMART", "USD", conId=756733), LimitOrder("BUY", 1, 1.0))
            await wait_until(lambda: 321 in errors, "error 321 (read-only)")
        finally:
            ib.disconnect()
