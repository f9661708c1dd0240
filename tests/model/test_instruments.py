"""The instrument universe as data: the built-in file, a user's file, and the errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractQuery
from pytest_tws.model.instruments import (
    FAKE_CON_ID_BASE,
    CatalogFileError,
    isin_check_digit,
    load,
    parse,
)

TODAY = date(2026, 11, 25)


def test_the_built_in_universe_covers_every_asset_class():
    universe = load()
    us = [u for u in universe.underlyings if u.sec_type == "STK" and u.currency == "USD"
          and not u.listing_of]
    assert len(us) >= 100
    assert {u.symbol for u in universe.underlyings if u.sec_type == "IND"} >= {
        "SPX", "NDX", "RUT", "VIX", "DJX"}
    assert {r.symbol for r in universe.futures} >= {
        "ES", "MES", "NQ", "RTY", "YM", "CL", "GC", "SI", "ZN", "ZB", "EUR"}
    assert {p.key for p in universe.pairs if p.sec_type == "CASH"} >= {
        "EUR.USD", "GBP.USD", "USD.JPY", "EUR.GBP", "EUR.JPY", "AUD.NZD"}
    assert {p.key for p in universe.pairs if p.sec_type == "CRYPTO"} >= {"BTC.USD", "ETH.USD"}
    assert {u.primary_exchange for u in universe.underlyings} >= {"LSE", "IBIS", "TSEJ"}


def test_con_ids_are_unique_and_real_ones_kept():
    universe = load()
    con_ids = [u.con_id for u in universe.underlyings] + [p.con_id for p in universe.pairs]
    assert len(con_ids) == len(set(con_ids))
    by_key = {u.key: u.con_id for u in universe.underlyings} | {
        p.key: p.con_id for p in universe.pairs}
    assert by_key["SPY"] == 756733 and by_key["SPX"] == 416904 and by_key["VIX"] == 13455763
    assert by_key["EUR.USD"] == 12087792 and by_key["BTC.USD"] == 479624278
    # Without a published conId a record gets one from the fake range, the same every run.
    assert by_key["XOM"] >= FAKE_CON_ID_BASE and load().underlyings == universe.underlyings


def test_every_stock_has_a_well_formed_isin():
    for u in load().underlyings:
        if u.sec_type == "STK":
            assert len(u.isin) == 12 and isin_check_digit(u.isin[:11]) == int(u.isin[11]), u.key
    assert isin_check_digit("US037833100") == 5  # AAPL, US0378331005


def test_a_user_file_adds_to_the_built_in_universe(tmp_path: Path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({
        "stocks": [{"symbol": "ACME", "exchange": "NYSE", "name": "ACME CORP", "price": 42.0}],
        "forex": [{"pair": "EURSEK", "price": 11.5}],
    }))
    catalog = Catalog(TODAY, universe=load(path))
    [acme] = catalog.find(ContractQuery(symbol="ACME", sec_type="STK"))
    assert acme.primary_exchange == "NYSE" and acme.con_id >= FAKE_CON_ID_BASE
    assert catalog.find(ContractQuery(symbol="AAPL", sec_type="STK"))
    assert catalog.find(ContractQuery(symbol="EUR", currency="SEK", sec_type="CASH"))


def test_a_user_file_may_replace_the_built_in_universe(tmp_path: Path):
    path = tmp_path / "only.json"
    path.write_text(json.dumps({"replaceBuiltin": True, "stocks": [
        {"symbol": "ACME", "exchange": "NYSE", "name": "ACME CORP", "price": 42.0}]}))
    catalog = Catalog(TODAY, universe=load(path))
    assert [u.symbol for u in catalog.underlyings] == ["ACME"]
    assert not catalog.find(ContractQuery(symbol="AAPL"))


@pytest.mark.parametrize("data, message", [
    ({"stock": []}, "unknown section(s) ['stock']"),
    ({"stocks": [{"symbol": "X", "exchange": "NYSE", "name": "X"}]}, "stocks[0]: missing 'price'"),
    ({"stocks": [{"symbol": "X", "exchange": "NYSE", "name": "X", "price": "1"}]},
     "'price' must be int or float, got '1'"),
    ({"stocks": [{"symbol": "X", "exchange": "NYSE", "name": "X", "price": 0}]},
     "'price' must be > 0"),
    ({"futures": [{"symbol": "F", "exchange": "CME", "name": "F", "multiplier": "5",
                   "months": "HMUZ", "rule": "someday", "price": 1}]}, "unknown 'rule' 'someday'"),
    ({"forex": [{"pair": "EUR", "price": 1}]}, "'pair' must be six letters"),
    ({"stocks": {}}, "'stocks' must be a list"),
])
def test_errors_name_the_record_and_the_field(data: object, message: str):
    with pytest.raises(CatalogFileError) as caught:
        parse(data, "mine.json")
    assert message in str(caught.value) and "mine.json" in str(caught.value)


def test_an_unreadable_or_invalid_file_is_named(tmp_path: Path):
    with pytest.raises(CatalogFileError, match="cannot read catalog file"):
        load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CatalogFileError, match=r"bad\.json: not valid JSON"):
        load(bad)
