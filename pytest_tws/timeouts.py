"""No test hangs: a test that uses the plugin's fixtures gets a pytest-timeout marker of
``tws_timeout`` seconds (default 60; ``--tws-timeout``, ``PYTEST_TWS_TIMEOUT``, ini
``tws_timeout``; 0 disables it), unless pytest-timeout is configured explicitly (``--timeout``,
``PYTEST_TIMEOUT``, ini ``timeout``) or the test has a ``timeout`` marker of its own.
"""

from __future__ import annotations

import pytest

#: The fixtures this plugin defines that a test may ask for directly (asyncio_support).
PLUGIN_FIXTURES = frozenset({
    "ib", "fake_tws", "tws_target", "paper_tws", "restart_window", "flaky_network",
})
#: Fixtures whose use means the test talks to a TWS (fake or paper) and may wait on it.
TIMED_FIXTURES = PLUGIN_FIXTURES


def _explicit_pytest_timeout(config: pytest.Config) -> bool:
    try:
        import pytest_timeout
    except ImportError:  # pragma: no cover - a dependency of this package
        return True
    if not config.pluginmanager.hasplugin("timeout"):
        return True  # -p no:timeout: the user does not want timeouts
    return pytest_timeout.get_env_settings(config).timeout is not None


def add_default_timeouts(config: pytest.Config, items: list[pytest.Item], seconds: float) -> int:
    """Mark the items that use the plugin's fixtures; returns how many were marked."""
    if seconds <= 0 or _explicit_pytest_timeout(config):
        return 0
    marked = 0
    for item in items:
        names = getattr(item, "fixturenames", ())
        if TIMED_FIXTURES.isdisjoint(names) or item.get_closest_marker("timeout") is not None:
            continue
        item.add_marker(pytest.mark.timeout(seconds))
        marked += 1
    return marked
