"""Option chains and ticker subscriptions on ib_async, within TWS's market-data limits.

- `option_chain` asks reqSecDefOptParams once and filters expirations and strikes around the
  spot price; contracts are qualified on demand, in batches (ib_async paces the requests).
- `subscribe` takes a line from a `LineBudget` first, so the limit fails here with
  `MarketDataLimitError` instead of at TWS with error 101. Lines come back on `unsubscribe`,
  and on any error that ends the subscription.
- After 1101 (restored, data lost) or a reconnect TWS has forgotten every subscription;
  `resubscribe` asks again for all of them. It runs by itself on those events and is also the
  hook a watchdog calls after its own recovery.
- With ``allow_delayed``, a contract without live permissions (354) is requested again as
  delayed data (reqMarketDataType 3); TWS then answers 10167 and sends delayed ticks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ib_async import Contract, Option, Stock, Ticker

from tws_core.clock import Clock, SystemClock
from tws_core.connection import ConnectionManager
from tws_core.errors import Code, TwsApiError, TwsCoreError
from tws_core.events import ConnectionState, ConnectivityRestored, StateChange, TwsErrorEvent
from tws_core.throttle import LineBudget, MarketDataLimitError

log = logging.getLogger("tws_core.market_data")

MAX_TICKERS = Code.MAX_TICKERS
NOT_SUBSCRIBED = Code.NOT_SUBSCRIBED
DELAYED_DISPLAYED = Code.DELAYED_DISPLAYED
NO_SECURITY_DEFINITION = Code.NO_SECURITY_DEFINITION
#: reqMarketDataType values
LIVE, DELAYED = 1, 3
#: errors on a market-data request after which TWS sends nothing for it
_FATAL_TO_LINE = frozenset({
    MAX_TICKERS, NOT_SUBSCRIBED, NO_SECURITY_DEFINITION, Code.COMPETING_LIVE_SESSION,
    Code.NO_MARKET_DATA_PERMISSION,
})


class ChainNotFoundError(TwsCoreError):
    """TWS lists no option chain for the underlying (on the asked exchange)."""


@dataclass(frozen=True)
class OptionChain:
    """Expirations and strikes of one trading class, filtered as asked.

    `contracts()` builds (unqualified) options from it; `MarketData.qualify` fills in conIds.
    """

    symbol: str
    underlying_con_id: int
    exchange: str
    trading_class: str
    multiplier: str
    expirations: tuple[str, ...]
    """yyyymmdd, ascending"""
    strikes: tuple[float, ...]
    """ascending"""
    spot: float | None = None
    """the underlying's price the strikes were chosen around (None: not known)"""

    def contracts(
        self,
        expirations: Iterable[str] | None = None,
        strikes: Iterable[float] | None = None,
        rights: Sequence[str] = ("C", "P"),
    ) -> list[Option]:
        """Options of this chain: every (expiration, strike, right) asked, chain order."""
        chosen_exp = list(self.expirations if expirations is None else expirations)
        chosen_strikes = list(self.strikes if strikes is None else strikes)
        return [
            Option(self.symbol, exp, strike, right, self.exchange,
                   multiplier=self.multiplier, currency="USD", tradingClass=self.trading_class)
            for exp in chosen_exp for strike in chosen_strikes for right in rights
        ]

    def atm_strike(self) -> float | None:
        """The strike nearest the spot price (None without a spot or strikes)."""
        if self.spot is None or not self.strikes:
            return None
        return min(self.strikes, key=lambda k: abs(k - self.spot))  # type: ignore[operator]


@dataclass
class _Line:
    contract: Contract
    generic_ticks: str
    ticker: Ticker
    delayed: bool = False
    error: TwsApiError | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)


