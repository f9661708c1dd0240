"""Futures listed by rule: last trade dates per the exchanges' rules, rolling with the date;
ES futures options on the right future; partial matches as TWS does them."""

from __future__ import annotations

from datetime import date

import pytest

from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractQuery
from pytest_tws.model.futures import RULES

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(TODAY)


@pytest.mark.parametrize("rule, year, month, last", [
    ("third_friday", 2026, 12, date(2026, 12, 18)),   # ESZ6
    ("third_friday", 2027, 3, date(2027, 3, 19)),
    ("cl", 2027, 1, date(2026, 12, 21)),   # 25 Dec is a holiday: 3 days before the 24th
    ("cl", 2027, 2, date(2027, 1, 20)),    # 3 business days before 25 Jan
    ("third_last_business_day", 2026, 12, date(2026, 12, 29)),
    ("treasury", 2026, 12, date(2026, 12, 21)),
    ("fx_imm", 2026, 12, date(2026, 12, 14)),  # two days before the third Wednesday
    ("vix", 2026, 12, date(2026, 12, 16)),     # 30 days before 15 Jan 2027
])
def test_last_trade_rules(rule: str, year: int, month: int, last: date):
    assert RULES[rule](year, month) == last


def test_a_future_without_expiry_is_every_listed_month(catalog: Catalog):
    es = catalog.find(ContractQuery(symbol="ES", sec_type="FUT"))
    assert [f.local_symbol for f in es] == ["ESZ6", "ESH7", "ESM7", "ESU7", "ESZ7"]
    assert {f.multiplier for f in es} == {"50"}
    assert catalog.find(ContractQuery(symbol="ES", sec_type="FUT", last_trade_date="202703")
                        ) == [es[1]]
    assert catalog.find(ContractQuery(sec_type="FUT", local_symbol="ESH7")) == [es[1]]
    assert catalog.by_con_id(es[2].con_id) == es[2]
    [mes] = catalog.find(ContractQuery(symbol="MES", sec_type="FUT", last_trade_date="202612"))
    assert mes.multiplier == "5" and mes.sim_key == es[0].sim_key  # MES trades at ES's price


def test_listings_roll_with_the_date():
    after_expiry = Catalog(date(2026, 12, 19)).find(ContractQuery(symbol="ES", sec_type="FUT"))
    assert after_expiry[0].local_symbol == "ESH7"
    moving = [date(2026, 12, 17)]
    catalog = Catalog(lambda: moving[0])
    assert catalog.futures("ES")[0].local_symbol == "ESZ6"
    moving[0] = date(2026, 12, 21)
    assert catalog.futures("ES")[0].local_symbol == "ESH7"


def test_es_options_are_on_the_next_quarterly_future(catalog: Catalog):
    chain = catalog.fop_chain("ES")
    assert [k for _, k, _, _ in chain if k == "ES"] == ["ES"] * 3
    es = catalog.futures("ES")
    for expiry, _, future, _ in chain:
        assert future.last_trade_date >= f"{expiry:%Y%m%d}"
        assert future.con_id in {f.con_id for f in es}
    calls = catalog.find(ContractQuery(symbol="ES", sec_type="FOP", last_trade_date="20261218",
                                       right="C"))
    assert calls and {c.under_con_id for c in calls} == {es[0].con_id}
    assert catalog.by_con_id(calls[3].con_id) == calls[3]


def test_an_option_without_strike_is_the_whole_expiry(catalog: Catalog):
    expiry = f"{catalog.expirations('SPX')[0]:%Y%m%d}"
    options = catalog.find(ContractQuery(symbol="SPX", sec_type="OPT", last_trade_date=expiry))
    assert len(options) == 2 * len(catalog.strikes("SPX"))
    assert {o.trading_class for o in options} == {"SPXW"}
    ids = {o.con_id for o in catalog.find(ContractQuery(symbol="SPX", sec_type="OPT"))}
    assert len(ids) == 2 * len(catalog.strikes("SPX")) * len(catalog.expirations("SPX"))
