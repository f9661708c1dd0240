"""The names a test may give a request: TWS's message name (``"PLACE_ORDER"``), the `In`
member, or the API method that sends it (``"placeOrder"``, ib_async's ``"qualifyContracts"``,
``"reqTickersAsync"``). An unknown name is refused with the closest valid spellings."""

from __future__ import annotations

import difflib
import re

from pytest_tws.wire.messages import In

__all__ = ["UnknownRequestName", "api_names", "resolve_request", "valid_spellings"]

#: API method names whose message is not their camelCase spelled in capitals (ib_async's own
#: helpers included: qualifyContracts and reqTickers are reqContractDetails and reqMktData
#: underneath, whatIfOrder is a placeOrder with whatIf set).
ALIASES: dict[str, In] = {
    "reqContractDetails": In.REQ_CONTRACT_DATA,
    "qualifyContracts": In.REQ_CONTRACT_DATA,
    "reqMatchingSymbols": In.REQ_MATCHING_SYMBOLS,
    "reqTickers": In.REQ_MKT_DATA,
    "whatIfOrder": In.PLACE_ORDER,
    "reqAccountUpdates": In.REQ_ACCT_DATA,
    "reqHeadTimeStamp": In.REQ_HEAD_TIMESTAMP,
    "cancelHeadTimeStamp": In.CANCEL_HEAD_TIMESTAMP,
    "reqHistoricalSchedule": In.REQ_HISTORICAL_DATA,
    "reqScannerData": In.REQ_SCANNER_SUBSCRIPTION,
    "calculateImpliedVolatility": In.REQ_CALC_IMPLIED_VOLAT,
    "calculateOptionPrice": In.REQ_CALC_OPTION_PRICE,
    "cancelCalculateImpliedVolatility": In.CANCEL_CALC_IMPLIED_VOLAT,
    "cancelCalculateOptionPrice": In.CANCEL_CALC_OPTION_PRICE,
    "reqPnL": In.REQ_PNL,
    "cancelPnL": In.CANCEL_PNL,
    "reqPnLSingle": In.REQ_PNL_SINGLE,
    "cancelPnLSingle": In.CANCEL_PNL_SINGLE,
    "requestFA": In.REQ_FA,
    "reqMktDepthExchanges": In.REQ_MKT_DEPTH_EXCHANGES,
    "reqAccountUpdatesMulti": In.REQ_ACCOUNT_UPDATES_MULTI,
    "cancelAccountUpdatesMulti": In.CANCEL_ACCOUNT_UPDATES_MULTI,
}

#: API methods spelled as their message (``reqMktData`` -> REQ_MKT_DATA), for suggestions.
_PLAIN_METHODS = (
    "placeOrder", "cancelOrder", "reqGlobalCancel", "reqOpenOrders", "reqAllOpenOrders",
    "reqAutoOpenOrders", "reqCompletedOrders", "reqExecutions", "reqIds", "reqMktData",
    "cancelMktData", "reqMarketDataType", "reqMktDepth", "cancelMktDepth", "reqHistoricalData",
    "cancelHistoricalData", "reqHistoricalTicks", "reqRealTimeBars", "cancelRealTimeBars",
    "reqTickByTickData", "cancelTickByTickData", "reqSecDefOptParams", "reqPositions",
    "cancelPositions", "reqPositionsMulti", "reqAccountSummary", "cancelAccountSummary",
    "reqManagedAccts", "reqCurrentTime", "reqUserInfo", "reqMarketRule", "reqSmartComponents",
    "reqNewsProviders", "reqNewsArticle", "reqHistoricalNews", "reqNewsBulletins",
    "cancelNewsBulletins", "reqHistogramData", "reqScannerParameters",
    "reqScannerSubscription", "cancelScannerSubscription", "exerciseOptions",
    "reqFamilyCodes", "reqSoftDollarTiers", "reqWshMetaData", "reqWshEventData", "startApi",
)

_ASYNC_SUFFIX = "Async"


class UnknownRequestName(ValueError):
    """No request is called that; the message lists the closest valid spellings."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def api_names() -> dict[str, In]:
    """Every API method name this module knows -> the message it sends."""
    names = {name: In[_snake(name)] for name in _PLAIN_METHODS}
    names.update(ALIASES)
    return names


def valid_spellings() -> list[str]:
    """TWS's message names, then the API method names."""
    return [m.name for m in In] + sorted(api_names())


def resolve_request(request: In | str) -> In:
    """`In.PLACE_ORDER`, ``"PLACE_ORDER"``, ``"placeOrder"`` and ``"placeOrderAsync"`` all
    name one request.

    Raises:
        UnknownRequestName: No such request (a ValueError); the message suggests spellings.
    """
    if isinstance(request, In):
        return request
    text = str(request).strip()
    base = text[: -len(_ASYNC_SUFFIX)] if text.endswith(_ASYNC_SUFFIX) else text
    if base in ALIASES:
        return ALIASES[base]
    for candidate in (base, _snake(base)):
        if candidate in In.__members__:
            return In[candidate]
    close = difflib.get_close_matches(base, valid_spellings(), n=5, cutoff=0.6)
    close += [n for n in difflib.get_close_matches(base.upper(), [m.name for m in In], n=3)
              if n not in close]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownRequestName(
        f"no request called {request!r}{hint} Valid spellings: TWS's message names "
        f"({', '.join(m.name for m in In)}) or the API methods that send them "
        f"({', '.join(sorted(api_names()))}), with or without 'Async'."
    )
