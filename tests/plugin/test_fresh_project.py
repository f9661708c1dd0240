"""A fresh project: only the package installed, no ini, no conftest (issue 16, item 1).

The README's first tests run as written, in pytest-asyncio's strict and auto mode, with no
warning; the fixtures work whatever their order in the signature, in sync tests too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_tws.settings import OPTIONS

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
MODES = ("strict", "auto")
#: hypothesis's plugin is installed in the test venv, not in a user's: keep it out of the way.
ARGS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


def readme_tests() -> str:
    """The python block of the README's "Your first tests" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your first tests", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README lost its first-tests example"
    return match.group(1)


@pytest.fixture
def fresh(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    assert not list(pytester.path.glob("*.ini")) and not list(pytester.path.glob("*.toml"))
    return pytester


ORDER_MATRIX = """
import pytest

async def test_ib_then_restart_window(ib, restart_window):
    assert await ib.reqCurrentTimeAsync()

async def test_restart_window_then_ib(restart_window, ib):
    assert await ib.reqCurrentTimeAsync()

async def test_ib_then_fake(ib, fake_tws):
    assert await ib.reqCurrentTimeAsync()
    assert fake_tws.client_ids() == [ib.client.clientId]

async def test_fake_then_ib(fake_tws, ib):
    assert await ib.reqCurrentTimeAsync()

async def test_target_then_ib(tws_target, ib):
    assert ib.client.clientId == tws_target.client_id

def test_sync_ib_then_restart_window(ib, restart_window):
    assert ib.reqCurrentTime() is not None

def test_sync_restart_window_then_ib(restart_window, ib):
    assert ib.reqCurrentTime() is not None

class TestInAClass:
    async def test_method(self, ib):
        assert await ib.reqCurrentTimeAsync()

    def test_sync_method(self, ib):
        assert ib.reqCurrentTime() is not None
"""


MARKED = """
import asyncio
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

async def test_keeps_its_own_marker(fake_tws):
    assert asyncio.get_running_loop() is not None
"""


@pytest.mark.parametrize("mode", MODES)
def test_the_readme_examples_and_any_fixture_order_pass_without_warnings(
    fresh: pytest.Pytester, mode: str
) -> None:
    """One subprocess per mode (each costs seconds): the README's tests as written, the
    fixture-order matrix, and a module with an asyncio marker of its own."""
    source = readme_tests()
    assert "async def test_" in source and "\ndef test_" in source  # both kinds shown
    files = {"test_readme": source, "test_order": ORDER_MATRIX, "test_marked": MARKED}
    fresh.makepyfile(**files)
    result = fresh.runpytest_subprocess(*ARGS, f"--asyncio-mode={mode}")
    result.assert_outcomes(passed=sum(text.count("def test_") for text in files.values()),
                           warnings=0)


def test_a_project_setting_of_the_loop_scope_is_kept(fresh: pytest.Pytester) -> None:
    fresh.makeini("[pytest]\nasyncio_default_fixture_loop_scope = module\n")
    fresh.makepyfile(test_scope="""
        def test_scope(pytestconfig):
            assert pytestconfig.getini("asyncio_default_fixture_loop_scope") == "module"
    """)
    result = fresh.runpytest(*ARGS)
    result.assert_outcomes(passed=1)


def test_an_unset_loop_scope_defaults_to_function(fresh: pytest.Pytester) -> None:
    fresh.makepyfile(test_scope="""
        def test_scope(pytestconfig):
            assert pytestconfig.getini("asyncio_default_fixture_loop_scope") == "function"
    """)
    result = fresh.runpytest(*ARGS)
    result.assert_outcomes(passed=1)
