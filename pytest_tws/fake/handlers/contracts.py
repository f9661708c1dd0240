"""Contract details and option-chain parameters from the catalog."""

from __future__ import annotations

from pytest_tws.fake import layouts
from pytest_tws.fake.convert import contract_query
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.chain_params import chain_params
from pytest_tws.model.errors import Code, TwsError
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Values


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
    chains = chain_params(session.backend.catalog, values["underlyingSymbol"],
                          values["futFopExchange"], values["underlyingSecType"],
                          values["underlyingConId"])
    if not chains:
        raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=req_id)
    for c in chains:
        session.send(layouts.option_parameters(
            req_id, c.exchange, c.underlying_con_id, c.trading_class, c.multiplier,
            c.expirations, c.strikes,
        ))
    session.send(layouts.option_parameters_end(req_id))


def cancel_contract_data(session: Session, values: Values) -> None:
    """cancelContractData: the fake answers reqContractDetails at once, so by the time a
    cancel arrives its answer (contractDataEnd included) is out and there is nothing to stop.
    TWS has no confirmation message for it (ibapi's EWrapper has none), so nothing is sent."""


HANDLERS: dict[In, Handler] = {
    In.REQ_CONTRACT_DATA: req_contract_details,
    In.CANCEL_CONTRACT_DATA: cancel_contract_data,
    In.REQ_SEC_DEF_OPT_PARAMS: req_sec_def_opt_params,
}
