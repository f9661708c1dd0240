"""Futures and futures options listed by rule for a date: each product's contract months, last
trade dates (the exchanges' published rules), and deterministic conIds in a fake range.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from pytest_tws.model.calendar_us import is_trading_day, previous_trading_day
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.exchanges import hours_for, hours_strings
from pytest_tws.model.instruments import FutureOptionRoot, FutureRoot

MONTH_CODES = "FGHJKMNQUVXZ"
DAYS_PER_YEAR = 365.0
FUTURE_CON_ID_BASE = 1_100_000_000
_IDS_PER_ROOT = 10_000
FOP_CON_ID_BASE = 1_200_000_000
FOP_IDS_PER_ROOT = 2_097_152  # 512 expiry days x 2048 strike slots x 2 rights

FUTURE_ORDER_TYPES = (
    "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,DEACTDIS,"
    "DEACTEOD,GAT,GTC,GTD,GTT,HID,ICE,IOC,LIT,LMT,LTH,MIT,MKT,MTL,NGCOMB,NONALGO,OCA,SCALE,"
    "SCALERST,SNAPMID,SNAPMKT,SNAPREL,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF"
)


def _third_weekday(year: int, month: int, weekday: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 14)


def _business_days_before(day: date, count: int) -> date:
    for _ in range(count):
        day -= timedelta(days=1)
        while not is_trading_day(day):
            day -= timedelta(days=1)
    return day


def _last_business_day(year: int, month: int) -> date:
    return previous_trading_day(date(year, month, calendar.monthrange(year, month)[1]))


def _third_friday(year: int, month: int) -> date:
    # CME equity index futures: the third Friday (the business day before if a holiday).
    return previous_trading_day(_third_weekday(year, month, calendar.FRIDAY))


def _crude(year: int, month: int) -> date:
    # NYMEX CL: 3 business days before the 25th of the month before delivery (the business
    # day before the 25th when the 25th is not one).
    prior_year, prior_month = (year - 1, 12) if month == 1 else (year, month - 1)
    day = date(prior_year, prior_month, 25)
    if not is_trading_day(day):
        day = _business_days_before(day, 1)
    return _business_days_before(day, 3)


def _third_last_business_day(year: int, month: int) -> date:
    # COMEX GC/SI: the third-last business day of the delivery month.
    return _business_days_before(_last_business_day(year, month), 2)


def _treasury(year: int, month: int) -> date:
    # CBOT ZN/ZB: the seventh business day before the last business day of the month.
    return _business_days_before(_last_business_day(year, month), 7)


def _fx_imm(year: int, month: int) -> date:
    # CME FX (6E): two business days before the third Wednesday.
    return _business_days_before(_third_weekday(year, month, calendar.WEDNESDAY), 2)


def _vix(year: int, month: int) -> date:
    # CFE VX: the Wednesday 30 days before the next month's third Friday.
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = _third_weekday(next_year, next_month, calendar.FRIDAY) - timedelta(days=30)
    return day if is_trading_day(day) else _business_days_before(day, 1)


RULES: dict[str, Callable[[int, int], date]] = {
    "third_friday": _third_friday, "cl": _crude,
    "third_last_business_day": _third_last_business_day, "treasury": _treasury,
    "fx_imm": _fx_imm, "vix": _vix,
}


def contract_months(root: FutureRoot, today: date) -> list[tuple[int, int, date]]:
    """(year, month, last trade date) of the `root.listed` nearest contracts not yet expired."""
    months = [MONTH_CODES.index(code) + 1 for code in root.months]
    found: list[tuple[int, int, date]] = []
    year, month = today.year, today.month
    while len(found) < root.listed:
        if month in months:
            last = RULES[root.rule](year, month)
            if last >= today:
                found.append((year, month, last))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def future_con_id(root_index: int, year: int, month: int) -> int:
    return FUTURE_CON_ID_BASE + root_index * _IDS_PER_ROOT + (year % 100) * 100 + month


def carry_basis(root: FutureRoot, front_last: date, last: date) -> float:
    """The factor a month trades at over the front month (the root's price process):
    exp(carry x days between their last trade dates / 365). Deterministic: no noise."""
    return math.exp(root.carry * (last - front_last).days / DAYS_PER_YEAR)


def future_spec(root: FutureRoot, root_index: int, year: int, month: int, last: date,
                today: date, basis: float = 1.0) -> ContractSpec:
    trading, liquid = hours_strings(hours_for("FUT", root.exchange), today)
    return ContractSpec(
        con_id=future_con_id(root_index, year, month), symbol=root.symbol, sec_type="FUT",
        currency=root.currency, exchange=root.exchange,
        local_symbol=f"{root.trading_class}{MONTH_CODES[month - 1]}{year % 10}",
        trading_class=root.trading_class, last_trade_date=f"{last:%Y%m%d}",
        multiplier=root.multiplier, long_name=root.long_name, min_tick=root.min_tick,
        valid_exchanges=root.exchange, order_types=FUTURE_ORDER_TYPES,
        market_rule_ids=market_rule_for(root.min_tick), time_zone_id="US/Central",
        trading_hours=trading, liquid_hours=liquid, under_con_id=root.under_con_id,
        under_symbol=root.symbol, under_sec_type="IND", basis=basis,
        market_name=root.trading_class, contract_month=f"{year}{month:02d}",
        real_expiration_date=f"{last:%Y%m%d}", agg_group=2, suggested_size_increment=1.0,
        market_key=root.key, derivative_sec_types=("FOP",),
    )


# -- futures options -------------------------------------------------------------------------


def fop_expirations(fop: FutureOptionRoot, today: date) -> list[tuple[date, str]]:
    """(expiry, trading class): the next monthlies (third Fridays, class = symbol) and the
    weekly Fridays in between (class EW1..EW4 by week of the month), none today or earlier."""
    found: dict[date, str] = {}
    year, month = today.year, today.month
    while len([c for c in found.values() if c == fop.symbol]) < fop.monthlies:
        expiry = _third_friday(year, month)
        if expiry > today:
            found[expiry] = fop.symbol
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    friday = today + timedelta(days=(calendar.FRIDAY - today.weekday()) % 7 or 7)
    weeklies = 0
    while weeklies < fop.weeklies:
        expiry = previous_trading_day(friday)
        if expiry > today and expiry not in found:
            found[expiry] = f"EW{min((friday.day - 1) // 7 + 1, 4)}"
            weeklies += 1
        friday += timedelta(weeks=1)
    return sorted(found.items())


def fop_strikes(fop: FutureOptionRoot, price: float, width: float = 0.10) -> tuple[float, ...]:
    step = fop.strike_step
    first = int(price * (1 - width) / step) + 1
    last = int(price * (1 + width) / step)
    return tuple(round(k * step, 8) for k in range(first, last + 1))


def fop_con_id(root_index: int, expiry: date, strike: float, step: float, right: str) -> int:
    offset = ((expiry.toordinal() % 512) * 2048 + round(strike / step) % 2048) * 2 + (right == "P")
    return FOP_CON_ID_BASE + root_index * FOP_IDS_PER_ROOT + offset


def fop_specs(fop: FutureOptionRoot, root_index: int, expiry: date, trading_class: str,
              strikes: tuple[float, ...], future: ContractSpec, today: date,
              rights: tuple[str, ...] = ("C", "P")) -> Iterator[ContractSpec]:
    trading, liquid = future.trading_hours, future.liquid_hours
    for strike in strikes:
        for right in rights:
            yield ContractSpec(
                con_id=fop_con_id(root_index, expiry, strike, fop.strike_step, right),
                symbol=fop.symbol, sec_type="FOP", currency=future.currency,
                exchange=fop.exchange, last_trade_date=f"{expiry:%Y%m%d}", strike=strike,
                right=right, multiplier=future.multiplier,
                local_symbol=f"{trading_class}{MONTH_CODES[expiry.month - 1]}{expiry.year % 10}"
                f" {right}{strike:g}",
                trading_class=trading_class, long_name=future.long_name,
                min_tick=future.min_tick, valid_exchanges=fop.exchange,
                order_types=FUTURE_ORDER_TYPES, market_rule_ids=future.market_rule_ids,
                time_zone_id=future.time_zone_id, trading_hours=trading, liquid_hours=liquid,
                under_con_id=future.con_id, under_symbol=future.symbol, under_sec_type="FUT",
                market_name=trading_class, contract_month=future.contract_month,
                real_expiration_date=f"{expiry:%Y%m%d}", agg_group=2,
                suggested_size_increment=1.0, market_key=future.market_key,
            )


def market_rule_for(min_tick: float) -> str:
    from pytest_tws.model.market_rules import rule_id_for_tick

    return str(rule_id_for_tick(min_tick))
