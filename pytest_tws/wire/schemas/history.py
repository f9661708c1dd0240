"""Historical bars: reqHistoricalData / cancelHistoricalData and the bars that answer them.

The request as ibapi 10.50 `EClient.reqHistoricalData` writes it (a version field only below
MIN_SERVER_VER_SYNT_REALTIME_BARS, conId and tradingClass from MIN_SERVER_VER_TRADING_CLASS,
the combo legs after formatDate for a BAG, keepUpToDate and chartOptions at their gates);
the answers as `Decoder.processHistoricalDataMsg` / `processHistoricalDataEndMsg` /
`processHistoricalDataUpdateMsg` read them: from MIN_SERVER_VER_HISTORICAL_DATA_END the
start/end dates leave historicalData for a message of their own.

reqHeadTimeStamp / cancelHeadTimeStamp as `EClient.reqHeadTimeStamp` writes them (from
MIN_SERVER_VER_REQ_HEAD_TIMESTAMP; no version field; the contract with includeExpired), and
headTimestamp as `Decoder.processHeadTimestamp` reads it (reqId, the date as text).
"""

from __future__ import annotations

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import BOOL, DECIMAL, FLOAT, INT, STR, Field, Schema, group, nest
from pytest_tws.wire.schemas.common import SHORT_COMBO_LEGS, contract, tag_list_text
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_HISTORICAL_DATA_END,
    MIN_SERVER_VER_LINKING,
    MIN_SERVER_VER_SYNT_REALTIME_BARS,
    MIN_SERVER_VER_TRADING_CLASS,
)

#: historicalData's version field, written below MIN_SERVER_VER_SYNT_REALTIME_BARS
HISTORICAL_DATA_VERSION = 3

REQ_HISTORICAL_DATA = Schema(
    In.REQ_HISTORICAL_DATA,
    Field("version", INT, until=MIN_SERVER_VER_SYNT_REALTIME_BARS),
    Field("reqId", INT),
    contract(include_expired=True, con_id=MIN_SERVER_VER_TRADING_CLASS),
    Field("endDateTime"),
    Field("barSizeSetting"),
    Field("durationStr"),
    Field("useRTH", BOOL),
    Field("whatToShow"),
    Field("formatDate", INT),
    nest("contract", [SHORT_COMBO_LEGS]),
    Field("keepUpToDate", BOOL, since=MIN_SERVER_VER_SYNT_REALTIME_BARS),
    tag_list_text("chartOptions", since=MIN_SERVER_VER_LINKING),
    req_id="reqId",
)

CANCEL_HISTORICAL_DATA = Schema(In.CANCEL_HISTORICAL_DATA, Field("version", INT),
                                Field("reqId", INT), req_id="reqId")

HISTORICAL_DATA = Schema(
    Out.HISTORICAL_DATA,
    Field("version", INT, const=HISTORICAL_DATA_VERSION, until=MIN_SERVER_VER_SYNT_REALTIME_BARS),
    Field("reqId", INT),
    Field("startDateStr", until=MIN_SERVER_VER_HISTORICAL_DATA_END),
    Field("endDateStr", until=MIN_SERVER_VER_HISTORICAL_DATA_END),
    group(
        "bars", "itemCount",
        Field("date"), Field("open", FLOAT), Field("high", FLOAT), Field("low", FLOAT),
        Field("close", FLOAT), Field("volume", DECIMAL), Field("wap", DECIMAL),
        Field("_hasGaps", default="false", until=MIN_SERVER_VER_SYNT_REALTIME_BARS),
        Field("barCount", INT),
    ),
    req_id="reqId",
)

HISTORICAL_DATA_END = Schema(
    Out.HISTORICAL_DATA_END, Field("reqId", INT), Field("startDateStr"), Field("endDateStr"),
    req_id="reqId",
)

HISTORICAL_DATA_UPDATE = Schema(
    Out.HISTORICAL_DATA_UPDATE,
    Field("reqId", INT),
    nest("bar", [
        Field("barCount", INT), Field("date"), Field("open", FLOAT), Field("close", FLOAT),
        Field("high", FLOAT), Field("low", FLOAT), Field("wap", DECIMAL),
        Field("volume", DECIMAL),
    ]),
    req_id="reqId",
)

REQ_HEAD_TIMESTAMP = Schema(
    In.REQ_HEAD_TIMESTAMP,
    Field("reqId", INT),
    contract(include_expired=True),
    Field("useRTH", BOOL),
    Field("whatToShow"),
    Field("formatDate", INT),
    req_id="reqId",
)

CANCEL_HEAD_TIMESTAMP = Schema(In.CANCEL_HEAD_TIMESTAMP, Field("reqId", INT), req_id="reqId")

HEAD_TIMESTAMP = Schema(Out.HEAD_TIMESTAMP, Field("reqId", INT), Field("headTimestamp", STR),
                        req_id="reqId")

REQUESTS = (REQ_HISTORICAL_DATA, CANCEL_HISTORICAL_DATA, REQ_HEAD_TIMESTAMP,
            CANCEL_HEAD_TIMESTAMP)
RESPONSES = (HISTORICAL_DATA, HISTORICAL_DATA_END, HISTORICAL_DATA_UPDATE, HEAD_TIMESTAMP)
