"""reqExecutions' filter, including the day selection of MIN_SERVER_VER_PARAMETRIZED_DAYS_OF_
EXECUTIONS (lastNDays, specificDates), from the values the schema decodes."""

from __future__ import annotations

from datetime import date, datetime, timezone

from pytest_tws.fake.handlers.orders import ExecutionFilter
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.orders import Execution

TODAY = date(2026, 4, 15)


def execution(day: int, side: str = "BOT") -> Execution:
    moment = datetime(2026, 4, day, 15, 0, tzinfo=timezone.utc)
    return Execution(exec_id=f"e{day}", order_id=1, client_id=7, perm_id=9,
                     contract=ContractSpec(1, "AAPL", "STK"), account="DU1", side=side,
                     shares=1, price=1.0, time=moment, cum_qty=1, avg_price=1.0)


def test_last_n_days_counts_today() -> None:
    wanted = ExecutionFilter.from_values({"lastNDays": 2, "specificDates": []})
    assert [e.exec_id for e in map(execution, (13, 14, 15)) if wanted.matches(e, TODAY)] == [
        "e14", "e15"]


def test_specific_dates_and_side() -> None:
    wanted = ExecutionFilter.from_values({"side": "SELL", "lastNDays": None,
                                          "specificDates": [{"date": 20260413}]})
    assert wanted.matches(execution(13, "SLD"), TODAY)
    assert not wanted.matches(execution(13, "BOT"), TODAY)
    assert not wanted.matches(execution(14, "SLD"), TODAY)


def test_an_empty_filter_takes_everything() -> None:
    assert ExecutionFilter.from_values({}).matches(execution(1), TODAY)
