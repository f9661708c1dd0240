"""Reference responses: the fake's schema encodes, each client's decoder reads back the same
values (symbol samples, market rules, SMART components, depth exchanges, family codes,
soft-dollar tiers, user info)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schemas import RESPONSES
from pytest_tws.wire.versions import MIN_SERVER_VER_BOND_ISSUERID, MIN_SERVER_VER_SERVICE_DATA_TYPE
from tests.oracle.clients import TEXT_VERSIONS, client_versions, decode_response, mismatches
from tests.oracle.strategies import ids, text

SETTINGS = settings(max_examples=10, deadline=None)
ticks = st.sampled_from((0.01, 0.05, 0.25, 0.00005, 0.005, 0.5, 1.0))
lists = {"max_size": 4}


def decoded(client: str, version: int, message: Out, values: dict[str, Any]) -> tuple[Any, ...]:
    fields = encode_fields(RESPONSES[message].encode(values, version))
    (call,) = decode_response(client, version, fields)
    return call.args


descriptions = st.fixed_dictionaries({
    "contract": st.fixed_dictionaries({
        "conId": ids, "symbol": text, "secType": st.sampled_from(("STK", "IND", "CASH")),
        "primaryExchange": text, "currency": st.sampled_from(("USD", "EUR")),
        "description": text, "issuerId": text}),
    "derivativeSecTypes": st.lists(st.fixed_dictionaries(
        {"secType": st.sampled_from(("OPT", "WAR", "FUT", "CFD"))}), **lists),
})


@pytest.mark.parametrize(("client", "version"), client_versions(
    versions=(*TEXT_VERSIONS, MIN_SERVER_VER_BOND_ISSUERID - 1)))
@SETTINGS
@given(req_id=ids, found=st.lists(descriptions, **lists))
def test_symbol_samples(client: str, version: int, req_id: int,
                        found: list[dict[str, Any]]) -> None:
    got_id, got = decoded(client, version, Out.SYMBOL_SAMPLES,
                          {"reqId": req_id, "contractDescriptions": found})
    assert got_id == req_id and len(got) == len(found)
    for want, have in zip(found, got, strict=True):
        contract = dict(want["contract"])
        if version < MIN_SERVER_VER_BOND_ISSUERID:
            del contract["description"], contract["issuerId"]
        assert mismatches(contract, have.contract) == []
        assert have.derivativeSecTypes == [d["secType"] for d in want["derivativeSecTypes"]]


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(rule_id=ids, steps=st.lists(st.tuples(st.integers(0, 10_000), ticks), **lists))
def test_market_rule(client: str, version: int, rule_id: int,
                     steps: list[tuple[int, float]]) -> None:
    increments = [{"lowEdge": float(low), "increment": inc} for low, inc in steps]
    got_id, got = decoded(client, version, Out.MARKET_RULE,
                          {"marketRuleId": rule_id, "priceIncrements": increments})
    assert got_id == rule_id
    assert mismatches({"priceIncrements": increments}, {"priceIncrements": got}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(req_id=ids, components=st.lists(st.fixed_dictionaries(
    {"bitNumber": st.integers(0, 64), "exchange": text, "exchangeLetter": text}), **lists))
def test_smart_components(client: str, version: int, req_id: int,
                          components: list[dict[str, Any]]) -> None:
    got_id, got = decoded(client, version, Out.SMART_COMPONENTS,
                          {"reqId": req_id, "smartComponents": components})
    assert got_id == req_id
    assert mismatches({"c": components}, {"c": got}) == []


@pytest.mark.parametrize(("client", "version"), client_versions(
    versions=(*TEXT_VERSIONS, MIN_SERVER_VER_SERVICE_DATA_TYPE - 1,
              MIN_SERVER_VER_SERVICE_DATA_TYPE)))
@SETTINGS
@given(found=st.lists(st.fixed_dictionaries(
    {"exchange": text, "secType": st.sampled_from(("STK", "FUT")), "listingExch": text,
     "serviceDataType": st.sampled_from(("Deep", "Deep2")), "aggGroup": st.integers(0, 9)}),
    **lists))
def test_mkt_depth_exchanges(client: str, version: int, found: list[dict[str, Any]]) -> None:
    (got,) = decoded(client, version, Out.MKT_DEPTH_EXCHANGES,
                     {"depthMktDataDescriptions": found})
    if version < MIN_SERVER_VER_SERVICE_DATA_TYPE:
        found = [{"exchange": d["exchange"], "secType": d["secType"]} for d in found]
    assert mismatches({"d": found}, {"d": got}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(codes=st.lists(st.fixed_dictionaries({"accountID": text, "familyCodeStr": text}),
                      **lists))
def test_family_codes(client: str, version: int, codes: list[dict[str, Any]]) -> None:
    (got,) = decoded(client, version, Out.FAMILY_CODES, {"familyCodes": codes})
    assert mismatches({"c": codes}, {"c": got}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(req_id=ids, tiers=st.lists(st.fixed_dictionaries(
    {"name": text, "val": text, "displayName": text}), **lists))
def test_soft_dollar_tiers(client: str, version: int, req_id: int,
                           tiers: list[dict[str, Any]]) -> None:
    got_id, got = decoded(client, version, Out.SOFT_DOLLAR_TIERS, {"reqId": req_id,
                                                                  "tiers": tiers})
    assert got_id == req_id and mismatches({"t": tiers}, {"t": got}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(req_id=ids, branding=text)
def test_user_info(client: str, version: int, req_id: int, branding: str) -> None:
    assert decoded(client, version, Out.USER_INFO,
                   {"reqId": req_id, "whiteBrandingId": branding}) == (req_id, branding)
