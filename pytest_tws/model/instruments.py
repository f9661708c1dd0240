"""The instrument universe as data: records of the package's instruments.json (or a user's file
of the same shape) read into the catalog's definitions, with errors that name what is wrong.

Records without a conId get a deterministic fake one (see `fake_con_id`); records without an
ISIN a synthetic one (`synthetic_isin`), so every stock has the secIdList TWS gives.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

FAKE_CON_ID_BASE = 1_000_000_000
_FAKE_CON_ID_SPAN = 90_000_000

_SECTIONS = ("stocks", "indices", "futures", "futureOptions", "forex", "crypto")


class CatalogFileError(ValueError):
    """A catalog file or record the catalog cannot use; the message says which and why."""


@dataclass(frozen=True)
class Underlying:
    """A stock, ETF or index the catalog lists, with the figures its option chain is built
    from. A listing of the same symbol elsewhere is its own Underlying (``listing_of`` set)."""

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
    sec_type: str = "STK"
    currency: str = "USD"
    isin: str = ""
    has_options: bool = True
    weekly_class: str = ""
    """trading class of expiries other than the monthly (SPXW); "" = the symbol"""
    dividend_yield: float = 0.0
    min_tick: float = 0.01
    listing_of: str = ""
    """the primary listing's symbol when this is another exchange's listing of it"""

    @property
    def key(self) -> str:
        """The catalog's and simulator's name for it: the symbol, or SYMBOL@EXCHANGE."""
        return f"{self.symbol}@{self.primary_exchange}" if self.listing_of else self.symbol


@dataclass(frozen=True)
class FutureRoot:
    """A futures product; its contracts are listed by rule for the catalog's date."""

    symbol: str
    exchange: str
    long_name: str
    multiplier: str
    months: str
    """month codes listed (HMUZ quarterly, FGHJKMNQUVXZ monthly)"""
    listed: int
    rule: str
    """last-trade-date rule, see pytest_tws.model.futures.RULES"""
    reference_price: float
    volatility: float
    min_tick: float
    currency: str = "USD"
    local_root: str = ""
    """the root of localSymbol/tradingClass when it differs from the symbol (6E, VX)"""
    index: str = ""
    """the index it settles to (its underConId), if the catalog lists it"""
    market: str = ""
    """another root whose price process it shares (MES trades at ES's price)"""
    carry: float = 0.0
    """annual carry: a later month trades at front x exp(carry x days after front / 365)"""
    under_con_id: int = 0
    """the index product TWS reports as its underConId (0 where TWS's is not known)"""

    @property
    def trading_class(self) -> str:
        return self.local_root or self.symbol

    @property
    def key(self) -> str:
        return f"FUT:{self.market or self.symbol}"


@dataclass(frozen=True)
class FutureOptionRoot:
    symbol: str
    exchange: str
    strike_step: float
    monthlies: int = 3
    weeklies: int = 4


@dataclass(frozen=True)
class Pair:
    """A currency pair on IDEALPRO, or a coin on PAXOS (sec_type CRYPTO)."""

    symbol: str
    currency: str
    con_id: int
    reference_price: float
    volatility: float
    min_tick: float
    sec_type: str = "CASH"
    long_name: str = ""
    min_size: float = 1.0

    @property
    def key(self) -> str:
        return f"{self.symbol}.{self.currency}"


@dataclass
class Universe:
    underlyings: list[Underlying] = field(default_factory=list)
    futures: list[FutureRoot] = field(default_factory=list)
    future_options: list[FutureOptionRoot] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)

    def extend(self, other: Universe) -> None:
        self.underlyings += other.underlyings
        self.futures += other.futures
        self.future_options += other.future_options
        self.pairs += other.pairs


CURRENCY_NAMES = {
    "USD": "US dollar", "EUR": "European Monetary Union Euro", "GBP": "British pound",
    "JPY": "Japanese yen", "AUD": "Australian dollar", "CAD": "Canadian dollar",
    "CHF": "Swiss franc", "NZD": "New Zealand dollar", "MXN": "Mexican peso",
    "CNH": "China Renminbi (offshore)",
}


def fake_con_id(*parts: str) -> int:
    """A stable conId outside IBKR's ranges seen in practice, for records without a real one."""
    key = ":".join(parts).upper().encode("utf-8")
    return FAKE_CON_ID_BASE + zlib.crc32(key) % _FAKE_CON_ID_SPAN