class MarketData:
    """Market data for production code. See the module docstring.

    Args:
        conn: The connection (its ``ib`` makes the requests).
        line_limit: Lines this client may use (100 for a default account).
        allow_delayed: On 354, fall back to delayed data instead of failing.
        clock: Time for waits; the connection's clock by default.
        qualify_batch: Contracts per qualification round trip batch.

    Example::

        data = MarketData(conn, line_limit=100)
        chain = await data.option_chain("SPY", expirations=2, strikes=10)
        ticker = await data.subscribe(chain.contracts()[0])
    """

    def __init__(
        self,
        conn: ConnectionManager,
        line_limit: int = 100,
        *,
        allow_delayed: bool = False,
        clock: Clock | None = None,
        qualify_batch: int = 50,
    ) -> None:
        self.conn = conn
        self.budget = LineBudget(line_limit)
        self.allow_delayed = allow_delayed
        self.clock: Clock = clock or getattr(conn, "clock", None) or SystemClock()
        self.qualify_batch = max(1, qualify_batch)
        self._lines: dict[int, _Line] = {}
        """budget key -> line"""
        self._data_type = LIVE
        self._recovery: asyncio.Task[int] | None = None
        conn.events.error += self._on_error
        conn.events.connectivity_restored += self._on_restored
        conn.events.state_changed += self._on_state

    # -- option chains ----------------------------------------------------------------------

    async def option_chain(
        self,
        symbol: str,
        *,
        sec_type: str = "STK",
        exchange: str = "SMART",
        trading_class: str | None = None,
        expirations: int | None = None,
        max_days: int | None = None,
        strikes: int | None = None,
        strike_range: float | None = None,
        today: date | None = None,
    ) -> OptionChain:
        """The option chain of `symbol`, filtered around the spot price.

        Args:
            expirations: keep the nearest N expirations.
            max_days: keep expirations at most this many days from today.
            strikes: keep the N strikes nearest the spot price.
            strike_range: keep strikes within this fraction of spot (0.1: ±10 %).
            trading_class: which class when there are several (default: the symbol's own).

        Raises:
            ChainNotFoundError: TWS has no chain for it.
            TwsApiError: the underlying is unknown (200).
        """
        ib = self.conn.ib
        underlying = Stock(symbol, "SMART", "USD") if sec_type == "STK" else Contract(
            symbol=symbol, secType=sec_type, exchange="SMART", currency="USD")
        qualified = await ib.qualifyContractsAsync(underlying)
        if not qualified or not underlying.conId:
            raise TwsApiError(NO_SECURITY_DEFINITION, req_id=-1)
        params = await ib.reqSecDefOptParamsAsync(symbol, "", sec_type, underlying.conId)
        found = [p for p in params if p.exchange == exchange]
        wanted = trading_class or symbol
        chosen = next((p for p in found if p.tradingClass == wanted), found[0] if found else None)
        if chosen is None:
            raise ChainNotFoundError(f"no option chain for {symbol} on {exchange}")
        spot = await self._spot(underlying) if (strikes or strike_range) else None
        return OptionChain(
            symbol=symbol,
            underlying_con_id=underlying.conId,
            exchange=exchange,
            trading_class=chosen.tradingClass,
            multiplier=chosen.multiplier,
            expirations=tuple(_pick_expirations(
                chosen.expirations, expirations, max_days, today or self.clock.now().date())),
            strikes=tuple(_pick_strikes(chosen.strikes, spot, strikes, strike_range)),
            spot=spot,
        )

    async def _spot(self, underlying: Contract) -> float | None:
        tickers = await self.conn.ib.reqTickersAsync(underlying)
        if not tickers:
            return None
        price = tickers[0].marketPrice()
        if _is_price(price):
            return float(price)
        close = tickers[0].close
        return float(close) if _is_price(close) else None

    async def qualify(self, contracts: Sequence[Contract]) -> list[Contract]:
        """Fill in conIds, `qualify_batch` at a time (ib_async paces the requests within a
        batch); returns the contracts TWS knows, in order."""
        done: list[Contract] = []
        for start in range(0, len(contracts), self.qualify_batch):
            batch = list(contracts[start:start + self.qualify_batch])
            for c in await self.conn.ib.qualifyContractsAsync(*batch):
                if isinstance(c, Contract):
                    done.append(c)
        return done

    # -- subscriptions ----------------------------------------------------------------------

    @property
    def tickers(self) -> list[Ticker]:
        """Tickers of the live subscriptions."""
        return [line.ticker for line in self._lines.values()]

    async def subscribe(
        self, contract: Contract, generic_ticks: str = "", *, timeout: float | None = 5.0
    ) -> Ticker:
        """Stream `contract`; returns its ticker once the first data (or a failure) arrives.

        ``timeout=None`` returns at once without waiting. A contract already subscribed
        returns its ticker and takes no second line.

        Raises:
            MarketDataLimitError: the budget is spent (or TWS answered 101 anyway).
            TwsApiError: TWS refused it (354 without ``allow_delayed``, 200, ...).
        """
        if not contract.conId:
            await self.qualify([contract])
        key = _key(contract)
        if key in self._lines:
            return self._lines[key].ticker
        self.budget.reserve(key)
        try:
            ticker = self.conn.ib.reqMktData(contract, generic_ticks)
        except BaseException:
            self.budget.release(key)
            raise
        line = _Line(contract, generic_ticks, ticker)
        self._lines[key] = line
        ticker.updateEvent += lambda _t: line.settled.set()
        if timeout is not None:
            await self._wait_settled(line, timeout)
        return ticker

    async def _wait_settled(self, line: _Line, timeout: float) -> None:
        waiter = asyncio.ensure_future(line.settled.wait())
        sleeper = asyncio.ensure_future(self.clock.sleep(timeout))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, sleeper):
                task.cancel()
        if line.error is not None:
            if line.error.code == MAX_TICKERS:
                raise MarketDataLimitError(_key(line.contract), self.budget.limit)
            raise line.error

    async def unsubscribe(self, target: Contract | Ticker) -> bool:
        """Stop streaming and free the line; False if it was not subscribed."""
        contract = target.contract if isinstance(target, Ticker) else target
        if contract is None:
            return False
        line = self._lines.pop(_key(contract), None)
        self.budget.release(_key(contract))
        if line is None:
            return False
        with contextlib.suppress(Exception):
            self.conn.ib.cancelMktData(line.contract)
        return True

    async def snapshot(self, *contracts: Contract) -> list[Ticker]:
        """One-off quotes (reqMktData snapshots, which hold no line)."""
        return list(await self.conn.ib.reqTickersAsync(*contracts))

    # -- recovery ---------------------------------------------------------------------------

    async def resubscribe(self) -> int:
        """Ask TWS again for every subscription (after 1101 or a reconnect); returns how many.

        ib_async keeps a ticker per contract, so callers' `Ticker` objects go on updating.
        """
        ib = self.conn.ib
        if not ib.isConnected():
            return 0
        if self._data_type != LIVE:
            ib.reqMarketDataType(self._data_type)
        count = 0
        wrapper = ib.wrapper
        for line in list(self._lines.values()):
            if line.ticker in wrapper.ticker2ReqId["mktData"]:
                # ib_async's bookkeeping of the old request (after 1101 TWS ignores it)
                ib.cancelMktData(line.contract)
            # A reconnect reset ib_async's tickers: put ours back so callers' objects update.
            wrapper.tickers.setdefault(hash(line.contract), line.ticker)
            line.error = None
            line.settled.clear()
            line.ticker = ib.reqMktData(line.contract, line.generic_ticks)
            count += 1
        log.info("resubscribed %d market-data lines", count)
        return count

    def close(self) -> None:
        """Stop reacting to the connection's events (subscriptions are left as they are)."""
        self.conn.events.error -= self._on_error
        self.conn.events.connectivity_restored -= self._on_restored
        self.conn.events.state_changed -= self._on_state
        if self._recovery is not None:
            self._recovery.cancel()

    def _schedule_resubscribe(self) -> None:
        if self._lines and (self._recovery is None or self._recovery.done()):
            with contextlib.suppress(RuntimeError):  # no running loop: the caller recovers
                self._recovery = asyncio.get_running_loop().create_task(self.resubscribe())

    def _on_restored(self, event: ConnectivityRestored) -> None:
        if event.data_lost:
            self._schedule_resubscribe()

    def _on_state(self, change: StateChange) -> None:
        if change.new is ConnectionState.CONNECTED and change.old in (
            ConnectionState.RECONNECTING, ConnectionState.CONNECTING,
            ConnectionState.DISCONNECTED,
        ):
            self._schedule_resubscribe()

    def _on_error(self, event: TwsErrorEvent) -> None:
        line = self._line_for(event)
        if line is None:
            return
        if event.code == DELAYED_DISPLAYED:
            line.delayed = True
            return
        if event.code == NOT_SUBSCRIBED and self.allow_delayed and not line.delayed:
            self._fall_back_to_delayed(line)
            return
        if event.code in _FATAL_TO_LINE:
            line.error = TwsApiError(event.code, event.message, event.req_id)
            self._lines.pop(_key(line.contract), None)
            self.budget.release(_key(line.contract))
            with contextlib.suppress(Exception):
                self.conn.ib.cancelMktData(line.contract)
            line.settled.set()

    def _fall_back_to_delayed(self, line: _Line) -> None:
        ib = self.conn.ib
        line.delayed = True
        self._data_type = DELAYED
        ib.reqMarketDataType(DELAYED)
        with contextlib.suppress(Exception):
            ib.cancelMktData(line.contract)
        line.ticker = ib.reqMktData(line.contract, line.generic_ticks)

    def _line_for(self, event: TwsErrorEvent) -> _Line | None:
        ib = self.conn.ib
        for line in self._lines.values():
            req_id = ib.wrapper.ticker2ReqId["mktData"].get(line.ticker)
            if req_id == event.req_id:
                return line
        contract = event.contract
        if isinstance(contract, Contract) and contract.conId:
            return self._lines.get(_key(contract))
        return None


def _key(contract: Contract) -> int:
    return contract.conId if contract.conId and contract.secType != "BAG" else hash(contract)


def _is_price(value: Any) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value) and value > 0


def _pick_expirations(
    available: Iterable[str], count: int | None, max_days: int | None, today: date
) -> list[str]:
    chosen = sorted(e for e in available if _expiry(e) >= today)
    if max_days is not None:
        chosen = [e for e in chosen if (_expiry(e) - today).days <= max_days]
    return chosen[:count] if count is not None else chosen


def _pick_strikes(
    available: Iterable[float], spot: float | None, count: int | None, fraction: float | None
) -> list[float]:
    chosen = sorted(set(available))
    if spot is None:
        return chosen
    if fraction is not None:
        chosen = [k for k in chosen if abs(k - spot) <= fraction * spot]
    if count is not None:
        chosen = sorted(sorted(chosen, key=lambda k: (abs(k - spot), k))[:count])
    return chosen


def _expiry(text: str) -> date:
    return datetime.strptime(text[:8], "%Y%m%d").date()
