"""TWS error codes: what each one means for a trading system, in one table.

TWS sends errors, warnings and plain notices through the same ``error`` callback. This module
sorts a code into an `ErrorCategory` (who should react: the connection layer, the pacer, the
order or market-data code) and a `Severity`, and keeps the text TWS sends.

Texts are the official message-codes table (interactivebrokers.github.io/tws-api/
message_codes.html and its IBKR Campus successor), replaced by the text seen from a live
Gateway where that is known. Where TWS appends a detail (a farm name, a reason, an id), the
text here is the fixed prefix; `message()` appends the detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

__all__ = [
    "IB_ASYNC_WARNING_CODES",
    "Code",
    "ErrorCategory",
    "Severity",
    "TwsApiError",
    "TwsCoreError",
    "TwsErrorInfo",
    "classify",
    "info",
    "is_informational",
    "is_warning",
    "message",
]


class TwsCoreError(Exception):
    """Base of every exception raised by tws_core."""


class Code(IntEnum):
    """The codes production code reacts to by name (their texts are in the table below)."""

    MAX_RATE_EXCEEDED = 100
    MAX_TICKERS = 101
    NO_SECURITY_DEFINITION = 200
    CLIENT_ID_IN_USE = 326
    NOT_SUBSCRIBED = 354
    CONNECTIVITY_LOST = 1100
    RESTORED_DATA_LOST = 1101
    RESTORED_DATA_MAINTAINED = 1102
    NO_MARKET_DATA_PERMISSION = 10090
    DELAYED_DISPLAYED = 10167
    COMPETING_LIVE_SESSION = 10197


class ErrorCategory(str, Enum):
    """Who should react to a TWS message code."""

    CONNECTIVITY = "connectivity"
    """TWS <-> IBKR servers or the API socket itself (1100, 1101, 1102, 1300, 2110)."""
    FARM_STATUS = "farm_status"
    """A data farm connected, broken, inactive or connecting (2103-2108, 2119, 2157, 2158)."""
    PACING = "pacing"
    """A rate limit was hit (100 messages/s, 162 historical pacing, 420 real-time query)."""
    MARKET_DATA = "market_data"
    """Subscriptions, permissions and line limits."""
    ORDER = "order"
    """Order placement, modification and cancellation."""
    REQUEST = "request"
    """A request was malformed, refused or not found; also the client-side 5xx codes."""
    INFORMATION = "information"
    """Notices that report something without being a failure (the 2100-2199 band)."""


class Severity(str, Enum):
    """How bad a message is. ERROR means the request (or the connection) failed."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class TwsErrorInfo:
    """One row of the table: a code, its category, the text TWS sends and its severity."""

    code: int
    category: ErrorCategory
    text: str
    severity: Severity

    @property
    def is_warning(self) -> bool:
        """Whether ib_async logs this code as a warning rather than an error."""
        return is_warning(self.code)


class TwsApiError(TwsCoreError):
    """An error TWS reported for a request, carrying its code.

    Args:
        code: The TWS error code.
        message: The text TWS sent (defaults to the table's text).
        req_id: The request or order id it refers to; -1 when it refers to none.
    """

    def __init__(self, code: int, message: str | None = None, req_id: int = -1) -> None:
        self.code = code
        self.req_id = req_id
        self.message = info(code).text if message is None else message
        super().__init__(f"TWS error {code} (reqId {req_id}): {self.message}")

    @property
    def info(self) -> TwsErrorInfo:
        """The table row for this code."""
        return info(self.code)


_C = ErrorCategory
_S = Severity

