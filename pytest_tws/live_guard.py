"""A guard that keeps an ib_async ``IB`` off live accounts, on every connect.

    connect ─► handshake ─► startApi ─► TWS: nextValidId + managedAccounts
                                           │ ib_async's apiStart, before any request
                                           ▼
                        every managed account a paper one (D…)?  yes ─► startup sync, requests
                                           │ no
                                           ▼
                        socket closed at once; `LiveAccountError` (nothing else was sent)

The check runs in ib_async's ``apiStart`` callback, which fires while the client reads the
managedAccounts message and before ``connectAsync`` sends its startup requests (positions,
open orders, account updates): on a live account not even those go out. It runs again on every
later connect of the same ``IB``, so a TWS that was paper at the session's first check and is
a live login now is refused too.

The ``ib`` fixture guards its connection; guard your own ``IB`` objects the same way::

    from pytest_tws import guard_paper_only

    ib = IB()
    guard = guard_paper_only(ib)
    await guard.connect("127.0.0.1", 7497, clientId=7)   # LiveAccountError on a live account
"""

from __future__ import annotations

import logging
from typing import Any

from ib_async import IB

from pytest_tws.model.accounts import is_paper_account

__all__ = ["LiveAccountError", "PaperOnlyGuard", "guard_paper_only", "live_accounts"]

log = logging.getLogger("pytest_tws.live_guard")


class LiveAccountError(ConnectionError):
    """The TWS an ``IB`` connected to manages a live account (or reports none); the
    connection was closed before any request was sent."""


def live_accounts(accounts: list[str] | tuple[str, ...]) -> list[str]:
    """The accounts that are not paper accounts (IB paper accounts start with D)."""
    return [a for a in accounts if not is_paper_account(a)]


class PaperOnlyGuard:
    """Checks the managed accounts each time ``ib`` connects; see the module docstring.

    Attributes:
        violation: The refusal of the last connect, if it was refused (None otherwise).
        checks: How many connects were checked.
    """

    def __init__(self, ib: IB) -> None:
        self.ib = ib
        self.violation: LiveAccountError | None = None
        self.checks = 0
        self._where = ""
        ib.client.apiStart += self._on_api_start

    def remove(self) -> None:
        """Stop guarding ``ib``."""
        self.ib.client.apiStart -= self._on_api_start

    def check(self) -> None:
        """Raise the last connect's refusal, if any.

        Raises:
            LiveAccountError: The last connect reached a TWS managing a live account.
        """
        if self.violation is not None:
            raise self.violation

    async def connect(self, host: str, port: int, clientId: int, **kwargs: Any) -> IB:
        """``ib.connectAsync(...)``, raising `LiveAccountError` when the guard refused it.

        Raises:
            LiveAccountError: TWS manages a live account; nothing but the handshake was sent.
        """
        self._where = f"{host}:{port}"
        try:
            await self.ib.connectAsync(host, port, clientId=clientId, **kwargs)
        except ConnectionError:
            self.check()
            raise
        self.check()
        return self.ib

    def _on_api_start(self) -> None:
        self.checks += 1
        client = self.ib.client
        accounts = list(client.getAccounts())
        live = live_accounts(accounts)
        if accounts and not live:
            self.violation = None
            return
        where = self._where or f"{client.host}:{client.port}"
        named = ", ".join(live) if live else "(none reported)"
        self.violation = LiveAccountError(
            f"pytest-tws refused the connection: TWS at {where} manages account {named}, "
            f"which is not a paper account (IB paper accounts start with D, e.g. DU1234567); "
            f"the socket was closed before any request was sent")
        log.error("%s", self.violation)
        self.ib.disconnect()


def guard_paper_only(ib: IB) -> PaperOnlyGuard:
    """Guard ``ib`` against live accounts from its next connect on (every connect).

    Returns:
        The guard: use `PaperOnlyGuard.connect` (or check `PaperOnlyGuard.violation` after
        your own ``connectAsync``, which then fails with ib_async's ConnectionError).
    """
    return PaperOnlyGuard(ib)
