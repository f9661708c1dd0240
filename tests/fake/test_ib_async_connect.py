"""ib_async 2.1, unmodified, against the fake over loopback TCP."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import IB, Contract, Option, Stock

from pytest_tws import FakeTWS


async def connect(tws: FakeTWS, client_id: int = 1, **kwargs: object) -> IB:
    ib = IB()
    ib.RaiseRequestErrors = True
    await ib.connectAsync(
        tws.host, tws.port, clientId=client_id, timeout=None, raiseSyncErrors=True, **kwargs
    )
    return ib


async def test_full_startup_sync_completes_without_a_timeout(fake_tws: FakeTWS):
    ib = await connect(fake_tws, client_id=7)
    try:
        assert ib.isConnected()
        assert ib.client.serverVersion() == 178
        assert ib.managedAccounts() == ["DU1234567"]
        tags = {v.tag for v in ib.accountValues()}
        assert {"NetLiquidation", "TotalCashValue", "BuyingPower"} <= tags
        assert ib.positions() == []
        assert ib.openTrades() == []
    finally:
        ib.disconnect()
    sent = [f.name for f in fake_tws.frames if f.direction == ">>"]
    assert sent[:1] == ["START_API"]
    for request in (
        "REQ_POSITIONS",
        "REQ_OPEN_ORDERS",
        "REQ_COMPLETED_ORDERS",
        "REQ_ACCT_DATA",
        "REQ_ACCOUNT_UPDATES_MULTI",
        "REQ_EXECUTIONS",
    ):
        assert request in sent


async def test_nothing_is_sent_before_start_api_and_startup_follows_tws_order(fake_tws: FakeTWS):
    ib = await connect(fake_tws)
    ib.disconnect()
    frames = fake_tws.frames
    first_request = next(i for i, f in enumerate(frames) if f.direction == ">>")
    assert [f.name for f in frames[:first_request]] == ["SERVER_VERSION"]
    replies = [f for f in frames[first_request + 1 :] if f.direction == "<<"][:5]
    assert [f.name for f in replies[:2]] == ["MANAGED_ACCTS", "NEXT_VALID_ID"]
    assert [f.fields[3] for f in replies[2:5]] == ["2104", "2106", "2158"]


async def test_client_id_zero_gets_auto_open_orders(fake_tws: FakeTWS):
    ib = await connect(fake_tws, client_id=0)
    ib.disconnect()
    assert "REQ_AUTO_OPEN_ORDERS" in [f.name for f in fake_tws.frames if f.direction == ">>"]
    assert not [f for f in fake_tws.frames if f.name == "ERR_MSG" and f.fields[3] == "327"]


async def test_current_time_follows_the_fakes_clock(fake_tws: FakeTWS):
    ib = await connect(fake_tws)
    try:
        server_time = await ib.reqCurrentTimeAsync()
    finally:
        ib.disconnect()
    assert abs((server_time - fake_tws.clock.now()).total_seconds()) < 5


async def test_contract_details_for_stock_and_option(fake_tws: FakeTWS):
    ib = await connect(fake_tws)
    try:
        [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        expiry = f"{fake_tws.backend.catalog.expirations('SPY')[0]:%Y%m%d}"
        details = await ib.reqContractDetailsAsync(Option("SPY", expiry, 600, "C", "SMART"))
        by_con_id = await ib.reqContractDetailsAsync(Contract(conId=details[0].contract.conId))
    finally:
        ib.disconnect()
    assert aapl.conId == 265598 and aapl.primaryExchange == "NASDAQ"
    assert len(details) == 1
    option = details[0].contract
    assert (option.symbol, option.strike, option.right, option.multiplier) == (
        "SPY",
        600,
        "C",
        "100",
    )
    assert details[0].underConId == 756733
    assert by_con_id[0].contract.localSymbol == option.localSymbol


async def test_partial_option_spec_returns_every_match(fake_tws: FakeTWS):
    ib = await connect(fake_tws)
    expiry = f"{fake_tws.backend.catalog.expirations('AAPL')[0]:%Y%m%d}"
    try:
        details = await ib.reqContractDetailsAsync(Option("AAPL", expiry, exchange="SMART"))
    finally:
        ib.disconnect()
    strikes = fake_tws.backend.catalog.strikes("AAPL")
    assert len(details) == 2 * len(strikes)
    assert {d.contract.right for d in details} == {"C", "P"}


async def test_unknown_contract_gets_error_200_on_its_request_id(fake_tws: FakeTWS):
    ib = await connect(fake_tws)
    errors: list[tuple[int, int]] = []
    ib.errorEvent += lambda req_id, code, *_: errors.append((req_id, code))
    try:
        result = await ib.reqContractDetailsAsync(Stock("NOSUCH", "SMART", "USD"))
    except Exception as exc:  # RaiseRequestErrors turns the error into an exception
        assert "200" in str(exc)
        result = []
    finally:
        ib.disconnect()
    assert result == []
    assert [code for _, code in errors] == [200]
    assert errors[0][0] > 0


async def test_duplicate_client_id_gets_326_and_is_closed(fake_tws: FakeTWS):
    first = await connect(fake_tws, client_id=5)
    second = IB()
    errors: list[int] = []
    second.errorEvent += lambda req_id, code, *_: errors.append(code)
    try:
        with pytest.raises((TimeoutError, ConnectionError, asyncio.TimeoutError)):
            await second.connectAsync(fake_tws.host, fake_tws.port, clientId=5, timeout=1)
        assert errors == [326]
        assert first.isConnected()
        assert await first.reqCurrentTimeAsync()
    finally:
        first.disconnect()
        second.disconnect()


async def test_client_id_is_free_again_after_disconnect(fake_tws: FakeTWS):
    ib = await connect(fake_tws, client_id=9)
    ib.disconnect()
    for _ in range(100):
        if 9 not in fake_tws.client_ids():
            break
        await asyncio.sleep(0.01)
    again = await connect(fake_tws, client_id=9)
    assert again.isConnected()
    again.disconnect()


async def test_many_clients_at_once(fake_tws: FakeTWS):
    clients = await asyncio.gather(*(connect(fake_tws, client_id=i) for i in range(10, 20)))
    try:
        assert sorted(fake_tws.client_ids()) == list(range(10, 20))
    finally:
        for ib in clients:
            ib.disconnect()
