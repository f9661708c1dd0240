"""contractData and option-chain parameters: the fake's encoding -> each client's decoder."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.fake import layouts
from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractQuery
from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schemas import RESPONSES
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_AGG_GROUP,
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
from tests.oracle.clients import TEXT_VERSIONS, client_versions, decode_response, mismatches
from tests.oracle.layout import present
from tests.oracle.strategies import ids, maybe_text, positive, text

GATES = (MIN_SERVER_VER_MD_SIZE_MULTIPLIER, MIN_SERVER_VER_AGG_GROUP,
         MIN_SERVER_VER_UNDERLYING_INFO, MIN_SERVER_VER_MARKET_RULES,
         MIN_SERVER_VER_REAL_EXPIRATION_DATE, MIN_SERVER_VER_STOCK_TYPE,
         MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT, MIN_SERVER_VER_SIZE_RULES,
         MIN_SERVER_VER_FUND_DATA_FIELDS, MIN_SERVER_VER_LAST_TRADE_DATE,
         MIN_SERVER_VER_INELIGIBILITY_REASONS)
VERSIONS = client_versions(versions=sorted(
    {*TEXT_VERSIONS, *GATES, *(g - 1 for g in GATES)}))
SCHEMA = RESPONSES[Out.CONTRACT_DATA]
#: ibapi turns these two into enums (getEnumTypeFromString): compared by their code below
FUND_ENUMS = ("fundDistributionPolicyIndicator", "fundAssetType")
decimals = st.decimals("0.0001", "1000", places=4)
dates = st.sampled_from(["", "20260116", "202603"])


@st.composite
def contract_details(draw: Any) -> dict[str, Any]:
    """contractData values, every field non-default where it can be."""
    sec_type = draw(st.sampled_from(["STK", "OPT", "FUT", "FUND", "IND"]))
    values: dict[str, Any] = {
        "reqId": draw(ids),
        "contract": {
            "symbol": draw(text), "secType": sec_type,
            "lastTradeDateOrContractMonth": draw(dates), "lastTradeDate": draw(dates),
            "strike": draw(positive), "right": draw(st.sampled_from(["C", "P", ""])),
            "exchange": draw(text), "currency": draw(text), "localSymbol": draw(text),
            "tradingClass": draw(text), "conId": draw(ids), "multiplier": draw(maybe_text),
            "primaryExchange": draw(maybe_text),
        },
        "marketName": draw(text), "minTick": draw(positive), "orderTypes": draw(text),
        "validExchanges": draw(text), "priceMagnifier": draw(st.integers(1, 100)),
        "underConId": draw(ids), "longName": draw(text), "contractMonth": draw(maybe_text),
        "industry": draw(text), "category": draw(text), "subcategory": draw(text),
        "timeZoneId": draw(text), "tradingHours": draw(text), "liquidHours": draw(text),
        "evRule": draw(maybe_text), "evMultiplier": draw(st.integers(0, 100)),
        "secIdList": draw(st.lists(st.fixed_dictionaries({"tag": text, "value": text}),
                                   max_size=3)),
        "aggGroup": draw(st.integers(1, 10)), "underSymbol": draw(text),
        "underSecType": draw(text), "marketRuleIds": draw(text),
        "realExpirationDate": draw(dates), "stockType": draw(text),
        "minSize": draw(decimals), "sizeIncrement": draw(decimals),
        "suggestedSizeIncrement": draw(decimals),
        "ineligibilityReasonList": draw(st.lists(
            st.fixed_dictionaries({"id_": text, "description": text}), max_size=3)),
    }
    if sec_type == "FUND":
        for name in ("fundName", "fundFamily", "fundType", "fundFrontLoad", "fundBackLoad",
                     "fundBackLoadTimeInterval", "fundManagementFee", "fundNotifyAmount",
                     "fundMinimumInitialPurchase", "fundSubsequentMinimumPurchase",
                     "fundBlueSkyStates", "fundBlueSkyTerritories"):
            values[name] = draw(text)
        for name in ("fundClosed", "fundClosedForNewInvestors", "fundClosedForNewMoney"):
            values[name] = draw(st.booleans())
        values["fundDistributionPolicyIndicator"] = draw(st.sampled_from(["Y", "N"]))
        # not "000": ibapi 10.50's FundAssetType.Others is a tuple in a tuple (a stray comma in
        # contract.py), so that code never matches and reads as NoneItem
        values["fundAssetType"] = draw(st.sampled_from(["001", "002", "004", "007"]))
    return values


def _decoded(client: str, version: int, values: dict[str, Any]) -> Any:
    (call,) = decode_response(client, version, encode_fields(SCHEMA.encode(values, version)))
    assert call.name == "contractDetails"
    req_id, details = call.args
    assert req_id == values["reqId"]
    return details


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@settings(max_examples=10, deadline=None)
@given(values=contract_details())
def test_contract_data(client: str, version: int, values: dict[str, Any]) -> None:
    details = _decoded(client, version, values)
    meant = present(SCHEMA, version, values)
    for name in FUND_ENUMS:
        code = meant.pop(name, None)
        if code is not None:
            assert getattr(details, name).value[0] == code
    assert mismatches(meant, details, ignore={"reqId"}) == []


TODAY = date(2026, 1, 5)


@pytest.mark.parametrize(("client", "version"), VERSIONS)
def test_contract_data_of_the_fake(client: str, version: int) -> None:
    """What the fake sends for its own stocks and options."""
    catalog = Catalog(TODAY)
    stock = catalog.find(ContractQuery(symbol="SPY", sec_type="STK"))
    expiry = f"{catalog.expirations('SPY')[0]:%Y%m%d}"
    options = catalog.find(ContractQuery(symbol="SPY", sec_type="OPT", last_trade_date=expiry))
    assert stock and options
    for spec in [*stock, *options[:4]]:
        message = layouts.contract_data(7, spec, TODAY)
        details = _decoded(client, version, dict(message.values))
        meant = present(SCHEMA, version, message.values)
        assert mismatches(meant, details, ignore={"reqId"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@settings(max_examples=10, deadline=None)
@given(req_id=ids, exchange=text, con_id=ids, trading_class=text, multiplier=text,
       expirations=st.lists(st.sampled_from(["20260116", "20260220", "20260320"]),
                            unique=True),
       strikes=st.lists(positive, unique=True, max_size=20))
def test_option_parameters(client: str, version: int, req_id: int, exchange: str,
                           con_id: int, trading_class: str, multiplier: str,
                           expirations: list[str], strikes: list[float]) -> None:
    message = layouts.option_parameters(req_id, exchange, con_id, trading_class, multiplier,
                                        expirations, strikes)
    (call,) = decode_response(client, version, encode_fields(message.fields(version)))
    assert call.name == "securityDefinitionOptionParameter"
    got_id, got_exchange, got_con_id, got_class, got_multiplier, got_exp, got_strikes = call.args
    assert (got_id, got_exchange, int(got_con_id), got_class, got_multiplier) == (
        req_id, exchange, con_id, trading_class, multiplier)
    assert sorted(got_exp) == sorted(expirations)
    assert sorted(got_strikes) == sorted(strikes)
    end = layouts.option_parameters_end(req_id)
    (call,) = decode_response(client, version, encode_fields(end.fields(version)))
    assert (call.name, call.args) == ("securityDefinitionOptionParameterEnd", (req_id,))


@pytest.mark.parametrize(("client", "version"), client_versions())
def test_contract_data_end(client: str, version: int) -> None:
    message = layouts.contract_data_end(99)
    (call,) = decode_response(client, version, encode_fields(message.fields(version)))
    assert (call.name, call.args) == ("contractDetailsEnd", (99,))
