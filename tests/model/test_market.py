"""The market simulator: determinism, the step grid, books, controls and option quotes."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.model._noise import BrownianPath, stream_key
from pytest_tws.model.market import (
    DEFAULT_UNDERLYINGS,
    STEP_SECONDS,
    MarketSimulator,
    Quote,
    UnknownSymbolError,
)
from pytest_tws.model.options import option_tick_size
from pytest_tws.model.pricing import bs_price

T0 = 1_700_000_000.0
NOW = datetime(2024, 3, 1, 10, 0)
EXPIRY = date(2024, 3, 15)


def path(sim: MarketSimulator, symbol: str, times: list[float]) -> list[Quote]:
    out = []
    for t in times:
        sim.advance_to(t)
        out.append(sim.quote(symbol))
    return out


def on_grid(price: float, tick: float) -> bool:
    return abs(price / tick - round(price / tick)) < 1e-6


def test_same_seed_same_path_different_seed_different() -> None:
    times = [T0 + 5.0 * i for i in range(1, 60)]
    a = path(MarketSimulator(seed=7, start=T0), "AAPL", times)
    b = path(MarketSimulator(seed=7, start=T0), "AAPL", times)
    c = path(MarketSimulator(seed=8, start=T0), "AAPL", times)
    assert a == b
    assert [q.last for q in a] != [q.last for q in c]


def test_adding_a_symbol_does_not_change_another() -> None:
    times = [T0 + 3.0 * i for i in range(1, 40)]
    plain = MarketSimulator(seed=3, start=T0, defaults=False)
    plain.add_underlying("SPY", 500.0, 0.15)
    busy = MarketSimulator(seed=3, start=T0, defaults=False)
    busy.add_underlying("XYZ", 50.0, 0.4)
    busy.add_underlying("SPY", 500.0, 0.15)
    busy.add_underlying("ABC", 20.0, 0.9)
    assert path(plain, "SPY", times) == path(busy, "SPY", times)


def test_symbols_have_independent_paths() -> None:
    sim = MarketSimulator(seed=3, start=T0, defaults=False)
    sim.add_underlying("AAA", 100.0, 0.3)
    sim.add_underlying("BBB", 100.0, 0.3)
    times = [T0 + 30.0 * i for i in range(1, 20)]
    assert [q.last for q in path(sim, "AAA", times)] != [q.last for q in path(sim, "BBB", times)]


def test_stream_keys_are_stable_across_processes() -> None:
    # Pinned values: a key built on Python's salted hash() would change from run to run.
    assert stream_key(0, "SPY") == stream_key(0, "SPY") == 0x190917CAE5AC90FB
    assert stream_key(1, "SPY") != stream_key(0, "SPY") != stream_key(0, "QQQ")


def test_sampling_frequency_does_not_change_the_quote() -> None:
    target = T0 + 600.0
    sparse = MarketSimulator(seed=11, start=T0)
    dense = MarketSimulator(seed=11, start=T0)
    path(dense, "TSLA", [T0 + 0.1 * i for i in range(1, 6001)])
    sparse.advance_to(target)
    # Session stats are exact too: the 10-minute gap is under MAX_WALK_STEPS.
    assert sparse.quote("TSLA") == dense.quote("TSLA")


def test_time_between_grid_steps_shows_the_previous_step() -> None:
    sim = MarketSimulator(seed=1, start=T0)
    sim.advance_to(T0 + 100 * STEP_SECONDS)
    on_step = sim.quote("QQQ")
    sim.advance_to(T0 + 100.9 * STEP_SECONDS)
    later = sim.quote("QQQ")
    assert (later.bid, later.ask, later.last) == (on_step.bid, on_step.ask, on_step.last)
    assert sim.step_at(T0 + 100 * STEP_SECONDS) == 100


def test_time_never_runs_back() -> None:
    sim = MarketSimulator(seed=1, start=T0)
    sim.advance_to(T0 + 50)
    before = sim.quote("SPY")
    sim.advance_to(T0 + 10)
    assert sim.now == T0 + 50
    assert sim.quote("SPY") == before


def test_prices_move_with_realistic_volatility() -> None:
    # Daily log returns over 120 simulated days should show roughly the configured vol.
    sim = MarketSimulator(seed=5, start=T0, defaults=False)
    sim.add_underlying("VOL", 100.0, 0.30)
    closes = [q.last for q in path(sim, "VOL", [T0 + 86400.0 * d for d in range(1, 121)])]
    rets = [math.log(b / a) for a, b in itertools.pairwise(closes)]
    mean = sum(rets) / len(rets)
    realised = math.sqrt(sum((x - mean) ** 2 for x in rets) / (len(rets) - 1) * 365)
    assert 0.2 < realised < 0.4


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    symbol=st.sampled_from(["SPY", "AAPL", "TSLA", "IWM"]),
    offsets=st.lists(st.floats(0.0, 7200.0), min_size=1, max_size=5),
)
def test_book_invariants(seed: int, symbol: str, offsets: list[float]) -> None:
    sim = MarketSimulator(seed=seed, start=T0)
    liquid = symbol in ("SPY", "IWM")
    for t in sorted(offsets):
        sim.advance_to(T0 + t)
        q = sim.quote(symbol)
        for price in (q.bid, q.ask, q.last, q.high, q.low, q.open, q.close):
            assert on_grid(price, 0.01)
        assert 0 < q.bid < q.ask
        spread_ticks = round((q.ask - q.bid) / 0.01)
        assert spread_ticks == 1 if liquid else 2 <= spread_ticks <= 3
        assert q.low <= q.last <= q.high
        for size in (q.bid_size, q.ask_size, q.last_size):
            assert isinstance(size, int) and size > 0 and size % 100 == 0
        assert q.volume >= q.last_size


def test_volume_grows() -> None:
    sim = MarketSimulator(seed=2, start=T0)
    volumes = [q.volume for q in path(sim, "MSFT", [T0 + 60.0 * i for i in range(1, 10)])]
    assert volumes == sorted(volumes) and volumes[-1] > volumes[0]


def test_halt_freezes_the_quote() -> None:
    sim = MarketSimulator(seed=9, start=T0)
    sim.advance_to(T0 + 30)
    sim.halt("TSLA")
    frozen = sim.quote("TSLA")
    assert frozen.halted
    for q in path(sim, "TSLA", [T0 + 30 + 60.0 * i for i in range(1, 30)]):
        assert (q.bid, q.ask, q.last, q.volume, q.high, q.low) == (
            frozen.bid,
            frozen.ask,
            frozen.last,
            frozen.volume,
            frozen.high,
            frozen.low,
        )
    sim.halt("TSLA", halted=False)
    resumed = sim.quote("TSLA")
    assert not resumed.halted
    assert abs(resumed.mid - frozen.mid) <= 0.011  # reopens where it stopped
    later = path(sim, "TSLA", [T0 + 4000.0])[0]
    assert later.last != frozen.last


def test_set_price_and_move() -> None:
    sim = MarketSimulator(seed=4, start=T0)
    sim.advance_to(T0 + 10)
    sim.set_price("SPY", 450.0)
    q = sim.quote("SPY")
    assert q.last == 450.0
    assert q.bid <= 450.0 <= q.ask
    assert q.low <= 450.0  # the print counts in the session range
    sim.move("SPY", -10)
    assert sim.quote("SPY").last == pytest.approx(405.0, abs=0.01)
    # The path carries on from the new level, with its usual small moves.
    sim.advance_to(T0 + 70)
    assert abs(sim.quote("SPY").last - 405.0) < 5.0
    with pytest.raises(ValueError):
        sim.set_price("SPY", 0.0)


def test_set_price_while_halted_shows_but_stays_frozen() -> None:
    sim = MarketSimulator(seed=4, start=T0)
    sim.halt("AAPL")
    sim.set_price("AAPL", 150.0)
    sim.advance_to(T0 + 600)
    q = sim.quote("AAPL")
    assert q.halted and q.last == 150.0


def test_set_volatility() -> None:
    calm = MarketSimulator(seed=6, start=T0)
    calm.set_volatility("SPY", 0.0)
    assert calm.volatility("SPY") == 0.0
    first = calm.quote("SPY").last
    later = path(calm, "SPY", [T0 + 3600.0])[0]
    assert abs(later.last - first) <= 0.02  # only the book's bid/ask bounce remains
    with pytest.raises(ValueError):
        calm.set_volatility("SPY", -0.1)


def test_unknown_symbol() -> None:
    sim = MarketSimulator(seed=0, start=T0, defaults=False)
    assert sim.symbols == ()
    with pytest.raises(UnknownSymbolError):
        sim.quote("NOPE")
    sim.ensure_underlying("NOPE")
    assert sim.has_underlying("NOPE")
    assert 20.0 <= sim.quote("NOPE").last <= 300.0


def test_new_session_rolls_close() -> None:
    sim = MarketSimulator(seed=1, start=T0)
    sim.advance_to(T0 + 3600)
    last = sim.quote("IWM").last
    sim.new_session()
    q = sim.quote("IWM")
    assert (q.close, q.open, q.high, q.low, q.volume) == (last, last, last, last, 0)


def test_session_start_callback_rolls_on_boundary() -> None:
    hour = 3600.0  # any session length does; short keeps the walk cheap
    sim = MarketSimulator(seed=1, start=T0, session_start=lambda t: t // hour * hour)
    single = MarketSimulator(seed=1, start=T0)
    first_close = sim.quote("SPY").close
    for s in (sim, single):
        s.advance_to(T0 + 2 * hour)
    q, unrolled = sim.quote("SPY"), single.quote("SPY")
    assert q.close != first_close and q.open == q.close  # rolled at the boundary
    assert unrolled.close == first_close
    assert 0 < q.volume < unrolled.volume  # reset, then re-accumulated since the boundary
    assert q.last == unrolled.last  # rolling touches statistics, never the path


def test_large_jump_is_cheap_and_consistent() -> None:
    a = MarketSimulator(seed=12, start=T0)
    b = MarketSimulator(seed=12, start=T0)
    a.advance_to(T0 + 30 * 86400.0)
    path(b, "AAPL", [T0 + 10 * 86400.0, T0 + 20 * 86400.0, T0 + 30 * 86400.0])
    qa, qb = a.quote("AAPL"), b.quote("AAPL")
    assert (qa.bid, qa.ask, qa.last) == (qb.bid, qb.ask, qb.last)


def test_brownian_path_is_order_independent_with_unit_variance() -> None:
    w = BrownianPath(key=123, purpose=1, depth=20)
    forward = [w.at(k) for k in range(0, 5000, 7)]
    backward = [w.at(k) for k in reversed(range(0, 5000, 7))][::-1]
    assert forward == backward
    incs = [w.at(k + 1) - w.at(k) for k in range(20000)]
    var = sum(x * x for x in incs) / len(incs)
    assert 0.95 < var < 1.05
    with pytest.raises(ValueError):
        w.at(-1)


# -- options --------------------------------------------------------------------------------


def test_option_quote_is_consistent() -> None:
    sim = MarketSimulator(seed=0, start=T0)
    oq = sim.option_quote("SPY", EXPIRY, 500.0, "C", NOW)
    assert oq.right == "C"
    assert 0 < oq.bid < oq.model_price < oq.ask
    assert oq.bid <= oq.last <= oq.ask
    assert oq.implied_vol is not None
    t = oq.time_to_expiry
    assert t == pytest.approx((14 * 24 + 6) / 24 / 365)
    assert oq.model_price == pytest.approx(
        bs_price(oq.und_price, 500.0, t, oq.implied_vol, sim.rate, 0.013, "C")
    )
    assert [c.tick_type for c in oq.computations] == [10, 11, 12, 13]
    bid_iv, ask_iv = oq.bid_computation.implied_vol, oq.ask_computation.implied_vol
    assert bid_iv is not None and ask_iv is not None
    assert bid_iv < oq.implied_vol < ask_iv
    model = oq.model_computation
    assert model.opt_price == oq.model_price and model.und_price == oq.und_price
    assert model.delta is not None and 0.3 < model.delta < 0.7
    assert model.vega is not None and model.vega > 0
    assert model.theta is not None and model.theta < 0
    assert model.pv_dividend is not None and model.pv_dividend > 0


@settings(max_examples=60, deadline=None)
@given(
    symbol=st.sampled_from(["SPY", "AAPL", "TSLA"]),
    moneyness=st.floats(0.7, 1.3),
    right=st.sampled_from(["C", "P", "CALL", "PUT"]),
    days=st.integers(0, 400),
)
def test_option_book_invariants(symbol: str, moneyness: float, right: str, days: int) -> None:
    sim = MarketSimulator(seed=1, start=T0)
    strike = round(sim.quote(symbol).mid * moneyness)
    dividend = DEFAULT_UNDERLYINGS[symbol].dividend_yield
    expiry = date.fromordinal(NOW.toordinal() + days)
    oq = sim.option_quote(symbol, expiry, strike, right, NOW)
    assert 0 <= oq.bid < oq.ask
    assert oq.bid <= oq.last <= oq.ask
    assert oq.bid <= oq.model_price <= oq.ask
    penny = symbol == "SPY"
    # The documented book: at least max(2c | 5c, 3 % | 6 % of model) wide, rounded outwards.
    half = 0.5 * max(0.02 if penny else 0.05, (0.03 if penny else 0.06) * oq.model_price)
    assert oq.ask >= oq.model_price + half - 1e-9
    assert oq.bid == 0 or oq.bid <= oq.model_price - half + 1e-9
    for price in (oq.bid, oq.ask, oq.last):
        assert on_grid(price, option_tick_size(oq.model_price, penny))
    assert (oq.bid_size == 0) == (oq.bid == 0)
    assert oq.ask_size > 0 and oq.last_size > 0
    t, spot = oq.time_to_expiry, oq.und_price
    for comp in oq.computations:
        # A vol, when there is one, must reprice its own price (TWS's meaning of "implied").
        if comp.implied_vol is not None and comp.opt_price is not None:
            repriced = bs_price(spot, strike, t, comp.implied_vol, sim.rate, dividend, oq.right)
            assert repriced == pytest.approx(comp.opt_price, abs=1e-6)


def test_otm_put_richer_than_atm_in_the_quotes() -> None:
    sim = MarketSimulator(seed=0, start=T0)
    atm = sim.option_quote("SPY", EXPIRY, 500.0, "P", NOW).implied_vol
    otm = sim.option_quote("SPY", EXPIRY, 470.0, "P", NOW).implied_vol
    assert atm is not None and otm is not None and otm > atm


def test_expired_option_is_intrinsic_without_iv() -> None:
    sim = MarketSimulator(seed=0, start=T0)
    sim.set_price("AAPL", 200.0)
    oq = sim.option_quote("AAPL", date(2024, 3, 1), 190.0, "C", datetime(2024, 3, 1, 16, 30))
    assert oq.time_to_expiry == 0.0
    assert oq.implied_vol is None
    assert oq.model_price == pytest.approx(oq.und_price - 190.0)
    assert all(c.implied_vol is None for c in oq.computations)


def test_option_sizes_are_deterministic_and_right_spelling_agnostic() -> None:
    a = MarketSimulator(seed=0, start=T0).option_quote("QQQ", EXPIRY, 430.0, "P", NOW)
    b = MarketSimulator(seed=0, start=T0).option_quote("QQQ", EXPIRY, 430.0, "PUT", NOW)
    assert a == b
