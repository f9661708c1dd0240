"""Cookbook: keep your own ib_async clients off live accounts, as the `ib` fixture does."""

from __future__ import annotations

import pytest
from ib_async import IB

from pytest_tws import FakeTWS, LiveAccountError, TwsTarget, guard_paper_only


async def test_my_own_client_is_guarded(tws_target: TwsTarget) -> None:
    ib = IB()
    guard = guard_paper_only(ib)  # checks the managed accounts on every connect from now on
    await guard.connect(tws_target.host, tws_target.port, clientId=tws_target.new_client_id(),
                        timeout=10)
    try:
        assert all(account.startswith("D") for account in ib.managedAccounts())
    finally:
        ib.disconnect()


async def test_a_live_login_is_refused_before_any_request() -> None:
    with FakeTWS(accounts=("U1234567",)) as live:  # stands in for a live TWS
        guard = guard_paper_only(IB())
        with pytest.raises(LiveAccountError, match="U1234567"):
            await guard.connect(live.host, live.port, clientId=1, timeout=10)
        assert live.orders() == []
