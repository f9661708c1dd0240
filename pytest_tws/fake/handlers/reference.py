"""Reference requests: matching symbols, market rules, SMART components, depth exchanges,
family codes, soft-dollar tiers (pytest_tws.model.reference has the data). reqUserInfo is
pytest_tws/fake/identity.py's: the fake announces itself there."""

from __future__ import annotations

from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.market_rules import increments
from pytest_tws.model.reference import DEPTH_EXCHANGES, matching_symbols, smart_components
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Message, Values
from pytest_tws.wire.schemas import reference as schemas


def req_matching_symbols(session: Session, values: Values) -> None:
    found = matching_symbols(session.backend.catalog, values["pattern"])
    session.send(Message(schemas.SYMBOL_SAMPLES, {"reqId": values["reqId"],
                                                  "contractDescriptions": [
        {"contract": {"conId": s.con_id, "symbol": s.symbol, "secType": s.sec_type,
                      "primaryExchange": s.primary_exchange or s.exchange,
                      "currency": s.currency, "description": s.long_name, "issuerId": ""},
         "derivativeSecTypes": [{"secType": t} for t in s.derivative_sec_types]}
        for s in found]}))


def req_market_rule(session: Session, values: Values) -> None:
    # A rule id TWS does not know is answered with no increments (ib_async gets []).
    rule = increments(values["marketRuleId"]) or ()
    session.send(Message(schemas.MARKET_RULE, {
        "marketRuleId": values["marketRuleId"],
        "priceIncrements": [{"lowEdge": low, "increment": step} for low, step in rule]}))


def req_smart_components(session: Session, values: Values) -> None:
    session.send(Message(schemas.SMART_COMPONENTS, {"reqId": values["reqId"], "smartComponents": [
        {"bitNumber": c.bit_number, "exchange": c.exchange, "exchangeLetter": c.letter}
        for c in smart_components(values["bboExchange"])]}))


def req_mkt_depth_exchanges(session: Session, values: Values) -> None:
    session.send(Message(schemas.MKT_DEPTH_EXCHANGES, {"depthMktDataDescriptions": [
        {"exchange": d.exchange, "secType": d.sec_type, "listingExch": d.listing_exchange,
         "serviceDataType": d.service_data_type, "aggGroup": d.agg_group}
        for d in DEPTH_EXCHANGES]}))


def req_family_codes(session: Session, values: Values) -> None:
    # Individual (paper) accounts belong to no family: TWS names each with an empty code.
    session.send(Message(schemas.FAMILY_CODES, {"familyCodes": [
        {"accountID": account, "familyCodeStr": ""}
        for account in session.backend.account_names]}))


def req_soft_dollar_tiers(session: Session, values: Values) -> None:
    session.send(Message(schemas.SOFT_DOLLAR_TIERS, {"reqId": values["reqId"], "tiers": []}))


HANDLERS: dict[In, Handler] = {
    In.REQ_MATCHING_SYMBOLS: req_matching_symbols,
    In.REQ_MARKET_RULE: req_market_rule,
    In.REQ_SMART_COMPONENTS: req_smart_components,
    In.REQ_MKT_DEPTH_EXCHANGES: req_mkt_depth_exchanges,
    In.REQ_FAMILY_CODES: req_family_codes,
    In.REQ_SOFT_DOLLAR_TIERS: req_soft_dollar_tiers,
}
