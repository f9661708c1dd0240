"""reqSecDefOptParams (78) answers from the catalog: one entry per exchange and trading class,
for stock and index options (underlying secType STK/IND) and futures options (FUT).

TWS answers one securityDefinitionOptionParameter per (exchange, tradingClass): SPX gives SPX
(monthlies) and SPXW (the rest); ES futures options ES and EW1..EW4. `futFopExchange` filters
the exchange ("" = all). The entries' conId is the underlying's (for FUT: the first future the
chain's options are on, as TWS names one).
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_tws.model.catalog import Catalog
from pytest_tws.model.specs import INDEX_OPTION_EXCHANGES, OPTION_EXCHANGES


@dataclass(frozen=True)
class ChainParams:
    exchange: str
    underlying_con_id: int
    trading_class: str
    multiplier: str
    expirations: tuple[str, ...]
    strikes: tuple[float, ...]


def chain_params(catalog: Catalog, symbol: str, exchange_filter: str = "",
                 under_sec_type: str = "", under_con_id: int = 0) -> list[ChainParams]:
    """Every chain of `symbol`; empty when nothing matches (TWS: error 200)."""
    if under_sec_type.upper() == "FUT":
        return _future_chains(catalog, symbol, exchange_filter)
    underlying = catalog.underlying(symbol)
    if underlying is None or not underlying.has_options or (
            under_con_id and under_con_id != underlying.con_id):
        return _future_chains(catalog, symbol, exchange_filter) if not under_sec_type else []
    if under_sec_type and under_sec_type.upper() != underlying.sec_type:
        return []
    by_class: dict[str, list[str]] = {}
    for expiry in catalog.expirations(underlying.symbol):
        by_class.setdefault(catalog.trading_class(underlying, expiry), []).append(
            f"{expiry:%Y%m%d}")
    strikes = catalog.strikes(underlying.symbol)
    exchanges = ((*INDEX_OPTION_EXCHANGES, underlying.primary_exchange)
                 if underlying.sec_type == "IND" else tuple(dict.fromkeys(OPTION_EXCHANGES)))
    return [ChainParams(exchange, underlying.con_id, trading_class, "100", tuple(expiries),
                        strikes)
            for exchange in exchanges if not exchange_filter or exchange_filter == exchange
            for trading_class, expiries in by_class.items()]


def _future_chains(catalog: Catalog, symbol: str, exchange_filter: str) -> list[ChainParams]:
    root = catalog.future_root(symbol)
    if root is None or (exchange_filter and exchange_filter != root.exchange):
        return []
    by_class: dict[str, tuple[int, str, list[str], tuple[float, ...]]] = {}
    for expiry, trading_class, future, strikes in catalog.fop_chain(root.symbol):
        entry = by_class.setdefault(trading_class, (future.con_id, future.multiplier, [],
                                                    strikes))
        entry[2].append(f"{expiry:%Y%m%d}")
    return [ChainParams(root.exchange, con_id, trading_class, multiplier, tuple(expiries),
                        strikes)
            for trading_class, (con_id, multiplier, expiries, strikes) in by_class.items()]
