"""Market-data requests and the messages that answer them (reqMktData, ticks, snapshots).

Requests as ibapi 10.50 `EClient` writes them; ticks as its `Decoder` reads them
(processTickPriceMsg, processTickSizeMsg, processTickOptionComputationMsg, processTickReqParams;
tickGeneric, tickString, marketDataType and tickSnapshotEnd by signature). The fake sends
ticks as payload text built from these schemas (pytest_tws.fake.market_layouts).
"""

from __future__ import annotations

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import BOOL, DECIMAL, FLOAT, INT, STR, Field, Item, Schema, block
from pytest_tws.wire.schemas.common import (
    SHORT_COMBO_LEGS,
    contract,
    delta_neutral_contract,
    tag_list_text,
)
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT,
    MIN_SERVER_VER_LINKING,
    MIN_SERVER_VER_PRICE_BASED_VOLATILITY,
    MIN_SERVER_VER_REQ_MKT_DATA_CONID,
    MIN_SERVER_VER_REQ_SMART_COMPONENTS,
)

#: the version field TWS writes in tickPrice/tickSize/tickGeneric/tickString (6: size and
#: attribute mask in tickPrice), and tickOptionComputation's below
#: MIN_SERVER_VER_PRICE_BASED_VOLATILITY (6: every greek present)
TICK_VERSION = 6
OPTION_COMPUTATION_VERSION = 6

REQ_MKT_DATA = Schema(
    In.REQ_MKT_DATA,
    Field("version", INT),
    Field("reqId", INT),
    contract(SHORT_COMBO_LEGS, delta_neutral_contract(),
             con_id=MIN_SERVER_VER_REQ_MKT_DATA_CONID),
    Field("genericTickList"),
    Field("snapshot", BOOL),
    Field("regulatorySnapshot", BOOL, since=MIN_SERVER_VER_REQ_SMART_COMPONENTS),
    tag_list_text("mktDataOptions", since=MIN_SERVER_VER_LINKING),
    req_id="reqId",
)

CANCEL_MKT_DATA = Schema(In.CANCEL_MKT_DATA, Field("version", INT), Field("reqId", INT),
                         req_id="reqId")

REQ_MARKET_DATA_TYPE = Schema(In.REQ_MARKET_DATA_TYPE, Field("version", INT),
                              Field("marketDataType", INT))


def _size(name: str = "size") -> Item:
    """A tick's size: whole numbers before MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT, a decimal
    from it on (ibapi reads a Decimal either way)."""
    return block(Field(name, INT, until=MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT),
                 Field(name, DECIMAL, since=MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT))


def _tick(message_id: Out, *items: Item) -> Schema:
    return Schema(message_id, Field("version", INT, const=TICK_VERSION), Field("reqId", INT),
                  Field("tickType", INT), *items, req_id="reqId")


TICK_PRICE = _tick(Out.TICK_PRICE, Field("price", FLOAT), _size(), Field("attrMask", INT))
TICK_SIZE = _tick(Out.TICK_SIZE, _size())
TICK_GENERIC = _tick(Out.TICK_GENERIC, Field("value", FLOAT))
TICK_STRING = _tick(Out.TICK_STRING, Field("value", STR))

TICK_OPTION_COMPUTATION = Schema(
    Out.TICK_OPTION_COMPUTATION,
    Field("version", INT, const=OPTION_COMPUTATION_VERSION,
          until=MIN_SERVER_VER_PRICE_BASED_VOLATILITY),
    Field("reqId", INT),
    Field("tickType", INT),
    Field("tickAttrib", INT, since=MIN_SERVER_VER_PRICE_BASED_VOLATILITY),
    Field("impliedVol", FLOAT), Field("delta", FLOAT), Field("optPrice", FLOAT),
    Field("pvDividend", FLOAT), Field("gamma", FLOAT), Field("vega", FLOAT),
    Field("theta", FLOAT), Field("undPrice", FLOAT),
    req_id="reqId",
)

TICK_REQ_PARAMS = Schema(
    Out.TICK_REQ_PARAMS, Field("reqId", INT), Field("minTick", FLOAT), Field("bboExchange"),
    Field("snapshotPermissions", INT), req_id="reqId",
)
MARKET_DATA_TYPE = Schema(Out.MARKET_DATA_TYPE, Field("version", INT, const=1),
                          Field("reqId", INT), Field("marketDataType", INT), req_id="reqId")
TICK_SNAPSHOT_END = Schema(Out.TICK_SNAPSHOT_END, Field("version", INT, const=1),
                           Field("reqId", INT), req_id="reqId")

REQUESTS = (REQ_MKT_DATA, CANCEL_MKT_DATA, REQ_MARKET_DATA_TYPE)
RESPONSES = (TICK_PRICE, TICK_SIZE, TICK_GENERIC, TICK_STRING, TICK_OPTION_COMPUTATION,
             TICK_REQ_PARAMS, MARKET_DATA_TYPE, TICK_SNAPSHOT_END)
