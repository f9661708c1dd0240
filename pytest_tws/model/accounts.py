"""Paper accounts: ids, cash, and the account values TWS reports for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_tws.model import margin
from pytest_tws.model.margin import Holding

DEFAULT_ACCOUNT = "DU1234567"
#: A fresh IBKR paper account is funded with USD 1,000,000.
DEFAULT_CASH = 1_000_000.0
#: BuyingPower of a Reg-T margin account: four times its available funds (IBKR's
#: "Buying Power = Available Funds x 4" for margin accounts, intraday leverage).
BUYING_POWER_MULTIPLE = 4


def is_paper_account(account: str) -> bool:
    """IB paper accounts start with D (DU…, DF…); live ones with U, F, I…"""
    return account.upper().startswith("D")


@dataclass
class Account:
    """One account's money. Position values come from the broker, which knows prices."""

    name: str
    cash: float = DEFAULT_CASH
    realized_pnl: float = 0.0
    currency: str = "USD"
    account_type: str = "INDIVIDUAL"
    extra: dict[str, str] = field(default_factory=dict)
    """key -> value, for values a test wants to override or add."""

    def values(
        self, holdings: Sequence[Holding], unrealized_pnl: float
    ) -> list[tuple[str, str, str]]:
        """(key, value, currency) as reqAccountUpdates streams them, in TWS's order.

        `holdings` are the account's positions at their marks. The figures (one rule with
        what-if previews, model/margin.py):

        - NetLiquidation = EquityWithLoanValue = cash + signed market value;
        - GrossPositionValue = sum of |market value|;
        - Init/MaintMarginReq = the margin rule's totals over the holdings;
        - AvailableFunds = equity - initial, ExcessLiquidity = equity - maintenance,
          BuyingPower = 4 x AvailableFunds, Cushion = ExcessLiquidity / NetLiquidation,
          Leverage-S = GrossPositionValue / NetLiquidation.
        """
        gross_position_value = round(margin.gross_value(holdings), 2)
        net_liq = round(self.cash + margin.market_value(holdings), 2)
        required = margin.total(holdings)
        init_margin = round(required.initial, 2)
        maint_margin = round(required.maintenance, 2)
        available = round(net_liq - init_margin, 2)
        excess = round(net_liq - maint_margin, 2)
        money = {
            "AccruedCash": 0.0,
            "AvailableFunds": available,
            "BuyingPower": round(available * BUYING_POWER_MULTIPLE, 2),
            "CashBalance": self.cash,
            "EquityWithLoanValue": net_liq,
            "ExcessLiquidity": excess,
            "FullAvailableFunds": available,
            "FullExcessLiquidity": excess,
            "FullInitMarginReq": init_margin,
            "FullMaintMarginReq": maint_margin,
            "GrossPositionValue": gross_position_value,
            "InitMarginReq": init_margin,
            "LookAheadAvailableFunds": available,
            "LookAheadExcessLiquidity": excess,
            "MaintMarginReq": maint_margin,
            "NetLiquidation": net_liq,
            "RealizedPnL": self.realized_pnl,
            "SettledCash": self.cash,
            "TotalCashBalance": self.cash,
            "TotalCashValue": self.cash,
            "UnrealizedPnL": unrealized_pnl,
        }
        rows: list[tuple[str, str, str]] = [
            ("AccountCode", self.name, ""),
            ("AccountOrGroup", self.name, self.currency),
            ("AccountReady", "true", ""),
            ("AccountType", self.account_type, ""),
            ("Currency", self.currency, self.currency),
            ("Cushion", f"{(excess / net_liq) if net_liq else 0:.6f}", ""),
            ("DayTradesRemaining", "-1", ""),
            ("ExchangeRate", "1.00", self.currency),
            ("Leverage-S", f"{(gross_position_value / net_liq) if net_liq else 0:.2f}", ""),
        ]
        rows += [(key, f"{value:.2f}", self.currency) for key, value in money.items()]
        overridden = {key for key, _, _ in rows} & self.extra.keys()
        rows = [(k, self.extra[k] if k in overridden else v, c) for k, v, c in rows]
        rows += [(k, v, self.currency) for k, v in self.extra.items() if k not in overridden]
        return rows
