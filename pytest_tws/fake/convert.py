"""Schema values (IBKR's field names) -> the model's objects: the one contract reader every
message that carries a contract goes through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tws.model.contracts import ContractQuery


def contract_query(values: Mapping[str, Any]) -> ContractQuery:
    """A request's `values["contract"]` as the catalog's query (empty means "any")."""
    strike = values.get("strike")
    return ContractQuery(
        con_id=values.get("conId") or 0,
        symbol=values.get("symbol", ""),
        sec_type=str(values.get("secType", "")).upper(),
        last_trade_date=values.get("lastTradeDateOrContractMonth", ""),
        strike=strike or None,
        right=values.get("right", ""),
        multiplier=values.get("multiplier", ""),
        exchange=values.get("exchange", ""),
        primary_exchange=values.get("primaryExchange", ""),
        currency=values.get("currency", ""),
        local_symbol=values.get("localSymbol", ""),
        trading_class=values.get("tradingClass", ""),
        sec_id_type=values.get("secIdType", ""),
        sec_id=values.get("secId", ""),
    )