# fmt: off
# code -> (category, text, severity)
_TABLE: dict[int, tuple[ErrorCategory, str, Severity]] = {
    # -- connectivity: the TWS <-> IBKR link and the API socket
    1100: (_C.CONNECTIVITY, "Connectivity between IBKR and Trader Workstation has been lost.",
           _S.ERROR),
    1101: (_C.CONNECTIVITY,
           "Connectivity between IB and Trader Workstation has been restored - data lost.",
           _S.WARNING),
    1102: (_C.CONNECTIVITY,
           "Connectivity between IB and Trader Workstation has been restored - data maintained.",
           _S.INFO),
    1300: (_C.CONNECTIVITY,
           "TWS socket port has been reset and this connection is being dropped. "
           "Please reconnect on the new port - ", _S.ERROR),
    2110: (_C.CONNECTIVITY,
           "Connectivity between Trader Workstation and server is broken. "
           "It will be restored automatically.", _S.WARNING),
    # -- data farms
    2103: (_C.FARM_STATUS, "Market data farm connection is broken:", _S.WARNING),
    2104: (_C.FARM_STATUS, "Market data farm connection is OK:", _S.INFO),
    2105: (_C.FARM_STATUS, "HMDS data farm connection is broken:", _S.WARNING),
    2106: (_C.FARM_STATUS, "HMDS data farm connection is OK:", _S.INFO),
    2107: (_C.FARM_STATUS,
           "HMDS data farm connection is inactive but should be available upon demand.",
           _S.INFO),
    2108: (_C.FARM_STATUS,
           "Market data farm connection is inactive but should be available upon demand.",
           _S.INFO),
    2119: (_C.FARM_STATUS, "Market data farm is connecting:", _S.INFO),
    2157: (_C.FARM_STATUS, "Sec-def data farm connection is broken:", _S.WARNING),
    2158: (_C.FARM_STATUS, "Sec-def data farm connection is OK:", _S.INFO),
    # -- pacing
    100: (_C.PACING, "Max rate of messages per second has been exceeded:", _S.ERROR),
    162: (_C.PACING, "Historical Market Data Service error message:", _S.ERROR),
    420: (_C.PACING, "Invalid Real-time Query:", _S.ERROR),
    # -- market data
    101: (_C.MARKET_DATA, "Max number of tickers has been reached.", _S.ERROR),
    102: (_C.MARKET_DATA, "Duplicate ticker ID.", _S.ERROR),
    300: (_C.MARKET_DATA, "Can't find EId with ticker Id:", _S.WARNING),
    309: (_C.MARKET_DATA, "Max number (3) of market depth requests has been reached.",
          _S.ERROR),
    310: (_C.MARKET_DATA, "Can't find the subscribed market depth with tickerId:", _S.WARNING),
    316: (_C.MARKET_DATA, "Market depth data has been HALTED. Please re-subscribe.", _S.ERROR),
    317: (_C.MARKET_DATA, "Market depth data has been RESET. Please empty deep book contents "
          "before applying any new entries.", _S.WARNING),
    354: (_C.MARKET_DATA, "Requested market data is not subscribed.", _S.ERROR),
    414: (_C.MARKET_DATA, "Snapshot market data subscription is not applicable to generic "
          "ticks.", _S.ERROR),
    10089: (_C.MARKET_DATA, "Requested market data requires additional subscription for API.",
            _S.ERROR),
    10090: (_C.MARKET_DATA, "Part of requested market data is not subscribed.", _S.WARNING),
    10167: (_C.MARKET_DATA, "Requested market data is not subscribed. Displaying delayed "
            "market data.", _S.WARNING),
    10168: (_C.MARKET_DATA, "Requested market data is not subscribed. Delayed market data is "
            "not enabled.", _S.ERROR),
    10186: (_C.MARKET_DATA, "Requested market data is not subscribed. Delayed market data is "
            "not enabled.", _S.ERROR),
    10197: (_C.MARKET_DATA, "No market data during competing live session", _S.ERROR),
    10225: (_C.MARKET_DATA, "Bust event occurred, current subscription is deactivated. "
            "Please resubscribe real-time bars immediately", _S.WARNING),
    # -- orders
    103: (_C.ORDER, "Duplicate order id", _S.ERROR),
    104: (_C.ORDER, "Can't modify a filled order.", _S.ERROR),
    105: (_C.ORDER, "Order being modified does not match original order.", _S.WARNING),
    106: (_C.ORDER, "Can't transmit order ID:", _S.ERROR),
    107: (_C.ORDER, "Cannot transmit incomplete order.", _S.ERROR),
    110: (_C.ORDER, "The price does not conform to the minimum price variation for this "
          "contract.", _S.WARNING),
    111: (_C.ORDER, "The TIF (Tif type) and the order type are incompatible.", _S.ERROR),
    135: (_C.ORDER, "Can't find order with ID =", _S.ERROR),
    136: (_C.ORDER, "This order cannot be cancelled.", _S.ERROR),
    161: (_C.ORDER, "Cancel attempted when order is not in a cancellable state. "
          "Order permId =", _S.ERROR),
    201: (_C.ORDER, "Order rejected - reason:", _S.ERROR),
    202: (_C.ORDER, "Order Canceled - reason:", _S.ERROR),
    203: (_C.ORDER, "The security is not available or allowed for this account.", _S.ERROR),
    312: (_C.ORDER, "The combo details are invalid.", _S.ERROR),
    313: (_C.ORDER, "The combo details for leg are invalid.", _S.ERROR),
    314: (_C.ORDER, "Security type 'BAG' requires combo leg details.", _S.ERROR),
    315: (_C.ORDER, "Stock combo legs are restricted to SMART order routing.", _S.ERROR),
    329: (_C.ORDER, "Order modify failed. Cannot change to the new order type.", _S.WARNING),
    355: (_C.ORDER, "Order size does not conform to market rule.", _S.ERROR),
    387: (_C.ORDER, "Unsupported order type for this exchange and security type.", _S.ERROR),
    388: (_C.ORDER, "Order size is smaller than the minimum requirement.", _S.ERROR),
    392: (_C.ORDER, "Invalid order: contract expired.", _S.ERROR),
    399: (_C.ORDER, "Order message error", _S.WARNING),
    404: (_C.ORDER, "Shares for this order are not immediately available for short sale. "
          "The order will be held while we attempt to locate the shares.", _S.WARNING),
    434: (_C.ORDER, "The order size cannot be zero.", _S.WARNING),
    435: (_C.ORDER, "You must specify an account.", _S.ERROR),
    463: (_C.ORDER, "", _S.ERROR),  # listed by users as an order error; text unverified
    492: (_C.ORDER, "", _S.WARNING),  # an ib_async warning; not in the official table
    2102: (_C.ORDER, "Unable to modify this order as it is still being processed.",
           _S.WARNING),
    2109: (_C.ORDER, "Order Event Warning: Attribute \"Outside Regular Trading Hours\" is "
           "ignored based on the order type and destination. PlaceOrder is now processed.",
           _S.WARNING),
    10006: (_C.ORDER, "Missing parent order.", _S.ERROR),
    10147: (_C.ORDER, "OrderId that needs to be cancelled is not found.", _S.ERROR),
    10148: (_C.ORDER, "OrderId that needs to be cancelled can not be cancelled, state:",
            _S.ERROR),
    10349: (_C.ORDER, "Order TIF was set to DAY based on order preset.", _S.WARNING),
    # -- requests
    165: (_C.REQUEST, "Historical Market Data Service query message:", _S.WARNING),
    200: (_C.REQUEST, "No security definition has been found for the request", _S.ERROR),
    320: (_C.REQUEST, "Server error when reading an API client request.", _S.ERROR),
    321: (_C.REQUEST, "Error validating request.-", _S.WARNING),
    322: (_C.REQUEST, "Server error when processing an API client request.", _S.ERROR),
    326: (_C.REQUEST, "Unable to connect as the client id is already in use. "
          "Retry with a unique client id.", _S.ERROR),
    365: (_C.REQUEST, "No scanner subscription found for ticker id:", _S.WARNING),
    366: (_C.REQUEST, "No historical data query found for ticker id:", _S.WARNING),
    386: (_C.REQUEST, "Duplicate ticker ID for API historical data query.", _S.ERROR),
    501: (_C.REQUEST, "Already connected.", _S.ERROR),
    502: (_C.REQUEST, "Couldn't connect to TWS. Confirm that \"Enable ActiveX and Socket "
          "Clients\" is enabled and connection port is the same as \"Socket Port\" on the TWS "
          "\"Edit->Global Configuration...->API->Settings\" menu.", _S.ERROR),
    503: (_C.REQUEST, "The TWS is out of date and must be upgraded.", _S.ERROR),
    504: (_C.REQUEST, "Not connected", _S.ERROR),
    505: (_C.REQUEST, "Fatal Error: Unknown message id.", _S.ERROR),
    # -- information
    2100: (_C.INFORMATION, "New account data requested from TWS. API client has been "
           "unsubscribed from account data.", _S.INFO),
    2101: (_C.INFORMATION, "Unable to subscribe to account as the following clients are "
           "subscribed to a different account.", _S.WARNING),
    2137: (_C.INFORMATION, "Cross Side Warning", _S.WARNING),
}
# fmt: on

