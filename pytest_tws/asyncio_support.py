"""Make the plugin work in a fresh project: no ini, no conftest, pytest-asyncio in any mode.

- In pytest-asyncio's *strict* mode an ``async def`` test runs only when marked
  ``@pytest.mark.asyncio``; a test that asks for one of this plugin's fixtures (which are all
  asyncio-based) gets that marker here, unless it (or its class or module) already has an
  async-framework marker of its own (``asyncio``, ``anyio``, ``trio``).
- pytest-asyncio warns on every run while ``asyncio_default_fixture_loop_scope`` is unset;
  when the project did not set it, this plugin sets it to ``"function"`` (the value
  pytest-asyncio announces as its future default), so a fresh project runs without that
  warning. A project's own setting (ini, ``-o``) is left alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator

import pytest

from pytest_tws.timeouts import PLUGIN_FIXTURES

#: Markers of async frameworks: a test carrying one has chosen its runner already.
_ASYNC_MARKERS = ("asyncio", "anyio", "trio")

LOOP_SCOPE_INI = "asyncio_default_fixture_loop_scope"
LOOP_SCOPE_DEFAULT = "function"


def _asyncio_mode(config: pytest.Config) -> str:
    try:
        mode = config.getoption("asyncio_mode", default=None) or config.getini("asyncio_mode")
    except ValueError:  # pytest-asyncio not loaded (-p no:asyncio)
        return ""
    return str(mode or "strict")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        current = config.getini(LOOP_SCOPE_INI)
    except ValueError:  # pytest-asyncio not loaded
        return
    if not current:
        # pytest has no public way to give another plugin's ini key a default; the cache
        # getini reads first is the narrowest place to do it.
        cache = getattr(config, "_inicache", None)
        if isinstance(cache, dict):
            cache[LOOP_SCOPE_INI] = LOOP_SCOPE_DEFAULT


def _uses_plugin_fixture(obj: object) -> bool:
    try:
        names = inspect.signature(obj).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return not PLUGIN_FIXTURES.isdisjoint(names)


def _has_async_marker(collector: pytest.Collector, obj: object) -> bool:
    own = getattr(obj, "pytestmark", [])
    if any(getattr(m, "name", None) in _ASYNC_MARKERS for m in own):
        return True
    return any(any(True for _ in collector.iter_markers(name)) for name in _ASYNC_MARKERS)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> Generator[None, object, object]:
    if (
        inspect.iscoroutinefunction(obj)
        and _asyncio_mode(collector.config) == "strict"
        and collector.istestfunction(obj, name)
        and _uses_plugin_fixture(obj)
        and not _has_async_marker(collector, obj)
    ):
        pytest.mark.asyncio(obj)
    return (yield)
