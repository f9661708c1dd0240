"""Black-Scholes, greeks, implied vol, smile, and strike-grid helpers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tws.model.chains import standard_strike_step, strikes_around
from pytest_tws.model.pricing import (
    bs_greeks,
    bs_price,
    implied_volatility,
    intrinsic_value,
    normalize_right,
    smile_vol,
)

spots = st.floats(min_value=5.0, max_value=2000.0)
moneyness = st.floats(min_value=0.6, max_value=1.6)
times = st.floats(min_value=1.0 / 365.0, max_value=3.0)
vols = st.floats(min_value=0.05, max_value=1.5)
rates = st.floats(min_value=0.0, max_value=0.08)
yields = st.floats(min_value=0.0, max_value=0.05)
rights = st.sampled_from(["C", "P"])


def test_known_value() -> None:
    # Hull, Options Futures and Other Derivatives, example 15.6: S=42 K=40 r=10% vol=20% T=0.5.
    assert bs_price(42, 40, 0.5, 0.2, 0.1, 0.0, "C") == pytest.approx(4.76, abs=0.005)
    assert bs_price(42, 40, 0.5, 0.2, 0.1, 0.0, "P") == pytest.approx(0.81, abs=0.005)


@settings(max_examples=200, deadline=None)
@given(spots, moneyness, times, vols, rates, yields)
def test_put_call_parity(s: float, m: float, t: float, v: float, r: float, q: float) -> None:
    k = s * m
    call = bs_price(s, k, t, v, r, q, "C")
    put = bs_price(s, k, t, v, r, q, "P")
    assert call - put == pytest.approx(s * math.exp(-q * t) - k * math.exp(-r * t), abs=1e-8 * s)


@settings(max_examples=150, deadline=None)
@given(spots, moneyness, times, vols, rates, yields, rights)
def test_greeks_match_finite_differences(
    s: float, m: float, t: float, v: float, r: float, q: float, right: str
) -> None:
    k = s * m
    g = bs_greeks(s, k, t, v, r, q, right)
    # Small steps: short-dated options have sharp curvature, where wide steps bias the estimate.
    hs, hv, ht = s * 2e-5, 1e-5, 1e-7

    def p(s_: float = s, t_: float = t, v_: float = v) -> float:
        return bs_price(s_, k, t_, v_, r, q, right)

    assert g.price == pytest.approx(p(), rel=1e-12)
    assert g.delta == pytest.approx((p(s_=s + hs) - p(s_=s - hs)) / (2 * hs), abs=1e-5)
    gamma_fd = (p(s_=s + hs) - 2 * p() + p(s_=s - hs)) / hs**2
    assert g.gamma == pytest.approx(gamma_fd, rel=1e-3, abs=1e-5 / s)
    vega_fd = (p(v_=v + hv) - p(v_=v - hv)) / (2 * hv) / 100.0
    assert g.vega == pytest.approx(vega_fd, rel=1e-4, abs=1e-7 * s)
    theta_fd = -(p(t_=t + ht) - p(t_=t - ht)) / (2 * ht) / 365.0
    assert g.theta == pytest.approx(theta_fd, rel=1e-3, abs=1e-7 * s)


def test_units_are_tws_units() -> None:
    # One vol point: price(0.21) - price(0.20) ~ vega; one day: price(T - 1d) - price(T) ~ theta.
    g = bs_greeks(100, 100, 30 / 365, 0.20, 0.04, 0.0, "C")
    assert bs_price(100, 100, 30 / 365, 0.21, 0.04) - g.price == pytest.approx(g.vega, rel=0.01)
    assert bs_price(100, 100, 29 / 365, 0.20, 0.04) - g.price == pytest.approx(g.theta, rel=0.02)
    assert g.theta < 0


@settings(max_examples=200, deadline=None)
@given(spots, moneyness, times, vols, rates, yields, rights)
def test_implied_vol_round_trip(
    s: float, m: float, t: float, v: float, r: float, q: float, right: str
) -> None:
    k = s * m
    price = bs_price(s, k, t, v, r, q, right)
    iv = implied_volatility(price, s, k, t, r, q, right)
    if bs_greeks(s, k, t, v, r, q, right).vega < 1e-6 * s:
        # Far from the money the price carries no information about vol; any answer (or none)
        # must still reproduce the price.
        if iv is not None:
            assert bs_price(s, k, t, iv, r, q, right) == pytest.approx(price, abs=1e-7 * s)
        return
    assert iv is not None
    assert iv == pytest.approx(v, rel=1e-5)


@pytest.mark.parametrize(
    ("price", "t"),
    [(0.0, 0.5), (1e9, 0.5), (5.0, 0.0), (float("nan"), 0.5), (0.5, 0.5)],
)
def test_implied_vol_none_outside_bounds(price: float, t: float) -> None:
    # Deep ITM call on S=110, K=100 is worth at least ~10: 0.5 is below the no-arbitrage floor.
    assert implied_volatility(price, 110, 100, t, 0.0, 0.0, "C") is None


def test_expired_option_is_intrinsic() -> None:
    assert bs_price(105, 100, 0.0, 0.3, 0.05, 0.0, "C") == 5.0
    assert bs_price(105, 100, -1.0, 0.3, 0.05, 0.0, "P") == 0.0
    g = bs_greeks(95, 100, 0.0, 0.3, 0.05, 0.0, "P")
    assert (g.price, g.delta, g.gamma, g.vega, g.theta) == (5.0, -1.0, 0.0, 0.0, 0.0)
    assert intrinsic_value(95, 100, "CALL") == 0.0


def test_normalize_right() -> None:
    assert [normalize_right(x) for x in ("c", "CALL", " p ", "Put")] == ["C", "C", "P", "P"]
    with pytest.raises(ValueError, match="not an option right"):
        normalize_right("X")


def test_smile_shape() -> None:
    atm, spot, t = 0.15, 500.0, 30 / 365
    iv = {k: smile_vol(atm, spot, k, t) for k in (400, 450, 500, 550, 600)}
    assert iv[500] == pytest.approx(atm, rel=0.02)
    # Equity smirk: OTM puts (low strikes) richer than ATM, richer than OTM calls.
    assert iv[400] > iv[450] > iv[500] > iv[550]
    assert all(0.5 * atm <= v <= 4 * atm for v in iv.values())
    # Term structure: the same standardised moneyness is a little higher further out.
    assert smile_vol(atm, spot, spot, 1.0) > smile_vol(atm, spot, spot, 7 / 365)


@settings(max_examples=100, deadline=None)
@given(spots, times, st.floats(min_value=0.05, max_value=1.0))
def test_smile_put_wing_above_atm(s: float, t: float, atm: float) -> None:
    below = s * math.exp(-0.5 * math.sqrt(t))
    assert smile_vol(atm, s, below, t) > smile_vol(atm, s, s, t)


def test_standard_strike_step() -> None:
    assert standard_strike_step(500.0, "SPY") == 1.0
    assert standard_strike_step(190.0, "AAPL") == 2.5
    assert standard_strike_step(410.0) == 5.0
    assert standard_strike_step(12.0) == 0.5
    assert standard_strike_step(60.0) == 1.0
    assert standard_strike_step(1500.0) == 10.0


def test_strikes_around() -> None:
    assert strikes_around(501.3, 5, 1.0) == [499.0, 500.0, 501.0, 502.0, 503.0]
    assert strikes_around(191.0, 4, 2.5) == [185.0, 187.5, 190.0, 192.5]  # ATM at index 2
    assert strikes_around(0.7, 3, 1.0) == [1.0, 2.0, 3.0]
    assert strikes_around(100.0, 0, 1.0) == []
    with pytest.raises(ValueError):
        strikes_around(100.0, 3, 0.0)


@given(st.floats(min_value=1.0, max_value=5000.0), st.integers(1, 60))
def test_strikes_around_properties(spot: float, count: int) -> None:
    step = standard_strike_step(spot)
    strikes = strikes_around(spot, count, step)
    assert len(strikes) == count
    assert strikes == sorted(set(strikes))
    assert all(s > 0 and abs(s / step - round(s / step)) < 1e-9 for s in strikes)
    if spot / step > count:
        assert abs(strikes[count // 2] - spot) <= step / 2 + 1e-9
