"""Reference data: matching symbols, market rules, SMART components, depth exchanges, family
codes, soft-dollar tiers, user info. Layouts as ibapi 10.50's EClient/decoder write and read
them (text protocol); each request is refused by clients below its MIN_SERVER_VER gate.

cancelContractData (106), protobuf-only from MIN_SERVER_VER_CANCEL_CONTRACT_DATA (215), is
in schemas/contracts.py with reqContractDetails.
"""

from __future__ import annotations

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import FLOAT, INT, Field, Schema, group, nest
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_BOND_ISSUERID,
    MIN_SERVER_VER_SERVICE_DATA_TYPE,
)

REQ_SOFT_DOLLAR_TIERS = Schema(In.REQ_SOFT_DOLLAR_TIERS, Field("reqId", INT), req_id="reqId")
REQ_FAMILY_CODES = Schema(In.REQ_FAMILY_CODES)
REQ_MATCHING_SYMBOLS = Schema(In.REQ_MATCHING_SYMBOLS, Field("reqId", INT), Field("pattern"),
                              req_id="reqId")
REQ_MKT_DEPTH_EXCHANGES = Schema(In.REQ_MKT_DEPTH_EXCHANGES)
REQ_SMART_COMPONENTS = Schema(In.REQ_SMART_COMPONENTS, Field("reqId", INT),
                              Field("bboExchange"), req_id="reqId")
REQ_MARKET_RULE = Schema(In.REQ_MARKET_RULE, Field("marketRuleId", INT))
REQ_USER_INFO = Schema(In.REQ_USER_INFO, Field("reqId", INT), req_id="reqId")

SOFT_DOLLAR_TIERS = Schema(
    Out.SOFT_DOLLAR_TIERS, Field("reqId", INT),
    group("tiers", "nTiers", Field("name"), Field("val"), Field("displayName")),
)
FAMILY_CODES = Schema(
    Out.FAMILY_CODES,
    group("familyCodes", "nFamilyCodes", Field("accountID"), Field("familyCodeStr")),
)
SYMBOL_SAMPLES = Schema(
    Out.SYMBOL_SAMPLES, Field("reqId", INT),
    group("contractDescriptions", "nContractDescriptions",
          nest("contract", (Field("conId", INT), Field("symbol"), Field("secType"),
                            Field("primaryExchange"), Field("currency"))),
          group("derivativeSecTypes", "nDerivativeSecTypes", Field("secType")),
          nest("contract", (Field("description"), Field("issuerId")),
               since=MIN_SERVER_VER_BOND_ISSUERID)),
)
MKT_DEPTH_EXCHANGES = Schema(
    Out.MKT_DEPTH_EXCHANGES,
    group("depthMktDataDescriptions", "nDepthMktDataDescriptions",
          Field("exchange"), Field("secType"),
          Field("listingExch", since=MIN_SERVER_VER_SERVICE_DATA_TYPE),
          Field("serviceDataType", since=MIN_SERVER_VER_SERVICE_DATA_TYPE),
          Field("aggGroup", INT, since=MIN_SERVER_VER_SERVICE_DATA_TYPE),
          Field("_isL2", INT, until=MIN_SERVER_VER_SERVICE_DATA_TYPE, default=0)),
)
SMART_COMPONENTS = Schema(
    Out.SMART_COMPONENTS, Field("reqId", INT),
    group("smartComponents", "n", Field("bitNumber", INT), Field("exchange"),
          Field("exchangeLetter")),
)
MARKET_RULE = Schema(
    Out.MARKET_RULE, Field("marketRuleId", INT),
    group("priceIncrements", "nPriceIncrements", Field("lowEdge", FLOAT),
          Field("increment", FLOAT)),
)
USER_INFO = Schema(Out.USER_INFO, Field("reqId", INT), Field("whiteBrandingId"))

REQUESTS = (REQ_SOFT_DOLLAR_TIERS, REQ_FAMILY_CODES, REQ_MATCHING_SYMBOLS,
            REQ_MKT_DEPTH_EXCHANGES, REQ_SMART_COMPONENTS, REQ_MARKET_RULE, REQ_USER_INFO)
RESPONSES = (SOFT_DOLLAR_TIERS, FAMILY_CODES, SYMBOL_SAMPLES, MKT_DEPTH_EXCHANGES,
             SMART_COMPONENTS, MARKET_RULE, USER_INFO)
