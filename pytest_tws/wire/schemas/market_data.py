"""Market-data requests and the messages that answer them (reqMktData, ticks, snapshots)."""

from __future__ import annotations

from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import BOOL, INT, Field, Schema
from pytest_tws.wire.schemas.common import (
    SHORT_COMBO_LEGS,
    contract,
    delta_neutral_contract,
    tag_list_text,
)
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_LINKING,
    MIN_SERVER_VER_REQ_MKT_DATA_CONID,
    MIN_SERVER_VER_REQ_SMART_COMPONENTS,
)

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

REQUESTS = (REQ_MKT_DATA, CANCEL_MKT_DATA)
RESPONSES: tuple[Schema, ...] = ()
