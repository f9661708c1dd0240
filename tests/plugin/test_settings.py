"""Settings: one precedence (command line > environment > ini > default), named errors."""

from __future__ import annotations

import pytest

from pytest_tws.settings import SettingError, resolve
from pytest_tws.target import WORKER_STRIDE, ClientIds, worker_index


def test_defaults_when_nothing_is_given() -> None:
    s = resolve({}, {}, {})
    assert (s.mode, s.host, s.port, s.client_id, s.account, s.seed) == (
        "fake", "127.0.0.1", 7497, 100, "", 0)
    assert set(s.sources.values()) == {"default"}


def test_command_line_beats_environment_beats_ini() -> None:
    cli = {"tws": "paper", "tws_port": None}
    env = {"PYTEST_TWS": "fake", "PYTEST_TWS_PORT": "4002", "PYTEST_TWS_SEED": "7"}
    ini = {"tws": "fake", "tws_port": "7496", "tws_seed": "3", "tws_client_id": "500"}
    s = resolve(cli, env, ini)
    assert s.mode == "paper" and s.sources["mode"] == "command line --tws"
    assert s.port == 4002 and s.sources["port"] == "environment PYTEST_TWS_PORT"
    assert s.seed == 7
    assert s.client_id == 500 and s.sources["client_id"] == "ini tws_client_id"
    assert s.is_paper


def test_an_empty_value_falls_through_to_the_next_source() -> None:
    s = resolve({"tws_account": ""}, {"PYTEST_TWS_ACCOUNT": " "}, {"tws_account": "DU42"})
    assert s.account == "DU42"


@pytest.mark.parametrize(
    ("cli", "env", "ini", "expected"),
    [
        ({"tws": "live"}, {}, {},
         "--tws: 'live' is not one of fake, paper, record, replay, from command line"),
        ({}, {"PYTEST_TWS_PORT": "abc"}, {}, "from environment PYTEST_TWS_PORT"),
        ({}, {}, {"tws_client_id": "-3"}, "'-3' is not a clientId"),
        ({}, {}, {"tws_seed": "x"}, "--tws-seed: 'x' is not an integer seed, from ini tws_seed"),
    ],
)
def test_a_bad_value_names_its_source(
    cli: dict[str, str], env: dict[str, str], ini: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingError) as error:
        resolve(cli, env, ini)
    assert expected in str(error.value)


def test_client_ids_are_distinct_per_test_and_per_worker() -> None:
    assert worker_index("gw3") == 3 and worker_index("master") is None
    main, gw0, gw1 = ClientIds(100), ClientIds(100, 0), ClientIds(100, 1)
    ids = [c.next() for c in (main, gw0, gw1) for _ in range(3)]
    assert len(set(ids)) == 9
    assert gw1.probe_id == 100 + 2 * WORKER_STRIDE
    assert main.probe_id not in ids
