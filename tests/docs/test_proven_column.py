"""docs/coverage.md's "proven" column: derived from the schema registry and the oracle tests."""

from __future__ import annotations

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schemas import REQUESTS, RESPONSES
from tests.docs.test_coverage_doc import load_script
from tests.oracle.clients import CLIENT_RANGES, TEXT_VERSIONS


def test_a_message_is_proven_at_its_oracle_tests_versions_per_client() -> None:
    load_script("coverage")  # puts scripts/ on sys.path
    proven = load_script("proven")
    found = proven.oracle_versions()
    for client, (low, high) in CLIENT_RANGES.items():
        wanted = {v for v in TEXT_VERSIONS if low <= v <= high}
        assert wanted <= found[proven.key(In.REQ_MKT_DATA)][client]
        assert wanted <= found[proven.key(Out.ERR_MSG)][client]
    # up to ibapi's maximum: the protobuf oracle tests (tests/oracle/test_protobuf_*.py) count
    assert proven.proven_text(In.REQ_MKT_DATA).startswith("ibapi 100..226 (")


def test_requests_and_responses_of_the_same_number_are_told_apart() -> None:
    load_script("coverage")
    proven = load_script("proven")
    assert int(In.PLACE_ORDER) == int(Out.ORDER_STATUS)
    assert proven.key(In.PLACE_ORDER) != proven.key(Out.ORDER_STATUS)


def test_without_a_schema_the_column_is_blank_and_every_schema_is_listed() -> None:
    load_script("coverage")
    proven = load_script("proven")
    unschemed = next(m for m in In if m not in REQUESTS)
    assert proven.proven_text(unschemed) == ""
    assert [m for m, _ in proven.response_rows()] == sorted(RESPONSES, key=int)
