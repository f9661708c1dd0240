"""The fake TWS: a server speaking the TWS API socket protocol to real, unmodified clients."""

from pytest_tws.fake.backend import Limits
from pytest_tws.fake.server import FakeTWS
from pytest_tws.fake.transcript import Frame, ServerFailure

__all__ = ["FakeTWS", "Frame", "Limits", "ServerFailure"]
