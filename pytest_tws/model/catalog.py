"""The contract catalog: a dozen liquid US stocks and ETFs, and option chains for them.

Stock conIds are the real ones, so code that hard-codes them works against the fake too.
Option conIds are computed from (underlying, expiry, strike, right), so the same option has the
same conId on every run and every day. Expirations are relative to the catalog's date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pytest_tws.model.calendar_us import is_trading_day, previous_trading_day
from pytest_tws.model.contracts import ContractQuery, ContractSpec

_OPTION_CON_ID_BASE = 700_000_000
_OPTION_IDS_PER_UNDERLYING = 2_097_152  # 512 expiry days x 2048 half-dollar strikes x 2 rights


@dataclass(frozen=True)
class Underlying:
    """A stock or ETF the catalog lists, with the figures its option chain is built from."""

    symbol: str
    con_id: int
    primary_exchange: str
    long_name: str
    reference_price: float
    volatility: float
    stock_type: str = "COMMON"
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    strike_step: float = 1.0
    daily_expirations: bool = False


DEFAULT_UNDERLYINGS: tuple[Underlying, ...] = (
    Underlying("SPY", 756733, "ARCA", "SPDR S&P 500 ETF TRUST", 600.0, 0.15, "ETF",
               "Funds", "Equity Fund", "Growth&Income-Large Cap", 1.0, True),
    Underlying("QQQ", 320227571, "NASDAQ", "INVESCO QQQ TRUST SERIES 1", 520.0, 0.20, "ETF",
               "Funds", "Equity Fund", "Growth-Large Cap", 1.0, True),
    Underlying("IWM", 9579970, "ARCA", "ISHARES RUSSELL 2000 ETF", 230.0, 0.22, "ETF",
               "Funds", "Equity Fund", "Small Cap", 1.0, True),
    Underlying("DIA", 73128548, "ARCA", "SPDR DOW JONES INDUSTRIAL AVRG", 440.0, 0.14, "ETF",
               "Funds", "Equity Fund", "Growth&Income-Large Cap", 1.0),
    Underlying("AAPL", 265598, "NASDAQ", "APPLE INC", 230.0, 0.25, "COMMON",
               "Technology", "Computers", "Computers", 2.5),
    Underlying("MSFT", 272093, "NASDAQ", "MICROSOFT CORP", 430.0, 0.23, "COMMON",
               "Technology", "Software", "Software", 5.0),
    Underlying("AMZN", 3691937, "NASDAQ", "AMAZON.COM INC", 200.0, 0.30, "COMMON",
               "Communications", "Internet", "E-Commerce/Products", 2.5),
    Underlying("GOOGL", 208813719, "NASDAQ", "ALPHABET INC-CL A", 175.0, 0.28, "COMMON",
               "Communications", "Internet", "Web Portals/ISP", 2.5),
    Underlying("META", 107113386, "NASDAQ", "META PLATFORMS INC-CLASS A", 580.0, 0.32,
               "COMMON", "Communications", "Internet", "Internet Content-Entmnt", 5.0),
    Underlying("NVDA", 4815747, "NASDAQ", "NVIDIA CORP", 140.0, 0.45, "COMMON",
               "Technology", "Semiconductors", "Electronic Compo-Semicon", 1.0),
    Underlying("TSLA", 76792991, "NASDAQ", "TESLA INC", 250.0, 0.55, "COMMON",
               "Consumer, Cyclical", "Auto Manufacturers", "Auto-Cars/Light Trucks", 2.5),
    Underlying("AMD", 4391, "NASDAQ", "ADVANCED MICRO DEVICES", 150.0, 0.45, "COMMON",
               "Technology", "Semiconductors", "Electronic Compo-Semicon", 2.5),
)

#: Exchanges that list these options; reqSecDefOptParams answers once per exchange.
OPTION_EXCHANGES: tuple[str, ...] = (
    "SMART", "AMEX", "BATS", "BOX", "CBOE", "CBOE2", "EDGX", "GEMINI", "IBUSOPT", "ISE",
    "MERCURY", "MIAX", "NASDAQBX", "NASDAQOM", "PEARL", "PHLX", "PSE", "CBOE2", "EMERALD",
)
_OPTION_VALID_EXCHANGES = ",".join(dict.fromkeys(OPTION_EXCHANGES))
#: How far the listed strikes reach either side of the reference price.
STRIKE_RANGE = 0.20


def third_friday(year: int, month: int) -> date:
    first_weekday, _ = calendar.monthrange(year, month)
    first_friday = 1 + (calendar.FRIDAY - first_weekday) % 7
    return date(year, month, first_friday + 14)


def option_expirations(underlying: Underlying, today: date) -> tuple[date, ...]:
    """Dailies for a week (index ETFs), weeklies for six weeks, monthlies for six months,
    and the next January LEAP; never today or earlier."""
    found: set[date] = set()
    if underlying.daily_expirations:
        day = today
        while len(found) < 5:
            day += timedelta(days=1)
            if is_trading_day(day):
                found.add(day)
    friday = today + timedelta(days=(calendar.FRIDAY - today.weekday()) % 7 or 7)
    found.update(previous_trading_day(friday + timedelta(weeks=w)) for w in range(6))
    year, month = today.year, today.month
    for _ in range(7):
        found.add(previous_trading_day(third_friday(year, month)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    found.add(previous_trading_day(third_friday(today.year + 1, 1)))
    return tuple(sorted(day for day in found if day > today))


def option_strikes(underlying: Underlying) -> tuple[float, ...]:
    step = underlying.strike_step
    low = underlying.reference_price * (1 - STRIKE_RANGE)
    high = underlying.reference_price * (1 + STRIKE_RANGE)
    first = int(low / step) + 1
    last = int(high / step)
    return tuple(round(k * step, 2) for k in range(first, last + 1))


def option_con_id(underlying_index: int, expiry: date, strike: float, right: str) -> int:
    """Deterministic and collision-free for expiries within 512 days and strikes under 1024."""
    day_slot = expiry.toordinal() % 512
    strike_slot = round(strike * 2) % 2048
    offset = (day_slot * 2048 + strike_slot) * 2 + (right == "P")
    return _OPTION_CON_ID_BASE + underlying_index * _OPTION_IDS_PER_UNDERLYING + offset


def occ_local_symbol(symbol: str, expiry: date, strike: float, right: str) -> str:
    """The OCC option symbol TWS reports as localSymbol, e.g. `SPY   261127C00600000`."""
    return f"{symbol:<6}{expiry:%y%m%d}{right}{round(strike * 1000):08d}"


class Catalog:
    """Every contract the fake knows. Pure data: the date comes from the caller."""

    def __init__(self, today: date, underlyings: tuple[Underlying, ...] = DEFAULT_UNDERLYINGS):
        self.today = today
        self._underlyings: dict[str, Underlying] = {}
        self._index: dict[str, int] = {}
        self._by_con_id: dict[int, ContractSpec] = {}
        for underlying in underlyings:
            self.add_underlying(underlying)

    @property
    def underlyings(self) -> tuple[Underlying, ...]:
        return tuple(self._underlyings.values())

    def underlying(self, symbol: str) -> Underlying | None:
        return self._underlyings.get(symbol.upper())

    def add_underlying(self, underlying: Underlying) -> None:
        self._index.setdefault(underlying.symbol, len(self._index))
        self._underlyings[underlying.symbol] = underlying
        self._by_con_id[underlying.con_id] = self._stock_spec(underlying)

    def expirations(self, symbol: str) -> tuple[date, ...]:
        underlying = self._underlyings[symbol.upper()]
        return option_expirations(underlying, self.today)

    def strikes(self, symbol: str) -> tuple[float, ...]:
        return option_strikes(self._underlyings[symbol.upper()])

    def by_con_id(self, con_id: int) -> ContractSpec | None:
        """A stock, or an option of a listed chain, by conId."""
        spec = self._by_con_id.get(con_id)
        if spec is not None:
            return spec
        index, offset = divmod(con_id - _OPTION_CON_ID_BASE, _OPTION_IDS_PER_UNDERLYING)
        symbols = [s for s, i in self._index.items() if i == index and s in self._underlyings]
        if con_id < _OPTION_CON_ID_BASE or not symbols:
            return None
        slots, put = divmod(offset, 2)
        day_slot, strike_slot = divmod(slots, 2048)
        query = ContractQuery(con_id=con_id, right="P" if put else "C")
        underlying = self._underlyings[symbols[0]]
        for expiry in self.expirations(underlying.symbol):
            if expiry.toordinal() % 512 != day_slot:
                continue
            for strike in self.strikes(underlying.symbol):
                if round(strike * 2) % 2048 == strike_slot:
                    return next(self._options(underlying.symbol, replace(
                        query, last_trade_date=f"{expiry:%Y%m%d}", strike=strike)), None)
        return None

    def find(self, query: ContractQuery) -> list[ContractSpec]:
        """Every contract a (possibly partial) request matches, in a stable order."""
        if not query.is_specific:
            return []
        if query.con_id:
            spec = self.by_con_id(query.con_id)
            return [spec] if spec is not None and query.matches(spec) else []
        found: list[ContractSpec] = []
        for underlying in self._underlyings.values():
            if query.symbol and query.symbol.upper() != underlying.symbol:
                continue
            if query.sec_type in ("", "STK"):
                stock = self._by_con_id[underlying.con_id]
                if query.matches(stock):
                    found.append(stock)
            if query.sec_type == "OPT":
                found.extend(self._options(underlying.symbol, query))
        return found

    def _options(self, symbol: str, query: ContractQuery) -> Iterator[ContractSpec]:
        underlying = self._underlyings[symbol]
        rights = ("C", "P")
        for expiry in self.expirations(symbol):
            if query.last_trade_date and not f"{expiry:%Y%m%d}".startswith(
                query.last_trade_date
            ):
                continue
            for strike in self.strikes(symbol):
                if query.strike and abs(query.strike - strike) > 1e-6:
                    continue
                for right in rights:
                    con_id = option_con_id(self._index[symbol], expiry, strike, right)
                    if query.con_id and query.con_id != con_id:
                        continue
                    spec = self._option_spec(underlying, expiry, strike, right, con_id)
                    if query.matches(spec):
                        yield spec

    def _stock_spec(self, underlying: Underlying) -> ContractSpec:
        return ContractSpec(
            con_id=underlying.con_id,
            symbol=underlying.symbol,
            sec_type="STK",
            primary_exchange=underlying.primary_exchange,
            local_symbol=underlying.symbol,
            # TWS reports NASDAQ-listed stocks with trading class NMS.
            trading_class="NMS" if underlying.primary_exchange == "NASDAQ" else underlying.symbol,
            long_name=underlying.long_name,
            industry=underlying.industry,
            category=underlying.category,
            subcategory=underlying.subcategory,
            stock_type=underlying.stock_type,
        )

    def _option_spec(
        self, underlying: Underlying, expiry: date, strike: float, right: str, con_id: int
    ) -> ContractSpec:
        return ContractSpec(
            con_id=con_id,
            symbol=underlying.symbol,
            sec_type="OPT",
            last_trade_date=f"{expiry:%Y%m%d}",
            strike=strike,
            right=right,
            multiplier="100",
            local_symbol=occ_local_symbol(underlying.symbol, expiry, strike, right),
            trading_class=underlying.symbol,
            long_name=underlying.long_name,
            industry=underlying.industry,
            category=underlying.category,
            subcategory=underlying.subcategory,
            under_con_id=underlying.con_id,
            under_symbol=underlying.symbol,
            under_sec_type="STK",
            valid_exchanges=_OPTION_VALID_EXCHANGES,
            market_rule_ids=",".join(["32"] * 18),
        )
