"""Reference requests: each client's own encoder -> the fake's schema -> every field equal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_MARKET_RULES,
    MIN_SERVER_VER_REQ_FAMILY_CODES,
    MIN_SERVER_VER_REQ_MATCHING_SYMBOLS,
    MIN_SERVER_VER_REQ_MKT_DEPTH_EXCHANGES,
    MIN_SERVER_VER_REQ_SMART_COMPONENTS,
    MIN_SERVER_VER_SOFT_DOLLAR_TIER,
    MIN_SERVER_VER_USER_INFO,
)
from tests.oracle.clients import TEXT_VERSIONS, client_versions, encode_request
from tests.oracle.strategies import ids, text

SETTINGS = settings(max_examples=10, deadline=None)


def from_gate(gate: int) -> list[Any]:
    """(client, version) params at and above a message's MIN_SERVER_VER (below it clients
    refuse to send it)."""
    return client_versions(versions=sorted({v for v in (*TEXT_VERSIONS, gate) if v >= gate}))


def decoded(client: str, version: int, message_id: In, method: str,
            *args: Any) -> dict[str, Any]:
    fields = encode_request(client, version, method, *args, message_id=message_id)
    return REQUESTS[message_id].decode(fields, version)


@pytest.mark.parametrize(("client", "version"), from_gate(MIN_SERVER_VER_REQ_MATCHING_SYMBOLS))
@SETTINGS
@given(req_id=ids, pattern=text)
def test_req_matching_symbols(client: str, version: int, req_id: int, pattern: str) -> None:
    values = decoded(client, version, In.REQ_MATCHING_SYMBOLS, "reqMatchingSymbols", req_id,
                     pattern)
    assert values == {"reqId": req_id, "pattern": pattern}


@pytest.mark.parametrize(("client", "version"), from_gate(MIN_SERVER_VER_MARKET_RULES))
@SETTINGS
@given(rule_id=ids)
def test_req_market_rule(client: str, version: int, rule_id: int) -> None:
    values = decoded(client, version, In.REQ_MARKET_RULE, "reqMarketRule", rule_id)
    assert values == {"marketRuleId": rule_id}


@pytest.mark.parametrize(("client", "version"), from_gate(MIN_SERVER_VER_REQ_SMART_COMPONENTS))
@SETTINGS
@given(req_id=ids, bbo=text)
def test_req_smart_components(client: str, version: int, req_id: int, bbo: str) -> None:
    values = decoded(client, version, In.REQ_SMART_COMPONENTS, "reqSmartComponents", req_id,
                     bbo)
    assert values == {"reqId": req_id, "bboExchange": bbo}


@pytest.mark.parametrize(("client", "version"), from_gate(MIN_SERVER_VER_SOFT_DOLLAR_TIER))
@SETTINGS
@given(req_id=ids)
def test_req_soft_dollar_tiers(client: str, version: int, req_id: int) -> None:
    values = decoded(client, version, In.REQ_SOFT_DOLLAR_TIERS, "reqSoftDollarTiers", req_id)
    assert values == {"reqId": req_id}


@pytest.mark.parametrize(("client", "version"), from_gate(MIN_SERVER_VER_USER_INFO))
@SETTINGS
@given(req_id=ids)
def test_req_user_info(client: str, version: int, req_id: int) -> None:
    values = decoded(client, version, In.REQ_USER_INFO, "reqUserInfo", req_id)
    assert values == {"reqId": req_id}


@pytest.mark.parametrize(("client", "version"), from_gate(MIN_SERVER_VER_REQ_FAMILY_CODES))
def test_req_family_codes(client: str, version: int) -> None:
    assert decoded(client, version, In.REQ_FAMILY_CODES, "reqFamilyCodes") == {}


@pytest.mark.parametrize(("client", "version"),
                         from_gate(MIN_SERVER_VER_REQ_MKT_DEPTH_EXCHANGES))
def test_req_mkt_depth_exchanges(client: str, version: int) -> None:
    assert decoded(client, version, In.REQ_MKT_DEPTH_EXCHANGES, "reqMktDepthExchanges") == {}
