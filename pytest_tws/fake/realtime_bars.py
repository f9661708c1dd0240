"""Real-time 5-second bars (reqRealTimeBars): built from the fake's own market on its clock.

Each subscription samples its contract's quote after every feed tick (the same `SpecQuote` the
ticker's ticks come from) and folds the samples into bars aligned to 5 seconds of the fake's
clock; a bar is sent once the clock has passed its end. TWS serves only 5-second bars (ibapi
`EClient.reqRealTimeBars`: "barSize - currently being ignored"), so the fake ignores barSize.

- TRADES: the last price; volume is the increase of the day's volume over the bar, count the
  samples in which it rose, wap the volume-weighted last price (the bar's close if none traded).
- MIDPOINT / BID / ASK: the mid, bid or ask; volume, wap and count are -1 (TWS sends no
  volume for quote bars).
- useRTH: a stock's bars only inside 09:30-16:00 New York on trading days.

The subscriptions register a feed step listener only while one exists, so an idle fake keeps no
sleeper on a virtual clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING

from pytest_tws.model.calendar_us import EASTERN, is_trading_day
from pytest_tws.model.contracts import ContractSpec

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend
    from pytest_tws.fake.quotes import SpecQuote
    from pytest_tws.fake.session import Session

BAR_SECONDS = 5
WHAT_TO_SHOW = ("TRADES", "MIDPOINT", "BID", "ASK")
NO_VOLUME = -1
"""volume, wap and count of a quote (not TRADES) bar"""
RTH = (time(9, 30), time(16))
RTH_SEC_TYPES = frozenset({"STK"})

Emit = Callable[["Stream", "RealTimeBar"], None]


@dataclass
class RealTimeBar:
    time: int
    """the bar's start, epoch seconds"""
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    wap: float = 0.0
    count: int = 0
    _notional: float = 0.0

    def add(self, price: float, volume: float) -> None:
        self.high, self.low, self.close = max(self.high, price), min(self.low, price), price
        if volume > 0:
            self.volume += volume
            self.count += 1
            self._notional += price * volume

    def finish(self, trades: bool) -> RealTimeBar:
        if not trades:
            self.volume = self.wap = NO_VOLUME
            self.count = NO_VOLUME
        else:
            self.wap = round(self._notional / self.volume, 8) if self.volume else self.close
        return self


@dataclass
class Stream:
    session: Session
    req_id: int
    spec: ContractSpec
    what_to_show: str
    use_rth: bool
    bar: RealTimeBar | None = None
    day_volume: float | None = None
    first_start: int = 0
    """the first whole bar: the one in progress when subscribing is not sent"""

    def price(self, quote: SpecQuote) -> float:
        if self.what_to_show == "TRADES":
            return quote.last
        if self.what_to_show == "BID":
            return quote.bid
        if self.what_to_show == "ASK":
            return quote.ask
        return quote.mid

    def in_hours(self, now: datetime) -> bool:
        if not self.use_rth or self.spec.sec_type not in RTH_SEC_TYPES:
            return True
        local = now.astimezone(EASTERN)
        return is_trading_day(local.date()) and RTH[0] <= local.time() < RTH[1]


class RealTimeBars:
    """Every real-time-bar subscription of one backend."""

    def __init__(self, backend: Backend, emit: Emit) -> None:
        self.backend = backend
        self.emit = emit
        self.streams: dict[tuple[Session, int], Stream] = {}
        self._stop_listening: Callable[[], None] | None = None

    def add(self, stream: Stream) -> None:
        stream.first_start = math.ceil(self.backend.now().timestamp() / BAR_SECONDS) * BAR_SECONDS
        self.streams[(stream.session, stream.req_id)] = stream
        stream.session.close_callbacks.append(self._session_closed)
        self._sample(stream)
        feed = self.backend.market_feed
        if self._stop_listening is None and feed is not None:
            self._stop_listening = feed.add_step_listener(self.on_step)

    def remove(self, session: Session, req_id: int) -> bool:
        found = self.streams.pop((session, req_id), None) is not None
        if not self.streams and self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        return found

    def drop_all(self) -> None:
        for session, req_id in list(self.streams):
            self.remove(session, req_id)

    def _session_closed(self, session: Session) -> None:
        for key in [k for k in self.streams if k[0] is session]:
            self.remove(*key)

    def on_step(self, backend: Backend) -> None:
        for stream in list(self.streams.values()):
            self._sample(stream)

    def _sample(self, stream: Stream) -> None:
        now = self.backend.now()
        start = math.floor(now.timestamp() / BAR_SECONDS) * BAR_SECONDS
        bar = stream.bar
        if bar is not None and bar.time != start:
            stream.bar = None
            self.emit(stream, bar.finish(stream.what_to_show == "TRADES"))
        quote = self.backend.quote(stream.spec)
        own = quote.stock is not None and quote.option is None
        day_volume = float(quote.stock.volume) if own and quote.stock else 0.0
        traded = 0.0 if stream.day_volume is None else max(0.0, day_volume - stream.day_volume)
        stream.day_volume = day_volume
        price = stream.price(quote)
        if start < stream.first_start or not stream.in_hours(now) or not price > 0:
            return
        if stream.bar is None:
            stream.bar = RealTimeBar(start, price, price, price, price)
        stream.bar.add(price, traded)
