"""`FakeTWS.market`: the test's hand on the simulated market. Thread-safe.

Every method runs on the fake's loop (through `FakeTWS.call`) and returns once done; a price
change is published to subscribers and shown to step listeners (resting orders) before the
call returns, whatever the clock does. Everything here is undone by `FakeTWS.reset()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pytest_tws.fake.backend import Backend
from pytest_tws.fake.market_book import Subscription, book
from pytest_tws.fake.quotes import SpecQuote
from pytest_tws.model.contracts import ContractQuery, ContractSpec
from pytest_tws.model.market import MarketSimulator, UnknownSymbolError

T = TypeVar("T")
Caller = Callable[[Callable[[], T]], T]


class MarketControl:
    """Prices, halts, volatility, tick rate, permissions; live subscriptions for assertions.

    Example::

        tws.market.set_price("SPY", 500.0)
        tws.market.move("SPY", -5)          # percent: SPY drops 5 %
        assert [s.symbol for s in tws.market.subscriptions] == ["SPY"]
    """

    def __init__(self, backend: Backend, call: Callable[[Callable[[], object]], object]) -> None:
        self._backend = backend
        self._call = call

    def _run(self, fn: Callable[[], T]) -> T:
        return self._call(fn)  # type: ignore[return-value]

    def _change(self, symbol: str, change: Callable[[MarketSimulator], None]) -> None:
        def run() -> None:
            backend = self._backend
            backend.sync_market()
            try:
                change(backend.market)
            except UnknownSymbolError:
                raise ValueError(f"{symbol!r} is not a simulated underlying") from None
            book(backend)  # so the change reaches subscribers even before the first line
            assert backend.market_feed is not None
            backend.market_feed.notify()

        self._run(run)

    # prices

    def set_price(self, symbol: str, price: float) -> None:
        """Move `symbol` to `price` now (a trade prints there); the path continues from it."""
        self._change(symbol, lambda m: m.set_price(symbol.upper(), price))

    def move(self, symbol: str, pct: float) -> None:
        """Move `symbol` by `pct` percent of its price (`-5` drops it 5 %)."""
        self._change(symbol, lambda m: m.move(symbol.upper(), pct))

    def halt(self, symbol: str, halted: bool = True) -> None:
        """Halt `symbol` (its quote freezes, halted tick 49 = 1), or resume it."""
        self._change(symbol, lambda m: m.halt(symbol.upper(), halted))

    def resume(self, symbol: str) -> None:
        self.halt(symbol, False)

    def set_volatility(self, symbol: str, vol: float) -> None:
        """Annual volatility of `symbol` from now on (0.2 is 20 %); option prices follow."""
        self._change(symbol, lambda m: m.set_volatility(symbol.upper(), vol))

    def set_tick_rate(self, per_second: float) -> None:
        """How often subscribers are sent changes, per second of the fake's clock (default
        4: the simulator's 0.25 s price grid)."""

        def run() -> None:
            assert self._backend.market_feed is not None
            self._backend.market_feed.set_tick_rate(per_second)

        self._run(run)

    # permissions

    def deny_permissions(self, symbol: str) -> None:
        """The account has no live data for `symbol` (and its options): reqMktData gets 354,
        or 10167 and delayed ticks after reqMarketDataType(3 or 4)."""
        self._run(lambda: book(self._backend).denied.add(symbol.upper()))

    def grant_permissions(self, symbol: str) -> None:
        self._run(lambda: book(self._backend).denied.discard(symbol.upper()))

    # reading

    @property
    def subscriptions(self) -> list[Subscription]:
        """The live market-data lines of every client, oldest first."""
        return self._run(lambda: book(self._backend).subscriptions())

    @property
    def lines_in_use(self) -> int:
        return self._run(lambda: book(self._backend).lines_in_use())

    def quote(self, symbol_or_spec: str | ContractSpec) -> SpecQuote:
        """The quote now: of a stock by symbol, or of any catalog contract."""

        def run() -> SpecQuote:
            spec = symbol_or_spec
            if isinstance(spec, str):
                found = self._backend.catalog.find(ContractQuery(symbol=spec, sec_type="STK"))
                if not found:
                    raise ValueError(f"{spec!r} is not in the catalog")
                spec = found[0]
            return self._backend.quote(spec)

        return self._run(run)

    def price(self, symbol: str) -> float:
        """Midpoint of `symbol`'s quote now."""
        return self.quote(symbol).mid
