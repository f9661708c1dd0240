from __future__ import annotations

import itertools
from datetime import date

import pytest

from pytest_tws.model.calendar_us import is_trading_day, market_holidays
from pytest_tws.model.catalog import DEFAULT_UNDERLYINGS, Catalog, occ_local_symbol, option_con_id
from pytest_tws.model.contracts import ContractQuery

TODAY = date(2026, 11, 25)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(TODAY)


def test_the_original_dozen_keep_their_real_con_ids(catalog: Catalog):
    con_ids = {u.symbol: u.con_id for u in catalog.underlyings if not u.listing_of}
    assert len(con_ids) > 100
    assert con_ids["SPY"] == 756733 and con_ids["AAPL"] == 265598 and con_ids["MSFT"] == 272093
    assert [u.symbol for u in DEFAULT_UNDERLYINGS] == [
        "SPY", "QQQ", "IWM", "DIA", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA",
        "AMD"]


def test_expirations_are_future_trading_days_with_weeklies_and_monthlies(catalog: Catalog):
    expirations = catalog.expirations("AAPL")
    assert all(e > TODAY and is_trading_day(e) for e in expirations)
    assert date(2026, 12, 18) in expirations  # December monthly (third Friday)
    assert date(2026, 11, 27) in expirations  # next Friday's weekly
    assert date(2026, 12, 24) in expirations  # Christmas Friday moves to Thursday
    assert date(2027, 1, 15) in expirations  # the January LEAP / monthly


def test_index_etfs_have_dailies(catalog: Catalog):
    assert {date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)} <= set(
        catalog.expirations("SPY")
    )
    assert date(2026, 11, 26) not in catalog.expirations("SPY")  # Thanksgiving


def test_strikes_bracket_the_reference_price(catalog: Catalog):
    spy = catalog.underlying("SPY")
    assert spy is not None
    strikes = catalog.strikes("SPY")
    assert min(strikes) < spy.reference_price < max(strikes)
    assert all(b - a == pytest.approx(1.0) for a, b in itertools.pairwise(strikes))
    assert catalog.strikes("AAPL")[1] - catalog.strikes("AAPL")[0] == pytest.approx(2.5)


def test_option_con_ids_are_deterministic_and_unique():
    catalog = Catalog(TODAY)
    ids = [
        spec.con_id
        for expiry in catalog.expirations("SPY")
        for spec in catalog.find(
            ContractQuery(symbol="SPY", sec_type="OPT", last_trade_date=f"{expiry:%Y%m%d}")
        )
    ]
    assert len(ids) == len(set(ids))
    assert Catalog(TODAY).find(ContractQuery(con_id=ids[0]))[0].con_id == ids[0]
    assert option_con_id(0, date(2026, 12, 18), 600.0, "C") == option_con_id(
        0, date(2026, 12, 18), 600.0, "C"
    )


def test_option_found_by_con_id_is_the_same_contract(catalog: Catalog):
    [call] = catalog.find(
        ContractQuery(
            symbol="MSFT", sec_type="OPT", last_trade_date="20261218", strike=430.0, right="CALL"
        )
    )
    assert catalog.by_con_id(call.con_id) == call
    assert call.local_symbol == occ_local_symbol("MSFT", date(2026, 12, 18), 430.0, "C")
    assert call.local_symbol == "MSFT  261218C00430000"


@pytest.mark.parametrize(
    "query, count",
    [
        (ContractQuery(symbol="AAPL", sec_type="STK"), 1),
        (ContractQuery(symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD"), 1),
        (ContractQuery(symbol="AAPL", sec_type="STK", currency="EUR"), 0),
        (ContractQuery(symbol="NOPE", sec_type="STK"), 0),
        (ContractQuery(), 0),
        (ContractQuery(symbol="SPY", sec_type="OPT", last_trade_date="20261218", strike=600.0), 2),
        (ContractQuery(symbol="SPY", sec_type="OPT", last_trade_date="20261218", right="P"), 240),
    ],
)
def test_partial_specs_return_every_match(catalog: Catalog, query: ContractQuery, count: int):
    assert len(catalog.find(query)) == count


def test_holidays_2026():
    holidays = market_holidays(2026)
    assert date(2026, 11, 26) in holidays  # Thanksgiving
    assert date(2026, 4, 3) in holidays  # Good Friday
    assert date(2026, 7, 3) in holidays  # Independence Day observed (4th is a Saturday)
