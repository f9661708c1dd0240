"""--tws-catalog PATH: the fake lists a user's instruments besides its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_tws.settings import OPTIONS, SettingError, resolve

pytest_plugins = ["pytester"]


def test_the_setting_takes_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text("{}")
    assert resolve({"tws_catalog": str(path)}, {}, {}).catalog == str(path)
    assert resolve({}, {}, {}).catalog == ""
    with pytest.raises(SettingError, match=r"--tws-catalog: catalog file '.*nope.json' does "
                                           r"not exist, from environment PYTEST_TWS_CATALOG"):
        resolve({}, {"PYTEST_TWS_CATALOG": str(tmp_path / "nope.json")}, {})


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.Pytester]:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest -p no:randomly\n"
                     "asyncio_mode = auto\n"
                     "asyncio_default_fixture_loop_scope = function\n")
    yield pytester


def test_a_users_instruments_are_listed_through_the_plugin(user: pytest.Pytester) -> None:
    catalog = user.path / "instruments.json"
    catalog.write_text(json.dumps({"stocks": [
        {"symbol": "ACME", "exchange": "NYSE", "name": "ACME CORP", "price": 42.0}]}))
    user.makepyfile("""
        from ib_async import Stock

        async def test_acme(ib):
            [acme] = await ib.qualifyContractsAsync(Stock("ACME", "SMART", "USD"))
            assert acme.primaryExchange == "NYSE"
            [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            assert aapl.conId == 265598
    """)
    result = user.runpytest(f"--tws-catalog={catalog}")
    result.assert_outcomes(passed=1)
