"""The session's own messages: the fake's schema encodes, each client's decoder reads back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.fake import layouts
from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.messages import Out
from pytest_tws.wire.schemas import RESPONSES
from tests.oracle.clients import client_versions, decode_response
from tests.oracle.strategies import text

SETTINGS = settings(max_examples=15, deadline=None)


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


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(accounts=st.lists(st.from_regex(r"[A-Z]{1,2}[0-9]{5,8}", fullmatch=True),
                         min_size=1, max_size=4))
def test_managed_accounts(client: str, version: int, accounts: list[str]) -> None:
    message = layouts.managed_accounts(accounts)
    (call,) = decode_response(client, version, encode_fields(message.fields(version)))
    assert (call.name, call.args) == ("managedAccounts", (",".join(accounts),))


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(order_id=st.integers(1, 2**31 - 2))
def test_next_valid_id(client: str, version: int, order_id: int) -> None:
    message = layouts.next_valid_id(order_id)
    (call,) = decode_response(client, version, encode_fields(message.fields(version)))
    assert (call.name, call.args) == ("nextValidId", (order_id,))


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(epoch=st.integers(0, 2**33))
def test_current_time(client: str, version: int, epoch: int) -> None:
    message = layouts.current_time(epoch)
    (call,) = decode_response(client, version, encode_fields(message.fields(version)))
    assert (call.name, call.args) == ("currentTime", (epoch,))
