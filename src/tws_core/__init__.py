"""Production layer of a trading system on ib_async: connection, watchdog, orders, data."""

from __future__ import annotations

from tws_core.clock import Clock, RestartWindow, SystemClock
from tws_core.connection import (
    ClientIdInUseError,
    ConnectError,
    ConnectionManager,
    HealthCheckError,
    NotConnectedError,
)
from tws_core.errors import ErrorCategory, Severity, TwsApiError, TwsCoreError, classify
from tws_core.events import (
    ConnectionEvents,
    ConnectionLost,
    ConnectionState,
    ConnectivityRestored,
    StateChange,
    TwsErrorEvent,
)
from tws_core.market_data import ChainNotFoundError, MarketData, OptionChain
from tws_core.orders import (
    OrderError,
    OrderLostError,
    OrderManager,
    OrderRefusedError,
    OrderStatusChange,
    OrderTimeoutError,
    VerticalSpread,
)
from tws_core.throttle import MarketDataLimitError
from tws_core.watchdog import (
    Backoff,
    RecoveryReason,
    Watchdog,
    WatchdogState,
    WatchdogStatus,
    WatchdogTransition,
)

__all__ = [
    "Backoff",
    "ChainNotFoundError",
    "ClientIdInUseError",
    "Clock",
    "ConnectError",
    "ConnectionEvents",
    "ConnectionLost",
    "ConnectionManager",
    "ConnectionState",
    "ConnectivityRestored",
    "ErrorCategory",
    "HealthCheckError",
    "MarketData",
    "MarketDataLimitError",
    "NotConnectedError",
    "OptionChain",
    "OrderError",
    "OrderLostError",
    "OrderManager",
    "OrderRefusedError",
    "OrderStatusChange",
    "OrderTimeoutError",
    "RecoveryReason",
    "RestartWindow",
    "Severity",
    "StateChange",
    "SystemClock",
    "TwsApiError",
    "TwsCoreError",
    "TwsErrorEvent",
    "VerticalSpread",
    "Watchdog",
    "WatchdogState",
    "WatchdogStatus",
    "WatchdogTransition",
    "classify",
]
