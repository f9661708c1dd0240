"""Why the `ib` fixture could not connect, in words: above all error 326 (clientId in use),
which ib_async otherwise surfaces as a bare TimeoutError once TWS closes the socket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from ib_async import IB

from pytest_tws.model.errors import Code, error_text
from pytest_tws.target import TwsTarget

__all__ = ["DUPLICATE_CLIENT_ID_FIX", "ConnectErrors"]

DUPLICATE_CLIENT_ID_FIX = (
    "Fix: another connection holds this clientId (another IB in this test or in a parallel "
    "run, a ConnectionManager, a leftover process, or TWS still closing an old session). "
    "Give each connection its own id (tws_target.new_client_id() gives a fresh one; the "
    "`ib` fixture already uses tws_target.client_id), disconnect the other client, or "
    "change --tws-client-id so parallel runs do not overlap."
)


class ConnectErrors:
    """Collects the TWS errors sent while an `IB` connects."""

    def __init__(self, client: IB) -> None:
        self._client = client
        self.errors: list[tuple[int, str]] = []
        self._refused = asyncio.Event()
        client.errorEvent += self._on_error

    def _on_error(self, req_id: int, code: int, text: str, *_: object) -> None:
        self.errors.append((code, text))
        if code == Code.DUPLICATE_CLIENT_ID:
            self._refused.set()

    async def connect(self, connecting: Awaitable[object]) -> None:
        """Await ``connecting``; end at once with ConnectionError when TWS answers 326
        (ib_async would wait out its connect timeout)."""
        task = asyncio.ensure_future(connecting)
        refused = asyncio.ensure_future(self._refused.wait())
        try:
            await asyncio.wait({task, refused}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            refused.cancel()
        if not task.done():
            task.cancel()
            raise ConnectionError("TWS refused the clientId (error 326)")
        task.result()

    def detach(self) -> None:
        self._client.errorEvent -= self._on_error

    def explain(self, target: TwsTarget, exc: BaseException) -> str:
        codes = [code for code, _ in self.errors]
        if int(Code.DUPLICATE_CLIENT_ID) in codes:
            text = dict(self.errors)[int(Code.DUPLICATE_CLIENT_ID)]
            return (f"ib fixture: cannot connect to {target}: TWS error "
                    f"{int(Code.DUPLICATE_CLIENT_ID)} \"{text}\"\n{DUPLICATE_CLIENT_ID_FIX}")
        seen = "; ".join(f"error {c}: {t}" for c, t in self.errors)
        return (f"ib fixture: cannot connect to {target}: {exc!r}"
                + (f" (TWS said: {seen})" if seen else ""))


#: The text TWS sends with 326, for tests and docs.
DUPLICATE_CLIENT_ID_TEXT = error_text(Code.DUPLICATE_CLIENT_ID)
