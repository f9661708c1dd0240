"""The simulator's price processes for a catalog: one per stock listing, index, futures root
(its months share it; micro contracts share the full-size root's), currency pair and coin.

Lots set the book's sizes: 100 shares, one futures contract, IDEALPRO's 100,000 units of the
base currency, one unit of a coin (pytest_tws.fake.quotes scales coins to their minimum size).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pytest_tws.model.catalog import Catalog
from pytest_tws.model.instruments import FutureRoot, Pair, Underlying
from pytest_tws.model.market import DEFAULT_UNDERLYINGS

#: secTypes quoted straight from their own process (options are priced off one)
QUOTED_DIRECTLY = frozenset({"STK", "IND", "FUT", "CASH", "CRYPTO"})
#: secTypes TWS quotes without a book: an index has a value (last), not bids and asks
WITHOUT_BOOK = frozenset({"IND"})
#: secTypes whose history has bars around the clock on weekdays (Globex, IDEALPRO, PAXOS)
AROUND_THE_CLOCK = frozenset({"FUT", "FOP", "CASH", "CRYPTO"})
#: a coin's simulated sizes are counted in this many coins (PAXOS sizes are fractional)
CRYPTO_SIZE_UNIT = 0.01
SHARE_LOT = 100
IDEALPRO_LOT = 100_000
FUTURES_LOT = 1
CRYPTO_LOT = 1


@dataclass(frozen=True)
class PriceProcess:
    key: str
    price: float
    vol: float
    tick: float
    lot: int
    dividend_yield: float = 0.0
    liquid: bool | None = None
    """1-tick spread and deep book (None: the simulator's default for the name)"""


def price_processes(catalog: Catalog) -> list[PriceProcess]:
    return processes_of(catalog.underlyings, catalog.future_roots, catalog.pairs)


def processes_of(underlyings: Iterable[Underlying], future_roots: Iterable[FutureRoot],
                 pairs: Iterable[Pair]) -> list[PriceProcess]:
    found: list[PriceProcess] = []
    for u in underlyings:
        known = DEFAULT_UNDERLYINGS.get(u.key)
        dividend = u.dividend_yield or (known.dividend_yield if known is not None else 0.0)
        found.append(PriceProcess(u.key, u.reference_price, u.volatility, u.min_tick,
                                  SHARE_LOT, dividend))
    for root in future_roots:
        if not root.market:
            found.append(PriceProcess(root.key, root.reference_price, root.volatility,
                                      root.min_tick, FUTURES_LOT, liquid=True))
    for pair in pairs:
        lot = CRYPTO_LOT if pair.sec_type == "CRYPTO" else IDEALPRO_LOT
        found.append(PriceProcess(pair.key, pair.reference_price, pair.volatility,
                                  pair.min_tick, lot, liquid=True))
    return found
