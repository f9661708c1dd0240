"""Account data: positions, account updates (single and multi), the account summary.

Requests as ibapi 10.50 `EClient` writes them (reqPositions, reqAccountUpdates,
reqAccountUpdatesMulti, reqAccountSummary and their cancels); responses as its `Decoder`
reads them (processPositionDataMsg and processPortfolioValueMsg at the versions TWS writes,
3 and 8; the others by signature).
"""

from __future__ import annotations

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import BOOL, DECIMAL, FLOAT, INT, Field, Item, Schema, block, nest
from pytest_tws.wire.versions import MIN_SERVER_VER_FRACTIONAL_POSITIONS

#: the version fields TWS writes (ibapi reads multiplier/primaryExchange from 7,
#: tradingClass from 8 in portfolioValue; tradingClass from 2 and avgCost from 3 in position)
POSITION_VERSION = 3
PORTFOLIO_VERSION = 8
ACCT_VALUE_VERSION = 2


def _position() -> Item:
    """A position size: whole numbers before MIN_SERVER_VER_FRACTIONAL_POSITIONS, a decimal
    from it on (ibapi's processPositionDataMsg / processPortfolioValueMsg)."""
    return block(
        Field("position", INT, until=MIN_SERVER_VER_FRACTIONAL_POSITIONS),
        Field("position", DECIMAL, since=MIN_SERVER_VER_FRACTIONAL_POSITIONS),
    )


def _contract_head() -> list[Item]:
    return [
        Field("conId", INT), Field("symbol"), Field("secType"),
        Field("lastTradeDateOrContractMonth"), Field("strike", FLOAT), Field("right"),
        Field("multiplier"),
    ]


POSITION_DATA = Schema(
    Out.POSITION_DATA,
    Field("version", INT, const=POSITION_VERSION),
    Field("account"),
    nest("contract", [*_contract_head(), Field("exchange"), Field("currency"),
                      Field("localSymbol"), Field("tradingClass")]),
    _position(),
    Field("avgCost", FLOAT),
)
POSITION_END = Schema(Out.POSITION_END, Field("version", INT, const=1))

ACCT_VALUE = Schema(
    Out.ACCT_VALUE, Field("version", INT, const=ACCT_VALUE_VERSION),
    Field("key"), Field("val"), Field("currency"), Field("accountName"),
)
PORTFOLIO_VALUE = Schema(
    Out.PORTFOLIO_VALUE,
    Field("version", INT, const=PORTFOLIO_VERSION),
    nest("contract", [*_contract_head(), Field("primaryExchange"), Field("currency"),
                      Field("localSymbol"), Field("tradingClass")]),
    _position(),
    Field("marketPrice", FLOAT), Field("marketValue", FLOAT), Field("averageCost", FLOAT),
    Field("unrealizedPNL", FLOAT), Field("realizedPNL", FLOAT), Field("accountName"),
)
ACCT_UPDATE_TIME = Schema(Out.ACCT_UPDATE_TIME, Field("version", INT, const=1),
                          Field("timeStamp"))
ACCT_DOWNLOAD_END = Schema(Out.ACCT_DOWNLOAD_END, Field("version", INT, const=1),
                           Field("accountName"))
ACCOUNT_UPDATE_MULTI = Schema(
    Out.ACCOUNT_UPDATE_MULTI, Field("version", INT, const=1), Field("reqId", INT),
    Field("account"), Field("modelCode"), Field("key"), Field("value"), Field("currency"),
    req_id="reqId",
)
ACCOUNT_UPDATE_MULTI_END = Schema(Out.ACCOUNT_UPDATE_MULTI_END, Field("version", INT, const=1),
                                  Field("reqId", INT), req_id="reqId")
ACCOUNT_SUMMARY = Schema(
    Out.ACCOUNT_SUMMARY, Field("version", INT, const=1), Field("reqId", INT),
    Field("account"), Field("tag"), Field("value"), Field("currency"), req_id="reqId",
)
ACCOUNT_SUMMARY_END = Schema(Out.ACCOUNT_SUMMARY_END, Field("version", INT, const=1),
                             Field("reqId", INT), req_id="reqId")

REQ_POSITIONS = Schema(In.REQ_POSITIONS, Field("version", INT))
CANCEL_POSITIONS = Schema(In.CANCEL_POSITIONS, Field("version", INT))
REQ_ACCT_DATA = Schema(In.REQ_ACCT_DATA, Field("version", INT), Field("subscribe", BOOL),
                       Field("acctCode"))
REQ_ACCOUNT_UPDATES_MULTI = Schema(
    In.REQ_ACCOUNT_UPDATES_MULTI, Field("version", INT), Field("reqId", INT),
    Field("account"), Field("modelCode"), Field("ledgerAndNLV", BOOL), req_id="reqId",
)
CANCEL_ACCOUNT_UPDATES_MULTI = Schema(In.CANCEL_ACCOUNT_UPDATES_MULTI, Field("version", INT),
                                      Field("reqId", INT), req_id="reqId")
REQ_ACCOUNT_SUMMARY = Schema(
    In.REQ_ACCOUNT_SUMMARY, Field("version", INT), Field("reqId", INT), Field("groupName"),
    Field("tags"), req_id="reqId",
)
CANCEL_ACCOUNT_SUMMARY = Schema(In.CANCEL_ACCOUNT_SUMMARY, Field("version", INT),
                                Field("reqId", INT), req_id="reqId")

REQUESTS = (REQ_POSITIONS, CANCEL_POSITIONS, REQ_ACCT_DATA, REQ_ACCOUNT_UPDATES_MULTI,
            CANCEL_ACCOUNT_UPDATES_MULTI, REQ_ACCOUNT_SUMMARY, CANCEL_ACCOUNT_SUMMARY)
RESPONSES = (POSITION_DATA, POSITION_END, ACCT_VALUE, PORTFOLIO_VALUE, ACCT_UPDATE_TIME,
             ACCT_DOWNLOAD_END, ACCOUNT_UPDATE_MULTI, ACCOUNT_UPDATE_MULTI_END, ACCOUNT_SUMMARY,
             ACCOUNT_SUMMARY_END)
