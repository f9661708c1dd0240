"""Market rules (reqMarketRule, 91): a contract's price increments by price level, as the ids
in its contract details' marketRuleIds name them.

Rule 26 (US stocks: a cent at every price) and 32 (US options: a cent below $3, a nickel from
$3) are the ids TWS reports for US stocks and options (e.g. AAPL's ``26,26,…``). For the
other increments (futures ticks, forex half-pips, crypto) the increments are the exchanges'
real ones, but the ids are the fake's own, from 9000 up: we found no public record of TWS's.
"""

from __future__ import annotations

from collections.abc import Sequence

US_STOCK_RULE = 26
US_OPTION_RULE = 32
_FIRST_OWN_RULE = 9000

PriceIncrement = tuple[float, float]
"""(lowEdge, increment)"""

MARKET_RULES: dict[int, tuple[PriceIncrement, ...]] = {
    US_STOCK_RULE: ((0.0, 0.01),),
    US_OPTION_RULE: ((0.0, 0.01), (3.0, 0.05)),
}

#: the fake's own rule ids for single-increment rules, one per tick size
_TICKS: Sequence[float] = (
    0.25, 0.1, 1.0, 0.005, 0.015625, 0.03125, 0.00005, 0.005, 0.05, 0.5, 0.0001, 5.0, 0.001,
)
for _n, _tick in enumerate(dict.fromkeys(_TICKS)):
    MARKET_RULES.setdefault(_FIRST_OWN_RULE + _n, ((0.0, _tick),))


def rule_id_for_tick(tick: float) -> int:
    """The rule whose only increment is `tick` (added to the table if new)."""
    for rule_id, increments in MARKET_RULES.items():
        if len(increments) == 1 and abs(increments[0][1] - tick) < 1e-12:
            return rule_id
    rule_id = max(MARKET_RULES) + 1
    MARKET_RULES[rule_id] = ((0.0, tick),)
    return rule_id


def increments(rule_id: int) -> tuple[PriceIncrement, ...] | None:
    return MARKET_RULES.get(rule_id)
