"""ContractSpecs for the catalog's definitions: the contract details TWS reports for a stock,
index, currency pair, coin or equity/index option (futures: pytest_tws.model.futures)."""

from __future__ import annotations

from datetime import date

from pytest_tws.model.contracts import ContractSpec
from pytest_tws.model.exchanges import hours_for, hours_strings
from pytest_tws.model.instruments import Pair, Underlying
from pytest_tws.model.market_rules import US_OPTION_RULE, US_STOCK_RULE, rule_id_for_tick

#: Exchanges that list US options; reqSecDefOptParams answers once per exchange.
OPTION_EXCHANGES: tuple[str, ...] = (
    "SMART", "AMEX", "BATS", "BOX", "CBOE", "CBOE2", "EDGX", "GEMINI", "IBUSOPT", "ISE",
    "MERCURY", "MIAX", "NASDAQBX", "NASDAQOM", "PEARL", "PHLX", "PSE", "CBOE2", "EMERALD",
)
OPTION_VALID_EXCHANGES = ",".join(dict.fromkeys(OPTION_EXCHANGES))
_OPTION_RULE_IDS = ",".join([str(US_OPTION_RULE)] * len(OPTION_VALID_EXCHANGES.split(",")))
#: SPX, NDX, RUT… options list on their home exchange only.
INDEX_OPTION_EXCHANGES = ("SMART",)

US_STOCK_EXCHANGES = (
    "SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,NASDAQ,DRCTEDGE,BEX,BATS,EDGEA,BYX,IEX,EDGX,"
    "FOXRIVER,PEARL,NYSENAT,LTSE,MEMX,IBEOS,OVERNIGHT,TPLUS0,PSX"
)
CASH_ORDER_TYPES = (
    "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,CASHQTY,COND,CONDORDER,DAY,DEACT,"
    "DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,IOC,LIT,LMT,MIT,MKT,NONALGO,OCA,REL,RELPCTOFS,"
    "SCALE,SCALERST,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF"
)
CRYPTO_ORDER_TYPES = "ALGO,CASHQTY,DAY,IOC,LMT,MKT,STP,STPLMT,GTC"
#: IDEALPRO's minimum and suggested order size in base-currency units is larger than 1, but
#: the API reports minSize 1, sizeIncrement 1 (odd lots route as non-IDEALPRO).
FX_SUGGESTED_SIZE = 25_000.0
#: US stocks TWS lists as exchange-routable; other exchanges list their own market.
_US = ("NASDAQ", "NYSE", "ARCA", "AMEX", "BATS", "IEX")


def _stock_trading_class(u: Underlying) -> str:
    # TWS reports NASDAQ-listed stocks with trading class NMS; others by symbol.
    if u.primary_exchange == "NASDAQ":
        return "NMS"
    return u.symbol.replace(" ", ".") if u.primary_exchange in _US else u.symbol


def _valid_exchanges(u: Underlying) -> str:
    if u.primary_exchange in _US:
        return US_STOCK_EXCHANGES
    return f"SMART,{u.primary_exchange}"


#: LSE stocks in GBP are quoted in pence: TWS's contract details say priceMagnifier 100, and
#: quotes, bars, order prices and avgCost are in pence while the currency stays GBP (IB
#: Gateway users' records of reqContractDetails: priceMagnifier=100 for LSE/GBP, 1 for US).
PENCE_MAGNIFIER = 100


def price_magnifier(u: Underlying) -> int:
    """The priceMagnifier TWS reports for a stock: 100 for an LSE listing in GBP, else 1."""
    return PENCE_MAGNIFIER if (u.primary_exchange, u.currency) == ("LSE", "GBP") else 1


