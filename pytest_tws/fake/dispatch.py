"""The fake's dispatch table: message id -> handler, merged from one module per area."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_tws.fake import identity
from pytest_tws.fake.handlers import (
    account,
    connection,
    contracts,
    head_timestamp,
    market_data,
    orders,
    realtime_bars,
    reference,
)
from pytest_tws.fake.session import Handler
from pytest_tws.wire.messages import In


def _merge(*tables: Mapping[In, Handler]) -> dict[In, Handler]:
    merged: dict[In, Handler] = {}
    for table in tables:
        clash = merged.keys() & table.keys()
        if clash:
            raise RuntimeError(f"two handlers for {sorted(m.name for m in clash)}")
        merged.update(table)
    return merged


HANDLERS: dict[In, Handler] = _merge(
    connection.HANDLERS, account.HANDLERS, contracts.HANDLERS, orders.HANDLERS,
    market_data.HANDLERS, reference.HANDLERS, identity.HANDLERS, head_timestamp.HANDLERS,
    realtime_bars.HANDLERS,
)
