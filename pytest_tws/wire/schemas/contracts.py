"""Contract details and option-chain parameters: reqContractDetails, reqSecDefOptParams.

Requests as ibapi 10.50 `EClient.reqContractDetails` / `reqSecDefOptParams` write them;
contractData as `Decoder.processContractDataMsg` reads it, every gate included (the version
field and mdSizeMultiplier before MIN_SERVER_VER_SIZE_RULES, sizeMinTick at 163 only,
lastTradeDate from MIN_SERVER_VER_LAST_TRADE_DATE, fund fields for secType FUND, ineligibility
reasons from MIN_SERVER_VER_INELIGIBILITY_REASONS).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    Field,
    Schema,
    block,
    group,
    nest,
)
from pytest_tws.wire.schemas.common import contract
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_AGG_GROUP,
    MIN_SERVER_VER_BOND_ISSUERID,
    MIN_SERVER_VER_CONTRACT_DATA_CHAIN,
    MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT,
    MIN_SERVER_VER_FUND_DATA_FIELDS,
    MIN_SERVER_VER_INELIGIBILITY_REASONS,
    MIN_SERVER_VER_LAST_TRADE_DATE,
    MIN_SERVER_VER_MARKET_RULES,
    MIN_SERVER_VER_MD_SIZE_MULTIPLIER,
    MIN_SERVER_VER_REAL_EXPIRATION_DATE,
    MIN_SERVER_VER_SIZE_RULES,
    MIN_SERVER_VER_STOCK_TYPE,
    MIN_SERVER_VER_UNDERLYING_INFO,
)

#: contractData's version field (written below MIN_SERVER_VER_SIZE_RULES; ibapi assumes 8
#: from there on): 8 carries evRule/evMultiplier and the secId list
CONTRACT_DATA_VERSION = 8


def _is_fund(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return str(message.get("contract", {}).get("secType", "")) == "FUND"


REQ_CONTRACT_DATA = Schema(
    In.REQ_CONTRACT_DATA,
    Field("version", INT),
    Field("reqId", INT, since=MIN_SERVER_VER_CONTRACT_DATA_CHAIN),
    # Below MIN_SERVER_VER_PRIMARYEXCH (75) ibapi joins exchange:primaryExchange into one
    # field; no client of the text protocol's 100..200 range negotiates that low.
    contract(Field("issuerId", since=MIN_SERVER_VER_BOND_ISSUERID),
             include_expired=True, sec_id=True),
    req_id="reqId",
)

REQ_SEC_DEF_OPT_PARAMS = Schema(
    In.REQ_SEC_DEF_OPT_PARAMS,
    Field("reqId", INT),
    Field("underlyingSymbol"),
    Field("futFopExchange"),
    Field("underlyingSecType"),
    Field("underlyingConId", INT),
    req_id="reqId",
)

_FUND_FIELDS = block(
    Field("fundName"), Field("fundFamily"), Field("fundType"), Field("fundFrontLoad"),
    Field("fundBackLoad"), Field("fundBackLoadTimeInterval"), Field("fundManagementFee"),
    Field("fundClosed", BOOL), Field("fundClosedForNewInvestors", BOOL),
    Field("fundClosedForNewMoney", BOOL), Field("fundNotifyAmount"),
    Field("fundMinimumInitialPurchase"), Field("fundSubsequentMinimumPurchase"),
    Field("fundBlueSkyStates"), Field("fundBlueSkyTerritories"),
    Field("fundDistributionPolicyIndicator"), Field("fundAssetType"),
    since=MIN_SERVER_VER_FUND_DATA_FIELDS, when=_is_fund,
)

#: contractData: ContractDetails' own attributes, `contract` its Contract's
CONTRACT_DATA = Schema(
    Out.CONTRACT_DATA,
    Field("version", INT, const=CONTRACT_DATA_VERSION, until=MIN_SERVER_VER_SIZE_RULES),
    Field("reqId", INT),
    nest("contract", [
        Field("symbol"), Field("secType"), Field("lastTradeDateOrContractMonth"),
        Field("lastTradeDate", since=MIN_SERVER_VER_LAST_TRADE_DATE),
        Field("strike", FLOAT), Field("right"), Field("exchange"), Field("currency"),
        Field("localSymbol"),
    ]),
    Field("marketName"),
    nest("contract", [Field("tradingClass"), Field("conId", INT)]),
    Field("minTick", FLOAT),
    Field("_mdSizeMultiplier", INT, default=1, since=MIN_SERVER_VER_MD_SIZE_MULTIPLIER,
          until=MIN_SERVER_VER_SIZE_RULES),
    nest("contract", [Field("multiplier")]),
    Field("orderTypes"), Field("validExchanges"), Field("priceMagnifier", INT),
    Field("underConId", INT), Field("longName"),
    nest("contract", [Field("primaryExchange")]),
    Field("contractMonth"), Field("industry"), Field("category"), Field("subcategory"),
    Field("timeZoneId"), Field("tradingHours"), Field("liquidHours"), Field("evRule"),
    # real TWS leaves an unset evMultiplier empty (ibapi reads "" as 0)
    Field("evMultiplier", INT, default=None, unset=""),
    group("secIdList", "secIdListCount", Field("tag"), Field("value")),
    Field("aggGroup", INT, since=MIN_SERVER_VER_AGG_GROUP),
    Field("underSymbol", since=MIN_SERVER_VER_UNDERLYING_INFO),
    Field("underSecType", since=MIN_SERVER_VER_UNDERLYING_INFO),
    Field("marketRuleIds", since=MIN_SERVER_VER_MARKET_RULES),
    Field("realExpirationDate", since=MIN_SERVER_VER_REAL_EXPIRATION_DATE),
    Field("stockType", since=MIN_SERVER_VER_STOCK_TYPE),
    # ib_async 2.1 reads this one field (at 163 only) as suggestedSizeIncrement
    Field("_sizeMinTick", DECIMAL, default=1, since=MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT,
          until=MIN_SERVER_VER_SIZE_RULES),
    block(Field("minSize", DECIMAL), Field("sizeIncrement", DECIMAL),
          Field("suggestedSizeIncrement", DECIMAL), since=MIN_SERVER_VER_SIZE_RULES),
    _FUND_FIELDS,
    group("ineligibilityReasonList", "ineligibilityReasonListCount",
          Field("id_"), Field("description"), since=MIN_SERVER_VER_INELIGIBILITY_REASONS),
    req_id="reqId",
)
CONTRACT_DATA_END = Schema(Out.CONTRACT_DATA_END, Field("version", INT, const=1),
                           Field("reqId", INT), req_id="reqId")

SECURITY_DEFINITION_OPTION_PARAMETER = Schema(
    Out.SECURITY_DEFINITION_OPTION_PARAMETER,
    Field("reqId", INT), Field("exchange"), Field("underlyingConId", INT),
    Field("tradingClass"), Field("multiplier"),
    group("expirations", "expCount", Field("expiration")),
    group("strikes", "strikeCount", Field("strike", FLOAT)),
    req_id="reqId",
)
SECURITY_DEFINITION_OPTION_PARAMETER_END = Schema(
    Out.SECURITY_DEFINITION_OPTION_PARAMETER_END, Field("reqId", INT), req_id="reqId")

#: cancelContractData (106): ibapi sends it only as protobuf (CancelContractData {reqId}), from
#: MIN_SERVER_VER_CANCEL_CONTRACT_DATA (215), and refuses it below (client.py); no text form.
CANCEL_CONTRACT_DATA = Schema(In.CANCEL_CONTRACT_DATA, Field("reqId", INT), req_id="reqId")

REQUESTS = (REQ_CONTRACT_DATA, REQ_SEC_DEF_OPT_PARAMS, CANCEL_CONTRACT_DATA)
RESPONSES = (CONTRACT_DATA, CONTRACT_DATA_END, SECURITY_DEFINITION_OPTION_PARAMETER,
             SECURITY_DEFINITION_OPTION_PARAMETER_END)
