"""Account messages: the fake's layouts -> each client's own decoder -> what the fake meant."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.fake import layouts
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.schema import Message
from pytest_tws.wire.versions import MIN_SERVER_VER_FRACTIONAL_POSITIONS
from tests.oracle.clients import TEXT_VERSIONS, Call, client_versions, decode_response, mismatches
from tests.oracle.strategies import ids, maybe_text, positive, prices, text

SETTINGS = settings(max_examples=10, deadline=None)
VERSIONS = client_versions(versions=sorted({*TEXT_VERSIONS, MIN_SERVER_VER_FRACTIONAL_POSITIONS}))


@st.composite
def specs(draw: Any) -> ContractSpec:
    return ContractSpec(
        con_id=draw(ids), symbol=draw(text), sec_type=draw(st.sampled_from(["STK", "OPT"])),
        currency=draw(text), primary_exchange=draw(maybe_text), local_symbol=draw(maybe_text),
        trading_class=draw(maybe_text), last_trade_date=draw(st.sampled_from(["", "20260116"])),
        strike=draw(st.one_of(st.just(0.0), positive)), right=draw(st.sampled_from(["", "C", "P"])),
        multiplier=draw(st.sampled_from(["", "100"])),
    )


def _quantity(version: int) -> Any:
    """Fractional positions only where the version carries them."""
    whole = st.integers(-10_000, 10_000).map(float)
    if version < MIN_SERVER_VER_FRACTIONAL_POSITIONS:
        return whole
    return st.one_of(whole, st.decimals("-1000", "1000", places=4).map(float))


def _decode(client: str, version: int, message: Message) -> list[Call]:
    return decode_response(client, version, encode_fields(message.fields(version)))


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(data=st.data(), account=text, spec=specs(), avg_cost=prices)
def test_position(client: str, version: int, data: Any, account: str, spec: ContractSpec,
                  avg_cost: float) -> None:
    quantity = data.draw(_quantity(version))
    message = layouts.position(account, spec, quantity, avg_cost)
    (call,) = _decode(client, version, message)
    assert call.name == "position"
    got_account, contract, position, got_cost = call.args
    values = dict(message.values)
    assert mismatches(values["contract"], contract) == []
    assert (got_account, float(position), got_cost) == (account, quantity, avg_cost)


@pytest.mark.parametrize(("client", "version"), VERSIONS)
@SETTINGS
@given(data=st.data(), account=text, spec=specs(), price=prices, value=prices,
       cost=prices, unrealized=prices, realized=prices)
def test_portfolio_value(client: str, version: int, data: Any, account: str,
                         spec: ContractSpec, price: float, value: float, cost: float,
                         unrealized: float, realized: float) -> None:
    quantity = data.draw(_quantity(version))
    message = layouts.portfolio_value(spec, quantity, price, value, cost, unrealized,
                                      realized, account)
    (call,) = _decode(client, version, message)
    assert call.name == "updatePortfolio"
    contract, *numbers, got_account = call.args
    assert mismatches(message.values["contract"], contract) == []
    assert [float(n) for n in numbers] == [quantity, price, value, cost, unrealized, realized]
    assert got_account == account


@pytest.mark.parametrize(("client", "version"), client_versions())
@SETTINGS
@given(req_id=ids, account=text, model=maybe_text, key=text, value=text, currency=maybe_text,
       stamp=st.from_regex(r"[0-2][0-9]:[0-5][0-9]", fullmatch=True))
def test_account_values(client: str, version: int, req_id: int, account: str, model: str,
                        key: str, value: str, currency: str, stamp: str) -> None:
    expected = [
        (layouts.account_value(key, value, currency, account),
         ("updateAccountValue", (key, value, currency, account))),
        (layouts.account_update_time(stamp), ("updateAccountTime", (stamp,))),
        (layouts.account_download_end(account), ("accountDownloadEnd", (account,))),
        (layouts.account_update_multi(req_id, account, model, key, value, currency),
         ("accountUpdateMulti", (req_id, account, model, key, value, currency))),
        (layouts.account_update_multi_end(req_id), ("accountUpdateMultiEnd", (req_id,))),
        (layouts.account_summary(req_id, account, key, value, currency),
         ("accountSummary", (req_id, account, key, value, currency))),
        (layouts.account_summary_end(req_id), ("accountSummaryEnd", (req_id,))),
        (layouts.position_end(), ("positionEnd", ())),
    ]
    for message, (name, args) in expected:
        (call,) = _decode(client, version, message)
        assert (call.name, call.args) == (name, args), message
