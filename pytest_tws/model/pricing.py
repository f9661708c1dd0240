"""Black-Scholes pricing, greeks, implied volatility and a volatility smile.

Pure functions over floats, math only (no numpy, no I/O), so the fake can price thousands of
option ticks without dependencies and tests can check them exactly.

Units follow what TWS reports in ``tickOptionComputation``:

- ``t`` is time to expiry in years of :data:`DAYS_PER_YEAR` calendar days.
- ``vol``, ``r`` and ``q`` are annualised decimals (0.20 is 20 %).
- ``delta`` is per $1 of underlying, ``gamma`` is delta change per $1.
- ``vega`` is the price change for **one volatility point** (0.20 → 0.21), i.e. ∂V/∂sigma / 100.
- ``theta`` is the price change for **one calendar day** passing, i.e. -∂V/∂t / 365
  (negative for a long option in the usual case).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DAYS_PER_YEAR",
    "DEFAULT_SMILE",
    "Greeks",
    "Right",
    "SmileParams",
    "bs_greeks",
    "bs_price",
    "forward_price",
    "implied_volatility",
    "intrinsic_value",
    "norm_cdf",
    "norm_pdf",
    "normalize_right",
    "pv_dividend",
    "smile_vol",
]

Right = Literal["C", "P"]
"""An option right as the model spells it; see :func:`normalize_right` for TWS spellings."""

DAYS_PER_YEAR = 365.0
"""Calendar days per year: time to expiry and theta are on a calendar-day basis."""

_SQRT_2PI = math.sqrt(2.0 * math.pi)
# Bounds for the implied-volatility search. 500 % covers meme-stock weeklies; below 0.1 % an
# option's time value is lost in float noise anyway.
_IV_LO = 1e-3
_IV_HI = 5.0


def normalize_right(right: str) -> Right:
    """Map a TWS right spelling (``C``, ``CALL``, ``P``, ``PUT``, any case) to ``"C"``/``"P"``.

    Raises:
        ValueError: for anything else.
    """
    r = right.strip().upper()
    if r in ("C", "CALL"):
        return "C"
    if r in ("P", "PUT"):
        return "P"
    raise ValueError(f"not an option right: {right!r}")


def norm_pdf(x: float) -> float:
    """Standard normal density."""
    return math.exp(-0.5 * x * x) / _SQRT_2PI


def norm_cdf(x: float) -> float:
    """Standard normal cumulative distribution (via ``erfc``, accurate in both tails)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def intrinsic_value(spot: float, strike: float, right: str) -> float:
    """Exercise value now: ``max(S - K, 0)`` for calls, ``max(K - S, 0)`` for puts."""
    if normalize_right(right) == "C":
        return max(spot - strike, 0.0)
    return max(strike - spot, 0.0)


def forward_price(spot: float, t: float, r: float = 0.0, q: float = 0.0) -> float:
    """Forward of the underlying to ``t`` years under continuous rate ``r`` and yield ``q``."""
    return spot * math.exp((r - q) * max(t, 0.0))


def pv_dividend(spot: float, t: float, q: float) -> float:
    """Present value of the dividends paid until expiry under a continuous yield ``q``.

    This is the ``pvDividend`` field of ``tickOptionComputation``: ``S·(1 - e^{-qT})``.
    """
    return spot * (1.0 - math.exp(-q * max(t, 0.0)))


@dataclass(frozen=True)
class Greeks:
    """A Black-Scholes price with its sensitivities, in TWS units (see the module docstring)."""

    price: float
    delta: float
    gamma: float
    vega: float
    """Price change per one volatility point (sigma + 0.01)."""
    theta: float
    """Price change per calendar day passing."""
    rho: float
    """Price change per one percentage point of rate (r + 0.01)."""


def _d1_d2(
    spot: float, strike: float, t: float, vol: float, r: float, q: float
) -> tuple[float, float]:
    sd = vol * math.sqrt(t)
    d1 = (math.log(spot / strike) + (r - q + 0.5 * vol * vol) * t) / sd
    return d1, d1 - sd


