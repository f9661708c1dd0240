"""Server -> client messages: what the fake means, as schema values (IBKR's names).

Each function returns a `Message` (pytest_tws.wire.schemas), which the session encodes at its
client's negotiated version. Only what to say lives here; the layout at every version is the
schema's, and when to say it is the handlers' business.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

from pytest_tws.model.calendar_us import hours_string
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.wire.fields import FieldValue
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas import account as acct
from pytest_tws.wire.schemas import contracts as cd
from pytest_tws.wire.schemas.connection import CURRENT_TIME, ERR_MSG, MANAGED_ACCTS, NEXT_VALID_ID

Fields = list[FieldValue]

#: messages that repeat at every connect (account values, the accounts list, ends) are made
#: once: one Message, so one encoding, per distinct content (Message.fields keeps it)
_REPEATED_ROWS = 4096



class Payload(str):
    """A whole message already as payload text, every field NUL-terminated (`1\\x006\\x00…`):
    the hot path for ticks, sent without re-encoding."""

    __slots__ = ()

    @property
    def fields(self) -> list[str]:
        return self[:-1].split("\0")


def error(req_id: int, code: int, text: str, time_millis: int = 0) -> Message:
    """errMsg; `time_millis` is the error's time, sent from MIN_SERVER_VER_ERROR_TIME on."""
    return Message(ERR_MSG, {"reqId": req_id, "errorCode": code, "errorString": text,
                             "errorTime": time_millis})


def managed_accounts(accounts: Sequence[str]) -> Message:
    return _managed_accounts(",".join(accounts))


@functools.lru_cache(maxsize=64)
def _managed_accounts(accounts: str) -> Message:
    return Message(MANAGED_ACCTS, {"accountsList": accounts})


def next_valid_id(order_id: int) -> Message:
    return Message(NEXT_VALID_ID, {"orderId": order_id})


def current_time(epoch_seconds: int) -> Message:
    return Message(CURRENT_TIME, {"time": epoch_seconds})


def contract_details_values(req_id: int, spec: ContractSpec, today: date) -> dict[str, Any]:
    """contractData's values for `spec` (ibapi's ContractDetails names). Every detail is the
    spec's own (the catalog fills hours per exchange, contractMonth, sizes); `today` only
    for specs built without hours."""
    trading, liquid = spec.trading_hours, spec.liquid_hours
    if not trading:
        trading = liquid = hours_string(today, 7, "0930", "1600")
    return {
        "reqId": req_id,
        "contract": {
            "symbol": spec.symbol, "secType": spec.sec_type,
            "lastTradeDateOrContractMonth": spec.last_trade_date,
            "lastTradeDate": spec.last_trade_date, "strike": spec.strike, "right": spec.right,
            "exchange": spec.exchange, "currency": spec.currency,
            "localSymbol": spec.local_symbol, "tradingClass": spec.trading_class,
            "conId": spec.con_id, "multiplier": spec.multiplier,
            "primaryExchange": spec.primary_exchange,
        },
        "marketName": spec.market_name or spec.trading_class or spec.symbol,
        "minTick": spec.min_tick, "orderTypes": spec.order_types,
        "validExchanges": spec.valid_exchanges, "priceMagnifier": spec.price_magnifier,
        "underConId": spec.under_con_id, "longName": spec.long_name,
        "contractMonth": spec.contract_month, "industry": spec.industry,
        "category": spec.category, "subcategory": spec.subcategory,
        "timeZoneId": spec.time_zone_id, "tradingHours": trading, "liquidHours": liquid,
        "secIdList": [{"tag": tag, "value": value} for tag, value in spec.sec_ids],
        "aggGroup": spec.agg_group, "underSymbol": spec.under_symbol,
        "underSecType": spec.under_sec_type, "marketRuleIds": spec.market_rule_ids,
        "realExpirationDate": spec.real_expiration_date or spec.last_trade_date,
        "stockType": spec.stock_type, "minSize": _size(spec.min_size),
        "sizeIncrement": _size(spec.size_increment),
        "suggestedSizeIncrement": _size(spec.suggested_size_increment),
    }


def contract_data(req_id: int, spec: ContractSpec, today: date) -> Message:
    return Message(cd.CONTRACT_DATA, contract_details_values(req_id, spec, today))


