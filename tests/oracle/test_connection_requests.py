"""The session's own requests: each client's own encoder -> the fake's schema -> every field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.wire.messages import In
from pytest_tws.wire.schemas import REQUESTS
from pytest_tws.wire.versions import MIN_SERVER_VER_OPTIONAL_CAPABILITIES
from tests.oracle.clients import client_versions, encode_request, mismatches
from tests.oracle.strategies import text

SETTINGS = settings(max_examples=15, deadline=None)


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(client_id=st.integers(0, 2**31 - 2), capabilities=text)
def test_start_api(client: str, version: int, client_id: int, capabilities: str) -> None:
    fields = encode_request(client, version, "startApi", message_id=In.START_API,
                            attrs={"clientId": client_id, "optCapab": capabilities})
    values = REQUESTS[In.START_API].decode(fields, version)
    assert version >= MIN_SERVER_VER_OPTIONAL_CAPABILITIES
    assert mismatches(values, {"clientId": client_id, "optCapab": capabilities},
                      ignore={"version"}) == []


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(count=st.integers(-1, 1000))
def test_req_ids(client: str, version: int, count: int) -> None:
    fields = encode_request(client, version, "reqIds", count, message_id=In.REQ_IDS)
    assert REQUESTS[In.REQ_IDS].decode(fields, version)["numIds"] == count


@pytest.mark.parametrize(("client", "version"), client_versions())
@pytest.mark.parametrize(("method", "message_id"), [
    ("reqCurrentTime", In.REQ_CURRENT_TIME), ("reqManagedAccts", In.REQ_MANAGED_ACCTS),
])
def test_requests_without_arguments(client: str, version: int, method: str,
                                    message_id: In) -> None:
    fields = encode_request(client, version, method, message_id=message_id)
    assert REQUESTS[message_id].decode(fields, version) == {"version": 1}
