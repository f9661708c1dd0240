"""Contract details and option-chain parameters from the catalog."""

from __future__ import annotations

from pytest_tws.fake import layouts
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.chain_params import chain_params
from pytest_tws.model.contracts import ContractQuery
from pytest_tws.model.errors import Code, TwsError
from pytest_tws.wire.fields import FieldReader
from pytest_tws.wire.messages import In, Out


def read_contract_query(r: FieldReader, with_primary_exchange: bool = True) -> ContractQuery:
    """conId … tradingClass, in the order every contract-bearing request sends them."""
    con_id = r.read_int("conId")
    symbol = r.read_str("symbol")
    sec_type = r.read_str("secType")
    last_trade_date = r.read_str("lastTradeDateOrContractMonth")
    strike = r.read_optional_float("strike")
    right = r.read_str("right")
    multiplier = r.read_str("multiplier")
    exchange = r.read_str("exchange")
    primary_exchange = r.read_str("primaryExchange") if with_primary_exchange else ""
    currency = r.read_str("currency")
    local_symbol = r.read_str("localSymbol")
    trading_class = r.read_str("tradingClass")
    return ContractQuery(
        con_id=con_id, symbol=symbol, sec_type=sec_type.upper(), last_trade_date=last_trade_date,
        strike=strike or None, right=right, multiplier=multiplier, exchange=exchange,
        primary_exchange=primary_exchange, currency=currency, local_symbol=local_symbol,
        trading_class=trading_class,
    )


def req_contract_details(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    req_id = r.read_int("reqId")
    query = read_contract_query(r)
    r.read_bool("includeExpired")
    sec_id_type = r.read_str("secIdType") if r.remaining else ""
    sec_id = r.read_str("secId") if r.remaining else ""
    if sec_id:
        query = ContractQuery(**{**query.__dict__, "sec_id_type": sec_id_type, "sec_id": sec_id})
    matches = session.backend.catalog.find(query)
    if not matches:
        raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id)
    exchange = query.exchange or "SMART"
    today = session.backend.today()
    for spec in matches:
        session.send(layouts.contract_data(req_id, spec.with_exchange(exchange), today))
    session.send(layouts.contract_data_end(req_id))


def req_sec_def_opt_params(session: Session, r: FieldReader) -> None:
    req_id = r.read_int("reqId")
    symbol = r.read_str("underlyingSymbol")
    exchange_filter = r.read_str("futFopExchange")
    under_sec_type = r.read_str("underlyingSecType")
    con_id = r.read_int("underlyingConId")
    chains = chain_params(session.backend.catalog, symbol, exchange_filter, under_sec_type,
                          con_id)
    if not chains:
        raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id)
    for c in chains:
        session.send([
            Out.SECURITY_DEFINITION_OPTION_PARAMETER, req_id, c.exchange, c.underlying_con_id,
            c.trading_class, c.multiplier, len(c.expirations), *c.expirations, len(c.strikes),
            *c.strikes,
        ])
    session.send([Out.SECURITY_DEFINITION_OPTION_PARAMETER_END, req_id])


HANDLERS: dict[In, Handler] = {
    In.REQ_CONTRACT_DATA: req_contract_details,
    In.REQ_SEC_DEF_OPT_PARAMS: req_sec_def_opt_params,
}
