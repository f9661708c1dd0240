"""Request handlers, one module per area; the merged table is `pytest_tws.fake.dispatch`.

Importing one handler module no longer imports them all (the trading desk uses the account
handlers' feed; the fault controller the market-data pause), so nothing here imports back.
`HANDLERS` is still importable from this package, as before.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "HANDLERS":
        from pytest_tws.fake.dispatch import HANDLERS

        return HANDLERS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
