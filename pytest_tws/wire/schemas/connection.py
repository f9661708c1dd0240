"""The session's own messages: errors, ids, time, accounts list, startApi."""

from __future__ import annotations

from pytest_tws.wire.messages import Out
from pytest_tws.wire.schema import INT, Field, Schema
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_ADVANCED_ORDER_REJECT,
    MIN_SERVER_VER_ERROR_TIME,
)

#: errMsg's version field, written below MIN_SERVER_VER_ERROR_TIME
ERR_MSG_VERSION = 2

ERR_MSG = Schema(
    Out.ERR_MSG,
    Field("version", INT, const=ERR_MSG_VERSION, until=MIN_SERVER_VER_ERROR_TIME),
    Field("reqId", INT),
    Field("errorCode", INT),
    Field("errorString"),
    Field("advancedOrderRejectJson", since=MIN_SERVER_VER_ADVANCED_ORDER_REJECT),
    Field("errorTime", INT, since=MIN_SERVER_VER_ERROR_TIME),
)

REQUESTS: tuple[Schema, ...] = ()
RESPONSES = (ERR_MSG,)
