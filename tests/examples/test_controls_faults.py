"""Controls: `fake_tws.faults`, what goes wrong (the cookbook, docs/faults.md, has more)."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import IB, Stock

from pytest_tws import FakeTWS, wait_until

pytestmark = pytest.mark.fake_only


def codes(ib: IB) -> list[int]:
    seen: list[int] = []
    ib.errorEvent += lambda req_id, code, text, contract: seen.append(code)
    return seen


async def test_planned_answers(ib: IB, fake_tws: FakeTWS) -> None:
    seen = codes(ib)
    fake_tws.faults.fail_next("reqContractDetails", 200)      # TWS's own text for 200
    assert await ib.reqContractDetailsAsync(Stock("SPY", "SMART", "USD")) == []
    assert 200 in seen

    fake_tws.faults.ignore_next("reqCurrentTime")             # a hung TWS: no answer
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ib.reqCurrentTimeAsync(), 0.5)
    assert await ib.reqCurrentTimeAsync()                     # only the next one


async def test_connectivity_and_farms(ib: IB, fake_tws: FakeTWS) -> None:
    seen = codes(ib)
    fake_tws.faults.farms_broken()                            # 2103, 2105
    fake_tws.faults.farms_ok()                                # 2104, 2106
    fake_tws.faults.connectivity_lost()                       # 1100 (+ farms broken)
    assert fake_tws.call(lambda: fake_tws.faults.connectivity_is_lost)
    fake_tws.faults.connectivity_restored(data_lost=True)     # 1101, lines dropped
    await wait_until(lambda: {2103, 2105, 2104, 2106, 1100, 1101} <= set(seen), "the notices")


async def test_restart_and_dropped_sockets(ib: IB, fake_tws: FakeTWS) -> None:
    fake_tws.faults.restart(downtime=60)      # sockets cut, connects refused for 60 s
    await wait_until(lambda: not ib.isConnected(), "the restart to cut the socket")
    assert not fake_tws.listening
    assert fake_tws.call(lambda: fake_tws.faults.restarts) == 1
    fake_tws.faults.come_back()               # end the downtime now
    assert fake_tws.listening

    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=ib.client.clientId)
    fake_tws.faults.drop_clients()            # a crash: every socket closed, no message
    await wait_until(lambda: not ib.isConnected(), "the drop")
