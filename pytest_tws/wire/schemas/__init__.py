"""One schema per message the fake reads or writes, by message id.

Each area module defines `REQUESTS` and `RESPONSES`; this package merges them and refuses
two schemas for one message id.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import Schema
from pytest_tws.wire.schemas import (
    account,
    connection,
    contracts,
    history,
    market_data,
    order_messages,
    orders,
    realtime,
    reference,
)

_AREAS = (connection, account, contracts, history, market_data, orders, order_messages,
          reference, realtime)


def _table(schemas: Iterable[Schema]) -> dict[int, Schema]:
    table: dict[int, Schema] = {}
    for schema in schemas:
        key = int(schema.message_id)  # type: ignore[call-overload]
        if key in table:
            raise RuntimeError(f"two schemas for {schema.name}")
        table[key] = schema
    return table


REQUESTS: dict[In, Schema] = {
    In(k): v for k, v in _table(s for a in _AREAS for s in a.REQUESTS).items()
}
RESPONSES: dict[Out, Schema] = {
    Out(k): v for k, v in _table(s for a in _AREAS for s in a.RESPONSES).items()
}


def request_schema(message_id: In) -> Schema | None:
    return REQUESTS.get(message_id)


def response_schema(message_id: Out) -> Schema:
    return RESPONSES[message_id]


__all__ = ["REQUESTS", "RESPONSES", "Schema", "request_schema", "response_schema"]
