"""Market-data messages: ticks as payload text built from their schemas, the rest as Messages.

Ticks are most of what the fake ever sends, so they skip per-field encoding: for each tick
schema (pytest_tws.wire.schemas.market_data) and server version, `_payload_builder` turns the
layout at that version into one small function that writes the whole payload as text
(constants such as the version field baked in, every field NUL-terminated), which the session
sends as is. A layout that changes at a gate (tickOptionComputation's version field and
tickAttrib at MIN_SERVER_VER_PRICE_BASED_VOLATILITY) gets another builder; nothing here is
written by hand, so the payload is the schema's at every version (tests/oracle prove it).
Their fields are numbers and TWS's own tick strings, never anything that could hold a NUL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pytest_tws.fake.layouts import Payload
from pytest_tws.model.options import OptionComputation
from pytest_tws.wire.fields import FieldValue, encode_field
from pytest_tws.wire.schema import FLOAT, INT, Field, Message, Schema
from pytest_tws.wire.schemas import history as hs
from pytest_tws.wire.schemas import market_data as md

#: "not computed" markers of tickOptionComputation (ibapi's processTickOptionComputationMsg)
NO_VOL = -1.0
NO_PRICE = -1.0
NO_GREEK = -2.0
#: tickPrice's attribute mask: no canAutoExecute / pastLimit / preOpen
NO_ATTRIBUTES = 0
#: tickOptionComputation's tickAttrib: 0 is return-based, 1 price-based volatility
RETURN_BASED = 0

PayloadBuilder = Callable[..., Payload]


def _payload_builder(schema: Schema, version: int, params: tuple[str, ...]) -> PayloadBuilder:
    """A function of `params` (schema field names, in this order) writing `schema`'s payload
    at `version`. Every field of the layout must be a constant or one of `params`."""
    pieces = [str(int(schema.message_id))]  # type: ignore[call-overload]
    for item in schema.plan(version):
        if not isinstance(item, Field) or item.when is not None:
            raise TypeError(f"{schema.name}: only plain fields can be pre-built")
        if item.const is not None:
            pieces.append(encode_field(item.const).replace("\\", "\\\\").replace("'", "\\'"))
        elif item.name in params:
            slot = f"p{params.index(item.name)}"
            if item.kind is INT:
                pieces.append(f"{{int({slot})}}")
            elif item.kind is FLOAT:
                pieces.append(f"{{_float({slot})}}")
            else:
                pieces.append(f"{{_text({slot})}}")
        else:
            raise TypeError(f"{schema.name} v{version}: {item.name} is not a parameter")
    args = ", ".join(f"p{i}" for i in range(len(params)))
    body = "\\x00".join(pieces) + "\\x00"
    source = f"def build({args}):\n    return _Payload(f'{body}')\n"
    scope = {"_Payload": Payload, "_float": encode_field, "_text": encode_field}
    exec(compile(source, f"<{schema.name} v{version}>", "exec"), scope)
    build: PayloadBuilder = scope["build"]  # type: ignore[assignment]
    return build


class _Builders(dict[int, PayloadBuilder]):
    """version -> builder, made on first use."""

    def __init__(self, schema: Schema, *params: str) -> None:
        super().__init__()
        self.schema = schema
        self.params = params

    def __missing__(self, version: int) -> PayloadBuilder:
        build = self[version] = _payload_builder(self.schema, version, self.params)
        return build


def _req_id_index(schema: Schema, version: int) -> int:
    """Where the request id is among the payload's fields (the message id is field 0)."""
    names = [item.name for item in schema.plan(version) if isinstance(item, Field)]
    return 1 + names.index("reqId")


