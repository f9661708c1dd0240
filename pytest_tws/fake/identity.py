"""How the fake tells a tool it is the fake, in a way a real TWS never would: it answers
``reqUserInfo`` with the white-branding id ``pytest-tws-fake`` (a real TWS answers an IBKR
account's with ``""``; the id names white-label brokers). `pytest-tws doctor` reads it.

``FakeTWS(announce=False)`` answers ``""`` as a real TWS does (doctor's own tests use that to
stand in for a real TWS).

USER_INFO is ``107|reqId|whiteBrandingId`` (ib_async's decoder: ``wrap("userInfo", [int,
str], skip=1)``; ibapi's EClient.reqUserInfo sends ``104|reqId``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas.reference import USER_INFO

if TYPE_CHECKING:
    from pytest_tws.fake.session import Handler, Session
    from pytest_tws.wire.schema import Values

__all__ = ["FAKE_BRANDING_ID", "HANDLERS"]

FAKE_BRANDING_ID = "pytest-tws-fake"


def req_user_info(session: Session, values: Values) -> None:
    # decoded by pytest_tws.wire.schemas.reference.REQ_USER_INFO
    branding = FAKE_BRANDING_ID if session.backend.announce else ""
    session.send(Message(USER_INFO, {"reqId": values["reqId"], "whiteBrandingId": branding}))


HANDLERS: dict[In, Handler] = {In.REQ_USER_INFO: req_user_info}
