"""reqHeadTimeStamp / cancelHeadTimeStamp: answered at once with headTimestamp.

TWS answers a head-timestamp request with one headTimestamp message; ib_async then cancels it
(`IB.reqHeadTimeStampAsync` calls `cancelHeadTimeStamp` after the answer), so a cancel of a
request already answered (or never made) is accepted silently.
"""

from __future__ import annotations

from pytest_tws.fake import head_timestamp as head
from pytest_tws.fake.convert import contract_query
from pytest_tws.fake.handlers.market_data import _resolve
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.errors import HMDS_ERROR, Code, TwsError
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import Message, Values
from pytest_tws.wire.schemas import RESPONSES


def req_head_timestamp(session: Session, values: Values) -> None:
    backend = session.backend
    req_id = values["reqId"]
    what_to_show = values["whatToShow"].upper()
    if what_to_show not in head.WHAT_TO_SHOW:
        # the data farm refuses it (162), which ends the request in ib_async (321 would not:
        # ib_async.wrapper.error counts 321 among warnings and leaves the request waiting)
        raise TwsError(Code.HISTORICAL_PACING, f"{HMDS_ERROR}Invalid what to show: "
                       f"{what_to_show}", req_id)
    query = contract_query(values["contract"])
    spec = None
    if query.sec_type.upper() in head.AROUND_THE_CLOCK:
        pairs = backend.catalog.find(query)
        spec = pairs[0] if len(pairs) == 1 else None  # a pair not listed is made up
    else:
        spec = _resolve(backend, query, req_id)
    first = head.head_time(spec, query.sec_type, query.symbol, what_to_show, backend.now())
    session.send(Message(RESPONSES[Out.HEAD_TIMESTAMP], {
        "reqId": req_id, "headTimestamp": head.format_head(first, values["formatDate"])}))


def cancel_head_timestamp(session: Session, values: Values) -> None:
    """Nothing stays open once answered: TWS accepts the cancel without a reply."""


HANDLERS: dict[In, Handler] = {
    In.REQ_HEAD_TIMESTAMP: req_head_timestamp,
    In.CANCEL_HEAD_TIMESTAMP: cancel_head_timestamp,
}
