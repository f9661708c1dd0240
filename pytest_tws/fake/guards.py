"""The guard chain: checks every request passes before its handler runs.

The server hands the session its guards (planned failures, the read-only setting, ...), in
order; the session knows none of them. A guard returns True when it has dealt with the request
(it goes no further, e.g. planned to go unanswered), False to pass it on, or raises `TwsError`
to answer it with an error instead of handling it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_tws.wire.messages import In

if TYPE_CHECKING:
    from pytest_tws.fake.session import Session


class Request:
    """One decoded request, as guards and handlers see it (made for every request: a plain
    slotted class, not a frozen dataclass, to keep that cheap)."""

    __slots__ = ("fields", "message_id", "req_id", "values")

    def __init__(self, message_id: In, fields: list[str], values: dict[str, Any] | None,
                 req_id: int) -> None:
        self.message_id = message_id
        self.fields = fields
        """the raw text fields, message id first"""
        self.values = values
        """the schema's values (IBKR field names); None for a message without a schema"""
        self.req_id = req_id
        """the request (or order) id the schema names, or -1"""

    def __repr__(self) -> str:
        return f"Request({self.message_id.name}, req_id={self.req_id})"


Guard = Callable[["Session", Request], bool]


#: Where the request id sits in a request the fake has no schema for (the requests it does not
#: implement, answered with error 320 to that id so the client stops waiting), at v178: after
#: the message id, or after the message id and a version field. Every request with a schema
#: takes its id from the schema instead (`Schema.req_id`).
_UNSCHEMED_ID_FIELD: dict[In, int] = {
    **dict.fromkeys(
        (In.PLACE_ORDER, In.REQ_HISTORICAL_DATA, In.REQ_SEC_DEF_OPT_PARAMS,
         In.REQ_MATCHING_SYMBOLS, In.REQ_HEAD_TIMESTAMP, In.REQ_HISTOGRAM_DATA, In.REQ_PNL,
         In.REQ_PNL_SINGLE, In.REQ_TICK_BY_TICK_DATA, In.REQ_HISTORICAL_TICKS), 1),
    **dict.fromkeys(
        (In.REQ_MKT_DATA, In.CANCEL_MKT_DATA, In.CANCEL_ORDER, In.REQ_EXECUTIONS,
         In.REQ_CONTRACT_DATA, In.REQ_MKT_DEPTH, In.REQ_REAL_TIME_BARS, In.REQ_ACCOUNT_SUMMARY,
         In.REQ_CALC_IMPLIED_VOLAT, In.REQ_CALC_OPTION_PRICE), 2),
}


#: what ibapi's protobuf request classes call the request id
_PROTOBUF_ID_FIELDS = ("reqId", "orderId", "tickerId", "id")


def unschemed_request_id(message_id: In, fields: list[str]) -> int:
    """The request id of a request without a schema, or -1. A request read from a protobuf
    body (a ProtoFrame, with `.message`) names it in the message itself."""
    message = getattr(fields, "message", None)
    if message is not None:
        for name in _PROTOBUF_ID_FIELDS:
            try:
                if message.HasField(name):
                    return int(getattr(message, name))
            except ValueError:  # the class has no such field
                continue
        return -1
    index = _UNSCHEMED_ID_FIELD.get(message_id)
    if index is None or index >= len(fields):
        return -1
    try:
        return int(fields[index])
    except ValueError:
        return -1
