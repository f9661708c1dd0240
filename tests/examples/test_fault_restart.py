"""Cookbook: TWS's daily restart and IBKR's nightly reset, on a virtual clock.

`restart_window` puts the fake on a `VirtualClock` 5 minutes before TWS's daily restart
(23:45 New York time by default); give the same clock to the code under test, and a night
runs in milliseconds.
"""

from __future__ import annotations

import pytest
from ib_async import IB

from pytest_tws.restart import RestartWindowControl
from pytest_tws.target import TwsTarget
from pytest_tws.waiting import expect_event, wait_until

pytestmark = pytest.mark.fake_only


async def test_the_daily_restart_closes_every_socket(
    restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    ib = IB()
    await ib.connectAsync(tws_target.host, tws_target.port, clientId=tws_target.client_id)
    disconnected = expect_event(ib.disconnectedEvent)

    await restart_window.cross_restart()  # 23:45 ET: no message, the socket just closes
    await disconnected
    assert not restart_window.tws.listening  # connections are refused while TWS is down

    await restart_window.finish_restart()  # downtime over: TWS listens again
    await ib.connectAsync(tws_target.host, tws_target.port, clientId=tws_target.client_id)
    assert ib.isConnected()
    ib.disconnect()


@pytest.mark.restart_window(reset_data_lost=True)
async def test_the_nightly_reset_sends_1100_then_1101(
    restart_window: RestartWindowControl, tws_target: TwsTarget
) -> None:
    await restart_window.cross_restart()  # the clock meets the 23:45 restart first
    await restart_window.finish_restart()
    ib = IB()
    await ib.connectAsync(tws_target.host, tws_target.port, clientId=tws_target.client_id)
    codes: list[int] = []
    ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)

    await restart_window.cross_reset()  # 00:15 ET: IBKR's servers go away, TWS stays up
    await wait_until(lambda: 1100 in codes, "1100")
    await restart_window.finish_reset()
    await wait_until(lambda: 1101 in codes, "1101: restored, market data lost")
    ib.disconnect()
