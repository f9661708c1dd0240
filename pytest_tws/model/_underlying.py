"""Per-symbol state of the market simulator: the anchored path, the book and trades at a step,
and session statistics. Internal to :mod:`pytest_tws.model.market`.
"""

from __future__ import annotations

import math

from pytest_tws.model import _noise

STEP_SECONDS = 0.25
"""Spacing of the price grid in simulation seconds."""

MAX_WALK_STEPS = 4096
"""Longest gap (steps, ~17 min) over which high/low/volume are accumulated step by step."""

# Across a longer gap, this many steps stand in for the rest: far-apart steps each cost a deep
# descent of the Brownian tree, and an overnight virtual-clock jump must stay cheap.
_SAMPLES_PER_LONG_GAP = 512

_SECONDS_PER_YEAR = 365.0 * 86400.0
_DT_YEARS = STEP_SECONDS / _SECONDS_PER_YEAR

# Purposes of the counter-based random streams; any distinct constants do.
P_PATH = 0x1001
P_SPREAD = 0x1002
P_BID_SIZE = 0x1003
P_ASK_SIZE = 0x1004
P_TRADE = 0x1005
P_SIDE = 0x1006
P_TRADE_SIZE = 0x1007

# A trade prints on every 64th step whatever the dice say, bounding the search for the last one.
_FORCED_TRADE_EVERY = 64


def on_grid(n: int, tick: float) -> float:
    """``n`` ticks as a price. Rounding cancels float noise (50012 * 0.01 is 500.12000000000006)."""
    return round(n * tick, 8)


class Underlying:
    """Mutable state of one simulated underlying (internal)."""

    def __init__(
        self,
        seed: int,
        symbol: str,
        spot: float,
        vol: float,
        tick: float,
        lot: int,
        liquid: bool,
        dividend_yield: float,
        k: int,
    ) -> None:
        self.symbol = symbol
        self.key = _noise.stream_key(seed, symbol)
        self.tick = tick
        self.lot = lot
        self.liquid = liquid
        self.dividend_yield = dividend_yield
        self.vol = vol
        self.path = _noise.BrownianPath(self.key, P_PATH)
        self.trade_probability = 0.6 if liquid else 0.3
        self.halted = False
        self.halt_k = 0
        self.anchor_k = k
        self.anchor_log = math.log(spot)
        self.anchor_w = self.path.at(k)
        self.walked_k = k - 1
        first = on_grid(round(spot / tick), tick)
        self.close = first
        self.open = first
        self.high = first
        self.low = first
        self.volume = 0

    # -- the path ---------------------------------------------------------------------------

    def effective(self, k: int) -> int:
        """The step whose prices show at ``k``: a halted symbol shows its halt step."""
        return min(k, self.halt_k) if self.halted else k

    def log_price(self, k: int) -> float:
        dk = k - self.anchor_k
        dw = self.path.at(k) - self.anchor_w
        return (
            self.anchor_log
            + self.vol * math.sqrt(_DT_YEARS) * dw
            - 0.5 * self.vol * self.vol * _DT_YEARS * dk
        )

    def reanchor(self, k: int, log_price: float) -> None:
        self.anchor_k = k
        self.anchor_log = log_price
        self.anchor_w = self.path.at(k)

    # -- microstructure at a step -----------------------------------------------------------

    def book(self, k: int) -> tuple[int, int]:
        """Bid and ask in ticks at step ``k``."""
        spread = 1 if self.liquid else 2 + int(_noise.uniform(self.key, P_SPREAD, k) * 2)
        mid_ticks = math.exp(self.log_price(k)) / self.tick
        bid = max(math.floor(mid_ticks - 0.5 * spread + 0.5), 1)
        return bid, bid + spread

    def book_size(self, purpose: int, k: int) -> int:
        max_lots = 60 if self.liquid else 15
        return self.lot * (1 + int(_noise.uniform(self.key, purpose, k) * max_lots))

    def trades_at(self, k: int) -> bool:
        return (
            k == self.anchor_k
            or k % _FORCED_TRADE_EVERY == 0
            or _noise.uniform(self.key, P_TRADE, k) < self.trade_probability
        )

    def trade(self, k: int) -> tuple[float, int]:
        """Price and size of the trade printed at step ``k`` (which must trade)."""
        max_lots = 20 if self.liquid else 5
        size = self.lot * (1 + int(_noise.uniform(self.key, P_TRADE_SIZE, k) * max_lots))
        if k == self.anchor_k:
            return on_grid(round(math.exp(self.anchor_log) / self.tick), self.tick), size
        bid, ask = self.book(k)
        side = ask if _noise.uniform(self.key, P_SIDE, k) < 0.5 else bid
        return on_grid(side, self.tick), size

    def last_trade_step(self, k: int) -> int:
        j = k
        while not self.trades_at(j) and j > self.anchor_k:
            j -= 1
        return j

    # -- session statistics -----------------------------------------------------------------

    def walk_to(self, k: int) -> None:
        """Accumulate high/low/volume over the steps after ``walked_k`` up to ``k``."""
        if k <= self.walked_k:
            return
        if self.halted:
            # A halted symbol trades nothing; the steps just go by.
            self.walked_k = k
            return
        start = max(self.walked_k + 1, self.anchor_k)
        gap = k - start + 1
        stride = 1 if gap <= MAX_WALK_STEPS else math.ceil(gap / _SAMPLES_PER_LONG_GAP)
        steps = range(k, start - 1, -stride)
        for j in steps:
            if self.trades_at(j):
                price, size = self.trade(j)
                self.high = max(self.high, price)
                self.low = min(self.low, price)
                self.volume += size * stride
        if stride > 1:
            # The stride may have skipped the trade the quote shows as last; it must be in range.
            last, _ = self.trade(self.last_trade_step(k))
            self.high, self.low = max(self.high, last), min(self.low, last)
        self.walked_k = k

    def roll_session(self, k: int) -> None:
        self.walk_to(k)
        last, _ = self.trade(self.last_trade_step(self.effective(k)))
        self.close = self.open = self.high = self.low = last
        self.volume = 0
