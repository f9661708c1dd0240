"""`pytest-tws doctor`'s check that the server is not pytest-tws's own fake TWS."""

from __future__ import annotations

import asyncio
from typing import Any

from pytest_tws.doctor import Report, Status
from pytest_tws.fake.identity import FAKE_BRANDING_ID

__all__ = ["FIX_FAKE", "check_not_the_fake"]

FIX_FAKE = (
    "The fake needs no checking: `pytest --tws=fake` (the default) starts its own. For "
    "--tws=paper, point doctor at your paper TWS / IB Gateway (--port 7497 or 4002) and stop "
    "`pytest-tws fake` if it holds that port."
)
#: Seconds doctor waits for reqUserInfo (answered at once by any TWS that has it).
USER_INFO_TIMEOUT = 2.0


async def check_not_the_fake(report: Report, ib: Any, timeout: float) -> None:
    """The fake answers reqUserInfo with its marker (pytest_tws/fake/identity.py); a real
    TWS answers an IBKR account's with "" (the white-branding id of white-label brokers)."""
    # ib_async 2.1's Wrapper.userInfo ends the request without the id (wrapper.py:
    # `def userInfo(self, reqId, whiteBrandingId): self._endReq(reqId)`), so read it on the way.
    seen: list[str] = []
    original = ib.wrapper.userInfo

    def capture(req_id: int, white_branding_id: str) -> None:
        seen.append(white_branding_id)
        original(req_id, white_branding_id)

    ib.wrapper.userInfo = capture
    try:
        await asyncio.wait_for(ib.reqUserInfoAsync(), min(timeout, USER_INFO_TIMEOUT))
    except asyncio.TimeoutError:
        return  # an older TWS without reqUserInfo: not the fake, which always answers
    finally:
        ib.wrapper.userInfo = original
    branding = seen[0] if seen else ""
    if branding == FAKE_BRANDING_ID:
        report.fake = True
        report.add("real TWS", Status.FAIL,
                   f"this is pytest-tws's fake TWS (reqUserInfo answered {branding!r}), not "
                   "TWS or IB Gateway", FIX_FAKE)