def isin_check_digit(body: str) -> int:
    """The ISO 6166 check digit of an 11-character ISIN body (Luhn over the digit string)."""
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def synthetic_isin(country: str, symbol: str, exchange: str) -> str:
    """A well-formed ISIN no real security has (issuer code starting ZZ)."""
    code = f"{zlib.crc32(f'{symbol}@{exchange}'.encode()) % 36**7:07d}"[-7:]
    body = f"{country}ZZ{code}"
    return body + str(isin_check_digit(body))


_COUNTRY = {"USD": "US", "GBP": "GB", "EUR": "DE", "JPY": "JP", "MXN": "MX"}


# -- reading ---------------------------------------------------------------------------------


class _Record:
    """One record, with typed reads whose errors name the file, section, record and field."""

    def __init__(self, where: str, raw: Any) -> None:
        if not isinstance(raw, Mapping):
            raise CatalogFileError(f"{where}: expected an object, got {type(raw).__name__}")
        self.where = where
        self.raw = raw

    def _get(self, name: str, kinds: tuple[type, ...], default: Any) -> Any:
        if name not in self.raw:
            if default is _REQUIRED:
                raise CatalogFileError(f"{self.where}: missing {name!r}")
            return default
        value = self.raw[name]
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            wanted = " or ".join(k.__name__ for k in kinds)
            raise CatalogFileError(f"{self.where}: {name!r} must be {wanted}, got {value!r}")
        return value

    def text(self, name: str, default: Any = None) -> str:
        value = str(self._get(name, (str,), _REQUIRED if default is None else default))
        if default is None and not value.strip():
            raise CatalogFileError(f"{self.where}: {name!r} must not be empty")
        return value

    def number(self, name: str, default: float | None = None, positive: bool = True) -> float:
        value = float(self._get(name, (int, float), _REQUIRED if default is None else default))
        if positive and value <= 0:
            raise CatalogFileError(f"{self.where}: {name!r} must be > 0, got {value}")
        return value

    def integer(self, name: str, default: int) -> int:
        return int(self._get(name, (int,), default))

    def flag(self, name: str, default: bool) -> bool:
        return bool(self._get(name, (bool,), default))


_REQUIRED = object()


def _stock(r: _Record, sec_type: str) -> list[Underlying]:
    symbol = r.text("symbol").upper()
    exchange = r.text("exchange").upper()
    currency = r.text("currency", "USD").upper()
    industry = r._get("industry", (list,), ["", "", ""])
    if len(industry) != 3 or not all(isinstance(x, str) for x in industry):
        raise CatalogFileError(f"{r.where}: 'industry' must be [industry, category, subcategory]")
    country = _COUNTRY.get(currency, "XS")
    isin = r.text("isin", "") or (
        synthetic_isin(country, symbol, exchange) if sec_type == "STK" else "")
    primary = Underlying(
        symbol=symbol,
        con_id=r.integer("conId", 0) or fake_con_id(sec_type, symbol, exchange, currency),
        primary_exchange=exchange, long_name=r.text("name"), reference_price=r.number("price"),
        volatility=r.number("vol", 0.3), stock_type=r.text("type", "COMMON" if sec_type == "STK"
                                                           else ""),
        industry=industry[0], category=industry[1], subcategory=industry[2],
        strike_step=r.number("strikeStep", 0.0, positive=False),
        daily_expirations=r.flag("dailies", False), sec_type=sec_type, currency=currency,
        isin=isin, has_options=r.flag("options", currency == "USD"),
        weekly_class=r.text("weeklyClass", ""),
        dividend_yield=r.number("divYield", 0.0, positive=False),
        min_tick=r.number("minTick", 0.01),
    )
    found = [primary]
    listings = r._get("listings", (list,), [])
    for n, raw in enumerate(listings):
        lr = _Record(f"{r.where}.listings[{n}]", raw)
        other_exchange = lr.text("exchange").upper()
        other_currency = lr.text("currency").upper()
        found.append(Underlying(
            symbol=symbol,
            con_id=lr.integer("conId", 0) or fake_con_id(sec_type, symbol, other_exchange,
                                                         other_currency),
            primary_exchange=other_exchange, long_name=primary.long_name,
            reference_price=lr.number("price"), volatility=primary.volatility,
            stock_type=primary.stock_type, industry=primary.industry,
            category=primary.category, subcategory=primary.subcategory, currency=other_currency,
            isin=primary.isin, has_options=False, listing_of=symbol, min_tick=primary.min_tick,
        ))
    return found


