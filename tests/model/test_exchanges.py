"""Exchange hours in TWS's format, holidays and early closes, checked against the NYSE rules
of calendar_us and the exchanges' published calendars."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pytest_tws.model.calendar_us import is_trading_day
from pytest_tws.model.exchanges import (
    EXCHANGE_HOURS,
    early_closes,
    holidays,
    hours_for,
    hours_strings,
)


def entries(text: str) -> dict[str, list[str]]:
    """day -> its sessions, keyed by the day each session ends."""
    found: dict[str, list[str]] = {}
    for entry in text.split(";"):
        if entry.endswith("CLOSED"):
            found.setdefault(entry[:8], []).append("CLOSED")
        else:
            found.setdefault(entry.split("-")[1][:8], []).append(entry)
    return found


def test_us_stock_hours_follow_the_nyse_calendar_for_a_year():
    start = date(2026, 1, 1)
    trading, liquid = hours_strings(hours_for("STK", "NASDAQ"), start, 365)
    days = entries(liquid)
    for offset in range(365):
        day = start + timedelta(days=offset)
        sessions = days[f"{day:%Y%m%d}"]
        assert (sessions == ["CLOSED"]) == (not is_trading_day(day)), day
    assert days["20261125"] == ["20261125:0930-20261125:1600"]
    assert entries(trading)["20261125"] == ["20261125:0400-20261125:2000"]


def test_us_early_closes():
    assert early_closes("US", 2026) == {date(2026, 11, 27), date(2026, 12, 24)}
    assert date(2027, 7, 2) not in early_closes("US", 2027)  # July 3 2027 is a Saturday
    trading, liquid = hours_strings(hours_for("STK", "NYSE"), date(2026, 11, 27), 1)
    assert liquid == "20261127:0930-20261127:1300"
    assert trading == "20261127:0400-20261127:1700"


def test_globex_sessions_start_the_evening_before():
    trading, liquid = hours_strings(hours_for("FUT", "CME"), date(2026, 11, 30), 2)
    assert trading == "20261129:1700-20261130:1600;20261130:1700-20261201:1600"
    assert liquid == "20261130:0830-20261130:1500;20261201:0830-20261201:1500"
    assert hours_for("FUT", "CME").time_zone_id == "US/Central"


def test_idealpro_trades_sunday_evening_to_friday_and_closes_for_christmas():
    trading, _ = hours_strings(hours_for("CASH", "IDEALPRO"), date(2026, 12, 25), 4)
    assert trading.split(";") == ["20261225:CLOSED", "20261226:CLOSED", "20261227:CLOSED",
                                  "20261227:1715-20261228:1700"]


def test_crypto_trades_every_day():
    trading, _ = hours_strings(hours_for("CRYPTO", "PAXOS"), date(2026, 11, 28), 2)
    assert "CLOSED" not in trading


def test_tokyo_has_two_sessions_and_its_new_year():
    _, liquid = hours_strings(hours_for("STK", "TSEJ"), date(2026, 12, 30), 5)
    assert liquid.split(";") == [
        "20261230:0900-20261230:1130", "20261230:1230-20261230:1530", "20261231:CLOSED",
        "20270101:CLOSED", "20270102:CLOSED", "20270103:CLOSED"][:len(liquid.split(";"))]


@pytest.mark.parametrize("calendar, year, day", [
    ("UK", 2026, date(2026, 4, 3)),   # Good Friday
    ("UK", 2026, date(2026, 4, 6)),   # Easter Monday
    ("UK", 2026, date(2026, 8, 31)),  # summer bank holiday
    ("UK", 2026, date(2026, 12, 28)),  # Boxing Day (Saturday) moves to Monday
    ("DE", 2026, date(2026, 5, 1)),
    ("DE", 2026, date(2026, 12, 31)),
    ("JP", 2026, date(2026, 1, 12)),  # Coming of Age Day
    ("JP", 2026, date(2026, 5, 6)),   # substitute for Constitution Day on a Sunday
])
def test_other_calendars(calendar: str, year: int, day: date):
    assert day in holidays(calendar, year)


def test_unknown_exchange_is_named():
    with pytest.raises(KeyError, match="no trading hours for exchange 'NOWHERE'"):
        hours_for("STK", "NOWHERE")
    assert "LSE" in EXCHANGE_HOURS
