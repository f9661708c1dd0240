"""Cookbook: a slow or broken network between the client and TWS (fake or paper).

`flaky_network` is a Toxiproxy proxy in front of the target: connect to its host and port,
then add toxics. It works with ``--tws=paper`` too.
"""

from __future__ import annotations

import time

from ib_async import IB

from pytest_tws.netfault.fixture import FlakyNetwork
from pytest_tws.target import TwsTarget
from pytest_tws.waiting import expect_event


async def test_latency_slows_every_answer(flaky_network: FlakyNetwork, tws_target: TwsTarget):
    ib = IB()
    await ib.connectAsync(flaky_network.host, flaky_network.port, clientId=tws_target.client_id)
    try:
        flaky_network.latency(300)  # every chunk from TWS to the client, 300 ms late
        started = time.monotonic()
        await ib.reqCurrentTimeAsync()
        assert time.monotonic() - started >= 0.3
    finally:
        ib.disconnect()


async def test_a_cut_drops_the_connection(flaky_network: FlakyNetwork, tws_target: TwsTarget):
    ib = IB()
    await ib.connectAsync(flaky_network.host, flaky_network.port, clientId=tws_target.client_id)
    disconnected = expect_event(ib.disconnectedEvent)
    with flaky_network.cut():  # the proxy closes its connections and refuses new ones
        await disconnected
    await ib.connectAsync(flaky_network.host, flaky_network.port, clientId=tws_target.client_id)
    assert ib.isConnected()
    ib.disconnect()