def contract_data_end(req_id: int) -> Message:
    return Message(cd.CONTRACT_DATA_END, {"reqId": req_id})


def option_parameters(req_id: int, exchange: str, under_con_id: int, trading_class: str,
                      multiplier: str, expirations: Sequence[str],
                      strikes: Sequence[float]) -> Message:
    return Message(cd.SECURITY_DEFINITION_OPTION_PARAMETER, {
        "reqId": req_id, "exchange": exchange, "underlyingConId": under_con_id,
        "tradingClass": trading_class, "multiplier": multiplier,
        "expirations": [{"expiration": e} for e in expirations],
        "strikes": [{"strike": s} for s in strikes],
    })


def option_parameters_end(req_id: int) -> Message:
    return Message(cd.SECURITY_DEFINITION_OPTION_PARAMETER_END, {"reqId": req_id})


def _contract_head(spec: ContractSpec) -> dict[str, Any]:
    return {
        "conId": spec.con_id, "symbol": spec.symbol, "secType": spec.sec_type,
        "lastTradeDateOrContractMonth": spec.last_trade_date, "strike": spec.strike,
        "right": spec.right, "multiplier": spec.multiplier, "currency": spec.currency,
        "localSymbol": spec.local_symbol, "tradingClass": spec.trading_class,
    }


def position(account: str, spec: ContractSpec, quantity: float, avg_cost: float) -> Message:
    contract = _contract_head(spec)
    contract["exchange"] = spec.primary_exchange if spec.sec_type == "STK" else ""
    return Message(acct.POSITION_DATA, {"account": account, "contract": contract,
                                        "position": _size(quantity), "avgCost": avg_cost})


@functools.lru_cache(maxsize=1)
def position_end() -> Message:
    return Message(acct.POSITION_END, {})


@functools.lru_cache(maxsize=_REPEATED_ROWS)
def account_value(key: str, value: str, currency: str, account: str) -> Message:
    return Message(acct.ACCT_VALUE, {"key": key, "val": value, "currency": currency,
                                     "accountName": account})


def portfolio_value(
    spec: ContractSpec,
    quantity: float,
    market_price: float,
    market_value: float,
    avg_cost: float,
    unrealized: float,
    realized: float,
    account: str,
) -> Message:
    contract = _contract_head(spec)
    contract["primaryExchange"] = spec.primary_exchange
    return Message(acct.PORTFOLIO_VALUE, {
        "contract": contract, "position": _size(quantity), "marketPrice": market_price,
        "marketValue": market_value, "averageCost": avg_cost, "unrealizedPNL": unrealized,
        "realizedPNL": realized, "accountName": account,
    })


@functools.lru_cache(maxsize=64)
def account_update_time(hhmm: str) -> Message:
    return Message(acct.ACCT_UPDATE_TIME, {"timeStamp": hhmm})


@functools.lru_cache(maxsize=64)
def account_download_end(account: str) -> Message:
    return Message(acct.ACCT_DOWNLOAD_END, {"accountName": account})


@functools.lru_cache(maxsize=_REPEATED_ROWS)
def account_update_multi(
    req_id: int, account: str, model_code: str, key: str, value: str, currency: str
) -> Message:
    return Message(acct.ACCOUNT_UPDATE_MULTI, {
        "reqId": req_id, "account": account, "modelCode": model_code, "key": key,
        "value": value, "currency": currency,
    })


def account_update_multi_end(req_id: int) -> Message:
    return Message(acct.ACCOUNT_UPDATE_MULTI_END, {"reqId": req_id})


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Message:
    return Message(acct.ACCOUNT_SUMMARY, {"reqId": req_id, "account": account, "tag": tag,
                                          "value": value, "currency": currency})


def account_summary_end(req_id: int) -> Message:
    return Message(acct.ACCOUNT_SUMMARY_END, {"reqId": req_id})


def open_order_end() -> Fields:
    return [Out.OPEN_ORDER_END, 1]


def completed_orders_end() -> Fields:
    return [Out.COMPLETED_ORDERS_END]


def exec_details_end(req_id: int) -> Fields:
    return [Out.EXECUTION_DATA_END, 1, req_id]


def _size(quantity: float) -> FieldValue:
    """Sizes are Decimals on the wire since sv 163; whole numbers go without a fraction."""
    return int(quantity) if float(quantity).is_integer() else quantity
