"""pytest-tws: a fake TWS speaking the real TWS API, and a pytest plugin around it."""

from pytest_tws.clock import VirtualClock
from pytest_tws.fake import FakeTWS, Limits
from pytest_tws.netfault import ToxiproxyServer
from pytest_tws.target import TwsTarget

__all__ = ["FakeTWS", "Limits", "ToxiproxyServer", "TwsTarget", "VirtualClock"]
