"""Everything one fake TWS shares among its client sessions. Lives on the fake's loop thread."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pytest_tws.fake.bounds import (
    DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_MAX_BUFFERED_BYTES,
    DEFAULT_MAX_CLIENTS,
    DEFAULT_MAX_FRAME_BYTES,
)
from pytest_tws.fake.market_feed import MarketFeed, StepListener
from pytest_tws.fake.pacing import DEFAULT_KICK_AFTER_WINDOWS, DEFAULT_MAX_MESSAGES_PER_SECOND
from pytest_tws.fake.quotes import SpecQuote, build_simulator, quote_spec
from pytest_tws.fake.received import RequestLog
from pytest_tws.fake.transcript import Transcript
from pytest_tws.model.broker import Broker
from pytest_tws.model.calendar_us import EASTERN
from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.instruments import Universe
from pytest_tws.model.instruments import load as load_universe
from tws_core.clock import Clock

if TYPE_CHECKING:
    from pytest_tws.fake.session import Session

log = logging.getLogger("pytest_tws.fake")


@dataclass
class Limits:
    """TWS's limits, adjustable per fake (a real TWS's depend on the account's packs)."""

    messages_per_second: int = DEFAULT_MAX_MESSAGES_PER_SECOND
    kick_after_windows: int = DEFAULT_KICK_AFTER_WINDOWS
    market_data_lines: int = 100
    # What one client may cost the fake (enforced by fake/bounds.py):
    max_clients: int = DEFAULT_MAX_CLIENTS
    """simultaneous API sockets; TWS's documented limit is 32"""
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT
    """real seconds from accept to startApi before the socket is closed"""
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    """the largest message a client may send (its declared length)"""
    max_buffered_bytes: int = DEFAULT_MAX_BUFFERED_BYTES
    """bytes held for one client: its unread partial frame, and output it has not read"""


@dataclass(frozen=True)
class FarmStatus:
    code: int
    farm: str


#: What TWS reports right after startApi when all farms are up.
STARTUP_FARMS: tuple[FarmStatus, ...] = (
    FarmStatus(2104, "usfarm"),
    FarmStatus(2106, "ushmds"),
    FarmStatus(2158, "secdefnj"),
)


class Backend:
    """Broker, catalog, sessions and records of one fake. `reset()` rebuilds it."""

    def __init__(
        self,
        accounts: Sequence[str],
        seed: int,
        clock: Clock,
        wall_monotonic: Callable[[], float],
        limits: Limits | None = None,
        universe: Universe | None = None,
    ) -> None:
        self.account_names = tuple(accounts)
        self.universe = universe if universe is not None else load_universe()
        """the instruments every rebuild starts from (built-in plus a user's catalog file)"""
        self.seed = seed
        self.clock = clock
        self.wall_monotonic = wall_monotonic
        """real time for the message-rate limit: a socket's rate is a physical quantity"""
        self.limits = limits or Limits()
        self.transcript = Transcript()
        self.requests = RequestLog(self.now)
        """every request since the last reset, for `FakeTWS.requests()`"""
        self.sessions: dict[int, Session] = {}
        """clientId -> the session that holds it"""
        self.all_sessions: set[Session] = set()
        self.extensions: dict[str, Any] = {}
        """area name -> state an area of handlers keeps (market data, orders)"""
        self.market_feed: MarketFeed | None = None
        self.read_only = False
        self.announce = True
        """answer reqUserInfo with the fake's marker (pytest_tws/fake/identity.py)"""
        """TWS's "Read-Only API" setting: order requests get error 321 (see read_only.py)"""
        self.rebuild()

    def rebuild(self) -> None:
        """Fresh broker state, as if a new paper account had just logged in."""
        self.rng = random.Random(self.seed)
        self.broker = Broker(self.account_names)
        self.catalog = Catalog(self.today, universe=self.universe)
        self.extensions = {}
        self.market = build_simulator(self.catalog, self.seed, self.now())
        """the seeded market simulator (pytest_tws.model.market), one per rebuild"""
        if self.market_feed is not None:
            self.market_feed.close()
        self.market_feed = MarketFeed(self)

    # market

    def sync_market(self) -> None:
        """Bring the simulator to the clock's current time (it never runs back)."""
        self.market.advance_to(self.now().timestamp())

    def quote(self, spec: ContractSpec) -> SpecQuote:
        """bid/ask/last (and sizes) of a stock or option at the clock's current time.

        Raises:
            UnknownSymbolError: the underlying is not simulated.
            ValueError: a security type the simulator does not quote (BAG: price its legs).
        """
        self.sync_market()
        return quote_spec(self.market, spec, self.now())

    def add_market_listener(self, listener: StepListener) -> Callable[[], None]:
        """Call `listener(backend)` after each market step and each control change (e.g. to
        fill resting orders when the market crosses them); returns a remover. The feed runs
        while any listener is registered, so remove it when nothing rests."""
        assert self.market_feed is not None
        return self.market_feed.add_step_listener(listener)

    def mark_price(self, spec: ContractSpec) -> float:
        """The price positions are valued at: the simulator's mid (or an installed pricer)."""
        pricer = self.extensions.get("pricer")
        if pricer is not None:
            return float(pricer(spec))
        try:
            return self.quote(spec).mid
        except (KeyError, ValueError):
            underlying = self.catalog.underlying(spec.symbol)
            return underlying.reference_price if underlying and spec.sec_type == "STK" else 0.0

    def now(self) -> datetime:
        return self.clock.now()

    def epoch_millis(self) -> int:
        """The clock's time as TWS stamps errors (milliseconds since the epoch)."""
        return int(self.clock.now().timestamp() * 1000)

    def today(self) -> date:
        return self.now().astimezone(EASTERN).date()

    def connection_time_text(self) -> str:
        """The handshake's time field, as TWS writes it: `20261125 11:05:21 EST`."""
        now = self.now().astimezone(EASTERN)
        return f"{now:%Y%m%d %H:%M:%S} {now.tzname()}"

    def claim_client_id(self, session: Session, client_id: int) -> bool:
        holder = self.sessions.get(client_id)
        if holder is not None and holder is not session and not holder.closed:
            return False
        self.sessions[client_id] = session
        return True

    def release(self, session: Session) -> None:
        self.all_sessions.discard(session)
        if session.client_id is not None and self.sessions.get(session.client_id) is session:
            del self.sessions[session.client_id]

    def ready_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.ready]
