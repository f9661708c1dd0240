"""Futures listed by rule: last trade dates per the exchanges' rules, rolling with the date;
ES futures options on the right future; partial matches as TWS does them."""

from __future__ import annotations

import math
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


def test_each_month_trades_at_the_front_plus_its_carry(catalog: Catalog):
    from datetime import datetime, timezone

    from pytest_tws.fake.quotes import build_simulator, quote_spec

    es = catalog.futures("ES")
    assert es[0].basis == 1.0
    front_last = date.fromisoformat(es[0].last_trade_date)
    start = datetime(2026, 11, 25, 15, tzinfo=timezone.utc)
    market = build_simulator(catalog, seed=7, start=start)
    now = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)
    front = quote_spec(market, es[0], now)
    mids = [front.bid + front.ask]
    for later in es[1:]:
        days = (date.fromisoformat(later.last_trade_date) - front_last).days
        assert later.basis == pytest.approx(math.exp(0.03 * days / 365))  # ES's carry, 3 %/yr
        q = quote_spec(market, later, now)
        shift = (q.bid + q.ask - front.bid - front.ask) / 2
        # the same whole number of ticks on every price; one-tick spread kept
        assert shift == pytest.approx(round(0.5 * mids[0] * (later.basis - 1) / 0.25) * 0.25)
        assert q.ask - q.bid == pytest.approx(0.25) and q.last - front.last == pytest.approx(shift)
        mids.append(q.bid + q.ask)
    assert mids == sorted(mids) and len(set(mids)) == len(mids)  # contango: each month higher
    # a backwardated root (CL's carry is negative) falls month by month
    cl = [quote_spec(market, f, now) for f in catalog.futures("CL")[:3]]
    assert cl[0].bid > cl[1].bid > cl[2].bid
    # the same seed gives the same prices
    again = build_simulator(catalog, seed=7, start=start)
    assert quote_spec(again, es[2], now) == quote_spec(market, es[2], now)


def test_under_con_id_as_tws_reports_it(catalog: Catalog):
    # ES and MES: the CME index product IBKR publishes (Web API docs, /trsrv/futures)
    assert {f.under_con_id for f in catalog.futures("ES")} == {11004968}
    assert {f.under_con_id for f in catalog.futures("MES")} == {362673777}
    assert {f.under_con_id for f in catalog.futures("NQ")} == {0}
    expiry, _, future, strikes = catalog.fop_chain("ES")[0]
    [fop] = catalog.find(ContractQuery(symbol="ES", sec_type="FOP", strike=strikes[0],
                                       right="C", last_trade_date=f"{expiry:%Y%m%d}"))
    assert fop.under_con_id == future.con_id and fop.under_sec_type == "FUT"
