"""Account requests: each client's own encoder -> the fake's schema -> every field equal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from pytest_tws.wire.versions import MIN_SERVER_VER_MODELS_SUPPORT
from tests.oracle.clients import TEXT_VERSIONS, client_versions, encode_request, mismatches
from tests.oracle.strategies import ids, maybe_text, text

SETTINGS = settings(max_examples=10, deadline=None)
#: the multi-account requests exist from MIN_SERVER_VER_MODELS_SUPPORT (ibapi refuses below)
MODELS = client_versions(versions=sorted(
    {v for v in TEXT_VERSIONS if v >= MIN_SERVER_VER_MODELS_SUPPORT}
    | {MIN_SERVER_VER_MODELS_SUPPORT}))


def _decoded(client: str, version: int, message_id: In, method: str, *args: Any) -> Any:
    fields = encode_request(client, version, method, *args, message_id=message_id)
    return REQUESTS[message_id].decode(fields, version)


@pytest.mark.parametrize(("client", "version"), client_versions())
@pytest.mark.parametrize(("method", "message_id"), [
    ("reqPositions", In.REQ_POSITIONS), ("cancelPositions", In.CANCEL_POSITIONS),
])
def test_positions(client: str, version: int, method: str, message_id: In) -> None:
    assert _decoded(client, version, message_id, method) == {"version": 1}


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(subscribe=st.booleans(), account=maybe_text)
def test_req_account_updates(client: str, version: int, subscribe: bool, account: str) -> None:
    values = _decoded(client, version, In.REQ_ACCT_DATA, "reqAccountUpdates", subscribe,
                      account)
    assert mismatches(values, {"subscribe": subscribe, "acctCode": account},
                      ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), MODELS)
@SETTINGS
@given(req_id=ids, account=text, model=maybe_text, ledger=st.booleans())
def test_req_account_updates_multi(client: str, version: int, req_id: int, account: str,
                                   model: str, ledger: bool) -> None:
    values = _decoded(client, version, In.REQ_ACCOUNT_UPDATES_MULTI, "reqAccountUpdatesMulti",
                      req_id, account, model, ledger)
    expected = {"reqId": req_id, "account": account, "modelCode": model, "ledgerAndNLV": ledger}
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(req_id=ids, group=text, tags=st.lists(text, min_size=1, max_size=4).map(",".join))
def test_req_account_summary(client: str, version: int, req_id: int, group: str,
                             tags: str) -> None:
    values = _decoded(client, version, In.REQ_ACCOUNT_SUMMARY, "reqAccountSummary", req_id,
                      group, tags)
    expected = {"reqId": req_id, "groupName": group, "tags": tags}
    assert mismatches(values, expected, ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), MODELS)
def test_cancel_account_updates_multi(client: str, version: int) -> None:
    values = _decoded(client, version, In.CANCEL_ACCOUNT_UPDATES_MULTI,
                      "cancelAccountUpdatesMulti", 4242)
    assert values == {"version": 1, "reqId": 4242}


@pytest.mark.parametrize(("client", "version"), client_versions())
def test_cancel_account_summary(client: str, version: int) -> None:
    values = _decoded(client, version, In.CANCEL_ACCOUNT_SUMMARY, "cancelAccountSummary", 4242)
    assert values == {"version": 1, "reqId": 4242}