def stock_spec(u: Underlying, today: date) -> ContractSpec:
    """A stock or ETF (or an index when ``u.sec_type == "IND"``)."""
    hours = hours_for(u.sec_type, u.primary_exchange)
    trading, liquid = hours_strings(hours, today)
    if u.sec_type == "IND":
        return ContractSpec(
            con_id=u.con_id, symbol=u.symbol, sec_type="IND", currency=u.currency,
            exchange=u.primary_exchange, local_symbol=u.symbol, long_name=u.long_name,
            min_tick=u.min_tick, valid_exchanges=u.primary_exchange, order_types="",
            market_rule_ids=str(rule_id_for_tick(u.min_tick)), time_zone_id=hours.time_zone_id,
            trading_hours=trading, liquid_hours=liquid, agg_group=0,
            derivative_sec_types=("OPT", "FUT") if u.has_options else ("FUT",),
            market_key=u.key,
        )
    valid = _valid_exchanges(u)
    rule = US_STOCK_RULE if u.min_tick == 0.01 else rule_id_for_tick(u.min_tick)
    trading_class = _stock_trading_class(u)
    return ContractSpec(
        con_id=u.con_id, symbol=u.symbol, sec_type="STK", currency=u.currency,
        primary_exchange=u.primary_exchange, local_symbol=u.symbol, trading_class=trading_class,
        long_name=u.long_name, industry=u.industry, category=u.category,
        subcategory=u.subcategory, stock_type=u.stock_type, min_tick=u.min_tick,
        valid_exchanges=valid, market_rule_ids=",".join([str(rule)] * len(valid.split(","))),
        time_zone_id=hours.time_zone_id, trading_hours=trading, liquid_hours=liquid,
        sec_ids=(("ISIN", u.isin),) if u.isin else (), market_name=trading_class,
        derivative_sec_types=("CFD", "OPT", "IOPT", "WAR") if u.has_options else ("CFD",),
        market_key=u.key, price_magnifier=price_magnifier(u),
    )


def pair_spec(p: Pair, today: date) -> ContractSpec:
    """A currency pair on IDEALPRO, or a coin on PAXOS."""
    exchange = "PAXOS" if p.sec_type == "CRYPTO" else "IDEALPRO"
    hours = hours_for(p.sec_type, exchange)
    trading, liquid = hours_strings(hours, today)
    local = f"{p.symbol}.{p.currency}"
    crypto = p.sec_type == "CRYPTO"
    return ContractSpec(
        con_id=p.con_id, symbol=p.symbol, sec_type=p.sec_type, currency=p.currency,
        exchange=exchange, local_symbol=local, trading_class=p.symbol if crypto else local,
        long_name=p.long_name, min_tick=p.min_tick, valid_exchanges=exchange,
        order_types=CRYPTO_ORDER_TYPES if crypto else CASH_ORDER_TYPES,
        market_rule_ids=str(rule_id_for_tick(p.min_tick)), time_zone_id=hours.time_zone_id,
        trading_hours=trading, liquid_hours=liquid, market_name=p.symbol if crypto else local,
        agg_group=0 if crypto else 4, min_size=p.min_size, size_increment=p.min_size,
        suggested_size_increment=p.min_size if crypto else FX_SUGGESTED_SIZE, market_key=p.key,
    )


def occ_local_symbol(symbol: str, expiry: date, strike: float, right: str) -> str:
    """The OCC option symbol TWS reports as localSymbol, e.g. `SPY   261127C00600000`."""
    return f"{symbol:<6}{expiry:%y%m%d}{right}{round(strike * 1000):08d}"


def option_spec(u: Underlying, expiry: date, strike: float, right: str, con_id: int,
                trading_class: str, today: date) -> ContractSpec:
    trading, liquid = hours_strings(hours_for("OPT", "SMART"), today)
    if u.sec_type == "IND":
        valid = ",".join((*INDEX_OPTION_EXCHANGES, u.primary_exchange))
        rules = ",".join([str(US_OPTION_RULE)] * len(valid.split(",")))
    else:
        valid, rules = OPTION_VALID_EXCHANGES, _OPTION_RULE_IDS
    return ContractSpec(
        con_id=con_id, symbol=u.symbol, sec_type="OPT", last_trade_date=f"{expiry:%Y%m%d}",
        strike=strike, right=right, multiplier="100",
        local_symbol=occ_local_symbol(trading_class, expiry, strike, right),
        trading_class=trading_class, long_name=u.long_name, industry=u.industry,
        category=u.category, subcategory=u.subcategory, under_con_id=u.con_id,
        under_symbol=u.symbol, under_sec_type=u.sec_type, valid_exchanges=valid,
        market_rule_ids=rules, time_zone_id="US/Eastern", trading_hours=trading,
        liquid_hours=liquid,
        market_name=trading_class, contract_month=f"{expiry:%Y%m}",
        real_expiration_date=f"{expiry:%Y%m%d}", last_trade_time="16:00", agg_group=2,
        suggested_size_increment=1.0, market_key=u.key,
    )
