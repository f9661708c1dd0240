"""Order requests: placeOrder (every gate of ibapi 10.50's `EClient.placeOrder`), cancelOrder,
reqGlobalCancel, the open/completed order requests and reqExecutions.

Field names are IBKR's (`ibapi.order.Order`, `ibapi.contract.Contract`): the order's own
fields at the top level, the contract in `values["contract"]` (combo legs and delta-neutral
contract inside it, as `Contract` holds them). The pieces shared with the order messages TWS
sends (conditions, combo legs) are in `order_parts.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    OPT_FLOAT,
    OPT_INT,
    STR,
    Field,
    Schema,
    block,
    group,
    nest,
)
from pytest_tws.wire.schemas.common import contract_fields, delta_neutral_contract, is_bag
from pytest_tws.wire.schemas.order_parts import (
    CONDITIONS,
    LONG_COMBO_LEGS,
    PEG_BENCH,
    has_algo,
    has_delta_neutral_type,
    has_hedge_type,
    has_scale_increment,
    is_peg_best,
    is_peg_mid,
    order_combo_legs,
    tag_value_group,
)
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_ADVANCED_ORDER_REJECT,
    MIN_SERVER_VER_ALGO_ID,
    MIN_SERVER_VER_ALGO_ORDERS,
    MIN_SERVER_VER_AUTO_CANCEL_PARENT,
    MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE,
    MIN_SERVER_VER_CASH_QTY,
    MIN_SERVER_VER_CME_TAGGING_FIELDS,
    MIN_SERVER_VER_CUSTOMER_ACCOUNT,
    MIN_SERVER_VER_D_PEG_ORDERS,
    MIN_SERVER_VER_DECISION_MAKER,
    MIN_SERVER_VER_DELTA_NEUTRAL,
    MIN_SERVER_VER_DELTA_NEUTRAL_CONID,
    MIN_SERVER_VER_DELTA_NEUTRAL_OPEN_CLOSE,
    MIN_SERVER_VER_DURATION,
    MIN_SERVER_VER_EXECUTION_DATA_CHAIN,
    MIN_SERVER_VER_EXT_OPERATOR,
    MIN_SERVER_VER_FA_PROFILE_DESUPPORT,
    MIN_SERVER_VER_HEDGE_ORDERS,
    MIN_SERVER_VER_IMBALANCE_ONLY,
    MIN_SERVER_VER_INCLUDE_OVERNIGHT,
    MIN_SERVER_VER_LINKING,
    MIN_SERVER_VER_MANUAL_ORDER_TIME,
    MIN_SERVER_VER_MIFID_EXECUTION,
    MIN_SERVER_VER_MODELS_SUPPORT,
    MIN_SERVER_VER_NOT_HELD,
    MIN_SERVER_VER_OPT_OUT_SMART_ROUTING,
    MIN_SERVER_VER_ORDER_COMBO_LEGS_PRICE,
    MIN_SERVER_VER_ORDER_CONTAINER,
    MIN_SERVER_VER_ORDER_SOLICITED,
    MIN_SERVER_VER_PARAMETRIZED_DAYS_OF_EXECUTIONS,
    MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
    MIN_SERVER_VER_PEGGED_TO_BENCHMARK,
    MIN_SERVER_VER_PLACE_ORDER_CONID,
    MIN_SERVER_VER_POST_TO_ATS,
    MIN_SERVER_VER_PRICE_MGMT_ALGO,
    MIN_SERVER_VER_PROFESSIONAL_CUSTOMER,
    MIN_SERVER_VER_PTA_ORDERS,
    MIN_SERVER_VER_RANDOMIZE_SIZE_AND_PRICE,
    MIN_SERVER_VER_RFQ_FIELDS,
    MIN_SERVER_VER_SCALE_ORDERS2,
    MIN_SERVER_VER_SCALE_ORDERS3,
    MIN_SERVER_VER_SCALE_TABLE,
    MIN_SERVER_VER_SEC_ID_TYPE,
    MIN_SERVER_VER_SMART_COMBO_ROUTING_PARAMS,
    MIN_SERVER_VER_SOFT_DOLLAR_TIER,
    MIN_SERVER_VER_SSHORTX_OLD,
    MIN_SERVER_VER_TRADING_CLASS,
    MIN_SERVER_VER_TRAILING_PERCENT,
    MIN_SERVER_VER_UNDO_RFQ_FIELDS,
)

#: placeOrder's version field, written below MIN_SERVER_VER_ORDER_CONTAINER (ibapi: 45 from
#: MIN_SERVER_VER_NOT_HELD on, which every version this project serves is past)
PLACE_ORDER_VERSION = 45


def _on_ibkrats(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    return str((message.get("contract") or {}).get("exchange", "")) == "IBKRATS"


def _mid_offsets(message: Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    """ibapi sends the PEG MID offsets for PEG MID, and for PEG BEST competing up to mid
    (competeAgainstBestOffset = infinity, COMPETE_AGAINST_BEST_OFFSET_UP_TO_MID)."""
    if is_peg_mid(message, scope):
        return True
    return is_peg_best(message, scope) and message.get("competeAgainstBestOffset") == float("inf")


_PEG_BEST_MID = block(
    Field("minTradeQty", OPT_INT, when=_on_ibkrats),
    block(Field("minCompeteSize", OPT_INT), Field("competeAgainstBestOffset", OPT_FLOAT),
          when=is_peg_best),
    block(Field("midOffsetAtWhole", OPT_FLOAT), Field("midOffsetAtHalf", OPT_FLOAT),
          when=_mid_offsets),
    since=MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
)

PLACE_ORDER = Schema(
    In.PLACE_ORDER,
    Field("version", INT, const=PLACE_ORDER_VERSION, until=MIN_SERVER_VER_ORDER_CONTAINER),
    Field("orderId", INT),
    nest("contract", [
        *contract_fields(con_id=MIN_SERVER_VER_PLACE_ORDER_CONID,
                         trading_class_since=MIN_SERVER_VER_TRADING_CLASS),
        block(Field("secIdType"), Field("secId"), since=MIN_SERVER_VER_SEC_ID_TYPE),
    ]),
    Field("action"),
    Field("totalQuantity", DECIMAL),
    Field("orderType"),
    # below ORDER_COMBO_LEGS_PRICE / TRAILING_PERCENT an unset price went as 0; same reading
    Field("lmtPrice", OPT_FLOAT),
    Field("auxPrice", OPT_FLOAT),
    Field("tif"), Field("ocaGroup"), Field("account"), Field("openClose"),
    Field("origin", INT), Field("orderRef"), Field("transmit", BOOL, default=True),
    Field("parentId", INT), Field("blockOrder", BOOL), Field("sweepToFill", BOOL),
    Field("displaySize", OPT_INT), Field("triggerMethod", INT), Field("outsideRth", BOOL),
    Field("hidden", BOOL),
    nest("contract", [LONG_COMBO_LEGS(exempt_since=MIN_SERVER_VER_SSHORTX_OLD)], when=is_bag),
    order_combo_legs(since=MIN_SERVER_VER_ORDER_COMBO_LEGS_PRICE, when=is_bag),
    tag_value_group("smartComboRoutingParams", since=MIN_SERVER_VER_SMART_COMBO_ROUTING_PARAMS,
                    when=is_bag),
    Field("_sharesAllocation"),  # deprecated: ibapi sends ""
    Field("discretionaryAmt", FLOAT),
    Field("goodAfterTime"), Field("goodTillDate"),
    Field("faGroup"), Field("faMethod"), Field("faPercentage"),
    Field("_faProfile", until=MIN_SERVER_VER_FA_PROFILE_DESUPPORT),  # deprecated
    Field("modelCode", since=MIN_SERVER_VER_MODELS_SUPPORT),
    Field("shortSaleSlot", INT), Field("designatedLocation"),
    Field("exemptCode", INT, since=MIN_SERVER_VER_SSHORTX_OLD, default=-1),
    Field("ocaType", INT), Field("rule80A"), Field("settlingFirm"), Field("allOrNone", BOOL),
    Field("minQty", OPT_INT), Field("percentOffset", OPT_FLOAT),
    Field("_eTradeOnly", BOOL), Field("_firmQuoteOnly", BOOL),  # deprecated: always false
    Field("_nbboPriceCap", OPT_FLOAT),  # deprecated: always unset
    Field("auctionStrategy", INT), Field("startingPrice", OPT_FLOAT),
    Field("stockRefPrice", OPT_FLOAT), Field("delta", OPT_FLOAT),
    Field("stockRangeLower", OPT_FLOAT), Field("stockRangeUpper", OPT_FLOAT),
    Field("overridePercentageConstraints", BOOL),
    Field("volatility", OPT_FLOAT), Field("volatilityType", OPT_INT),
    Field("deltaNeutralOrderType"), Field("deltaNeutralAuxPrice", OPT_FLOAT),
    block(Field("deltaNeutralConId", INT), Field("deltaNeutralSettlingFirm"),
          Field("deltaNeutralClearingAccount"), Field("deltaNeutralClearingIntent"),
          since=MIN_SERVER_VER_DELTA_NEUTRAL_CONID, when=has_delta_neutral_type),
    block(Field("deltaNeutralOpenClose"), Field("deltaNeutralShortSale", BOOL),
          Field("deltaNeutralShortSaleSlot", INT), Field("deltaNeutralDesignatedLocation"),
          since=MIN_SERVER_VER_DELTA_NEUTRAL_OPEN_CLOSE, when=has_delta_neutral_type),
    Field("continuousUpdate", BOOL), Field("referencePriceType", OPT_INT),
    Field("trailStopPrice", OPT_FLOAT),
    Field("trailingPercent", OPT_FLOAT, since=MIN_SERVER_VER_TRAILING_PERCENT),
    block(Field("scaleInitLevelSize", OPT_INT), Field("scaleSubsLevelSize", OPT_INT),
          since=MIN_SERVER_VER_SCALE_ORDERS2),
    block(Field("_scaleNumComponents"), Field("scaleInitLevelSize", OPT_INT),
          until=MIN_SERVER_VER_SCALE_ORDERS2),
    Field("scalePriceIncrement", OPT_FLOAT),
    block(Field("scalePriceAdjustValue", OPT_FLOAT), Field("scalePriceAdjustInterval", OPT_INT),
          Field("scaleProfitOffset", OPT_FLOAT), Field("scaleAutoReset", BOOL),
          Field("scaleInitPosition", OPT_INT), Field("scaleInitFillQty", OPT_INT),
          Field("scaleRandomPercent", BOOL),
          since=MIN_SERVER_VER_SCALE_ORDERS3, when=has_scale_increment),
    block(Field("scaleTable"), Field("activeStartTime"), Field("activeStopTime"),
          since=MIN_SERVER_VER_SCALE_TABLE),
    block(Field("hedgeType"), Field("hedgeParam", when=has_hedge_type),
          since=MIN_SERVER_VER_HEDGE_ORDERS),
    Field("optOutSmartRouting", BOOL, since=MIN_SERVER_VER_OPT_OUT_SMART_ROUTING),
    block(Field("clearingAccount"), Field("clearingIntent"), since=MIN_SERVER_VER_PTA_ORDERS),
    Field("notHeld", BOOL, since=MIN_SERVER_VER_NOT_HELD),
    nest("contract", [delta_neutral_contract(since=MIN_SERVER_VER_DELTA_NEUTRAL)]),
    block(Field("algoStrategy"), tag_value_group("algoParams", when=has_algo),
          since=MIN_SERVER_VER_ALGO_ORDERS),
    Field("algoId", since=MIN_SERVER_VER_ALGO_ID),
    Field("whatIf", BOOL),
    Field("orderMiscOptions", STR, since=MIN_SERVER_VER_LINKING),  # "tag=value;" text
    Field("solicited", BOOL, since=MIN_SERVER_VER_ORDER_SOLICITED),
    block(Field("randomizeSize", BOOL), Field("randomizePrice", BOOL),
          since=MIN_SERVER_VER_RANDOMIZE_SIZE_AND_PRICE),
    block(
        PEG_BENCH,
        CONDITIONS,
        Field("adjustedOrderType"), Field("triggerPrice", OPT_FLOAT),
        Field("lmtPriceOffset", OPT_FLOAT), Field("adjustedStopPrice", OPT_FLOAT),
        Field("adjustedStopLimitPrice", OPT_FLOAT), Field("adjustedTrailingAmount", OPT_FLOAT),
        Field("adjustableTrailingUnit", INT),
        since=MIN_SERVER_VER_PEGGED_TO_BENCHMARK,
    ),
    Field("extOperator", since=MIN_SERVER_VER_EXT_OPERATOR),
    nest("softDollarTier", [Field("name"), Field("val")], since=MIN_SERVER_VER_SOFT_DOLLAR_TIER),
    Field("cashQty", OPT_FLOAT, since=MIN_SERVER_VER_CASH_QTY),
    block(Field("mifid2DecisionMaker"), Field("mifid2DecisionAlgo"),
          since=MIN_SERVER_VER_DECISION_MAKER),
    block(Field("mifid2ExecutionTrader"), Field("mifid2ExecutionAlgo"),
          since=MIN_SERVER_VER_MIFID_EXECUTION),
    Field("dontUseAutoPriceForHedge", BOOL, since=MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE),
    Field("isOmsContainer", BOOL, since=MIN_SERVER_VER_ORDER_CONTAINER),
    Field("discretionaryUpToLimitPrice", BOOL, since=MIN_SERVER_VER_D_PEG_ORDERS),
    # ibapi: unset (None) as "", else 1/0; ib_async: its bool as 1/0
    Field("usePriceMgmtAlgo", OPT_INT, since=MIN_SERVER_VER_PRICE_MGMT_ALGO),
    Field("duration", OPT_INT, since=MIN_SERVER_VER_DURATION),
    Field("postToAts", OPT_INT, since=MIN_SERVER_VER_POST_TO_ATS),
    Field("autoCancelParent", BOOL, since=MIN_SERVER_VER_AUTO_CANCEL_PARENT),
    Field("advancedErrorOverride", since=MIN_SERVER_VER_ADVANCED_ORDER_REJECT),
    Field("manualOrderTime", since=MIN_SERVER_VER_MANUAL_ORDER_TIME),
    _PEG_BEST_MID,
    Field("customerAccount", since=MIN_SERVER_VER_CUSTOMER_ACCOUNT),
    Field("professionalCustomer", BOOL, since=MIN_SERVER_VER_PROFESSIONAL_CUSTOMER),
    # RFQ fields, sent empty between RFQ_FIELDS and UNDO_RFQ_FIELDS
    block(Field("_rfqId"), Field("_rfqUnset", OPT_INT),
          since=MIN_SERVER_VER_RFQ_FIELDS, until=MIN_SERVER_VER_UNDO_RFQ_FIELDS),
    Field("includeOvernight", BOOL, since=MIN_SERVER_VER_INCLUDE_OVERNIGHT),
    Field("manualOrderIndicator", OPT_INT, since=MIN_SERVER_VER_CME_TAGGING_FIELDS),
    Field("imbalanceOnly", BOOL, since=MIN_SERVER_VER_IMBALANCE_ONLY),
    req_id="orderId",
)

#: the version field of cancelOrder / reqGlobalCancel, written below CME_TAGGING_FIELDS
CANCEL_VERSION = 1
_CME_TAGS = block(Field("extOperator"), Field("manualOrderIndicator", OPT_INT),
                  since=MIN_SERVER_VER_CME_TAGGING_FIELDS)

CANCEL_ORDER = Schema(
    In.CANCEL_ORDER,
    Field("version", INT, const=CANCEL_VERSION, until=MIN_SERVER_VER_CME_TAGGING_FIELDS),
    Field("orderId", INT),
    Field("manualOrderCancelTime", since=MIN_SERVER_VER_MANUAL_ORDER_TIME),
    block(Field("_rfqExtOperator"), Field("_rfqExternalUserId"), Field("_rfqUnset", OPT_INT),
          since=MIN_SERVER_VER_RFQ_FIELDS, until=MIN_SERVER_VER_UNDO_RFQ_FIELDS),
    _CME_TAGS,
    req_id="orderId",
)

REQ_GLOBAL_CANCEL = Schema(
    In.REQ_GLOBAL_CANCEL,
    Field("version", INT, const=CANCEL_VERSION, until=MIN_SERVER_VER_CME_TAGGING_FIELDS),
    _CME_TAGS,
)

REQ_OPEN_ORDERS = Schema(In.REQ_OPEN_ORDERS, Field("version", INT))
REQ_ALL_OPEN_ORDERS = Schema(In.REQ_ALL_OPEN_ORDERS, Field("version", INT))
REQ_AUTO_OPEN_ORDERS = Schema(In.REQ_AUTO_OPEN_ORDERS, Field("version", INT),
                              Field("bAutoBind", BOOL))
REQ_COMPLETED_ORDERS = Schema(In.REQ_COMPLETED_ORDERS, Field("apiOnly", BOOL))

REQ_EXECUTIONS = Schema(
    In.REQ_EXECUTIONS,
    Field("version", INT),
    Field("reqId", INT, since=MIN_SERVER_VER_EXECUTION_DATA_CHAIN),
    Field("clientId", INT), Field("acctCode"), Field("time"), Field("symbol"),
    Field("secType"), Field("exchange"), Field("side"),
    block(Field("lastNDays", OPT_INT),
          group("specificDates", "specificDatesCount", Field("date", INT)),
          since=MIN_SERVER_VER_PARAMETRIZED_DAYS_OF_EXECUTIONS),
    req_id="reqId",
)

REQUESTS = (PLACE_ORDER, CANCEL_ORDER, REQ_GLOBAL_CANCEL, REQ_OPEN_ORDERS, REQ_ALL_OPEN_ORDERS,
            REQ_AUTO_OPEN_ORDERS, REQ_COMPLETED_ORDERS, REQ_EXECUTIONS)
RESPONSES: tuple[Schema, ...] = ()
