"""Account figures through ib_async over loopback, each checked against a hand calculation:
NetLiquidation = cash + SIGNED market value (issue 15: a short leg used to add its gross
value), margins by the same rule as what-if previews (model/margin.py), and the account's
values streamed again after every fill.

Prices are pinned: fills at the price the test gives (fill policy manual), positions marked
by an installed pricer, so every figure below is arithmetic on numbers in this file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ib_async import IB, LimitOrder, Stock

from pytest_tws import FakeTWS
from pytest_tws.model.contracts import ContractSpec
from pytest_tws.waiting import wait_until

TIMEOUT = 5.0
AAPL, MSFT = 265598, 272093
CASH = 1_000_000.00
MIN_COMMISSION = 1.00  # 100 and 50 shares x 0.005 are below the $1.00 order minimum

# long 100 AAPL bought at 180.00, marked at 181.00; short 50 MSFT sold at 400.00, marked 398.00
AAPL_QTY, AAPL_FILL, AAPL_MARK = 100, 180.00, 181.00
MSFT_QTY, MSFT_FILL, MSFT_MARK = 50, 400.00, 398.00
MARKS = {AAPL: AAPL_MARK, MSFT: MSFT_MARK}


@pytest.fixture
async def client(fake_tws: FakeTWS) -> AsyncIterator[IB]:
    def pin_marks() -> None:
        fake_tws.backend.extensions["pricer"] = lambda spec: MARKS.get(spec.con_id, 100.0)

    fake_tws.call(pin_marks)
    fake_tws.set_fill_policy("manual")
    ib = IB()
    await ib.connectAsync(fake_tws.host, fake_tws.port, clientId=31, timeout=TIMEOUT)
    yield ib
    ib.disconnect()


def value(ib: IB, tag: str) -> float | None:
    found = [v.value for v in ib.accountValues() if v.tag == tag and v.currency == "USD"]
    return float(found[0]) if found else None


async def trade(ib: IB, fake_tws: FakeTWS, con_id: int, symbol: str, action: str,
                quantity: int, price: float) -> None:
    placed = ib.placeOrder(Stock(symbol, "SMART", "USD", conId=con_id),
                           LimitOrder(action, quantity, price))
    order_id = placed.order.orderId
    await wait_until(lambda: placed.orderStatus.status == "Submitted", "Submitted", TIMEOUT)
    fake_tws.fill(order_id, price=price)
    await wait_until(lambda: placed.orderStatus.status == "Filled", "Filled", TIMEOUT)


async def test_net_liquidation_is_cash_plus_signed_market_value(client: IB,
                                                                fake_tws: FakeTWS) -> None:
    await trade(client, fake_tws, AAPL, "AAPL", "BUY", AAPL_QTY, AAPL_FILL)
    # after the first fill, by hand: cash 1,000,000 - 18,000 - 1 = 981,999.00;
    # market value 100 x 181 = 18,100 -> NetLiquidation 1,000,099.00
    await wait_until(lambda: value(client, "NetLiquidation") == 1_000_099.00,
                     "NetLiquidation after the first fill", TIMEOUT)
    await trade(client, fake_tws, MSFT, "MSFT", "SELL", MSFT_QTY, MSFT_FILL)

    cash = CASH - AAPL_QTY * AAPL_FILL - MIN_COMMISSION + MSFT_QTY * MSFT_FILL - MIN_COMMISSION
    assert cash == 1_001_998.00
    # signed: +18,100 long, -19,900 short
    market = AAPL_QTY * AAPL_MARK - MSFT_QTY * MSFT_MARK
    assert market == -1_800.00
    gross = AAPL_QTY * AAPL_MARK + MSFT_QTY * MSFT_MARK
    assert gross == 38_000.00
    net_liq = 1_000_198.00  # 1,001,998 - 1,800 (the old rule said 1,001,998 + 38,000)
    init, maint = 19_000.00, 9_500.00  # Reg-T 50 % / 25 % of the gross 38,000
    expected = {
        "CashBalance": cash, "TotalCashValue": cash,
        "NetLiquidation": net_liq, "EquityWithLoanValue": net_liq,
        "GrossPositionValue": gross,
        "InitMarginReq": init, "MaintMarginReq": maint,
        "FullInitMarginReq": init, "FullMaintMarginReq": maint,
        "AvailableFunds": 981_198.00,  # 1,000,198 - 19,000
        "ExcessLiquidity": 990_698.00,  # 1,000,198 - 9,500
        "BuyingPower": 3_924_792.00,  # 4 x 981,198
        # (181 - 180) x 100 long + (400 - 398) x 50 short
        "UnrealizedPnL": 200.00,
    }
    await wait_until(lambda: value(client, "NetLiquidation") == net_liq,
                     "NetLiquidation after the second fill", TIMEOUT)
    assert {tag: value(client, tag) for tag in expected} == expected
    cushion = [v.value for v in client.accountValues() if v.tag == "Cushion"]
    assert cushion == [f"{990_698 / 1_000_198:.6f}"] == ["0.990502"]
    leverage = [v.value for v in client.accountValues() if v.tag == "Leverage-S"]
    assert leverage == ["0.04"]  # 38,000 / 1,000,198

    portfolio = {item.contract.conId: item for item in client.portfolio()}
    assert portfolio[AAPL].marketValue == 18_100.00
    assert portfolio[MSFT].marketValue == -19_900.00
    assert portfolio[MSFT].unrealizedPNL == 100.00


async def test_what_if_before_figures_equal_the_accounts(client: IB, fake_tws: FakeTWS) -> None:
    """One margin rule: a what-if's before-margins and equity are the account's own values."""
    await trade(client, fake_tws, AAPL, "AAPL", "BUY", AAPL_QTY, AAPL_FILL)
    await trade(client, fake_tws, MSFT, "MSFT", "SELL", MSFT_QTY, MSFT_FILL)
    await wait_until(lambda: value(client, "NetLiquidation") == 1_000_198.00,
                     "account values after both fills", TIMEOUT)
    state = await client.whatIfOrderAsync(Stock("AAPL", "SMART", "USD", conId=AAPL),
                                          LimitOrder("BUY", 10, AAPL_MARK))
    assert float(state.initMarginBefore) == value(client, "InitMarginReq") == 19_000.00
    assert float(state.maintMarginBefore) == value(client, "MaintMarginReq") == 9_500.00
    assert float(state.equityWithLoanBefore) == value(client, "EquityWithLoanValue")
    # after: 10 more AAPL at 181 -> gross 39,810; initial 19,905, maintenance 9,952.50
    assert float(state.initMarginAfter) == 19_905.00
    assert float(state.maintMarginAfter) == 9_952.50
    # equity after: cash - 1,810 - 1.00 commission + the 1,810 it buys = 1 less
    assert float(state.equityWithLoanAfter) == 1_000_197.00


def test_short_option_margin_and_net_liquidation_by_hand() -> None:
    """The issue's case at the model: a short call subtracts its value from NetLiquidation
    and is margined premium + 20 % of the underlying (here the strike) x multiplier."""
    from pytest_tws.model.accounts import Account
    from pytest_tws.model.margin import Holding

    call = ContractSpec(symbol="AAPL", sec_type="OPT", con_id=1, strike=200.0, right="C",
                        multiplier="100")
    account = Account("DU1", cash=1_000_063.70)  # 1,000,000 + 65.00 premium - 1.30 fees
    rows = {key: val for key, val, _ in account.values([Holding(call, -1, 0.70)], -5.0)}
    assert rows["NetLiquidation"] == "999993.70"  # 1,000,063.70 - 70.00, not + 70.00
    assert rows["GrossPositionValue"] == "70.00"
    assert rows["InitMarginReq"] == rows["MaintMarginReq"] == "4070.00"  # 70 + 0.2 x 200 x 100
