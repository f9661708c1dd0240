"""reqRealTimeBars / cancelRealTimeBars (the bars themselves: pytest_tws.fake.realtime_bars)."""

from __future__ import annotations

from pytest_tws.fake import realtime_bars as rt
from pytest_tws.fake.backend import Backend
from pytest_tws.fake.convert import contract_query
from pytest_tws.fake.handlers.market_data import _resolve
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.errors import HMDS_ERROR, Code, TwsError
from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import Message, Values
from pytest_tws.wire.schemas import RESPONSES

_KEY = "realtime_bars"


def _send(stream: rt.Stream, bar: rt.RealTimeBar) -> None:
    stream.session.send(Message(RESPONSES[Out.REAL_TIME_BARS], {
        "reqId": stream.req_id, "time": bar.time, "open": bar.open, "high": bar.high,
        "low": bar.low, "close": bar.close, "volume": bar.volume, "wap": bar.wap,
        "count": bar.count}))


def bars(backend: Backend) -> rt.RealTimeBars:
    """The backend's real-time-bar subscriptions (made on first use)."""
    found = backend.extensions.get(_KEY)
    if not isinstance(found, rt.RealTimeBars):
        found = backend.extensions[_KEY] = rt.RealTimeBars(backend, _send)
    return found


def req_real_time_bars(session: Session, values: Values) -> None:
    backend = session.backend
    req_id = values["reqId"]
    what_to_show = values["whatToShow"].upper()
    if what_to_show not in rt.WHAT_TO_SHOW:
        # the data farm refuses it (162), as for historical data
        raise TwsError(Code.HISTORICAL_PACING, f"{HMDS_ERROR}Invalid what to show: "
                       f"{what_to_show}", req_id)
    spec = _resolve(backend, contract_query(values["contract"]), req_id)
    streams = bars(backend)
    if (session, req_id) in streams.streams:
        raise TwsError(Code.DUPLICATE_TICKER_ID, req_id=req_id)
    streams.add(rt.Stream(session, req_id, spec, what_to_show, bool(values["useRTH"])))


def cancel_real_time_bars(session: Session, values: Values) -> None:
    """TWS ignores a cancel for bars it no longer sends."""
    bars(session.backend).remove(session, values["reqId"])


HANDLERS: dict[In, Handler] = {
    In.REQ_REAL_TIME_BARS: req_real_time_bars,
    In.CANCEL_REAL_TIME_BARS: cancel_real_time_bars,
}