_PRICE = _Builders(md.TICK_PRICE, "reqId", "tickType", "price", "size", "attrMask")
_SIZE = _Builders(md.TICK_SIZE, "reqId", "tickType", "size")
_GENERIC = _Builders(md.TICK_GENERIC, "reqId", "tickType", "value")
_STRING = _Builders(md.TICK_STRING, "reqId", "tickType", "value")
_OPTION = _Builders(
    md.TICK_OPTION_COMPUTATION, "reqId", "tickType", "tickAttrib", "impliedVol", "delta",
    "optPrice", "pvDividend", "gamma", "vega", "theta", "undPrice",
)
_BY_MESSAGE_ID = {str(int(b.schema.message_id)): b  # type: ignore[call-overload]
                  for b in (_PRICE, _SIZE, _GENERIC, _STRING, _OPTION)}
_REQ_ID_INDEX: dict[tuple[str, int], int] = {}


def tick_price(req_id: int, tick_type: int, price: float, size: FieldValue, version: int,
               ) -> Payload:
    return _PRICE[version](req_id, tick_type, price, size, NO_ATTRIBUTES)


def tick_size(req_id: int, tick_type: int, size: FieldValue, version: int) -> Payload:
    return _SIZE[version](req_id, tick_type, size)


def tick_generic(req_id: int, tick_type: int, value: float, version: int) -> Payload:
    return _GENERIC[version](req_id, tick_type, value)


def tick_string(req_id: int, tick_type: int, value: str, version: int) -> Payload:
    return _STRING[version](req_id, tick_type, value)


def tick_option_computation(req_id: int, tick_type: int, c: OptionComputation,
                            version: int) -> Payload:
    def price(v: float | None) -> float:
        return NO_PRICE if v is None else v

    def greek(v: float | None) -> float:
        return NO_GREEK if v is None else v

    return _OPTION[version](
        req_id, tick_type, RETURN_BASED, NO_VOL if c.implied_vol is None else c.implied_vol,
        greek(c.delta), price(c.opt_price), price(c.pv_dividend), greek(c.gamma),
        greek(c.vega), greek(c.theta), price(c.und_price),
    )


def readdress(payload: Payload, req_id: int, version: int) -> Payload:
    """The same tick for another request id (lines of one contract share their ticks)."""
    message_id, _, _ = payload.partition("\0")
    key = (message_id, version)
    index = _REQ_ID_INDEX.get(key)
    if index is None:
        index = _REQ_ID_INDEX[key] = _req_id_index(_BY_MESSAGE_ID[message_id].schema, version)
    fields = payload.split("\0", index + 1)
    fields[index] = str(req_id)
    return Payload("\0".join(fields))


def tick_req_params(
    req_id: int, min_tick: float, bbo_exchange: str, snapshot_permissions: int
) -> Message:
    return Message(md.TICK_REQ_PARAMS, {"reqId": req_id, "minTick": min_tick,
                                        "bboExchange": bbo_exchange,
                                        "snapshotPermissions": snapshot_permissions})


def tick_snapshot_end(req_id: int) -> Message:
    return Message(md.TICK_SNAPSHOT_END, {"reqId": req_id})


def market_data_type(req_id: int, data_type: int) -> Message:
    return Message(md.MARKET_DATA_TYPE, {"reqId": req_id, "marketDataType": data_type})


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


def historical_data(req_id: int, start: str, end: str, bars: Sequence[Bar]) -> Message:
    """historicalData; below MIN_SERVER_VER_HISTORICAL_DATA_END it carries the dates too."""
    return Message(hs.HISTORICAL_DATA, {
        "reqId": req_id, "startDateStr": start, "endDateStr": end,
        "bars": [{"date": b.time, "open": b.open, "high": b.high, "low": b.low,
                  "close": b.close, "volume": b.volume, "wap": b.wap, "barCount": b.count}
                 for b in bars],
    })


def historical_data_end(req_id: int, start: str, end: str) -> Message:
    """historicalDataEnd, a message of its own from MIN_SERVER_VER_HISTORICAL_DATA_END."""
    return Message(hs.HISTORICAL_DATA_END, {"reqId": req_id, "startDateStr": start,
                                            "endDateStr": end})
