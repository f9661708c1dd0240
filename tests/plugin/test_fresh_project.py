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


@pytest.mark.parametrize("mode", MODES)
def test_the_readme_examples_pass_as_written_without_warnings(
    fresh: pytest.Pytester, mode: str
) -> None:
    source = readme_tests()
    assert "async def test_" in source and "\ndef test_" in source  # both kinds shown
    fresh.makepyfile(test_readme=source)
    result = fresh.runpytest_subprocess(*ARGS, f"--asyncio-mode={mode}")
    result.assert_outcomes(passed=source.count("def test_"), warnings=0)


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


@pytest.mark.parametrize("mode", MODES)
def test_fixtures_work_in_any_signature_order(fresh: pytest.Pytester, mode: str) -> None:
    fresh.makepyfile(test_order=ORDER_MATRIX)
    result = fresh.runpytest_subprocess(*ARGS, f"--asyncio-mode={mode}")
    result.assert_outcomes(passed=ORDER_MATRIX.count("def test_"), warnings=0)


def test_a_test_with_its_own_asyncio_marker_keeps_it(fresh: pytest.Pytester) -> None:
    fresh.makepyfile(test_marked="""
        import pytest

        pytestmark = pytest.mark.asyncio(loop_scope="module")

        async def test_one(fake_tws):
            import asyncio
            assert asyncio.get_running_loop() is not None
    """)
    result = fresh.runpytest_subprocess(*ARGS, "--asyncio-mode=strict")
    result.assert_outcomes(passed=1, warnings=0)


def test_a_project_setting_of_the_loop_scope_is_kept(fresh: pytest.Pytester) -> None:
    fresh.makeini("[pytest]\nasyncio_default_fixture_loop_scope = module\n")
    fresh.makepyfile(test_scope="""
        def test_scope(pytestconfig):
            assert pytestconfig.getini("asyncio_default_fixture_loop_scope") == "module"
    """)
    result = fresh.runpytest_subprocess(*ARGS)
    result.assert_outcomes(passed=1)
