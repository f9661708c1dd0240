"""pytest-tws: a fake TWS speaking the real TWS API, and a pytest plugin around it.

Everything a test touches is importable from here (docs/controls.md)::

    from pytest_tws import FakeTWS, Limits, VirtualClock, wait_until, expect_event
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from pytest_tws.clock import VirtualClock
from pytest_tws.fake import FakeTWS, Frame, Limits, ServerFailure
from pytest_tws.fake.controls import FaultControl, OrderControl
from pytest_tws.fake.market_control import MarketControl
from pytest_tws.fake.received import ReceivedRequest
from pytest_tws.live_guard import LiveAccountError, PaperOnlyGuard, guard_paper_only
from pytest_tws.netfault import ToxiproxyServer
from pytest_tws.settings import TwsSettings
from pytest_tws.target import TwsTarget
from pytest_tws.waiting import expect_event, wait_until

if TYPE_CHECKING:
    from pytest_tws.fixtures import FakeTWSFailure, IbAsyncDecodeError, cancel_open_orders
    from pytest_tws.netfault.fixture import FlakyNetwork, FlakyNetworkError
    from pytest_tws.restart import RestartWindowControl, advance_until

#: Names from the plugin's fixture modules, imported on first use: importing them here would
#: import them before pytest registers them as plugins (and warn that it cannot rewrite them).
_LAZY = {
    "FakeTWSFailure": "pytest_tws.fixtures",
    "IbAsyncDecodeError": "pytest_tws.fixtures",
    "cancel_open_orders": "pytest_tws.fixtures",
    "FlakyNetwork": "pytest_tws.netfault.fixture",
    "FlakyNetworkError": "pytest_tws.netfault.fixture",
    "RestartWindowControl": "pytest_tws.restart",
    "advance_until": "pytest_tws.restart",
}

__all__ = [
    "FakeTWS",
    "FakeTWSFailure",
    "FaultControl",
    "FlakyNetwork",
    "FlakyNetworkError",
    "Frame",
    "IbAsyncDecodeError",
    "Limits",
    "LiveAccountError",
    "MarketControl",
    "OrderControl",
    "PaperOnlyGuard",
    "ReceivedRequest",
    "RestartWindowControl",
    "ServerFailure",
    "ToxiproxyServer",
    "TwsSettings",
    "TwsTarget",
    "VirtualClock",
    "advance_until",
    "cancel_open_orders",
    "expect_event",
    "guard_paper_only",
    "wait_until",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_tws' has no attribute {name!r}")
    return getattr(import_module(module), name)
