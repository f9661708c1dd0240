"""Fixtures the phase suites share. They go through the target (fake or paper) like users'."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pytest_tws import TwsTarget
from tws_core import ConnectionManager

#: Seconds any single wait in the phase suites may take before the test fails.
TIMEOUT = 10.0


@pytest.fixture
async def conn(tws_target: TwsTarget) -> AsyncIterator[ConnectionManager]:
    """A connected production ConnectionManager to the current target; closed at teardown."""
    manager = ConnectionManager(tws_target.host, tws_target.port, tws_target.client_id,
                                timeout=TIMEOUT, account=tws_target.account)
    await manager.connect()
    yield manager
    await manager.disconnect()