def _degenerate(spot: float, strike: float, t: float) -> bool:
    # No time left (or nonsense inputs): nothing to model, the option is worth its intrinsic.
    return t <= 0.0 or spot <= 0.0 or strike <= 0.0


def bs_price(
    spot: float,
    strike: float,
    t: float,
    vol: float,
    r: float = 0.0,
    q: float = 0.0,
    right: str = "C",
) -> float:
    """European Black-Scholes-Merton price with continuous dividend yield.

    Args:
        spot: underlying price.
        strike: strike price.
        t: years to expiry; ``t <= 0`` prices the option at intrinsic value.
        vol: annualised volatility; ``vol <= 0`` gives the discounted forward intrinsic value.
        r: continuously compounded risk-free rate.
        q: continuous dividend yield.
        right: ``"C"``/``"P"`` (or ``CALL``/``PUT``).

    Returns:
        The option price per share.
    """
    rt = normalize_right(right)
    if _degenerate(spot, strike, t):
        return intrinsic_value(spot, strike, rt)
    df_q = math.exp(-q * t)
    df_r = math.exp(-r * t)
    if vol <= 0.0:
        fwd_intrinsic = spot * df_q - strike * df_r
        return max(fwd_intrinsic, 0.0) if rt == "C" else max(-fwd_intrinsic, 0.0)
    d1, d2 = _d1_d2(spot, strike, t, vol, r, q)
    if rt == "C":
        return spot * df_q * norm_cdf(d1) - strike * df_r * norm_cdf(d2)
    return strike * df_r * norm_cdf(-d2) - spot * df_q * norm_cdf(-d1)


def bs_greeks(
    spot: float,
    strike: float,
    t: float,
    vol: float,
    r: float = 0.0,
    q: float = 0.0,
    right: str = "C",
) -> Greeks:
    """Price and greeks in TWS units: vega per vol point, theta per calendar day.

    At or past expiry (``t <= 0``) or with ``vol <= 0`` the greeks are the limits: delta is
    ±1 in the money, 0 out of the money (0.5 exactly at the money), everything else is 0.
    """
    rt = normalize_right(right)
    if _degenerate(spot, strike, t) or vol <= 0.0:
        price = bs_price(spot, strike, t, vol, r, q, rt)
        sign = 1.0 if rt == "C" else -1.0
        moneyness = sign * (spot - strike)
        delta = sign * (1.0 if moneyness > 0 else 0.5 if moneyness == 0 else 0.0)
        return Greeks(price=price, delta=delta, gamma=0.0, vega=0.0, theta=0.0, rho=0.0)
    d1, d2 = _d1_d2(spot, strike, t, vol, r, q)
    sqrt_t = math.sqrt(t)
    df_q = math.exp(-q * t)
    df_r = math.exp(-r * t)
    pdf = norm_pdf(d1)
    gamma = df_q * pdf / (spot * vol * sqrt_t)
    vega = spot * df_q * pdf * sqrt_t
    decay = -spot * df_q * pdf * vol / (2.0 * sqrt_t)
    if rt == "C":
        price = spot * df_q * norm_cdf(d1) - strike * df_r * norm_cdf(d2)
        delta = df_q * norm_cdf(d1)
        theta_year = decay - r * strike * df_r * norm_cdf(d2) + q * spot * df_q * norm_cdf(d1)
        rho = strike * t * df_r * norm_cdf(d2)
    else:
        price = strike * df_r * norm_cdf(-d2) - spot * df_q * norm_cdf(-d1)
        delta = -df_q * norm_cdf(-d1)
        theta_year = decay + r * strike * df_r * norm_cdf(-d2) - q * spot * df_q * norm_cdf(-d1)
        rho = -strike * t * df_r * norm_cdf(-d2)
    return Greeks(
        price=price,
        delta=delta,
        gamma=gamma,
        vega=vega / 100.0,
        theta=theta_year / DAYS_PER_YEAR,
        rho=rho / 100.0,
    )


