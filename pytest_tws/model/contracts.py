"""Contracts as the fake's catalog knows them, and TWS's rules for matching a request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pytest_tws.model.pricing import normalize_right as option_right

#: how clients spell "no right" in a request (ib_async "", ibapi "", some "?" or "0")
_NO_RIGHT = ("", "?", "0")


def normalize_right(right: str) -> str:
    """TWS accepts C/CALL/P/PUT; the catalog stores C or P. No right reads as ""; anything
    else is kept as given, so it matches nothing."""
    text = right.strip().upper()
    if text in _NO_RIGHT:
        return ""
    try:
        return option_right(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class ContractSpec:
    """One tradable contract with the details TWS reports for it (contractData, id 10)."""

    con_id: int
    symbol: str
    sec_type: str
    currency: str = "USD"
    exchange: str = "SMART"
    primary_exchange: str = ""
    local_symbol: str = ""
    trading_class: str = ""
    last_trade_date: str = ""
    strike: float = 0.0
    right: str = ""
    multiplier: str = ""
    long_name: str = ""
    min_tick: float = 0.01
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    stock_type: str = ""
    under_con_id: int = 0
    under_symbol: str = ""
    under_sec_type: str = ""
    valid_exchanges: str = "SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,NASDAQ,BATS,IEX"
    order_types: str = (
        "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,"
        "DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,IOC,LIT,LMT,MIT,MKT,MTL,NGCOMB,NONALGO,"
        "OCA,REL,SCALE,SCALERST,SNAPMID,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF"
    )
    market_rule_ids: str = "26,26,26,26,26,26,26,26,26,26,26"
    time_zone_id: str = "US/Eastern"
    trading_hours: str = ""
    liquid_hours: str = ""
    sec_ids: tuple[tuple[str, str], ...] = field(default=())
    price_magnifier: int = 1
    agg_group: int = 1
    market_name: str = ""
    contract_month: str = ""
    real_expiration_date: str = ""
    last_trade_time: str = ""
    min_size: float = 1.0
    size_increment: float = 1.0
    suggested_size_increment: float = 100.0
    derivative_sec_types: tuple[str, ...] = ()
    """what reqMatchingSymbols lists as derived from it (OPT, WAR, FUT, FOP…)"""
    market_key: str = ""
    """the simulator's name for its price process ("" = the underlying's symbol)"""
    basis: float = 1.0
    """the factor it trades at over its price process (a later futures month's carry)"""

    @property
    def is_option(self) -> bool:
        return self.sec_type in ("OPT", "FOP")

    @property
    def isin(self) -> str:
        return dict(self.sec_ids).get("ISIN", "")

    @property
    def sim_key(self) -> str:
        """The simulated price process this contract is quoted from."""
        return self.market_key or self.under_symbol or self.symbol

    @property
    def smart_routable(self) -> bool:
        return "SMART" in self.valid_exchanges.split(",")

    def with_exchange(self, exchange: str) -> ContractSpec:
        """The same contract as reported for a request routed to `exchange`; a contract that
        SMART does not route (futures, forex, crypto) keeps its own exchange for "SMART"."""
        if exchange == self.exchange or (exchange == "SMART" and not self.smart_routable):
            return self
        return replace(self, exchange=exchange)


@dataclass(frozen=True)
class ContractQuery:
    """The contract fields of a request; empty or zero means "any", as TWS reads them."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade_date: str = ""
    strike: float | None = None
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""
    sec_id_type: str = ""
    sec_id: str = ""

    def matches(self, spec: ContractSpec) -> bool:
        """TWS's partial-spec rule: every field given must agree; the rest are wildcards."""
        if self.con_id and self.con_id != spec.con_id:
            return False
        checks = (
            (self.symbol, spec.symbol),
            (self.sec_type, spec.sec_type),
            (self.currency, spec.currency),
            (self.local_symbol, spec.local_symbol),
            (self.trading_class, spec.trading_class),
        )
        if any(want and want.upper() != have.upper() for want, have in checks):
            return False
        if self.last_trade_date and not spec.last_trade_date.startswith(self.last_trade_date):
            return False
        if self.strike and abs(self.strike - spec.strike) > 1e-6:
            return False
        if self.right and normalize_right(self.right) != spec.right:
            return False
        if self.multiplier and _number(self.multiplier) != _number(spec.multiplier or "1"):
            return False
        if self.primary_exchange and self.primary_exchange != spec.primary_exchange:
            return False
        if self.exchange and self.exchange not in (spec.primary_exchange, spec.exchange):
            return self.exchange in spec.valid_exchanges.split(",")
        return not self.sec_id or (self.sec_id_type, self.sec_id) in spec.sec_ids

    @property
    def is_specific(self) -> bool:
        """Whether it names anything at all (an all-wildcard request matches nothing)."""
        return bool(self.con_id or self.symbol or self.local_symbol or self.sec_id)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
