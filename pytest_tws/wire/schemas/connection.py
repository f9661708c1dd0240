"""The session's own messages: startApi, ids, time, the accounts list, errors.

Request layouts from ibapi 10.50 `EClient` (client.py: startApi, reqIds, reqCurrentTime,
reqManagedAccts); response layouts from its `Decoder` (nextValidId, currentTime and
managedAccounts are read by signature: the version field, then the wrapper's arguments).
"""

from __future__ import annotations

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import INT, Field, Schema
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_ADVANCED_ORDER_REJECT,
    MIN_SERVER_VER_ERROR_TIME,
    MIN_SERVER_VER_OPTIONAL_CAPABILITIES,
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

MANAGED_ACCTS = Schema(Out.MANAGED_ACCTS, Field("version", INT, const=1),
                       Field("accountsList"))
NEXT_VALID_ID = Schema(Out.NEXT_VALID_ID, Field("version", INT, const=1),
                       Field("orderId", INT))
CURRENT_TIME = Schema(Out.CURRENT_TIME, Field("version", INT, const=1), Field("time", INT))

START_API = Schema(
    In.START_API,
    Field("version", INT),
    Field("clientId", INT),
    Field("optCapab", since=MIN_SERVER_VER_OPTIONAL_CAPABILITIES),
)
REQ_IDS = Schema(In.REQ_IDS, Field("version", INT), Field("numIds", INT))
REQ_CURRENT_TIME = Schema(In.REQ_CURRENT_TIME, Field("version", INT))
REQ_MANAGED_ACCTS = Schema(In.REQ_MANAGED_ACCTS, Field("version", INT))

REQUESTS = (START_API, REQ_IDS, REQ_CURRENT_TIME, REQ_MANAGED_ACCTS)
RESPONSES = (ERR_MSG, MANAGED_ACCTS, NEXT_VALID_ID, CURRENT_TIME)
