"""The guard chain: checks every request passes before its handler runs.

The server hands the session its guards (planned failures, the read-only setting, ...), in
order; the session knows none of them. A guard returns True when it has dealt with the request
(it goes no further, e.g. planned to go unanswered), False to pass it on, or raises `TwsError`
to answer it with an error instead of handling it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_tws.wire.messages import In

if TYPE_CHECKING:
    from pytest_tws.fake.session import Session


@dataclass(frozen=True)
class Request:
    """One decoded request, as guards and handlers see it."""

    message_id: In
    fields: list[str]
    """the raw text fields, message id first"""
    values: dict[str, Any] | None
    """the schema's values (IBKR field names); None for a message without a schema"""
    req_id: int
    """the request (or order) id the schema names, or -1"""


Guard = Callable[["Session", Request], bool]


#: TRANSITIONAL (removed once every implemented request has a schema): where the request id
#: sits in a request without a schema at v178.
_LEGACY_ID_FIELD: dict[In, int] = {
    In.PLACE_ORDER: 1, In.REQ_HISTORICAL_DATA: 1, In.REQ_SEC_DEF_OPT_PARAMS: 1,
    In.CANCEL_ORDER: 2, In.REQ_EXECUTIONS: 2, In.REQ_CONTRACT_DATA: 2,
    In.REQ_ACCOUNT_SUMMARY: 2,
}


def legacy_request_id(message_id: In, fields: list[str]) -> int:
    index = _LEGACY_ID_FIELD.get(message_id)
    if index is None or index >= len(fields):
        return -1
    try:
        return int(fields[index])
    except ValueError:
        return -1
