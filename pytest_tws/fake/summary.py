"""The fake's state in words, for failure reports: orders (and why a working one has not
filled), positions, market-data lines and the faults in force. Runs on the fake's loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tws.fake import trading
from pytest_tws.fake.faults import connectivity_is_lost, planned_failures, unanswered_requests
from pytest_tws.fake.market_book import book as market_book
from pytest_tws.model.matching import FillPolicy, marketable_price
from pytest_tws.model.orders import Order

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend

__all__ = ["state_summary"]

#: Done orders a report lists (the most recent ones).
DONE_ORDERS_SHOWN = 10


def _price(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _describe(order: Order) -> str:
    t = order.ticket
    what = "combo" if order.is_combo else f"{order.contract.symbol} {order.contract.sec_type}"
    price = f" {_price(t.limit_price)}" if t.limit_price is not None else ""
    return (f"order {t.order_id} (client {t.client_id}) {t.action} {t.total_quantity:g} {what} "
            f"{t.order_type}{price} {t.tif}: {order.status}, filled {order.filled:g} of "
            f"{t.total_quantity:g}")


def why_not_filled(backend: Backend, order: Order) -> str:
    """Why a working order has not filled (yet), as far as the fake can tell."""
    t = order.ticket
    policy = trading.book(backend).fill_policy
    if policy is FillPolicy.MANUAL:
        return "fill policy is 'manual': nothing fills until fake_tws.orders.fill(order_id)"
    if not t.transmit:
        return "transmit=False: TWS holds it until an order with transmit=True follows"
    if t.order_type not in ("MKT", "LMT"):
        return f"the fake does not match {t.order_type} orders: it rests until filled by hand"
    try:
        quote = trading.order_quote(backend, order)
    except LookupError as exc:
        return f"no market to match against ({exc})"
    touch = "ask" if t.action.upper() == "BUY" else "bid"
    side = quote.ask if touch == "ask" else quote.bid
    if marketable_price(t.action, t.order_type, t.limit_price, quote) is None:
        need = "at or below" if touch == "ask" else "at or above"
        return (f"not marketable: the {touch} is {side:g} now and a {t.action} limit fills "
                f"when the {touch} is {need} {_price(t.limit_price)} "
                f"(market bid {quote.bid:g} / ask {quote.ask:g})")
    if policy is FillPolicy.PARTIAL:
        return (f"fill policy 'partial': half of what remains fills per matching round "
                f"({touch} {side:g})")
    return f"marketable now ({touch} {side:g}): it fills at the next matching round"


def state_summary(backend: Backend, listening: bool) -> list[str]:
    """Lines describing the fake's state now (call on the fake's loop)."""
    lines: list[str] = []
    orders = backend.broker.orders
    working = [o for o in orders if o.is_active]
    done = [o for o in orders if not o.is_active]
    lines.append(f"orders: {len(working)} working, {len(done)} done "
                 f"(fill policy '{trading.book(backend).fill_policy.value}')")
    for order in working:
        lines.append(f"  {_describe(order)}")
        lines.append(f"      why not filled: {why_not_filled(backend, order)}")
    for order in done[-DONE_ORDERS_SHOWN:]:
        extra = f" at {order.avg_fill_price:g}" if order.filled else ""
        lines.append(f"  {_describe(order)}{extra}")
    positions = [p for p in backend.broker.positions_of() if p.quantity]
    lines.append(f"positions: {len(positions) or 'none'}")
    for p in positions:
        lines.append(f"  {p.account} {p.contract.symbol} {p.contract.sec_type} "
                     f"{p.quantity:g} @ {p.avg_cost:g}")
    books = market_book(backend)
    subscriptions = books.subscriptions()
    lines.append(f"market-data lines: {len(subscriptions)} of {backend.limits.market_data_lines}")
    for s in subscriptions:
        delayed = " (delayed)" if s.delayed else ""
        lines.append(f"  client {s.client_id} reqId {s.req_id} {s.local_symbol or s.symbol} "
                     f"{s.sec_type}{delayed}")
    lines.append("faults in force: " + (", ".join(_faults(backend, listening)) or "none"))
    return lines


def _faults(backend: Backend, listening: bool) -> list[str]:
    found: list[str] = []
    if not listening:
        found.append("restart downtime (connections refused)")
    if connectivity_is_lost(backend):
        found.append("connectivity lost (1100 sent; no 1101/1102 yet)")
    if backend.read_only:
        found.append("Read-Only API (orders get 321)")
    books = market_book(backend)
    if books.denied:
        found.append(f"no market-data permission for {', '.join(sorted(books.denied))}")
    halted = [s for s in backend.market.symbols if backend.market.quote(s).halted]
    if halted:
        found.append(f"halted: {', '.join(halted)}")
    for planned in planned_failures(backend):
        answer = "no answer" if planned.code is None else f"error {planned.code}"
        found.append(f"next {planned.times} {planned.request.name} get {answer}")
    for request in unanswered_requests(backend):
        found.append(f"{request} left unanswered by ignore_next")
    return found
