"""The pytest plugin: registered through the `pytest11` entry point as `tws`."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytest_tws.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    for marker, meaning in (
        ("phase1a", "phase 1A: connection to TWS"),
        ("phase1b", "phase 1B: watchdog, restarts and connectivity faults"),
        ("phase1c", "phase 1C: trading, vertical spreads"),
        ("phase1d", "phase 1D: market data, option chains and line limits"),
        ("fake_only", "needs the fake's fault control; skipped with --tws=paper"),
    ):
        config.addinivalue_line("markers", f"{marker}: {meaning}")
