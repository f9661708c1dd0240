"""The order scenarios of issue 11's acceptance, stated once for every client suite.

Each client suite (ib_async/ib_insync, ibapi, @stoqey/ib) places the same orders and checks
the same read-back, so a difference between clients is a difference in the fake's layouts at
that client's version, not in what was asked.
"""

from __future__ import annotations

AAPL_CON_ID = 265598
SPY_CON_ID = 756733
#: a BUY limit this far above the ask is marketable; one at RESTING_LIMIT rests on any market
MARKETABLE_MARGIN = 5.0
RESTING_LIMIT = 1.0
TIMEOUT = 10.0

#: The non-default order fields that must read back identically on a second client, by
#: IBKR's own attribute names (ibapi's Order, which ib_async/ib_insync/@stoqey/ib mirror).
#: Two orders, as TWS would accept them: a limit with an algo and conditions, and a trailing
#: stop limit; both GTD with a goodTillDate, outside RTH, in one OCA group.
GOOD_TILL = "20271230 15:59:00 US/Eastern"
COMMON = {
    "action": "BUY",
    "totalQuantity": 3,
    "tif": "GTD",
    "goodTillDate": GOOD_TILL,
    "outsideRth": True,
    "ocaGroup": "acceptance-oca",
    "ocaType": 2,
}
ALGO_LIMIT = {
    **COMMON,
    "orderType": "LMT",
    "lmtPrice": RESTING_LIMIT,
    "orderRef": "acceptance-algo",
    "algoStrategy": "Adaptive",
    "algoParams": [("adaptivePriority", "Patient")],
    "conditionsIgnoreRth": True,
    "conditionsCancelOrder": False,
}
TRAILING = {
    **COMMON,
    "orderType": "TRAIL LIMIT",
    "orderRef": "acceptance-trail",
    "trailStopPrice": 900.0,
    "lmtPriceOffset": 0.5,
    "trailingPercent": 2.5,
}
#: The conditions on ALGO_LIMIT: a price condition on AAPL and a time condition (AND).
PRICE_CONDITION = {"conId": AAPL_CON_ID, "exch": "SMART", "isMore": True, "price": 500.0,
                   "triggerMethod": 2, "conjunction": "a"}
TIME_CONDITION = {"time": "20271229 10:00:00 US/Eastern", "isMore": True, "conjunction": "a"}
#: What must read back, per order (algoParams and conditions are compared separately).
COMPARED = ("action", "totalQuantity", "orderType", "lmtPrice", "tif", "goodTillDate",
            "outsideRth", "ocaGroup", "ocaType", "orderRef", "algoStrategy", "trailStopPrice",
            "lmtPriceOffset", "trailingPercent", "conditionsIgnoreRth", "conditionsCancelOrder")
#: OrderState fields a what-if answer must fill with figures.
WHAT_IF_FIGURES = ("initMarginBefore", "maintMarginBefore", "equityWithLoanBefore",
                   "initMarginChange", "maintMarginChange", "equityWithLoanChange",
                   "initMarginAfter", "maintMarginAfter", "equityWithLoanAfter")


def is_figure(value: object) -> bool:
    """A margin figure as TWS sends it: a number (text in ib_async's/ibapi's OrderState)."""
    try:
        number = float(str(value))
    except ValueError:
        return False
    return abs(number) < 1e300  # not UNSET_DOUBLE
