"""The TWS error codes the fake sends, with the texts real TWS uses, and the model's exception.

The model raises `TwsError`; the session turns it into an error message (id 4) on the wire.
"""

from __future__ import annotations

from enum import IntEnum

NO_REQUEST_ID = -1


class Code(IntEnum):
    """Error and notice codes the fake emits (official message-codes table)."""

    MAX_RATE_EXCEEDED = 100
    MAX_TICKERS = 101
    DUPLICATE_TICKER_ID = 102
    DUPLICATE_ORDER_ID = 103
    CANNOT_MODIFY_FILLED = 104
    ORDER_MODIFY_MISMATCH = 105
    PRICE_OUT_OF_RANGE = 110
    ORDER_NOT_FOUND_CANCEL = 135
    NOT_CANCELLABLE = 161
    HISTORICAL_PACING = 162
    NO_SECURITY_DEFINITION = 200
    ORDER_REJECTED = 201
    ORDER_CANCELLED = 202
    SERVER_ERROR_READING = 320
    MISSING_OR_INVALID = 321
    DUPLICATE_CLIENT_ID = 326
    AUTO_OPEN_ORDERS_NEEDS_CLIENT0 = 327
    NOT_SUBSCRIBED = 354
    NO_HISTORICAL_QUERY = 366
    CONTRACT_NOT_TRADABLE = 412
    ORDER_SIZE_ZERO = 434
    CONNECTIVITY_LOST = 1100
    RESTORED_DATA_LOST = 1101
    RESTORED_DATA_MAINTAINED = 1102
    MARKET_DATA_FARM_BROKEN = 2103
    MARKET_DATA_FARM_OK = 2104
    HMDS_FARM_BROKEN = 2105
    HMDS_FARM_OK = 2106
    HMDS_FARM_INACTIVE = 2107
    MARKET_DATA_FARM_INACTIVE = 2108
    SERVER_CONNECTION_BROKEN = 2110
    SECDEF_FARM_BROKEN = 2157
    SECDEF_FARM_OK = 2158
    ORDER_ID_NOT_FOUND = 10147
    DELAYED_DATA_DISPLAYED = 10167
    COMPETING_LIVE_SESSION = 10197


#: Texts as real TWS writes them; `{}` placeholders are filled per occurrence.
#: how every error 162 (the historical data farm refusing a query) begins
HMDS_ERROR = "Historical Market Data Service error message:"

TEXTS: dict[Code, str] = {
    Code.MAX_RATE_EXCEEDED: "Max rate of messages per second has been exceeded:max={} rec={} ({})",
    Code.MAX_TICKERS: "Max number of tickers has been reached.",
    Code.DUPLICATE_TICKER_ID: "Duplicate ticker ID.",
    Code.DUPLICATE_ORDER_ID: "Duplicate order id",
    Code.CANNOT_MODIFY_FILLED: "Can't modify a filled order.",
    Code.ORDER_MODIFY_MISMATCH: "Order being modified does not match original order.",
    Code.PRICE_OUT_OF_RANGE: "The price does not conform to the minimum price variation for "
    "this contract.",
    Code.ORDER_NOT_FOUND_CANCEL: "Can't find order with id ={}",
    Code.NOT_CANCELLABLE: "Cancel attempted when order is not in a cancellable state.  "
    "Order permId ={}",
    Code.HISTORICAL_PACING: HMDS_ERROR + "Historical data request pacing violation",
    Code.NO_SECURITY_DEFINITION: "No security definition has been found for the request",
    Code.ORDER_REJECTED: "Order rejected - reason:{}",
    Code.ORDER_CANCELLED: "Order Canceled - reason:{}",
    # TWS's generic answer to a request it cannot read (IBKR's error-code list, 320)
    Code.SERVER_ERROR_READING: "Server error when reading an API client request.{}",
    Code.MISSING_OR_INVALID: "Error validating request.-'{}' : cause - {}",
    Code.DUPLICATE_CLIENT_ID: "Unable to connect as the client id is already in use. "
    "Retry with a unique client id.",
    Code.AUTO_OPEN_ORDERS_NEEDS_CLIENT0: "Only API connections with clientId set to 0 can set "
    "the auto bind TWS orders property.",
    Code.NOT_SUBSCRIBED: "Requested market data is not subscribed.",
    Code.NO_HISTORICAL_QUERY: "No historical data query found for ticker id:{}",
    # IBKR's message-codes table; seen on orders for data-only contracts (erdewit/ib_insync#389)
    Code.CONTRACT_NOT_TRADABLE: "The contract is not available for trading.",
    Code.ORDER_SIZE_ZERO: "The order size cannot be zero.",
    Code.CONNECTIVITY_LOST: "Connectivity between IBKR and Trader Workstation has been lost.",
    Code.RESTORED_DATA_LOST: "Connectivity between IB and Trader Workstation has been "
    "restored - data lost.",
    Code.RESTORED_DATA_MAINTAINED: "Connectivity between IB and Trader Workstation has been "
    "restored - data maintained.",
    Code.MARKET_DATA_FARM_BROKEN: "Market data farm connection is broken:{}",
    Code.MARKET_DATA_FARM_OK: "Market data farm connection is OK:{}",
    Code.HMDS_FARM_BROKEN: "HMDS data farm connection is broken:{}",
    Code.HMDS_FARM_OK: "HMDS data farm connection is OK:{}",
    Code.HMDS_FARM_INACTIVE: "HMDS data farm connection is inactive but should be available "
    "upon demand.{}",
    Code.MARKET_DATA_FARM_INACTIVE: "Market data farm connection is inactive but should be "
    "available upon demand.{}",
    Code.SERVER_CONNECTION_BROKEN: "Connectivity between Trader Workstation and server is "
    "broken. It will be restored automatically.",
    Code.SECDEF_FARM_BROKEN: "Sec-def data farm connection is broken:{}",
    Code.SECDEF_FARM_OK: "Sec-def data farm connection is OK:{}",
    Code.ORDER_ID_NOT_FOUND: "OrderId {} that needs to be cancelled is not found.",
    Code.DELAYED_DATA_DISPLAYED: "Requested market data is not subscribed. "
    "Displaying delayed market data.",
    Code.COMPETING_LIVE_SESSION: "No market data during competing live session",
}


def error_text(code: Code, *args: object) -> str:
    """The real text for `code`, with its placeholders filled from `args`."""
    template = TEXTS[code]
    return template.format(*args) if args else template.replace("{}", "")


class TwsError(Exception):
    """A request TWS answers with an error message rather than data."""

    def __init__(
        self, code: Code | int, message: str | None = None, req_id: int = NO_REQUEST_ID
    ) -> None:
        text = message if message is not None else error_text(Code(code))
        super().__init__(f"{int(code)}: {text}")
        self.code = int(code)
        self.message = text
        self.req_id = req_id
