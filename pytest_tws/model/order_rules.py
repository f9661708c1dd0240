"""The checks TWS makes on an order before it accepts it, and the TwsErrors it answers with.
No I/O: the fake's handlers translate the request, call these, and send what they raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pytest_tws.model.catalog import Catalog
from pytest_tws.model.contracts import ContractQuery, ContractSpec
from pytest_tws.model.errors import Code, TwsError, error_text
from pytest_tws.model.orders import BAG_CON_ID, Order, OrderBook, OrderTicket, ResolvedLeg

#: Order types TWS knows; the fake matches MKT and LMT and lets the others rest.
KNOWN_ORDER_TYPES = frozenset({
    "MKT", "LMT", "STP", "STP LMT", "MOC", "LOC", "MIT", "LIT", "TRAIL", "TRAIL LIMIT",
    "REL", "MTL", "PEG MKT", "PEG MID", "PEG BEST", "PEG BENCH", "SNAP MID", "SNAP MKT",
    "SNAP PRIM", "VOL", "BOX TOP", "MIDPRICE", "PEG PRIM", "PASSV REL", "REL + LMT", "REL + MKT",
    "LMT + MKT", "PEG STK", "AUC",
})
SIDES = frozenset({"BUY", "SELL", "SSHORT"})
#: Classes TWS gives data for but takes no orders on: an index is a value, not a security.
#: TWS answers such an order with 412 "The contract is not available for trading." and no
#: order status (IBKR's message-codes table; the code as seen by ib_insync users:
#: github.com/erdewit/ib_insync/issues/389).
NON_TRADABLE_SEC_TYPES = frozenset({"IND"})


def check_tradable(spec: ContractSpec, order_id: int) -> ContractSpec:
    """`spec` if TWS takes orders on it, else TWS's 412."""
    if spec.sec_type in NON_TRADABLE_SEC_TYPES:
        raise TwsError(Code.CONTRACT_NOT_TRADABLE, req_id=order_id)
    return spec


def invalid(order_id: int, tag: str, cause: str) -> TwsError:
    """321 as TWS words it: `Error validating request.-'bN' : cause - Missing order exchange.`
    (TWS's own text, seen in the wild: github.com/Prograsaur/brb/issues/1)."""
    return TwsError(Code.MISSING_OR_INVALID, error_text(Code.MISSING_OR_INVALID, tag, cause),
                    order_id)


def validate(ticket: OrderTicket, query: ContractQuery, accounts: Sequence[str]) -> OrderTicket:
    """The ticket as TWS accepts it (account filled in when there is one), or its TwsError."""
    if ticket.order_type not in KNOWN_ORDER_TYPES:
        raise invalid(ticket.order_id, "bF", "Invalid order type was entered")
    if ticket.action not in SIDES:
        raise invalid(ticket.order_id, "bA", "Invalid side")
    if ticket.total_quantity <= 0:
        raise TwsError(Code.ORDER_SIZE_ZERO, req_id=ticket.order_id)
    if not query.exchange and not query.con_id:
        raise invalid(ticket.order_id, "bN", "Missing order exchange.")
    account = ticket.account
    if not account and len(accounts) == 1:
        account = accounts[0]
    if account not in accounts:
        raise invalid(ticket.order_id, "ke", "You must specify an account.")
    return replace(ticket, account=account)


def resolve(catalog: Catalog, query: ContractQuery,
            ticket: OrderTicket) -> tuple[ContractSpec, tuple[ResolvedLeg, ...]]:
    """The contract the order trades (a BAG spec standing for a combo) and a combo's legs."""
    if query.sec_type != "BAG":
        matches = catalog.find(replace(query, exchange="")) if query.is_specific else []
        if len(matches) != 1:
            raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=ticket.order_id)
        spec = check_tradable(matches[0], ticket.order_id)
        return spec.with_exchange(query.exchange or "SMART"), ()
    if not ticket.legs:
        raise invalid(ticket.order_id, "bN", "Security type 'BAG' requires combo leg details.")
    legs: list[ResolvedLeg] = []
    for leg in ticket.legs:
        found = catalog.by_con_id(leg.con_id)
        if found is None:
            raise TwsError(Code.NO_SECURITY_DEFINITION, req_id=ticket.order_id)
        check_tradable(found, ticket.order_id)
        legs.append(ResolvedLeg(leg, found.with_exchange(leg.exchange or "SMART")))
    bag = ContractSpec(
        con_id=BAG_CON_ID, symbol=query.symbol or legs[0].contract.symbol, sec_type="BAG",
        currency=query.currency or "USD", exchange=query.exchange or "SMART",
    )
    return bag, tuple(legs)


def check_new_id(book: OrderBook, ticket: OrderTicket) -> None:
    """Order ids of a client only go up (TWS: 103 Duplicate order id)."""
    if ticket.order_id <= book.highest_order_id.get(ticket.client_id, 0):
        raise TwsError(Code.DUPLICATE_ORDER_ID, req_id=ticket.order_id)


def check_modify(order: Order, ticket: OrderTicket) -> None:
    """A placeOrder with a known id modifies it, if TWS would let it."""
    if not order.is_active:
        code = Code.CANNOT_MODIFY_FILLED if order.filled else Code.DUPLICATE_ORDER_ID
        raise TwsError(code, req_id=ticket.order_id)
    if not order.ticket.same_instrument(ticket):
        raise TwsError(Code.ORDER_MODIFY_MISMATCH, req_id=ticket.order_id)
    if ticket.total_quantity < order.filled:
        raise invalid(ticket.order_id, "bQ", "Order quantity is below the filled quantity.")


def cancellable(book: OrderBook, client_id: int, order_id: int) -> Order:
    """The order a cancelOrder means, or the error TWS answers (10147 unknown, 161 done)."""
    order = book.find(client_id, order_id) or book.find_any(order_id)
    if order is None:
        raise TwsError(Code.ORDER_ID_NOT_FOUND, error_text(Code.ORDER_ID_NOT_FOUND, order_id),
                       order_id)
    if not order.is_active:
        raise TwsError(Code.NOT_CANCELLABLE, error_text(Code.NOT_CANCELLABLE, order.perm_id),
                       order_id)
    return order
