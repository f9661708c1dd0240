"""The order messages TWS sends: openOrder, orderStatus, openOrderEnd, execDetails,
execDetailsEnd, commissionAndFeesReport, completedOrder, completedOrdersEnd, orderBound.

Gates as ibapi 10.50's `decoder.py` / `orderdecoder.py` read them. The values are shaped as the
clients' objects: the order's fields at the top level, `contract`, `orderState` (and
`execution` for execDetails) nested. ib_async 2.1 differs from ibapi at one gate: it reads
openOrder's `duration` from v159, ibapi (the reference) from MIN_SERVER_VER_DURATION (158).
"""

from __future__ import annotations

from pytest_tws.wire.fields import UNSET_DOUBLE_TEXT
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schema import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    OPT_FLOAT,
    OPT_INT,
    Field,
    Item,
    Schema,
    block,
    group,
    nest,
)
from pytest_tws.wire.schemas.common import contract_fields, delta_neutral_contract
from pytest_tws.wire.schemas.order_parts import (
    CONDITIONS,
    LONG_COMBO_LEGS,
    PEG_BENCH,
    has_algo,
    has_delta_neutral_type,
    has_hedge_type,
    has_scale_increment,
    order_combo_legs,
    tag_value_group,
)
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_AUTO_CANCEL_PARENT,
    MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE,
    MIN_SERVER_VER_BOND_ACCRUED_INTEREST,
    MIN_SERVER_VER_CASH_QTY,
    MIN_SERVER_VER_CME_TAGGING_FIELDS_IN_OPEN_ORDER,
    MIN_SERVER_VER_CUSTOMER_ACCOUNT,
    MIN_SERVER_VER_D_PEG_ORDERS,
    MIN_SERVER_VER_DURATION,
    MIN_SERVER_VER_FA_PROFILE_DESUPPORT,
    MIN_SERVER_VER_FULL_ORDER_PREVIEW_FIELDS,
    MIN_SERVER_VER_IMBALANCE_ONLY,
    MIN_SERVER_VER_INCLUDE_OVERNIGHT,
    MIN_SERVER_VER_LAST_LIQUIDITY,
    MIN_SERVER_VER_MARKET_CAP_PRICE,
    MIN_SERVER_VER_MODELS_SUPPORT,
    MIN_SERVER_VER_ORDER_CONTAINER,
    MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
    MIN_SERVER_VER_PEGGED_TO_BENCHMARK,
    MIN_SERVER_VER_PENDING_PRICE_REVISION,
    MIN_SERVER_VER_POST_TO_ATS,
    MIN_SERVER_VER_PRICE_MGMT_ALGO,
    MIN_SERVER_VER_PROFESSIONAL_CUSTOMER,
    MIN_SERVER_VER_SOFT_DOLLAR_TIER,
    MIN_SERVER_VER_SUBMITTER,
    MIN_SERVER_VER_WHAT_IF_EXT_FIELDS,
)

#: openOrder's version field below ORDER_CONTAINER: 34 carries every field ibapi gates on it
OPEN_ORDER_VERSION = 34
#: orderStatus's version field below MARKET_CAP_PRICE
ORDER_STATUS_VERSION = 6
#: execDetails' version field below LAST_LIQUIDITY
EXEC_DETAILS_VERSION = 10
COMMISSION_REPORT_VERSION = 1
END_VERSION = 1
#: an unset long as TWS writes it (parentPermId of an order without a parent)
UNSET_LONG_TEXT = "9223372036854775807"

_MARGIN = ("initMargin", "maintMargin", "equityWithLoan")


def _contract_head() -> Item:
    return nest("contract", contract_fields(primary_exchange=False, strike_kind=FLOAT))


def _fa_params() -> list[Item]:
    return [Field("faGroup"), Field("faMethod"), Field("faPercentage"),
            Field("_faProfile", until=MIN_SERVER_VER_FA_PROFILE_DESUPPORT)]


