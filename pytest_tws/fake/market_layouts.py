"""Market-data messages at server version 178 (PROTOCOL.md §4a), as field lists.

Checked against ib_async 2.1 decoder.py and ibapi decoder.py: tickPrice has exactly 7 fields
(ib_async unpacks it), tickOptionComputation exactly 12 (no version since sv 156, tickAttrib
present), historicalData has no version but keeps its start/end dates (ibapi drops them only
at sv >= 196).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_tws.fake.layouts import Fields, Payload
from pytest_tws.model.options import OptionComputation
from pytest_tws.wire.fields import FieldValue, encode_field
from pytest_tws.wire.messages import Out

#: "not computed" markers of tickOptionComputation
_NO_VOL = -1.0
_NO_PRICE = -1.0
_NO_GREEK = -2.0


# Ticks are most of what the fake ever sends: these build the message payload as text
# directly (every field NUL-terminated), which the session sends without re-encoding. Their
# fields are numbers and TWS's own tick strings, never anything that could hold a NUL.
_TICK_PRICE = int(Out.TICK_PRICE)
_TICK_SIZE = int(Out.TICK_SIZE)
_TICK_GENERIC = int(Out.TICK_GENERIC)
_TICK_STRING = int(Out.TICK_STRING)


def tick_price(req_id: int, tick_type: int, price: float, size: FieldValue = 0) -> Payload:
    # version 6; attrMask 0 (no canAutoExecute / pastLimit / preOpen)
    return Payload(
        f"{_TICK_PRICE}\x006\x00{req_id}\x00{int(tick_type)}\x00{encode_field(price)}\x00"
        f"{encode_field(size)}\x000\x00"
    )


def tick_size(req_id: int, tick_type: int, size: FieldValue) -> Payload:
    return Payload(f"{_TICK_SIZE}\x006\x00{req_id}\x00{int(tick_type)}\x00{encode_field(size)}\x00")


def tick_generic(req_id: int, tick_type: int, value: float) -> Payload:
    return Payload(
        f"{_TICK_GENERIC}\x006\x00{req_id}\x00{int(tick_type)}\x00{encode_field(value)}\x00"
    )


def tick_string(req_id: int, tick_type: int, value: str) -> Payload:
    return Payload(
        f"{_TICK_STRING}\x006\x00{req_id}\x00{int(tick_type)}\x00{encode_field(value)}\x00"
    )


def tick_option_computation(req_id: int, tick_type: int, c: OptionComputation) -> Fields:
    def price(v: float | None) -> float:
        return _NO_PRICE if v is None else v

    def greek(v: float | None) -> float:
        return _NO_GREEK if v is None else v

    return [
        Out.TICK_OPTION_COMPUTATION, req_id, tick_type, 0,  # tickAttrib 0: return-based
        _NO_VOL if c.implied_vol is None else c.implied_vol, greek(c.delta),
        price(c.opt_price), price(c.pv_dividend), greek(c.gamma), greek(c.vega),
        greek(c.theta), price(c.und_price),
    ]


def tick_req_params(
    req_id: int, min_tick: float, bbo_exchange: str, snapshot_permissions: int
) -> Fields:
    return [Out.TICK_REQ_PARAMS, req_id, min_tick, bbo_exchange, snapshot_permissions]


def tick_snapshot_end(req_id: int) -> Fields:
    return [Out.TICK_SNAPSHOT_END, 1, req_id]


def market_data_type(req_id: int, data_type: int) -> Fields:
    return [Out.MARKET_DATA_TYPE, 1, req_id, data_type]


@dataclass(frozen=True)
class Bar:
    """One historical bar; `time` is already formatted the way the request asked."""

    time: str
    open: float
    high: float
    low: float
    close: float
    volume: FieldValue
    wap: float
    count: int


def historical_data(req_id: int, start: str, end: str, bars: Sequence[Bar]) -> Fields:
    fields: Fields = [Out.HISTORICAL_DATA, req_id, start, end, len(bars)]
    for b in bars:
        fields += [b.time, b.open, b.high, b.low, b.close, b.volume, b.wap, b.count]
    return fields
