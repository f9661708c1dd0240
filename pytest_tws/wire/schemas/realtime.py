"""Real-time bars: reqRealTimeBars / cancelRealTimeBars and realtimeBar.

The request as ibapi 10.50 `EClient.reqRealTimeBars` writes it (version 3; conId and
tradingClass from MIN_SERVER_VER_TRADING_CLASS; realTimeBarsOptions as one `tag=value;` text
from MIN_SERVER_VER_LINKING); the bar as `Decoder.processRealTimeBarMsg` reads it.
"""

from __future__ import annotations

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import BOOL, DECIMAL, FLOAT, INT, Field, Schema
from pytest_tws.wire.schemas.common import contract, tag_list_text
from pytest_tws.wire.versions import MIN_SERVER_VER_LINKING, MIN_SERVER_VER_TRADING_CLASS

#: the version field realtimeBar carries (ibapi reads and ignores it)
REAL_TIME_BARS_VERSION = 3

REQ_REAL_TIME_BARS = Schema(
    In.REQ_REAL_TIME_BARS,
    Field("version", INT),
    Field("reqId", INT),
    contract(con_id=MIN_SERVER_VER_TRADING_CLASS),
    Field("barSize", INT),
    Field("whatToShow"),
    Field("useRTH", BOOL),
    tag_list_text("realTimeBarsOptions", since=MIN_SERVER_VER_LINKING),
    req_id="reqId",
)

CANCEL_REAL_TIME_BARS = Schema(In.CANCEL_REAL_TIME_BARS, Field("version", INT),
                               Field("reqId", INT), req_id="reqId")

REAL_TIME_BARS = Schema(
    Out.REAL_TIME_BARS,
    Field("version", INT, const=REAL_TIME_BARS_VERSION),
    Field("reqId", INT),
    Field("time", INT), Field("open", FLOAT), Field("high", FLOAT), Field("low", FLOAT),
    Field("close", FLOAT), Field("volume", DECIMAL), Field("wap", DECIMAL), Field("count", INT),
    req_id="reqId",
)

REQUESTS = (REQ_REAL_TIME_BARS, CANCEL_REAL_TIME_BARS)
RESPONSES = (REAL_TIME_BARS,)