def _order_head(open_order: bool) -> list[Item]:
    items: list[Item] = [
        Field("action"), Field("totalQuantity", DECIMAL), Field("orderType"),
        Field("lmtPrice", OPT_FLOAT), Field("auxPrice", OPT_FLOAT), Field("tif"),
        Field("ocaGroup"), Field("account"), Field("openClose"), Field("origin", INT),
        Field("orderRef"),
    ]
    if open_order:
        items.append(Field("clientId", INT))
    items += [Field("permId", INT), Field("outsideRth", BOOL), Field("hidden", BOOL),
              Field("discretionaryAmt", FLOAT), Field("goodAfterTime")]
    if open_order:
        items.append(Field("_sharesAllocation"))
    items += [*_fa_params(), Field("modelCode", since=MIN_SERVER_VER_MODELS_SUPPORT),
              Field("goodTillDate"), Field("rule80A"), Field("percentOffset", OPT_FLOAT),
              Field("settlingFirm"), Field("shortSaleSlot", INT), Field("designatedLocation"),
              Field("exemptCode", INT, default=-1)]
    if open_order:
        items.append(Field("auctionStrategy", INT))
    items += [Field("startingPrice", OPT_FLOAT), Field("stockRefPrice", OPT_FLOAT),
              Field("delta", OPT_FLOAT), Field("stockRangeLower", OPT_FLOAT),
              Field("stockRangeUpper", OPT_FLOAT), Field("displaySize", OPT_INT)]
    if open_order:
        items.append(Field("blockOrder", BOOL))
    items += [Field("sweepToFill", BOOL), Field("allOrNone", BOOL), Field("minQty", OPT_INT),
              Field("ocaType", INT)]
    if open_order:
        items += [Field("_eTradeOnly", BOOL), Field("_firmQuoteOnly", BOOL),
                  Field("_nbboPriceCap", OPT_FLOAT), Field("parentId", INT)]
    items.append(Field("triggerMethod", INT))
    # decodeVolOrderParams(readOpenOrderAttribs=open_order)
    items += [Field("volatility", OPT_FLOAT), Field("volatilityType", OPT_INT),
              Field("deltaNeutralOrderType"), Field("deltaNeutralAuxPrice", OPT_FLOAT)]
    neutral: list[Item] = [Field("deltaNeutralConId", INT)]
    if open_order:
        neutral += [Field("deltaNeutralSettlingFirm"), Field("deltaNeutralClearingAccount"),
                    Field("deltaNeutralClearingIntent"), Field("deltaNeutralOpenClose")]
    neutral += [Field("deltaNeutralShortSale", BOOL), Field("deltaNeutralShortSaleSlot", INT),
                Field("deltaNeutralDesignatedLocation")]
    items += [block(*neutral, when=has_delta_neutral_type),
              Field("continuousUpdate", BOOL), Field("referencePriceType", OPT_INT),
              Field("trailStopPrice", OPT_FLOAT), Field("trailingPercent", OPT_FLOAT)]
    if open_order:
        items += [Field("basisPoints", OPT_FLOAT), Field("basisPointsType", OPT_INT)]
    items += [
        nest("contract", [Field("comboLegsDescrip"), LONG_COMBO_LEGS()]),
        order_combo_legs(),
        tag_value_group("smartComboRoutingParams"),
        Field("scaleInitLevelSize", OPT_INT), Field("scaleSubsLevelSize", OPT_INT),
        Field("scalePriceIncrement", OPT_FLOAT),
        block(Field("scalePriceAdjustValue", OPT_FLOAT), Field("scalePriceAdjustInterval", OPT_INT),
              Field("scaleProfitOffset", OPT_FLOAT), Field("scaleAutoReset", BOOL),
              Field("scaleInitPosition", OPT_INT), Field("scaleInitFillQty", OPT_INT),
              Field("scaleRandomPercent", BOOL), when=has_scale_increment),
        Field("hedgeType"), Field("hedgeParam", when=has_hedge_type),
    ]
    if open_order:
        items.append(Field("optOutSmartRouting", BOOL))
    items += [
        Field("clearingAccount"), Field("clearingIntent"), Field("notHeld", BOOL),
        nest("contract", [delta_neutral_contract(since=0)]),
        Field("algoStrategy"), tag_value_group("algoParams", when=has_algo),
        Field("solicited", BOOL),
    ]
    return items


