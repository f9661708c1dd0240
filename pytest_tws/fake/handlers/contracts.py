"""Contract details and option-chain parameters from the catalog."""

from __future__ import annotations

from pytest_tws.fake import layouts
from pytest_tws.fake.convert import contract_query
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.catalog import OPTION_EXCHANGES
from pytest_tws.model.errors import Code, TwsError
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Values

#: the multiplier every listed equity option in the catalog has
OPTION_MULTIPLIER = "100"


def req_contract_details(session: Session, values: Values) -> None:
    req_id = values["reqId"]
    query = contract_query(values["contract"])
    matches = session.backend.catalog.find(query)
    if not matches:
        raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id)
    exchange = query.exchange or "SMART"
    today = session.backend.today()
    for spec in matches:
        session.send(layouts.contract_data(req_id, spec.with_exchange(exchange), today))
    session.send(layouts.contract_data_end(req_id))


def req_sec_def_opt_params(session: Session, values: Values) -> None:
    req_id = values["reqId"]
    exchange_filter = values["futFopExchange"]
    con_id = values["underlyingConId"]
    catalog = session.backend.catalog
    underlying = catalog.underlying(values["underlyingSymbol"])
    if underlying is None or (con_id and con_id != underlying.con_id):
        raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id)
    expirations = [f"{d:%Y%m%d}" for d in catalog.expirations(underlying.symbol)]
    strikes = list(catalog.strikes(underlying.symbol))
    for exchange in dict.fromkeys(OPTION_EXCHANGES):
        if exchange_filter and exchange_filter != exchange:
            continue
        session.send(layouts.option_parameters(
            req_id, exchange, underlying.con_id, underlying.symbol, OPTION_MULTIPLIER,
            expirations, strikes,
        ))
    session.send(layouts.option_parameters_end(req_id))


HANDLERS: dict[In, Handler] = {
    In.REQ_CONTRACT_DATA: req_contract_details,
    In.REQ_SEC_DEF_OPT_PARAMS: req_sec_def_opt_params,
}
