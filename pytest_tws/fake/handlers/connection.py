"""startApi and the small session requests: ids, time, accounts, market-data type."""

from __future__ import annotations

import logging

from pytest_tws.fake import bounds, layouts
from pytest_tws.fake.backend import STARTUP_FARMS
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.errors import NO_REQUEST_ID, Code, error_text
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Values
from pytest_tws.wire.schemas.market_data import MARKET_DATA_TYPES

log = logging.getLogger("pytest_tws.fake")


def start_api(session: Session, values: Values) -> None:
    if session.ready:
        bounds.repeated_start_api(session, values["clientId"])
        return
    client_id = values["clientId"]
    backend = session.backend
    if not backend.claim_client_id(session, client_id):
        session.send_error(NO_REQUEST_ID, Code.DUPLICATE_CLIENT_ID)
        session.close(f"clientId {client_id} is already in use")
        return
    session.client_id = client_id
    session.ready = True
    log.info("client %d started the API from %s (server version %d)",
             client_id, session.peer, session.server_version)
    session.send(layouts.managed_accounts(backend.broker.account_names))
    session.send(layouts.next_valid_id(backend.broker.next_order_id))
    for farm in STARTUP_FARMS:
        text = error_text(Code(farm.code), farm.farm)
        # stamped with the clock's time, so not one of the remembered repeated messages
        session.send(layouts.error(NO_REQUEST_ID, farm.code, text, backend.epoch_millis()))


def req_ids(session: Session, values: Values) -> None:
    session.send(layouts.next_valid_id(session.backend.broker.next_order_id))


def req_current_time(session: Session, values: Values) -> None:
    session.send(layouts.current_time(int(session.backend.now().timestamp())))


def req_managed_accounts(session: Session, values: Values) -> None:
    session.send(layouts.managed_accounts(session.backend.broker.account_names))


def req_market_data_type(session: Session, values: Values) -> None:
    data_type = values["marketDataType"]
    if data_type not in MARKET_DATA_TYPES:
        cause = f"Invalid market data type {data_type}"
        text = error_text(Code.MISSING_OR_INVALID, "b2", cause)
        session.send_error(NO_REQUEST_ID, Code.MISSING_OR_INVALID, text)
        return
    session.state["market_data_type"] = data_type


HANDLERS: dict[In, Handler] = {
    In.START_API: start_api,
    In.REQ_IDS: req_ids,
    In.REQ_CURRENT_TIME: req_current_time,
    In.REQ_MANAGED_ACCTS: req_managed_accounts,
    In.REQ_MARKET_DATA_TYPE: req_market_data_type,
}
