"""The fake TWS without the plugin: a context manager on a free port, for any client."""

from __future__ import annotations

from ib_async import IB

from pytest_tws import FakeTWS


def test_an_unmodified_client_connects_to_the_fake() -> None:
    with FakeTWS(accounts=("DU1234567", "DU7654321"), seed=7) as tws:
        ib = IB()
        ib.connect(tws.host, tws.port, clientId=1)
        try:
            assert ib.managedAccounts() == ["DU1234567", "DU7654321"]
            assert ib.client.serverVersion() == 178
        finally:
            ib.disconnect()