def implied_volatility(
    price: float,
    spot: float,
    strike: float,
    t: float,
    r: float = 0.0,
    q: float = 0.0,
    right: str = "C",
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> float | None:
    """Volatility at which :func:`bs_price` equals ``price``, or ``None`` when there is none.

    ``None`` (TWS reports "not computed") when ``t <= 0``, or the price lies outside the
    no-arbitrage range of a European option (at or below the zero-vol value, at or above the
    bound), or the solution is outside 0.1 %-500 %.

    Newton steps on vega, safeguarded by a bisection bracket: Newton alone diverges for deep
    out-of-the-money options where vega is tiny, bisection alone is slow.
    """
    rt = normalize_right(right)
    if t <= 0.0 or spot <= 0.0 or strike <= 0.0 or not math.isfinite(price):
        return None
    lower = bs_price(spot, strike, t, 0.0, r, q, rt)
    upper = spot * math.exp(-q * t) if rt == "C" else strike * math.exp(-r * t)
    if price <= lower or price >= upper:
        return None
    lo, hi = _IV_LO, _IV_HI
    f_lo = bs_price(spot, strike, t, lo, r, q, rt) - price
    f_hi = bs_price(spot, strike, t, hi, r, q, rt) - price
    if f_lo > 0.0 or f_hi < 0.0:
        return None
    # Brenner-Subrahmanyam start: exact-ish near the money, clamped into the bracket.
    vol = min(max(math.sqrt(2.0 * math.pi / t) * price / spot, lo), hi)
    for _ in range(max_iter):
        diff = bs_price(spot, strike, t, vol, r, q, rt) - price
        if abs(diff) < tol:
            return vol
        # Price is increasing in vol, so the sign of diff tells which side the root is on.
        if diff > 0.0:
            hi = vol
        else:
            lo = vol
        vega = bs_greeks(spot, strike, t, vol, r, q, rt).vega * 100.0
        step = vol - diff / vega if vega > 1e-12 else math.nan
        vol = step if lo < step < hi else 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            return vol
    return vol


@dataclass(frozen=True)
class SmileParams:
    """Shape of :func:`smile_vol`.

    With ``x = ln(K/F) / sqrt(max(T, min_t))`` (log-moneyness scaled by √T, so a given
    standardised distance from the money has the same smile at every expiry), the implied vol is
    ``atm · term(T) · (1 + skew·x + curvature·x²)`` clamped to ``[floor, cap] · atm``, where
    ``term(T) = 1 + term_slope · (√T - √(30/365))`` clamped to ``[0.7, 1.3]``.

    The defaults give an equity-index-like smirk: a 10 % OTM 30-day put trades ~35 % over
    ATM vol, a 10 % OTM call ~20 % under, and longer expiries are slightly higher (contango).
    """

    skew: float = -0.8
    curvature: float = 0.5
    term_slope: float = 0.1
    min_t: float = 2.0 / DAYS_PER_YEAR
    floor: float = 0.5
    cap: float = 4.0


DEFAULT_SMILE = SmileParams()


def smile_vol(
    atm_vol: float,
    spot: float,
    strike: float,
    t: float,
    r: float = 0.0,
    q: float = 0.0,
    params: SmileParams = DEFAULT_SMILE,
) -> float:
    """Implied volatility for ``strike`` given the at-the-money level ``atm_vol``.

    Skewed quadratic in forward log-moneyness (higher vol for low strikes, i.e. OTM puts)
    times a term-structure factor; see :class:`SmileParams`. Deterministic and smooth in
    every argument.
    """
    tt = max(t, params.min_t)
    fwd = forward_price(spot, tt, r, q)
    x = math.log(strike / fwd) / math.sqrt(tt)
    shape = 1.0 + params.skew * x + params.curvature * x * x
    shape = min(max(shape, params.floor), params.cap)
    term = 1.0 + params.term_slope * (math.sqrt(tt) - math.sqrt(30.0 / DAYS_PER_YEAR))
    term = min(max(term, 0.7), 1.3)
    return atm_vol * term * shape
