"""pytest-tws: a fake TWS speaking the real TWS API, and a pytest plugin around it."""

from pytest_tws.clock import VirtualClock
from pytest_tws.fake import FakeTWS, Limits
from pytest_tws.live_guard import LiveAccountError, PaperOnlyGuard, guard_paper_only
from pytest_tws.netfault import ToxiproxyServer
from pytest_tws.target import TwsTarget

__all__ = [
    "FakeTWS",
    "Limits",
    "LiveAccountError",
    "PaperOnlyGuard",
    "ToxiproxyServer",
    "TwsTarget",
    "VirtualClock",
    "guard_paper_only",
]