def _what_if_state() -> Item:
    """decodeWhatIfInfoAndCommissionAndFees: the margin figures are text, as TWS sends them."""
    def margin(name: str, since: int = 0) -> Field:
        return Field(name, default=UNSET_DOUBLE_TEXT, since=since)

    outside_rth = [Field(f"{m}{when}OutsideRTH", OPT_FLOAT)
                   for when in ("Before", "Change", "After") for m in _MARGIN]
    return nest("orderState", [
        Field("status"),
        *[margin(f"{m}{when}", since=MIN_SERVER_VER_WHAT_IF_EXT_FIELDS)
          for when in ("Before", "Change") for m in _MARGIN],
        *[margin(f"{m}After") for m in _MARGIN],
        Field("commissionAndFees", OPT_FLOAT), Field("minCommissionAndFees", OPT_FLOAT),
        Field("maxCommissionAndFees", OPT_FLOAT), Field("commissionAndFeesCurrency"),
        block(
            Field("marginCurrency"), *outside_rth,
            Field("suggestedSize", DECIMAL), Field("rejectReason"),
            group("orderAllocations", "orderAllocationsCount",
                  Field("account"), Field("position", DECIMAL),
                  Field("positionDesired", DECIMAL), Field("positionAfter", DECIMAL),
                  Field("desiredAllocQty", DECIMAL), Field("allowedAllocQty", DECIMAL),
                  Field("isMonetary", BOOL)),
            since=MIN_SERVER_VER_FULL_ORDER_PREVIEW_FIELDS,
        ),
        Field("warningText"),
    ])


_PEG_BEST_MID = block(
    Field("minTradeQty", OPT_INT), Field("minCompeteSize", OPT_INT),
    Field("competeAgainstBestOffset", OPT_FLOAT), Field("midOffsetAtWhole", OPT_FLOAT),
    Field("midOffsetAtHalf", OPT_FLOAT),
    since=MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS,
)

OPEN_ORDER = Schema(
    Out.OPEN_ORDER,
    Field("version", INT, const=OPEN_ORDER_VERSION, until=MIN_SERVER_VER_ORDER_CONTAINER),
    Field("orderId", INT),
    _contract_head(),
    *_order_head(open_order=True),
    Field("whatIf", BOOL),
    _what_if_state(),
    Field("randomizeSize", BOOL), Field("randomizePrice", BOOL),
    block(
        PEG_BENCH, CONDITIONS,
        Field("adjustedOrderType"), Field("triggerPrice", OPT_FLOAT),
        Field("trailStopPrice", OPT_FLOAT), Field("lmtPriceOffset", OPT_FLOAT),
        Field("adjustedStopPrice", OPT_FLOAT), Field("adjustedStopLimitPrice", OPT_FLOAT),
        Field("adjustedTrailingAmount", OPT_FLOAT), Field("adjustableTrailingUnit", INT),
        since=MIN_SERVER_VER_PEGGED_TO_BENCHMARK,
    ),
    nest("softDollarTier", [Field("name"), Field("val"), Field("displayName")],
         since=MIN_SERVER_VER_SOFT_DOLLAR_TIER),
    Field("cashQty", OPT_FLOAT, since=MIN_SERVER_VER_CASH_QTY),
    Field("dontUseAutoPriceForHedge", BOOL, since=MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE),
    Field("isOmsContainer", BOOL, since=MIN_SERVER_VER_ORDER_CONTAINER),
    Field("discretionaryUpToLimitPrice", BOOL, since=MIN_SERVER_VER_D_PEG_ORDERS),
    Field("usePriceMgmtAlgo", BOOL, since=MIN_SERVER_VER_PRICE_MGMT_ALGO),
    Field("duration", OPT_INT, since=MIN_SERVER_VER_DURATION),
    Field("postToAts", OPT_INT, since=MIN_SERVER_VER_POST_TO_ATS),
    Field("autoCancelParent", BOOL, since=MIN_SERVER_VER_AUTO_CANCEL_PARENT),
    _PEG_BEST_MID,
    Field("customerAccount", since=MIN_SERVER_VER_CUSTOMER_ACCOUNT),
    Field("professionalCustomer", BOOL, since=MIN_SERVER_VER_PROFESSIONAL_CUSTOMER),
    Field("bondAccruedInterest", since=MIN_SERVER_VER_BOND_ACCRUED_INTEREST),
    Field("includeOvernight", BOOL, since=MIN_SERVER_VER_INCLUDE_OVERNIGHT),
    block(Field("extOperator"), Field("manualOrderIndicator", OPT_INT),
          since=MIN_SERVER_VER_CME_TAGGING_FIELDS_IN_OPEN_ORDER),
    Field("submitter", since=MIN_SERVER_VER_SUBMITTER),
    Field("imbalanceOnly", BOOL, since=MIN_SERVER_VER_IMBALANCE_ONLY),
    req_id="orderId",
)

