"""Reference data the fake answers from its catalog: symbol search (reqMatchingSymbols), the
components of a SMART BBO exchange code, the depth-capable exchanges.

Symbol search as TWS does it: symbols starting with the pattern first, then names containing
it, at most 16 descriptions, one per listing (a symbol with several listings appears once per
exchange and currency).

The SMART component letters are the US consolidated tape's participant codes (N NYSE, P
ARCA, Q NASDAQ, Z BATS, V IEX…); the bit numbers are the fake's own. The depth exchanges'
service data types follow what TWS reports for them (Deep, Deep2 for NASDAQ TotalView).
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractSpec

MAX_MATCHING_SYMBOLS = 16
#: the BBO exchange code the fake's tickReqParams names (pytest_tws.fake.handlers.market_data)
SMART_BBO_EXCHANGE = "9c0001"


@dataclass(frozen=True)
class SmartComponent:
    bit_number: int
    exchange: str
    letter: str


SMART_COMPONENTS: tuple[SmartComponent, ...] = tuple(
    SmartComponent(bit, exchange, letter) for bit, (exchange, letter) in enumerate((
        ("NYSE", "N"), ("ARCA", "P"), ("NASDAQ", "Q"), ("BATS", "Z"), ("IEX", "V"),
        ("AMEX", "A"), ("CHX", "M"), ("EDGX", "K"), ("EDGEA", "J"), ("BYX", "Y"),
        ("PSX", "X"), ("BEX", "B"), ("PEARL", "H"), ("MEMX", "U"), ("LTSE", "L"),
    ), start=1)
)


@dataclass(frozen=True)
class DepthExchange:
    exchange: str
    sec_type: str
    listing_exchange: str
    service_data_type: str
    agg_group: int


DEPTH_EXCHANGES: tuple[DepthExchange, ...] = (
    DepthExchange("NYSE", "STK", "NYSE", "Deep", 1),
    DepthExchange("ARCA", "STK", "ARCA", "Deep", 1),
    DepthExchange("NASDAQ", "STK", "NASDAQ", "Deep2", 1),
    DepthExchange("BATS", "STK", "BATS", "Deep", 1),
    DepthExchange("IEX", "STK", "IEX", "Deep", 1),
    DepthExchange("CME", "FUT", "", "Deep", 2),
    DepthExchange("CBOT", "FUT", "", "Deep", 2),
    DepthExchange("NYMEX", "FUT", "", "Deep", 2),
    DepthExchange("COMEX", "FUT", "", "Deep", 2),
    DepthExchange("IDEALPRO", "CASH", "", "Deep", 4),
    DepthExchange("LSE", "STK", "LSE", "Deep", 7),
    DepthExchange("IBIS", "STK", "IBIS", "Deep", 5),
)


def smart_components(bbo_exchange: str) -> tuple[SmartComponent, ...]:
    """The exchanges behind a tickReqParams BBO code; () for a code TWS did not give."""
    return SMART_COMPONENTS if bbo_exchange == SMART_BBO_EXCHANGE else ()


def matching_symbols(catalog: Catalog, pattern: str) -> list[ContractSpec]:
    """Stocks, ETFs and indices whose symbol starts with `pattern`, then whose name contains
    it (case-insensitive), at most MAX_MATCHING_SYMBOLS listings."""
    text = pattern.strip().upper()
    if not text:
        return []
    listed = catalog.listed()
    by_symbol = [s for s in listed if s.symbol.upper().startswith(text)]
    by_symbol.sort(key=lambda s: (s.symbol != text, len(s.symbol), s.symbol))
    by_name = [s for s in listed if s not in by_symbol and text in s.long_name.upper()]
    return (by_symbol + by_name)[:MAX_MATCHING_SYMBOLS]
