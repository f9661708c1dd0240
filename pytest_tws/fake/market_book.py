"""Market-data lines of one fake: who subscribed to what, permissions, and publishing ticks.

Lines count per fake, across all its clients, as TWS counts them per user: the limit is
`backend.limits.market_data_lines` (100 by default). Lives on the fake's loop thread, in
`backend.extensions[MARKET_DATA]`, so `reset()` starts from none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_tws.fake import ticks
from pytest_tws.fake.history import HistoricalPacing
from pytest_tws.fake.layouts import Payload
from pytest_tws.fake.quotes import ComboLeg, SpecQuote, combine
from pytest_tws.model.contracts import ContractSpec

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend
    from pytest_tws.fake.session import Session

MARKET_DATA = "market_data"
#: A client with this much unread output gets no new ticks until it catches up: its lines
#: conflate (the next tick carries every change since), as TWS's own feed does.
CONGESTED_BYTES = 256 * 1024


@dataclass(eq=False)
class Line:
    """One reqMktData: a streaming line, or a snapshot being answered."""

    session: Session
    req_id: int
    spec: ContractSpec
    generic: frozenset[int] = frozenset()
    delayed: bool = False
    legs: tuple[ComboLeg, ...] = ()
    sent: ticks.Picture = field(default_factory=dict)

    @property
    def symbols(self) -> set[str]:
        if self.legs:
            return {leg.spec.sim_key for leg in self.legs}
        return {self.spec.sim_key}


@dataclass(frozen=True)
class Subscription:
    """A live line as tests see it (a copy: safe to keep and compare from any thread)."""

    client_id: int | None
    req_id: int
    con_id: int
    symbol: str
    sec_type: str
    local_symbol: str
    generic_ticks: tuple[int, ...]
    delayed: bool


class MarketBook:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.lines: dict[tuple[Session, int], Line] = {}
        self.denied: set[str] = set()
        """symbols whose live data this account is not permissioned for (354 / 10167)"""
        self.pacing = HistoricalPacing()
        self.history: dict[tuple[Session, int], object] = {}
        """keepUpToDate historical requests still open (cancelHistoricalData ends them)"""
        self._watched: set[Session] = set()
        feed = backend.market_feed
        assert feed is not None
        feed.publishers.append(self.publish)
        feed.set_demand(lambda: bool(self.lines))

    # lines

    def lines_in_use(self) -> int:
        return len(self.lines)

    def add(self, line: Line) -> None:
        self.lines[(line.session, line.req_id)] = line
        self._watch(line.session)
        assert self.backend.market_feed is not None
        self.backend.market_feed.ensure_running()

    def remove(self, session: Session, req_id: int) -> bool:
        return self.lines.pop((session, req_id), None) is not None

    def drop_all(self) -> None:
        self.lines.clear()
        self.history.clear()

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(
                client_id=line.session.client_id,
                req_id=line.req_id,
                con_id=line.spec.con_id,
                symbol=line.spec.symbol,
                sec_type=line.spec.sec_type,
                local_symbol=line.spec.local_symbol,
                generic_ticks=tuple(sorted(line.generic)),
                delayed=line.delayed,
            )
            for line in self.lines.values()
        ]

    def _watch(self, session: Session) -> None:
        if session in self._watched:
            return
        self._watched.add(session)
        session.close_callbacks.append(self._session_closed)

    def _session_closed(self, session: Session) -> None:
        self._watched.discard(session)
        for key in [k for k in self.lines if k[0] is session]:
            del self.lines[key]
        for key in [k for k in self.history if k[0] is session]:
            del self.history[key]

    # quotes and ticks

    def quote(self, line: Line, cache: dict[object, Any] | None = None) -> SpecQuote:
        key: object = tuple((leg.spec.con_id, leg.ratio, leg.action) for leg in line.legs) or (
            line.spec.con_id
        )
        if cache is not None and key in cache:
            found: SpecQuote = cache[key]
            return found
        if line.legs:
            q = combine([(leg, self.backend.quote(leg.spec)) for leg in line.legs])
        else:
            q = self.backend.quote(line.spec)
        if cache is not None:
            cache[key] = q
        return q

    def updates(
        self, line: Line, cache: dict[object, Any] | None = None
    ) -> list[Payload]:
        """The messages that bring `line`'s client up to date (everything, the first time).

        `cache` (one per tick) shares quotes and pictures among lines of the same contract, and
        the messages among those lines that were sent the same thing before.
        """
        key = ("picture", line.spec.con_id, line.legs, line.generic)
        picture = cache.get(key) if cache is not None else None
        if picture is None:
            q = self.quote(line, cache)
            symbol = line.spec.sim_key
            market = self.backend.market
            vol = market.volatility(symbol) if market.has_underlying(symbol) else 0.0
            now_epoch = int(self.backend.now().timestamp())
            picture = ticks.picture(line.spec, q, line.generic, vol, now_epoch,
                                    combo=bool(line.legs))
            if cache is not None:
                cache[key] = picture
        version = line.session.server_version
        if cache is None:
            return ticks.messages(line.req_id, line.sent, picture, line.delayed, version)
        shared = ("messages", key, line.delayed, version)
        found = cache.get(shared)
        if found is not None and found[0] == line.sent:
            line.sent.update(picture)
            return ticks.readdress(found[1], line.req_id, version)
        before = dict(line.sent)
        messages = ticks.messages(line.req_id, line.sent, picture, line.delayed, version)
        cache[shared] = (before, messages)
        return messages

    def publish(self) -> None:
        """Send every line its changes (the feed calls this each tick)."""
        cache: dict[object, Any] = {}
        for line in list(self.lines.values()):
            if line.session.closed or _congested(line.session):
                continue
            for fields in self.updates(line, cache):
                line.session.send(fields)


def _congested(session: Session) -> bool:
    transport = getattr(session, "_transport", None)
    return transport is not None and transport.get_write_buffer_size() > CONGESTED_BYTES


def book(backend: Backend) -> MarketBook:
    """The backend's market-data book, made on first use."""
    found = backend.extensions.get(MARKET_DATA)
    if not isinstance(found, MarketBook):
        found = backend.extensions[MARKET_DATA] = MarketBook(backend)
    return found
