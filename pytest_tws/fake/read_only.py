"""TWS's "Read-Only API" setting: the requests it refuses, and the error it refuses them with.

With Configure → API → Settings → "Read-Only API" checked, TWS answers every request that
could change or bind orders with error 321 and does nothing else:

    4|2|-1|321|Error validating request.-'b7' : cause - The API interface is currently in
    Read-Only mode.|

The two-letter tag names the request inside TWS and differs between requests and builds.
Seen live: 'b7' for reqIds (ibkr-go live notes; bankroll-py issue #65 at connect), 'as' for
reqOpenOrders (ibkr-go), 'bh' for placeOrder with the orderId as reqId (IbcAlpha/IBC issue
#10). ib_async's ``connect(readonly=True)`` skips reqOpenOrders and reqCompletedOrders for
this reason. The tags of the other order requests are not documented anywhere we found; they
reuse the nearest seen tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_tws.fake.guards import Request
from pytest_tws.model.errors import NO_REQUEST_ID, Code, TwsError, error_text
from pytest_tws.wire.messages import In

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend
    from pytest_tws.fake.session import Session

READ_ONLY_CAUSE = "The API interface is currently in Read-Only mode."


@dataclass(frozen=True)
class Refusal:
    tag: str
    """the tag in ``Error validating request.-'<tag>'``"""
    order_id_field: bool = False
    """the request carries an orderId, which TWS uses as the error's reqId"""


#: Requests TWS refuses in read-only mode.
REFUSED: dict[In, Refusal] = {
    In.REQ_IDS: Refusal("b7"),
    In.REQ_OPEN_ORDERS: Refusal("as"),
    In.REQ_ALL_OPEN_ORDERS: Refusal("as"),
    In.REQ_AUTO_OPEN_ORDERS: Refusal("as"),
    In.REQ_COMPLETED_ORDERS: Refusal("as"),
    In.PLACE_ORDER: Refusal("bh", order_id_field=True),
    In.CANCEL_ORDER: Refusal("bh", order_id_field=True),
    In.REQ_GLOBAL_CANCEL: Refusal("bh"),
}


def read_only_refusal(backend: Backend, request: Request) -> TwsError | None:
    """The error TWS answers `request` with when the fake is in read-only mode, else None."""
    if not backend.read_only:
        return None
    refusal = REFUSED.get(request.message_id)
    if refusal is None:
        return None
    req_id = request.req_id if refusal.order_id_field else NO_REQUEST_ID
    text = error_text(Code.MISSING_OR_INVALID, refusal.tag, READ_ONLY_CAUSE)
    return TwsError(Code.MISSING_OR_INVALID, text, req_id)


def read_only_guard(session: Session, request: Request) -> bool:
    """The guard for TWS's "Read-Only API" setting: refuses what it refuses (raises)."""
    refused = read_only_refusal(session.backend, request)
    if refused is not None:
        raise refused
    return False
