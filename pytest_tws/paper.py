"""`--tws=paper`: make sure the TWS we are pointed at only manages paper accounts.

The probe completes the API handshake and reads the managed accounts that TWS sends with
startApi, then disconnects: it sends no request at all, so nothing can reach a live account.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass

from ib_async import IB

from pytest_tws.model.accounts import is_paper_account


@dataclass(frozen=True)
class PaperSession:
    """What the probe learned about the paper TWS."""

    host: str
    port: int
    accounts: tuple[str, ...]
    server_version: int
    account: str
    """the account tests use: --tws-account, or the first managed one"""


class PaperRefused(Exception):
    """The target is unreachable or manages an account that is not a paper account."""


async def _probe(host: str, port: int, client_id: int, timeout: float) -> tuple[list[str], int]:
    ib = IB()
    try:
        await ib.client.connectAsync(host, port, client_id, timeout)
        return list(ib.client.getAccounts()), int(ib.client.serverVersion())
    finally:
        ib.client.disconnect()


def check_paper(
    host: str, port: int, client_id: int, account: str = "", timeout: float = 10.0
) -> PaperSession:
    """Connect once and accept the target only if every managed account is a paper account.

    Runs on a thread of its own with its own event loop, so it is safe from any context.

    Raises:
        PaperRefused: With a message naming the target and the offending account(s).
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tws-paper-check") as pool:
        future = pool.submit(asyncio.run, _probe(host, port, client_id, timeout))
        try:
            accounts, server_version = future.result()
        except Exception as exc:
            raise PaperRefused(
                f"pytest-tws: cannot reach a paper TWS at {host}:{port} (clientId {client_id}): "
                f"{exc!r}. Start TWS or IB Gateway logged in to a paper account with the API "
                f"enabled, or run with --tws=fake."
            ) from exc
    live = [a for a in accounts if not is_paper_account(a)]
    if live or not accounts:
        named = ", ".join(live) if live else "(none reported)"
        raise PaperRefused(
            f"pytest-tws refuses to run: TWS at {host}:{port} manages account {named}, which is "
            f"not a paper account (IB paper accounts start with D, e.g. DU1234567). "
            f"--tws=paper runs only when every managed account is a paper account; "
            f"nothing was sent."
        )
    if account and account not in accounts:
        raise PaperRefused(
            f"pytest-tws: --tws-account {account} is not managed by TWS at {host}:{port} "
            f"(it manages {', '.join(accounts)})"
        )
    return PaperSession(host, port, tuple(accounts), server_version, account or accounts[0])
