"""Account data: positions, account updates (single and multi), account summary."""

from __future__ import annotations

from pytest_tws.fake import layouts
from pytest_tws.fake.backend import Backend
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model import margin
from pytest_tws.model.calendar_us import EASTERN
from pytest_tws.model.errors import Code, TwsError, error_text
from pytest_tws.model.margin import Holding
from pytest_tws.wire.messages import In
from pytest_tws.wire.schema import Values

ACCOUNT_UPDATES = "account_updates"
POSITIONS = "positions"


def holdings_of(backend: Backend, account: str) -> list[Holding]:
    """The account's open positions at the fake's marks: what its account values and a
    what-if's "before" figures are both computed from (model/margin.py)."""
    return [Holding(p.contract, p.quantity, backend.mark_price(p.contract))
            for p in backend.broker.positions_of(account) if p.quantity]


def account_rows(backend: Backend, account: str) -> list[tuple[str, str, str]]:
    """(key, value, currency) for `account`, positions valued at the fake's marks."""
    holdings = holdings_of(backend, account)
    avg_costs = {p.contract.con_id: p.avg_cost for p in backend.broker.positions_of(account)}
    unrealized = sum(
        margin.market_value([h]) - h.quantity * avg_costs[h.contract.con_id] for h in holdings)
    held = backend.broker.accounts[account]
    key = (account, tuple((h.contract.con_id, h.quantity, h.price) for h in holdings),
           unrealized, held.cash, held.realized_pnl, held.currency,
           held.account_type, tuple(held.extra.items()))
    rows = _ROWS.get(key)
    if rows is None:
        if len(_ROWS) >= _ROWS_LIMIT:
            _ROWS.clear()
        rows = _ROWS[key] = held.values(holdings, unrealized)
    return rows


#: account rows by everything they are made from: every connect asks twice for the same ones
_ROWS: dict[tuple[object, ...], list[tuple[str, str, str]]] = {}
_ROWS_LIMIT = 256


def _known_account(backend: Backend, account: str, req_id: int = -1) -> str:
    if not account:
        return backend.broker.account_names[0]
    if account not in backend.broker.accounts:
        # Live text (deephaven-ib#50): "Error validating request.-'cq' : cause - Invalid
        # account code"; TWS does not repeat the account.
        text = error_text(Code.MISSING_OR_INVALID, "cq", "Invalid account code")
        raise TwsError(Code.MISSING_OR_INVALID, text, req_id)
    return account


def send_positions(session: Session) -> None:
    for position in session.backend.broker.positions_of():
        session.send(
            layouts.position(
                position.account, position.contract, position.quantity, position.avg_cost
            )
        )


def req_positions(session: Session, values: Values) -> None:
    session.state[POSITIONS] = True
    send_positions(session)
    session.send(layouts.position_end())


def cancel_positions(session: Session, values: Values) -> None:
    session.state.pop(POSITIONS, None)


def send_account_updates(session: Session, account: str) -> None:
    """The values, the portfolio and the time, as reqAccountUpdates streams them."""
    backend = session.backend
    session.send_repeated_all(
        layouts.account_value(key, value, currency, account)
        for key, value, currency in account_rows(backend, account)
    )
    for position in backend.broker.positions_of(account):
        mark = backend.mark_price(position.contract)
        multiplier = float(position.contract.multiplier or 1)
        market_value = position.quantity * mark * multiplier
        session.send(
            layouts.portfolio_value(
                position.contract, position.quantity, mark, market_value, position.avg_cost,
                market_value - position.quantity * position.avg_cost, 0.0, account,
            )
        )
    hhmm = backend.now().astimezone(EASTERN).strftime("%H:%M")
    session.send(layouts.account_update_time(hhmm))


def req_account_updates(session: Session, values: Values) -> None:
    subscribe = values["subscribe"]
    account = _known_account(session.backend, values["acctCode"])
    if not subscribe:
        session.state.pop(ACCOUNT_UPDATES, None)
        return
    session.state[ACCOUNT_UPDATES] = account
    send_account_updates(session, account)
    session.send(layouts.account_download_end(account))


def req_account_updates_multi(session: Session, values: Values) -> None:
    req_id = values["reqId"]
    account = _known_account(session.backend, values["account"], req_id)
    model_code = values["modelCode"]
    session.send_repeated_all(
        layouts.account_update_multi(req_id, account, model_code, key, value, currency)
        for key, value, currency in account_rows(session.backend, account)
    )
    session.send(layouts.account_update_multi_end(req_id))


def cancel_account_updates_multi(session: Session, values: Values) -> None:
    """Nothing streams after the first snapshot, so there is nothing to stop."""


def req_account_summary(session: Session, values: Values) -> None:
    req_id = values["reqId"]
    tags = {t.strip() for t in values["tags"].split(",") if t.strip()}
    everything = bool(tags & {"$LEDGER", "$LEDGER:ALL", "$LEDGER:USD"})
    for account in session.backend.broker.account_names:
        for key, value, currency in account_rows(session.backend, account):
            if everything or key in tags:
                session.send(layouts.account_summary(req_id, account, key, value, currency))
    session.send(layouts.account_summary_end(req_id))


def cancel_account_summary(session: Session, values: Values) -> None:
    """The summary is a snapshot here; cancelling it has nothing to stop."""


HANDLERS: dict[In, Handler] = {
    In.REQ_POSITIONS: req_positions,
    In.CANCEL_POSITIONS: cancel_positions,
    In.REQ_ACCT_DATA: req_account_updates,
    In.REQ_ACCOUNT_UPDATES_MULTI: req_account_updates_multi,
    In.CANCEL_ACCOUNT_UPDATES_MULTI: cancel_account_updates_multi,
    In.REQ_ACCOUNT_SUMMARY: req_account_summary,
    In.CANCEL_ACCOUNT_SUMMARY: cancel_account_summary,
}
