"""Server -> client messages at server version 178, as field lists (PROTOCOL.md §4a).

Each function returns the fields after nothing: message id first, then the version where the
message has one. Only layout lives here; what to say and when is the handlers' business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pytest_tws.model.calendar_us import hours_string
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.wire.fields import FieldValue
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas.connection import ERR_MSG

Fields = list[FieldValue]


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


def managed_accounts(accounts: Sequence[str]) -> Fields:
    return [Out.MANAGED_ACCTS, 1, ",".join(accounts)]


def next_valid_id(order_id: int) -> Fields:
    return [Out.NEXT_VALID_ID, 1, order_id]


def current_time(epoch_seconds: int) -> Fields:
    return [Out.CURRENT_TIME, 1, epoch_seconds]


def contract_data(req_id: int, spec: ContractSpec, today: date) -> Fields:
    """contractData (10) at sv >= 164: no version field. Every detail is the spec's own
    (the catalog fills hours, marketName, contractMonth, sizes); `today` only for specs
    built without hours."""
    trading, liquid = spec.trading_hours, spec.liquid_hours
    if not trading:
        trading = liquid = hours_string(today, 7, "0930", "1600")
    fields: Fields = [
        Out.CONTRACT_DATA, req_id, spec.symbol, spec.sec_type, spec.last_trade_date,
        spec.strike, spec.right, spec.exchange, spec.currency, spec.local_symbol,
        spec.market_name or spec.trading_class or spec.symbol, spec.trading_class, spec.con_id,
        spec.min_tick, spec.multiplier, spec.order_types, spec.valid_exchanges,
        spec.price_magnifier, spec.under_con_id, spec.long_name, spec.primary_exchange,
        spec.contract_month, spec.industry, spec.category, spec.subcategory, spec.time_zone_id,
        trading, liquid, "", "", len(spec.sec_ids),
    ]
    for tag, value in spec.sec_ids:
        fields += [tag, value]
    fields += [
        spec.agg_group, spec.under_symbol, spec.under_sec_type, spec.market_rule_ids,
        spec.real_expiration_date or spec.last_trade_date, spec.stock_type,
        _size(spec.min_size), _size(spec.size_increment), _size(spec.suggested_size_increment),
    ]
    return fields


def contract_data_end(req_id: int) -> Fields:
    return [Out.CONTRACT_DATA_END, 1, req_id]


def _contract_head(spec: ContractSpec) -> Fields:
    return [
        spec.con_id, spec.symbol, spec.sec_type, spec.last_trade_date, spec.strike, spec.right,
        spec.multiplier,
    ]


def position(account: str, spec: ContractSpec, quantity: float, avg_cost: float) -> Fields:
    exchange = spec.primary_exchange if spec.sec_type == "STK" else ""
    return [
        Out.POSITION_DATA, 3, account, *_contract_head(spec), exchange, spec.currency,
        spec.local_symbol, spec.trading_class, _size(quantity), avg_cost,
    ]


def position_end() -> Fields:
    return [Out.POSITION_END, 1]


def account_value(key: str, value: str, currency: str, account: str) -> Fields:
    return [Out.ACCT_VALUE, 2, key, value, currency, account]


def portfolio_value(
    spec: ContractSpec,
    quantity: float,
    market_price: float,
    market_value: float,
    avg_cost: float,
    unrealized: float,
    realized: float,
    account: str,
) -> Fields:
    return [
        Out.PORTFOLIO_VALUE, 8, *_contract_head(spec), spec.primary_exchange, spec.currency,
        spec.local_symbol, spec.trading_class, _size(quantity), market_price, market_value,
        avg_cost, unrealized, realized, account,
    ]


def account_update_time(hhmm: str) -> Fields:
    return [Out.ACCT_UPDATE_TIME, 1, hhmm]


def account_download_end(account: str) -> Fields:
    return [Out.ACCT_DOWNLOAD_END, 1, account]


def account_update_multi(
    req_id: int, account: str, model_code: str, key: str, value: str, currency: str
) -> Fields:
    return [Out.ACCOUNT_UPDATE_MULTI, 1, req_id, account, model_code, key, value, currency]


def account_update_multi_end(req_id: int) -> Fields:
    return [Out.ACCOUNT_UPDATE_MULTI_END, 1, req_id]


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Fields:
    return [Out.ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency]


def account_summary_end(req_id: int) -> Fields:
    return [Out.ACCOUNT_SUMMARY_END, 1, req_id]


def open_order_end() -> Fields:
    return [Out.OPEN_ORDER_END, 1]


def completed_orders_end() -> Fields:
    return [Out.COMPLETED_ORDERS_END]


def exec_details_end(req_id: int) -> Fields:
    return [Out.EXECUTION_DATA_END, 1, req_id]


def market_data_type(req_id: int, data_type: int) -> Fields:
    return [Out.MARKET_DATA_TYPE, 1, req_id, data_type]


def _size(quantity: float) -> FieldValue:
    """Sizes are Decimals on the wire since sv 163; whole numbers go without a fraction."""
    return int(quantity) if float(quantity).is_integer() else quantity
