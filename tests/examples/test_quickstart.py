"""Quickstart: a test that talks to TWS through the `ib` fixture.

Runs against the fake TWS by default, and unchanged against your paper TWS with
``pytest --tws=paper``.
"""

from __future__ import annotations

from ib_async import IB, Stock


async def test_spy_is_a_known_contract(ib: IB) -> None:
    [spy] = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))

    assert spy.conId == 756733
    assert spy.primaryExchange == "ARCA"


async def test_tws_reports_a_paper_account(ib: IB) -> None:
    accounts = ib.managedAccounts()

    assert accounts and all(account.startswith("D") for account in accounts)