def _future(r: _Record) -> FutureRoot:
    from pytest_tws.model.futures import MONTH_CODES, RULES

    months = r.text("months").upper()
    if any(m not in MONTH_CODES for m in months):
        raise CatalogFileError(f"{r.where}: 'months' must be month codes from {MONTH_CODES}, "
                               f"got {months!r}")
    rule = r.text("rule", "third_friday")
    if rule not in RULES:
        raise CatalogFileError(f"{r.where}: unknown 'rule' {rule!r}; known: {', '.join(RULES)}")
    return FutureRoot(
        symbol=r.text("symbol").upper(), exchange=r.text("exchange").upper(),
        long_name=r.text("name"), multiplier=str(r._get("multiplier", (str, int), _REQUIRED)),
        months=months, listed=r.integer("listed", 4), rule=rule,
        reference_price=r.number("price"), volatility=r.number("vol", 0.2),
        min_tick=r.number("minTick", 0.25), currency=r.text("currency", "USD").upper(),
        local_root=r.text("localRoot", ""), index=r.text("index", ""),
        market=r.text("market", ""), carry=r.number("carry", 0.0, positive=False),
        under_con_id=r.integer("underConId", 0),
    )


def _pair(r: _Record, crypto: bool) -> Pair:
    if crypto:
        symbol, currency = r.text("symbol").upper(), r.text("currency", "USD").upper()
        return Pair(symbol, currency, r.integer("conId", 0) or fake_con_id(
            "CRYPTO", symbol, "PAXOS", currency), r.number("price"), r.number("vol", 0.6),
            r.number("minTick", 0.01), "CRYPTO", r.text("name", symbol),
            r.number("minSize", 0.0001))
    pair = r.text("pair").upper().replace(".", "")
    if len(pair) != 6:
        raise CatalogFileError(f"{r.where}: 'pair' must be six letters like EURUSD, got {pair!r}")
    symbol, currency = pair[:3], pair[3:]
    # IDEALPRO quotes half pips: 0.00005, or 0.005 for yen crosses.
    tick = 0.005 if currency == "JPY" else 0.00005
    return Pair(symbol, currency, r.integer("conId", 0) or fake_con_id(
        "CASH", symbol, "IDEALPRO", currency), r.number("price"), r.number("vol", 0.08),
        r.number("minTick", tick), "CASH", CURRENCY_NAMES.get(symbol, symbol))


def parse(data: Any, source: str) -> tuple[Universe, bool]:
    """A file's content as a Universe, and whether it replaces the built-in one."""
    if not isinstance(data, Mapping):
        raise CatalogFileError(f"{source}: expected a JSON object with {', '.join(_SECTIONS)}")
    unknown = sorted(set(data) - {*_SECTIONS, "about", "replaceBuiltin"})
    if unknown:
        raise CatalogFileError(f"{source}: unknown section(s) {unknown}; "
                               f"known: {', '.join(_SECTIONS)}")
    universe = Universe()
    for section in _SECTIONS:
        records = data.get(section, [])
        if not isinstance(records, Sequence) or isinstance(records, str):
            raise CatalogFileError(f"{source}: {section!r} must be a list of records")
        for n, raw in enumerate(records):
            r = _Record(f"{source}: {section}[{n}]" if len(records) > 1 or not source.endswith(
                ")") else source, raw)
            if section in ("stocks", "indices"):
                universe.underlyings += _stock(r, "STK" if section == "stocks" else "IND")
            elif section == "futures":
                universe.futures.append(_future(r))
            elif section == "futureOptions":
                universe.future_options.append(FutureOptionRoot(
                    r.text("symbol").upper(), r.text("exchange").upper(),
                    r.number("strikeStep"), r.integer("monthlies", 3), r.integer("weeklies", 4)))
            else:
                universe.pairs.append(_pair(r, crypto=section == "crypto"))
    return universe, bool(data.get("replaceBuiltin", False))


@lru_cache(maxsize=1)
def _builtin() -> Universe:
    text = resources.files("pytest_tws.model").joinpath("data/instruments.json").read_text(
        encoding="utf-8")
    return parse(json.loads(text), "instruments.json")[0]


def load(path: str | os.PathLike[str] | None = None) -> Universe:
    """The built-in universe, extended (or replaced) by the file at `path` if given."""
    universe = Universe()
    universe.extend(_builtin())
    if path is None:
        return universe
    try:
        content = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogFileError(f"cannot read catalog file {str(path)!r}: {exc}") from None
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(f"{path}: not valid JSON: {exc}") from None
    extra, replace_builtin = parse(data, str(path))
    if replace_builtin:
        return extra
    universe.extend(extra)
    return universe


def parse_record(section: str, raw: Mapping[str, Any], where: str) -> Universe:
    """One record of `section` (as a file would hold it) as a Universe; errors name `where`."""
    if section not in _SECTIONS:
        raise CatalogFileError(f"{where}: unknown section {section!r}")
    universe, _ = parse({section: [raw]}, where)
    return universe
