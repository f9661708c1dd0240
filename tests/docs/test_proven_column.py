"""docs/coverage.md's "proven" column: derived from the schema registry and the oracle tests."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schemas import REQUESTS, RESPONSES
from pytest_tws.wire.versions import (
    MIN_SERVER_VER_CANCEL_CONTRACT_DATA,
    MIN_SERVER_VER_CANCEL_HEADTIMESTAMP,
    MIN_SERVER_VER_CASH_QTY,
    MIN_SERVER_VER_MARKET_RULES,
    MIN_SERVER_VER_MODELS_SUPPORT,
    MIN_SERVER_VER_REQ_FAMILY_CODES,
    MIN_SERVER_VER_REQ_HEAD_TIMESTAMP,
    MIN_SERVER_VER_REQ_MATCHING_SYMBOLS,
    MIN_SERVER_VER_REQ_MKT_DEPTH_EXCHANGES,
    MIN_SERVER_VER_REQ_SMART_COMPONENTS,
    MIN_SERVER_VER_SEC_DEF_OPT_PARAMS_REQ,
    MIN_SERVER_VER_SOFT_DOLLAR_TIER,
    MIN_SERVER_VER_USER_INFO,
)
from tests.docs.test_coverage_doc import load_script
from tests.oracle.clients import CLIENT_RANGES, TEXT_VERSIONS


@pytest.fixture(scope="module")
def proven() -> ModuleType:
    """scripts/proven.py as scripts/coverage.py imports it (one analysis per process)."""
    load_script("coverage")  # puts scripts/ on sys.path
    return importlib.import_module("proven")


def test_a_message_is_proven_at_its_oracle_tests_versions_per_client(proven: ModuleType) -> None:
    found = proven.oracle_versions()
    for client, (low, high) in CLIENT_RANGES.items():
        wanted = {v for v in TEXT_VERSIONS if low <= v <= high}
        assert wanted <= found[proven.key(In.REQ_MKT_DATA)][client]
        assert wanted <= found[proven.key(Out.ERR_MSG)][client]
    # up to ibapi's maximum: the protobuf oracle tests (tests/oracle/test_protobuf_*.py) count
    assert proven.proven_text(In.REQ_MKT_DATA).startswith("ibapi 100..226 (")


def test_requests_and_responses_of_the_same_number_are_told_apart(proven: ModuleType) -> None:
    assert int(In.PLACE_ORDER) == int(Out.ORDER_STATUS)
    assert proven.key(In.PLACE_ORDER) != proven.key(Out.ORDER_STATUS)


def test_without_a_schema_the_column_is_blank_and_every_schema_is_listed(
    proven: ModuleType,
) -> None:
    unschemed = next(m for m in In if m not in REQUESTS)
    assert proven.proven_text(unschemed) == ""
    assert [m for m, _ in proven.response_rows()] == sorted(RESPONSES, key=int)


#: Requests a client cannot send below a version, so nothing there is to prove: ibapi refuses
#: them (its own gate checks in EClient) under these versions.
FIRST_SENDABLE = {
    (In.REQ_ACCOUNT_UPDATES_MULTI, "ibapi"): MIN_SERVER_VER_MODELS_SUPPORT,
    (In.CANCEL_ACCOUNT_UPDATES_MULTI, "ibapi"): MIN_SERVER_VER_MODELS_SUPPORT,
    (In.REQ_SEC_DEF_OPT_PARAMS, "ibapi"): MIN_SERVER_VER_SEC_DEF_OPT_PARAMS_REQ,
    # ibapi 10.50's default cashQty, UNSET_DOUBLE, passes its `if order.cashQty:` check: 503
    (In.PLACE_ORDER, "ibapi"): MIN_SERVER_VER_CASH_QTY,
}


#: Requests that exist only from a server version on (every client's EClient gates them; a TWS
#: below it does not know the message): nothing below to prove.
MESSAGE_SINCE = {
    In.REQ_SOFT_DOLLAR_TIERS: MIN_SERVER_VER_SOFT_DOLLAR_TIER,
    In.REQ_FAMILY_CODES: MIN_SERVER_VER_REQ_FAMILY_CODES,
    In.REQ_MATCHING_SYMBOLS: MIN_SERVER_VER_REQ_MATCHING_SYMBOLS,
    In.REQ_MKT_DEPTH_EXCHANGES: MIN_SERVER_VER_REQ_MKT_DEPTH_EXCHANGES,
    In.REQ_SMART_COMPONENTS: MIN_SERVER_VER_REQ_SMART_COMPONENTS,
    In.REQ_MARKET_RULE: MIN_SERVER_VER_MARKET_RULES,
    In.REQ_USER_INFO: MIN_SERVER_VER_USER_INFO,
    # protobuf-only: every client refuses it below 215 (ibapi's client.py)
    In.CANCEL_CONTRACT_DATA: MIN_SERVER_VER_CANCEL_CONTRACT_DATA,
    In.REQ_HEAD_TIMESTAMP: MIN_SERVER_VER_REQ_HEAD_TIMESTAMP,
    In.CANCEL_HEAD_TIMESTAMP: MIN_SERVER_VER_CANCEL_HEADTIMESTAMP,
}


def test_every_message_with_a_schema_is_proven_at_every_listed_version_of_each_client(
    proven: ModuleType,
) -> None:
    """Issue 11's acceptance: each schema proven against each client at every listed version
    that client can negotiate (and send the message at)."""
    found = proven.oracle_versions()
    missing = []
    for message in [*REQUESTS, *RESPONSES]:
        by_client = found.get(proven.key(message), {})
        for client, (low, high) in CLIENT_RANGES.items():
            low = max(low, FIRST_SENDABLE.get((message, client), low))
            if isinstance(message, In):
                low = max(low, MESSAGE_SINCE.get(message, low))
            wanted = {v for v in TEXT_VERSIONS if low <= v <= high}
            left = wanted - by_client.get(client, frozenset())
            if left:
                missing.append(f"{message!r} {client} {sorted(left)}")
    assert missing == []
