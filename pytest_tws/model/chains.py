"""Strike-grid helpers for option chains (the contract catalog builds the chains themselves).

Strike spacing near the money, roughly as listed US equity options have it:

- broad index ETFs (SPY, QQQ, IWM, DIA, ...) list $1 strikes at any price;
- otherwise by underlying price: < $25 → $0.50, < $100 → $1, < $250 → $2.50 (AAPL, MSFT
  near the money), < $1000 → $5, else $10.

Real listings also mix in wider strikes further out and weeklies with narrower ones; a test
fake only needs a plausible, stable grid.
"""

from __future__ import annotations

__all__ = ["DOLLAR_STRIKE_SYMBOLS", "standard_strike_step", "strikes_around"]

DOLLAR_STRIKE_SYMBOLS = frozenset({"SPY", "QQQ", "IWM", "DIA", "XLF", "XLE", "GLD", "TLT", "EEM"})
"""ETFs whose chains have $1 strikes regardless of price."""

_STEPS_BY_PRICE: tuple[tuple[float, float], ...] = (
    (25.0, 0.5),
    (100.0, 1.0),
    (250.0, 2.5),
    (1000.0, 5.0),
)


def standard_strike_step(spot: float, symbol: str | None = None) -> float:
    """Strike spacing near the money for an underlying at ``spot`` (see the module docstring)."""
    if symbol is not None and symbol.upper() in DOLLAR_STRIKE_SYMBOLS:
        return 1.0
    for limit, step in _STEPS_BY_PRICE:
        if spot < limit:
            return step
    return 10.0


def strikes_around(spot: float, count: int, step: float) -> list[float]:
    """``count`` ascending strikes on the ``step`` grid centred on the one nearest ``spot``.

    The at-the-money strike sits at index ``count // 2``. Strikes are positive: near zero the
    window shifts up rather than listing zero or negative strikes.

    Raises:
        ValueError: if ``count < 0`` or ``step <= 0``.
    """
    if count < 0 or step <= 0:
        raise ValueError(f"need count >= 0 and step > 0, got count={count}, step={step}")
    atm = max(round(spot / step), 1)
    first = max(atm - count // 2, 1)
    # Rounding to 8 places keeps 2.5-steps from printing as 102.49999999999999.
    return [round(i * step, 8) for i in range(first, first + count)]
