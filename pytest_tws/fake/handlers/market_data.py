"""reqMktData / cancelMktData and reqHistoricalData / cancelHistoricalData.

A reqMktData is answered, as TWS does, with tickReqParams, marketDataType, then the line's
full picture (tickPrice/tickSize/tickGeneric/tickString, tickOptionComputation for options);
a snapshot ends with tickSnapshotEnd, a streaming line gets its changes on every feed tick.

Faults (pytest_tws.fake.faults) use `pause_all`, `resume_all` and `drop_all_subscriptions`:
connectivity lost (1100) pauses every line; restored with data lost (1101) drops them all, and
clients must subscribe again.
"""

from __future__ import annotations

from pytest_tws.fake import history
from pytest_tws.fake import market_layouts as ml
from pytest_tws.fake.backend import Backend
from pytest_tws.fake.convert import contract_query
from pytest_tws.fake.market_book import Line, MarketBook, book
from pytest_tws.fake.quotes import ComboLeg
from pytest_tws.fake.session import Handler, Session
from pytest_tws.fake.ticks import parse_generic_ticks
from pytest_tws.model.contracts import ContractQuery, ContractSpec
from pytest_tws.model.errors import Code, TwsError, error_text
from pytest_tws.model.market import UnknownSymbolError
from pytest_tws.model.orders import BAG_CON_ID
from pytest_tws.model.price_processes import AROUND_THE_CLOCK
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Values
from pytest_tws.wire.schemas.market_data import DELAYED, FROZEN, LIVE
from pytest_tws.wire.versions import MIN_SERVER_VER_HISTORICAL_DATA_END

#: tickReqParams: the SMART book's exchange code and "snapshots permitted" (as TWS reports)
BBO_EXCHANGE = "9c0001"
SNAPSHOT_PERMISSIONS = 3


# -- fault hooks ------------------------------------------------------------------------------


def pause_all(backend: Backend) -> None:
    """Connectivity lost (1100): lines stay, but no tick is sent until `resume_all`."""
    if backend.market_feed is not None:
        backend.market_feed.paused = True


def resume_all(backend: Backend) -> None:
    """Connectivity restored with data maintained (1102): lines catch up at once."""
    feed = backend.market_feed
    if feed is not None:
        feed.paused = False
        feed.step()


def drop_all_subscriptions(backend: Backend) -> None:
    """Restored with data lost (1101): every line and open historical request is gone,
    silently; clients must ask again. Also un-pauses, since connectivity is back."""
    book(backend).drop_all()
    if backend.market_feed is not None:
        backend.market_feed.paused = False


# -- reqMktData -------------------------------------------------------------------------------


def _resolve(backend: Backend, query: ContractQuery, req_id: int) -> ContractSpec:
    matches = backend.catalog.find(query)
    if not matches:
        raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id)
    if len(matches) > 1:
        text = f"The contract description specified for {query.symbol} is ambiguous."
        raise TwsError(Code.NO_SECURITY_DEFINITION, text, req_id)
    return matches[0]


def _legs(values: Values, backend: Backend, req_id: int) -> tuple[ComboLeg, ...]:
    legs = []
    for leg in values.get("comboLegs", ()):
        spec = backend.catalog.by_con_id(leg["conId"])
        if spec is None:
            raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id)
        legs.append(ComboLeg(spec, leg["ratio"] or 1, leg["action"]))
    return tuple(legs)


def req_mkt_data(session: Session, values: Values) -> None:
    backend = session.backend
    req_id = values["reqId"]
    query = contract_query(values["contract"])
    legs: tuple[ComboLeg, ...] = ()
    if query.sec_type == "BAG":
        legs = _legs(values["contract"], backend, req_id)
    generic = parse_generic_ticks(values["genericTickList"])
    snapshot = bool(values["snapshot"] or values.get("regulatorySnapshot"))

    market = book(backend)
    if (session, req_id) in market.lines:
        raise TwsError(Code.DUPLICATE_TICKER_ID, req_id=req_id)
    if legs:
        spec = ContractSpec(con_id=BAG_CON_ID, symbol=query.symbol, sec_type="BAG")
    else:
        spec = _resolve(backend, query, req_id)
    line = Line(session, req_id, spec, generic=frozenset() if snapshot else generic, legs=legs)
    data_type = session.state.get("market_data_type", LIVE)
    if line.symbols & market.denied:
        if data_type in (LIVE, FROZEN):
            raise TwsError(Code.NOT_SUBSCRIBED, req_id=req_id)
        line.delayed = True
    if not snapshot and market.lines_in_use() >= backend.limits.market_data_lines:
        raise TwsError(Code.MAX_TICKERS, req_id=req_id)
    try:
        updates = market.updates(line)
    except (UnknownSymbolError, ValueError):
        raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id) from None
    session.send(ml.tick_req_params(req_id, spec.min_tick, BBO_EXCHANGE, SNAPSHOT_PERMISSIONS))
    if line.delayed:
        session.send_error(req_id, Code.DELAYED_DATA_DISPLAYED)
    session.send(ml.market_data_type(req_id, DELAYED if line.delayed else LIVE))
    for fields in updates:
        session.send(fields)
    if snapshot:
        session.send(ml.tick_snapshot_end(req_id))
    else:
        market.add(line)


