"""The contract catalog: the instrument universe of pytest_tws/model/data/instruments.json
(US stocks and ETFs with their other listings, indices, futures, ES futures options, forex
on IDEALPRO, crypto on PAXOS, a few LSE/IBIS/TSEJ stocks), option chains for the US ones, and
what tests add (`add_stock`, `add_future`…).

Stock conIds are the real ones where known, so code that hard-codes them works against the
fake too. Option conIds are computed from (underlying, expiry, strike, right), so the same
option has the same conId on every run and every day. Expirations are relative to the
catalog's date, which may follow a clock (a callable), so listed expiries roll with it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta

from pytest_tws.model import futures as fut
from pytest_tws.model.calendar_us import is_trading_day, previous_trading_day
from pytest_tws.model.chains import standard_strike_step
from pytest_tws.model.contracts import ContractQuery, ContractSpec
from pytest_tws.model.instruments import (
    FutureOptionRoot,
    FutureRoot,
    Pair,
    Underlying,
    Universe,
    load,
)
from pytest_tws.model.specs import (
    OPTION_EXCHANGES,
    occ_local_symbol,
    option_spec,
    pair_spec,
    stock_spec,
)

__all__ = [
    "DEFAULT_UNDERLYINGS", "OPTION_EXCHANGES", "STRIKE_RANGE", "Catalog", "Underlying",
    "occ_local_symbol", "option_con_id", "option_expirations", "option_strikes", "third_friday",
]

_OPTION_CON_ID_BASE = 700_000_000
_OPTION_IDS_PER_UNDERLYING = 2_097_152  # 512 expiry days x 2048 strike slots x 2 rights
_STRIKE_SLOTS = 2048
#: How far the listed strikes reach either side of the reference price.
STRIKE_RANGE = 0.20

#: The dozen liquid US stocks and ETFs the fake started with (the first records of the file).
DEFAULT_UNDERLYINGS: tuple[Underlying, ...] = tuple(load().underlyings[:12])


def third_friday(year: int, month: int) -> date:
    first_weekday, _ = calendar.monthrange(year, month)
    first_friday = 1 + (calendar.FRIDAY - first_weekday) % 7
    return date(year, month, first_friday + 14)


def option_expirations(underlying: Underlying, today: date) -> tuple[date, ...]:
    """Dailies for a week (index ETFs, SPX, NDX), weeklies for six weeks, monthlies for six
    months, and the next January LEAP; never today or earlier."""
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


def _strike_step(underlying: Underlying) -> float:
    return underlying.strike_step or standard_strike_step(
        underlying.reference_price, underlying.symbol)


def option_strikes(underlying: Underlying) -> tuple[float, ...]:
    step = _strike_step(underlying)
    low = underlying.reference_price * (1 - STRIKE_RANGE)
    high = underlying.reference_price * (1 + STRIKE_RANGE)
    first = int(low / step) + 1
    last = int(high / step)
    return tuple(round(k * step, 8) for k in range(first, last + 1))


def _strike_unit(underlying: Underlying) -> float:
    """Half-dollar slots where the chain fits in 2048 of them (every chain the fake began
    with, so their conIds stay), else one slot per strike step (SPX, NDX)."""
    span = underlying.reference_price * 2 * STRIKE_RANGE
    return 0.5 if span / 0.5 < _STRIKE_SLOTS else _strike_step(underlying)


def option_con_id(underlying_index: int, expiry: date, strike: float, right: str,
                  unit: float = 0.5) -> int:
    """Deterministic and collision-free for expiries within 512 days and 2048 strike slots."""
    day_slot = expiry.toordinal() % 512
    strike_slot = round(strike / unit) % _STRIKE_SLOTS
    offset = (day_slot * _STRIKE_SLOTS + strike_slot) * 2 + (right == "P")
    return _OPTION_CON_ID_BASE + underlying_index * _OPTION_IDS_PER_UNDERLYING + offset


class Catalog:
    """Every contract the fake knows. Pure data: the date comes from the caller (a date, or a
    callable giving today's date so listings roll with a clock)."""

    def __init__(self, today: date | Callable[[], date],
                 underlyings: Iterable[Underlying] | None = None, *,
                 universe: Universe | None = None) -> None:
        self._today = today if callable(today) else (lambda: today)
        self._underlyings: dict[str, Underlying] = {}
        self._index: dict[str, int] = {}
        self._by_con_id: dict[int, ContractSpec] = {}
        self._by_symbol: dict[str, list[ContractSpec]] = {}
        self._spec_day: date | None = None
        self._pairs: dict[str, Pair] = {}
        self._futures: dict[str, FutureRoot] = {}
        self._future_index: dict[str, int] = {}
        self._fops: dict[str, FutureOptionRoot] = {}
        if underlyings is not None:
            universe = Universe(underlyings=list(underlyings))
        elif universe is None:
            universe = load()
        for underlying in universe.underlyings:
            self.add_underlying(underlying)
        for root in universe.futures:
            self.add_future_root(root)
        for fop in universe.future_options:
            self.add_future_option_root(fop)
        for pair in universe.pairs:
            self.add_pair(pair)

    @property
    def today(self) -> date:
        return self._today()

    # -- what is listed ----------------------------------------------------------------------

    @property
    def underlyings(self) -> tuple[Underlying, ...]:
        """Every stock, ETF and index (other listings included)."""
        return tuple(self._underlyings.values())

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return tuple(self._pairs.values())

    @property
    def future_roots(self) -> tuple[FutureRoot, ...]:
        return tuple(self._futures.values())

    @property
    def future_option_roots(self) -> tuple[FutureOptionRoot, ...]:
        return tuple(self._fops.values())

    def listed(self) -> list[ContractSpec]:
        """The stocks, ETFs and indices (every listing), currency pairs and coins."""
        self._refresh()
        return list(self._by_con_id.values())

    def underlying(self, symbol: str) -> Underlying | None:
        """A stock, ETF or index by symbol (its primary listing)."""
        return self._underlyings.get(symbol.upper())

    def future_root(self, symbol: str) -> FutureRoot | None:
        symbol = symbol.upper()
        return self._futures.get(symbol) or next(
            (r for r in self._futures.values() if r.local_root == symbol), None)

    # -- adding ------------------------------------------------------------------------------

    def add_underlying(self, underlying: Underlying) -> None:
        """Add (or replace) a stock, ETF or index; US ones get an option chain by rule."""
        self._check_con_id(underlying.con_id, underlying.key)
        if underlying.has_options and not underlying.listing_of:
            self._index.setdefault(underlying.symbol, len(self._index))
        self._underlyings[underlying.key] = underlying
        self._put(stock_spec(underlying, self.today))

    def add_pair(self, pair: Pair) -> None:
        self._check_con_id(pair.con_id, pair.key)
        self._pairs[pair.key] = pair
        self._put(pair_spec(pair, self.today))

    def add_future_root(self, root: FutureRoot) -> None:
        self._future_index.setdefault(root.symbol, len(self._future_index))
        self._futures[root.symbol] = root

    def add_future_option_root(self, fop: FutureOptionRoot) -> None:
        if fop.symbol not in self._futures:
            raise ValueError(f"futures options on {fop.symbol!r} need its futures first; "
                             f"futures listed: {', '.join(self._futures)}")
        self._fops[fop.symbol] = fop

    def _check_con_id(self, con_id: int, key: str) -> None:
        held = self._by_con_id.get(con_id)
        if held is not None and held.market_key != key:
            raise ValueError(f"conId {con_id} of {key} is already {held.sec_type} "
                             f"{held.local_symbol or held.symbol}")

    def _put(self, spec: ContractSpec) -> None:
        old = self._by_con_id.get(spec.con_id)
        if old is not None:
            self._by_symbol[old.symbol.upper()].remove(old)
        self._by_con_id[spec.con_id] = spec
        self._by_symbol.setdefault(spec.symbol.upper(), []).append(spec)

    def _refresh(self) -> None:
        """Rebuild the listed specs' hours when the day has changed."""
        today = self.today
        if self._spec_day == today:
            return
        self._spec_day = today
        for u in self._underlyings.values():
            self._put(stock_spec(u, today))
        for p in self._pairs.values():
            self._put(pair_spec(p, today))

    # -- chains ------------------------------------------------------------------------------

    def expirations(self, symbol: str) -> tuple[date, ...]:
        underlying = self._underlyings[symbol.upper()]
        return option_expirations(underlying, self.today)

    def strikes(self, symbol: str) -> tuple[float, ...]:
        return option_strikes(self._underlyings[symbol.upper()])

    def trading_class(self, underlying: Underlying, expiry: date) -> str:
        """SPX's monthly (third-Friday) options are class SPX, its others SPXW."""
        weekly = underlying.weekly_class
        if weekly and previous_trading_day(third_friday(expiry.year, expiry.month)) != expiry:
            return weekly
        return underlying.symbol

    def futures(self, symbol: str) -> list[ContractSpec]:
        """The listed contracts of a futures root, nearest first."""
        root = self.future_root(symbol)
        if root is None:
            return []
        index = self._future_index[root.symbol]
        today = self.today
        months = fut.contract_months(root, today)
        front = months[0][2] if months else today
        # underConId: TWS names the CME index product (ES: 11004968), which the fake does not
        # list as a contract; the root's record carries it where it is known.
        return [fut.future_spec(root, index, y, m, last, today,
                                fut.carry_basis(root, front, last))
                for y, m, last in months]

    def future_for(self, symbol: str, expiry: date) -> ContractSpec | None:
        """The future a futures option expiring on `expiry` is on: the first quarterly
        contract that expires on or after it."""
        return next((f for f in self.futures(symbol) if f.last_trade_date >= f"{expiry:%Y%m%d}"),
                    None)

    def fop_chain(self, symbol: str) -> list[tuple[date, str, ContractSpec, tuple[float, ...]]]:
        """(expiry, trading class, underlying future, strikes) of every listed FOP expiry."""
        fop = self._fops.get(symbol.upper())
        if fop is None:
            return []
        root = self._futures[fop.symbol]
        chain = []
        for expiry, trading_class in fut.fop_expirations(fop, self.today):
            future = self.future_for(fop.symbol, expiry)
            if future is not None:
                chain.append((expiry, trading_class, future,
                              fut.fop_strikes(fop, root.reference_price)))
        return chain

    # -- lookups -----------------------------------------------------------------------------

    def by_con_id(self, con_id: int) -> ContractSpec | None:
        """Any listed contract by conId (options, futures and FOPs are decoded by rule)."""
        self._refresh()
        spec = self._by_con_id.get(con_id)
        if spec is not None:
            return spec
        if con_id >= fut.FOP_CON_ID_BASE:
            return self._fop_by_con_id(con_id)
        if con_id >= fut.FUTURE_CON_ID_BASE:
            return next((s for r in self._futures for s in self.futures(r)
                         if s.con_id == con_id), None)
        return self._option_by_con_id(con_id)

    def _fop_by_con_id(self, con_id: int) -> ContractSpec | None:
        index, offset = divmod(con_id - fut.FOP_CON_ID_BASE, fut.FOP_IDS_PER_ROOT)
        symbols = list(self._fops)
        if index >= len(symbols):
            return None
        slots, put = divmod(offset, 2)
        day_slot, _ = divmod(slots, _STRIKE_SLOTS)
        for expiry in fut.fop_expirations(self._fops[symbols[index]], self.today):
            if expiry[0].toordinal() % 512 == day_slot:
                query = ContractQuery(symbol=symbols[index], sec_type="FOP",
                                      last_trade_date=f"{expiry[0]:%Y%m%d}",
                                      right="P" if put else "C")
                return next((s for s in self._all_fops(query) if s.con_id == con_id), None)
        return None

    def _option_by_con_id(self, con_id: int) -> ContractSpec | None:
        index, offset = divmod(con_id - _OPTION_CON_ID_BASE, _OPTION_IDS_PER_UNDERLYING)
        symbols = [s for s, i in self._index.items() if i == index and s in self._underlyings]
        if con_id < _OPTION_CON_ID_BASE or not symbols:
            return None
        slots, put = divmod(offset, 2)
        day_slot, strike_slot = divmod(slots, _STRIKE_SLOTS)
        underlying = self._underlyings[symbols[0]]
        unit = _strike_unit(underlying)
        for expiry in self.expirations(underlying.symbol):
            if expiry.toordinal() % 512 != day_slot:
                continue
            for strike in self.strikes(underlying.symbol):
                if round(strike / unit) % _STRIKE_SLOTS == strike_slot:
                    query = ContractQuery(con_id=con_id, right="P" if put else "C",
                                          last_trade_date=f"{expiry:%Y%m%d}", strike=strike)
                    return next(self._options(underlying.symbol, query), None)
        return None

    def find(self, query: ContractQuery) -> list[ContractSpec]:
        """Every contract a (possibly partial) request matches, in a stable order: a bare
        symbol gives every listing, an option without strike the whole chain, a future
        without expiry every listed month."""
        if not query.is_specific:
            return []
        self._refresh()
        if query.con_id:
            spec = self.by_con_id(query.con_id)
            return [spec] if spec is not None and query.matches(spec) else []
        sec_type = query.sec_type
        if sec_type == "OPT":
            return [s for symbol in self._option_roots(query)
                    for s in self._options(symbol, query)]
        if sec_type == "FUT":
            roots = [query.symbol] if query.symbol else list(self._futures)
            return [s for r in roots for s in self.futures(r) if query.matches(s)]
        if sec_type == "FOP":
            return list(self._all_fops(query))
        if query.symbol:
            candidates: Iterable[ContractSpec] = self._by_symbol.get(query.symbol.upper(), ())
        else:
            candidates = self._by_con_id.values()
        return [s for s in candidates
                if (sec_type or s.sec_type in ("STK", "IND")) and query.matches(s)]

    def _option_roots(self, query: ContractQuery) -> list[str]:
        if query.symbol:
            symbol = query.symbol.upper()
            return [symbol] if symbol in self._index and symbol in self._underlyings else []
        if query.local_symbol:  # an OCC symbol: the root is its first six characters
            root = query.local_symbol[:6].strip().upper()
            return [u.symbol for u in self._underlyings.values()
                    if u.symbol in self._index and root in (u.symbol, u.weekly_class)]
        return []

    def _options(self, symbol: str, query: ContractQuery) -> Iterator[ContractSpec]:
        underlying = self._underlyings[symbol]
        unit = _strike_unit(underlying)
        today = self.today
        for expiry in self.expirations(symbol):
            if query.last_trade_date and not f"{expiry:%Y%m%d}".startswith(
                query.last_trade_date
            ):
                continue
            trading_class = self.trading_class(underlying, expiry)
            if query.trading_class and query.trading_class.upper() != trading_class:
                continue
            for strike in self.strikes(symbol):
                if query.strike and abs(query.strike - strike) > 1e-6:
                    continue
                for right in ("C", "P"):
                    con_id = option_con_id(self._index[symbol], expiry, strike, right, unit)
                    if query.con_id and query.con_id != con_id:
                        continue
                    spec = option_spec(underlying, expiry, strike, right, con_id,
                                       trading_class, today)
                    if query.matches(spec):
                        yield spec

    def _all_fops(self, query: ContractQuery) -> Iterator[ContractSpec]:
        symbols = [query.symbol.upper()] if query.symbol else list(self._fops)
        for symbol in symbols:
            fop = self._fops.get(symbol)
            if fop is None:
                continue
            index = list(self._fops).index(symbol)
            for expiry, trading_class, future, strikes in self.fop_chain(symbol):
                if query.last_trade_date and not f"{expiry:%Y%m%d}".startswith(
                        query.last_trade_date):
                    continue
                if query.strike:
                    strikes = tuple(k for k in strikes if abs(k - query.strike) < 1e-6)
                for spec in fut.fop_specs(fop, index, expiry, trading_class, strikes, future,
                                          self.today):
                    if query.matches(spec):
                        yield spec
