"""Orders and executions.

This file answers the requests ib_async sends at connect with what the broker holds; order
placement, matching and reporting build on it.
"""

from __future__ import annotations

from pytest_tws.fake import layouts
from pytest_tws.fake.session import Handler, Session
from pytest_tws.model.errors import NO_REQUEST_ID, Code
from pytest_tws.wire.fields import FieldReader
from pytest_tws.wire.messages import In

AUTO_BIND = "auto_bind"


def req_open_orders(session: Session, r: FieldReader) -> None:
    session.send(layouts.open_order_end())


def req_all_open_orders(session: Session, r: FieldReader) -> None:
    session.send(layouts.open_order_end())


def req_auto_open_orders(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    auto_bind = r.read_bool("bAutoBind")
    if session.client_id != 0:
        session.send_error(NO_REQUEST_ID, Code.AUTO_OPEN_ORDERS_NEEDS_CLIENT0)
        return
    session.state[AUTO_BIND] = auto_bind


def req_completed_orders(session: Session, r: FieldReader) -> None:
    r.read_bool("apiOnly")
    session.send(layouts.completed_orders_end())


def req_executions(session: Session, r: FieldReader) -> None:
    r.read_int("version")
    req_id = r.read_int("reqId")
    session.send(layouts.exec_details_end(req_id))


HANDLERS: dict[In, Handler] = {
    In.REQ_OPEN_ORDERS: req_open_orders,
    In.REQ_ALL_OPEN_ORDERS: req_all_open_orders,
    In.REQ_AUTO_OPEN_ORDERS: req_auto_open_orders,
    In.REQ_COMPLETED_ORDERS: req_completed_orders,
    In.REQ_EXECUTIONS: req_executions,
}