IB_ASYNC_WARNING_CODES: frozenset[int] = frozenset(
    {105, 110, 165, 321, 329, 399, 404, 434, 492, 10167}
)
"""Codes outside 2100-2199 that ib_async 2.1 (``Wrapper.error``) logs as warnings.

ib_async also treats all of 2100-2199 as warnings, and makes 110 an error when it answers a
whatIf request or hits an order still in PendingSubmit. A warning never fails the request."""


def _default(code: int) -> tuple[ErrorCategory, Severity]:
    # Bands of the official table, for codes this table does not list.
    if 1100 <= code < 1400:
        return _C.CONNECTIVITY, _S.ERROR
    if 2100 <= code < 2200:
        return _C.INFORMATION, _S.WARNING
    if 100 <= code < 200 or 10000 <= code < 11000:
        return _C.ORDER, _S.ERROR
    return _C.REQUEST, _S.ERROR


def info(code: int) -> TwsErrorInfo:
    """The table row for ``code``; an unknown code gets its band's category and empty text."""
    row = _TABLE.get(code)
    if row is None:
        category, severity = _default(code)
        return TwsErrorInfo(code, category, "", severity)
    category, text, severity = row
    return TwsErrorInfo(code, category, text, severity)


def classify(code: int) -> ErrorCategory:
    """The category of ``code`` (unknown codes: by the band they fall in)."""
    return info(code).category


def is_warning(code: int) -> bool:
    """Whether ib_async 2.1 treats ``code`` as a warning (2100-2199 and a short list)."""
    return code in IB_ASYNC_WARNING_CODES or 2100 <= code < 2200


def is_informational(code: int) -> bool:
    """True for notices that report health, not trouble: farm OK/inactive/connecting, 1102.

    Such codes need no reaction beyond, perhaps, a log line.
    """
    return info(code).severity is Severity.INFO


def message(code: int, detail: str = "") -> str:
    """The text TWS sends for ``code``, with ``detail`` (farm name, reason, id) appended.

    Example: ``message(2104, "usfarm") == "Market data farm connection is OK:usfarm"``.
    """
    # TWS glues details on with no separator ("...is OK:usfarm", "...upon demand.ushmds").
    return info(code).text + detail
