"""The session's own messages: the fake's schema encodes, each client's decoder reads back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schemas import RESPONSES
from tests.oracle.clients import client_versions, decode_response
from tests.oracle.strategies import text


@pytest.mark.parametrize(("client", "version"), client_versions())
@settings(max_examples=20, deadline=None)
@given(req_id=st.integers(-1, 2**31 - 2), code=st.integers(100, 10_000), message=text,
       when=st.integers(1, 2**41))
def test_err_msg(client: str, version: int, req_id: int, code: int, message: str,
                 when: int) -> None:
    values = {"reqId": req_id, "errorCode": code, "errorString": message,
              "advancedOrderRejectJson": "{}", "errorTime": when}
    fields = encode_fields(RESPONSES[Out.ERR_MSG].encode(values, version))
    (call,) = decode_response(client, version, fields)
    assert call.name == "error"
    if client == "ibapi":
        assert call.args[0] == req_id and call.args[2:4] == (code, message)
    else:
        assert call.args[:3] == (req_id, code, message)
