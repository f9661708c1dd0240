"""`fake_tws.catalog`: instruments a test defines in one line.

Each ``add_*`` builds the record a catalog file would hold, so a one-line instrument is read,
checked and listed exactly as a built-in one: contract details, market data (the simulator
gets a price process for it), history and orders. Errors name the call and what is wrong.
Additions last until the fake's next ``reset()`` (the plugin resets it for every test).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractQuery, ContractSpec
from pytest_tws.model.exchanges import EXCHANGE_HOURS
from pytest_tws.model.instruments import CatalogFileError, Universe, parse_record
from pytest_tws.model.price_processes import processes_of

if TYPE_CHECKING:
    from pytest_tws.fake.server import FakeTWS

T = TypeVar("T")


class CatalogControl:
    """Adds instruments to a running (or not yet started) FakeTWS, on the fake's loop."""

    def __init__(self, tws: FakeTWS) -> None:
        self._tws = tws

    @property
    def _catalog(self) -> Catalog:
        return self._tws.backend.catalog

    def _add(self, call: str, section: str, record: dict[str, Any],
             pick: Callable[[Catalog, Universe], T]) -> T:
        where = f"{call}({record.get('symbol') or record.get('pair')!r})"
        exchange = record.get("exchange")
        if isinstance(exchange, str) and exchange.upper() not in EXCHANGE_HOURS:
            raise ValueError(f"{where}: unknown exchange {exchange!r}; known: "
                             f"{', '.join(sorted(EXCHANGE_HOURS))}")
        try:
            universe = parse_record(section, {k: v for k, v in record.items() if v is not None},
                                    where)
        except CatalogFileError as exc:
            raise ValueError(str(exc)) from None

        def apply() -> T:
            backend = self._tws.backend
            catalog = backend.catalog
            try:
                for u in universe.underlyings:
                    catalog.add_underlying(u)
                for root in universe.futures:
                    catalog.add_future_root(root)
                for fop in universe.future_options:
                    catalog.add_future_option_root(fop)
                for pair in universe.pairs:
                    catalog.add_pair(pair)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            market = backend.market
            for process in processes_of(universe.underlyings, universe.futures, universe.pairs):
                market.add_underlying(process.key, process.price, process.vol, process.tick,
                                      dividend_yield=process.dividend_yield, lot=process.lot,
                              liquid=process.liquid)
            return pick(catalog, universe)

        return self._tws.call(apply)

    def add_stock(self, symbol: str, price: float, exchange: str = "NASDAQ", *,
                  currency: str = "USD", con_id: int | None = None, name: str | None = None,
                  vol: float = 0.3, stock_type: str = "COMMON", isin: str | None = None,
                  options: bool | None = None, strike_step: float | None = None,
                  min_tick: float = 0.01) -> ContractSpec:
        """A stock (or ETF: ``stock_type="ETF"``) listed on `exchange`; US stocks get an option
        chain by rule unless ``options=False``. Returns its contract."""
        record = {"symbol": symbol, "price": price, "exchange": exchange, "currency": currency,
                  "conId": con_id, "name": name or f"{symbol.upper()} INC", "vol": vol,
                  "type": stock_type, "isin": isin, "options": options,
                  "strikeStep": strike_step, "minTick": min_tick}
        return self._add("add_stock", "stocks", record,
                         lambda c, u: c.by_con_id(u.underlyings[0].con_id) or _missing(symbol))

    def add_index(self, symbol: str, price: float, exchange: str = "CBOE", *,
                  currency: str = "USD", con_id: int | None = None, name: str | None = None,
                  vol: float = 0.2, options: bool | None = None,
                  strike_step: float | None = None) -> ContractSpec:
        """An index (quoted without bid/ask, not tradable); with an option chain by rule."""
        record = {"symbol": symbol, "price": price, "exchange": exchange, "currency": currency,
                  "conId": con_id, "name": name or f"{symbol.upper()} Index", "vol": vol,
                  "options": options, "strikeStep": strike_step}
        return self._add("add_index", "indices", record,
                         lambda c, u: c.by_con_id(u.underlyings[0].con_id) or _missing(symbol))

    def add_future(self, symbol: str, price: float, exchange: str = "CME", *,
                   multiplier: str | int = "50", months: str = "HMUZ", listed: int = 4,
                   rule: str = "third_friday", min_tick: float = 0.25, currency: str = "USD",
                   name: str | None = None, vol: float = 0.2,
                   local_root: str | None = None) -> list[ContractSpec]:
        """A futures product; returns its listed contracts, nearest first. `months` are month
        codes (HMUZ quarterly), `rule` a last-trade-date rule of pytest_tws.model.futures."""
        record = {"symbol": symbol, "price": price, "exchange": exchange,
                  "multiplier": str(multiplier), "months": months, "listed": listed,
                  "rule": rule, "minTick": min_tick, "currency": currency,
                  "name": name or f"{symbol.upper()} futures", "vol": vol,
                  "localRoot": local_root}
        return self._add("add_future", "futures", record,
                         lambda c, u: c.futures(u.futures[0].symbol))

    def add_option_chain(self, symbol: str, *, strike_step: float | None = None,
                         dailies: bool = False, monthlies: int = 3,
                         weeklies: int = 4) -> list[str]:
        """Give a listed stock or index an option chain (or a futures root futures options);
        returns the chain's expirations as YYYYMMDD."""
        catalog = self._catalog
        symbol = symbol.upper()
        underlying = catalog.underlying(symbol)
        if underlying is not None:
            record: dict[str, Any] = {
                "symbol": underlying.symbol, "conId": underlying.con_id,
                "exchange": underlying.primary_exchange, "currency": underlying.currency,
                "name": underlying.long_name, "price": underlying.reference_price,
                "vol": underlying.volatility, "options": True, "dailies": dailies,
                "strikeStep": strike_step or underlying.strike_step or None,
                "isin": underlying.isin or None,
                "industry": [underlying.industry, underlying.category, underlying.subcategory],
            }
            section = "stocks" if underlying.sec_type == "STK" else "indices"
            if section == "stocks":
                record["type"] = underlying.stock_type
            return self._add("add_option_chain", section, record, lambda c, u: [
                f"{d:%Y%m%d}" for d in c.expirations(symbol)])
        root = catalog.future_root(symbol)
        if root is None:
            raise ValueError(f"add_option_chain({symbol!r}): no stock, index or futures root "
                             f"{symbol!r} is listed; add it first (add_stock/add_index/"
                             f"add_future)")
        record = {"symbol": root.symbol, "exchange": root.exchange,
                  "strikeStep": strike_step or max(root.min_tick * 20, root.min_tick),
                  "monthlies": monthlies, "weeklies": weeklies}
        return self._add("add_option_chain", "futureOptions", record, lambda c, u: sorted(
            {f"{e:%Y%m%d}" for e, _, _, _ in c.fop_chain(root.symbol)}))

    def add_forex(self, pair: str, price: float, *, con_id: int | None = None,
                  vol: float = 0.08) -> ContractSpec:
        """A currency pair on IDEALPRO, e.g. ``add_forex("EURSEK", 11.5)``."""
        record = {"pair": pair, "price": price, "conId": con_id, "vol": vol}
        return self._add("add_forex", "forex", record,
                         lambda c, u: c.by_con_id(u.pairs[0].con_id) or _missing(pair))

    def add_crypto(self, symbol: str, price: float, *, con_id: int | None = None,
                   vol: float = 0.6, min_tick: float = 0.01,
                   min_size: float = 0.0001) -> ContractSpec:
        """A coin on PAXOS, quoted in USD with fractional sizes."""
        record = {"symbol": symbol, "price": price, "conId": con_id, "vol": vol,
                  "minTick": min_tick, "minSize": min_size, "name": symbol.upper()}
        return self._add("add_crypto", "crypto", record,
                         lambda c, u: c.by_con_id(u.pairs[0].con_id) or _missing(symbol))

    def find(self, **fields: Any) -> list[ContractSpec]:
        """What a contract-details request with these ContractQuery fields would return."""
        return self._tws.call(lambda: self._catalog.find(ContractQuery(**fields)))


def _missing(name: str) -> ContractSpec:
    raise ValueError(f"{name!r} was added but is not listed")