COMPLETED_ORDER = Schema(
    Out.COMPLETED_ORDER,
    _contract_head(),
    *_order_head(open_order=False),
    nest("orderState", [Field("status")]),
    Field("randomizeSize", BOOL), Field("randomizePrice", BOOL),
    block(PEG_BENCH, CONDITIONS, since=MIN_SERVER_VER_PEGGED_TO_BENCHMARK),
    Field("trailStopPrice", OPT_FLOAT), Field("lmtPriceOffset", OPT_FLOAT),
    Field("cashQty", OPT_FLOAT, since=MIN_SERVER_VER_CASH_QTY),
    Field("dontUseAutoPriceForHedge", BOOL, since=MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE),
    Field("isOmsContainer", BOOL, since=MIN_SERVER_VER_ORDER_CONTAINER),
    Field("autoCancelDate"), Field("filledQuantity", DECIMAL),
    Field("refFuturesConId", OPT_INT), Field("autoCancelParent", BOOL), Field("shareholder"),
    Field("imbalanceOnly", BOOL), Field("routeMarketableToBbo", BOOL),
    Field("parentPermId", OPT_INT, unset=UNSET_LONG_TEXT),
    nest("orderState", [Field("completedTime"), Field("completedStatus")]),
    _PEG_BEST_MID,
    Field("customerAccount", since=MIN_SERVER_VER_CUSTOMER_ACCOUNT),
    Field("professionalCustomer", BOOL, since=MIN_SERVER_VER_PROFESSIONAL_CUSTOMER),
    Field("submitter", since=MIN_SERVER_VER_SUBMITTER),
)

ORDER_STATUS = Schema(
    Out.ORDER_STATUS,
    Field("version", INT, const=ORDER_STATUS_VERSION, until=MIN_SERVER_VER_MARKET_CAP_PRICE),
    Field("orderId", INT), Field("status"), Field("filled", DECIMAL),
    Field("remaining", DECIMAL), Field("avgFillPrice", FLOAT), Field("permId", INT),
    Field("parentId", INT), Field("lastFillPrice", FLOAT), Field("clientId", INT),
    Field("whyHeld"), Field("mktCapPrice", FLOAT, since=MIN_SERVER_VER_MARKET_CAP_PRICE),
    req_id="orderId",
)

EXECUTION_DATA = Schema(
    Out.EXECUTION_DATA,
    Field("version", INT, const=EXEC_DETAILS_VERSION, until=MIN_SERVER_VER_LAST_LIQUIDITY),
    Field("reqId", INT),
    nest("execution", [Field("orderId", INT)]),
    _contract_head(),
    nest("execution", [
        Field("execId"), Field("time"), Field("acctNumber"), Field("exchange"), Field("side"),
        Field("shares", DECIMAL), Field("price", FLOAT), Field("permId", INT),
        Field("clientId", INT), Field("liquidation", INT), Field("cumQty", DECIMAL),
        Field("avgPrice", FLOAT), Field("orderRef"), Field("evRule"),
        Field("evMultiplier", OPT_FLOAT),
        Field("modelCode", since=MIN_SERVER_VER_MODELS_SUPPORT),
        Field("lastLiquidity", INT, since=MIN_SERVER_VER_LAST_LIQUIDITY),
        Field("pendingPriceRevision", BOOL, since=MIN_SERVER_VER_PENDING_PRICE_REVISION),
        Field("submitter", since=MIN_SERVER_VER_SUBMITTER),
    ]),
    req_id="reqId",
)

COMMISSION_AND_FEES_REPORT = Schema(
    Out.COMMISSION_AND_FEES_REPORT,
    Field("version", INT, const=COMMISSION_REPORT_VERSION),
    Field("execId"), Field("commissionAndFees", FLOAT), Field("currency"),
    Field("realizedPNL", OPT_FLOAT), Field("yield_", OPT_FLOAT),
    Field("yieldRedemptionDate", OPT_INT),
)

OPEN_ORDER_END = Schema(Out.OPEN_ORDER_END, Field("version", INT, const=END_VERSION))
EXECUTION_DATA_END = Schema(Out.EXECUTION_DATA_END, Field("version", INT, const=END_VERSION),
                            Field("reqId", INT), req_id="reqId")
COMPLETED_ORDERS_END = Schema(Out.COMPLETED_ORDERS_END)
ORDER_BOUND = Schema(Out.ORDER_BOUND, Field("permId", INT), Field("clientId", INT),
                     Field("orderId", INT))

REQUESTS: tuple[Schema, ...] = ()
RESPONSES = (OPEN_ORDER, COMPLETED_ORDER, ORDER_STATUS, EXECUTION_DATA,
             COMMISSION_AND_FEES_REPORT, OPEN_ORDER_END, EXECUTION_DATA_END,
             COMPLETED_ORDERS_END, ORDER_BOUND)
