"""Matching rules: prices, quantities, combos and commissions (no I/O)."""

from __future__ import annotations

import pytest

from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.matching import (
    BookQuote,
    FillPolicy,
    QuotedLeg,
    combo_quote,
    commission,
    commissions,
    fill_quantity,
    leg_prices,
    marketable_price,
)

STOCK = ContractSpec(con_id=265598, symbol="AAPL", sec_type="STK")
OPTION = ContractSpec(con_id=700000001, symbol="SPY", sec_type="OPT", strike=600.0, right="C",
                      multiplier="100", last_trade_date="20261218")
QUOTE = BookQuote(bid=10.0, ask=10.2, last=10.1)


@pytest.mark.parametrize(("action", "order_type", "limit", "expected"), [
    ("BUY", "MKT", None, 10.2),
    ("SELL", "MKT", None, 10.0),
    ("BUY", "LMT", 10.5, 10.2),  # marketable: fills at the ask, not at the limit
    ("BUY", "LMT", 10.2, 10.2),
    ("BUY", "LMT", 10.1, None),  # rests
    ("SELL", "LMT", 9.5, 10.0),
    ("SELL", "LMT", 10.1, None),
    ("BUY", "LMT", None, None),
])
def test_marketable_price(
    action: str, order_type: str, limit: float | None, expected: float | None
) -> None:
    assert marketable_price(action, order_type, limit, QUOTE) == expected


def test_fill_quantity_per_policy() -> None:
    assert fill_quantity(FillPolicy.IMMEDIATE, 5) == 5
    assert fill_quantity(FillPolicy.PARTIAL, 5) == 2
    assert fill_quantity(FillPolicy.PARTIAL, 1) == 1
    assert fill_quantity(FillPolicy.MANUAL, 5) == 0


def debit_call_spread() -> list[QuotedLeg]:
    return [QuotedLeg(1, 1, BookQuote(5.0, 5.2, 5.1)), QuotedLeg(-1, 1, BookQuote(2.0, 2.1, 2.05))]


def test_combo_quote_of_a_debit_spread() -> None:
    quote = combo_quote(debit_call_spread())
    assert (quote.bid, quote.ask) == pytest.approx((2.9, 3.2))  # 5.0-2.1, 5.2-2.0


def test_combo_quote_of_a_credit_spread_is_negative_with_ratios() -> None:
    legs = [QuotedLeg(-1, 2, BookQuote(5.0, 5.2, 5.1)), QuotedLeg(1, 1, BookQuote(2.0, 2.1, 2.05))]
    quote = combo_quote(legs)
    assert (quote.bid, quote.ask) == pytest.approx((-10.4 + 2.0, -10.0 + 2.1))


def test_leg_prices_sum_to_the_combo_price() -> None:
    legs = debit_call_spread()
    assert leg_prices(3.2, legs) == pytest.approx([5.2, 2.0])  # the natural price
    better = leg_prices(3.0, legs)
    assert better[0] - better[1] == pytest.approx(3.0)
    assert min(better) > 0


def test_leg_prices_never_go_below_a_tick() -> None:
    legs = [QuotedLeg(1, 1, BookQuote(0.05, 0.10, 0.07)),
            QuotedLeg(-1, 1, BookQuote(0.5, 0.6, 0.55))]
    prices = leg_prices(-1.0, legs)
    assert min(prices) >= 0.01
    assert prices[0] - prices[1] == pytest.approx(-1.0)


def test_option_commissions_per_contract_with_an_order_minimum() -> None:
    assert commission(OPTION, 1, 3.0) == 1.00  # 0.65 topped up to the $1 minimum
    assert commission(OPTION, 10, 3.0) == 6.50
    assert commission(OPTION, 10, 0.07) == 5.00  # cheap premium, cheaper rate
    assert commission(OPTION, 1, 3.0, charged_on_order=1.0) == 0.65
    assert commissions([(OPTION, 1, 5.2), (OPTION, 1, 2.0)]) == [0.65, 0.65]


def test_stock_commission_minimum_and_cap() -> None:
    assert commission(STOCK, 10, 230.0) == 1.00
    assert commission(STOCK, 1000, 230.0) == 5.00
    assert commission(STOCK, 500, 0.50) == 2.50  # 1 % of $250 caps the $2.50 per-share fee
    assert commission(STOCK, 1000, 0.10) == 1.00  # the cap (1 % of $100) wins over the minimum