def cancel_mkt_data(session: Session, values: Values) -> None:
    req_id = values["reqId"]
    # TWS ignores a cancel for a line it no longer has (e.g. dropped by 1101).
    book(session.backend).remove(session, req_id)


# -- historical data --------------------------------------------------------------------------


def _history_price(backend: Backend, spec: ContractSpec | None, query: ContractQuery) -> tuple[
    float, float, float
]:
    """Last price, volatility and tick of what a historical request is about."""
    if spec is None:  # forex and other contracts the catalog does not list
        base = 1.08 if query.symbol.upper() == "EUR" else 1.0
        return base, 0.08, 0.00005
    q = backend.quote(spec)
    symbol = spec.sim_key
    vol = backend.market.volatility(symbol)
    return q.mid, vol, spec.min_tick


def req_historical_data(session: Session, values: Values) -> None:
    backend = session.backend
    req_id = values["reqId"]
    query = contract_query(values["contract"])
    end_text = values["endDateTime"]
    bar_size = values["barSizeSetting"]
    duration = values["durationStr"]
    use_rth = values["useRTH"]
    what_to_show = values["whatToShow"]
    format_date = values["formatDate"] or 1
    if query.sec_type == "BAG":
        _legs(values["contract"], backend, req_id)
    keep_up_to_date = bool(values.get("keepUpToDate"))

    market = book(backend)
    identical = (query, end_text, bar_size, duration, use_rth, what_to_show)
    contract = (query.con_id, query.symbol, query.sec_type, query.exchange, what_to_show)
    if not market.pacing.admit(
        backend.clock.monotonic(), backend.wall_monotonic(), identical, contract
    ):
        raise TwsError(Code.HISTORICAL_PACING, req_id=req_id)
    forex = query.sec_type == "CASH"
    # A pair the catalog lists is priced from its own process; any other pair is made up.
    pairs = backend.catalog.find(query) if forex else []
    spec = (pairs[0] if len(pairs) == 1 else None) if forex else _resolve(backend, query, req_id)
    try:
        bar_seconds = history.parse_bar_size(bar_size)
        seconds = history.parse_duration(duration)
        end = history.parse_end(end_text, backend.now())
    except history.HistoryRequestError as exc:
        text = error_text(Code.MISSING_OR_INVALID, "bP", exc)
        raise TwsError(Code.MISSING_OR_INVALID, text, req_id) from None
    if keep_up_to_date and end_text:
        text = error_text(Code.MISSING_OR_INVALID, "bP",
                          "End date not supported with live updates")
        raise TwsError(Code.MISSING_OR_INVALID, text, req_id)
    price, vol, tick = _history_price(backend, spec, query)
    request = history.BarRequest(
        symbol=query.symbol or str(query.con_id), end=end, duration=seconds,
        bar_seconds=bar_seconds, use_rth=use_rth, format_date=format_date,
        around_the_clock=forex or (spec is not None and spec.sec_type in AROUND_THE_CLOCK),
    )
    bars = history.make_bars(request, price, vol, backend.seed, tick)
    start = end.timestamp() - seconds
    start_text = history.header_time(end.fromtimestamp(start, end.tzinfo))
    end_header = history.header_time(end)
    session.send(ml.historical_data(req_id, start_text, end_header, bars))
    if session.server_version >= MIN_SERVER_VER_HISTORICAL_DATA_END:
        # From this version the dates come in a message of their own (ibapi's
        # processHistoricalDataEndMsg), which is what ends the request.
        session.send(ml.historical_data_end(req_id, start_text, end_header))
    if keep_up_to_date:
        market.history[(session, req_id)] = request


def cancel_historical_data(session: Session, values: Values) -> None:
    req_id = values["reqId"]
    market: MarketBook = book(session.backend)
    if market.history.pop((session, req_id), None) is None:
        raise TwsError(Code.NO_HISTORICAL_QUERY, error_text(Code.NO_HISTORICAL_QUERY, req_id),
                       req_id)


HANDLERS: dict[In, Handler] = {
    In.REQ_MKT_DATA: req_mkt_data,
    In.CANCEL_MKT_DATA: cancel_mkt_data,
    In.REQ_HISTORICAL_DATA: req_historical_data,
    In.CANCEL_HISTORICAL_DATA: cancel_historical_data,
}
