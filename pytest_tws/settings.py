"""The plugin's settings, resolved in one place: command line > environment > ini > default.

Every value remembers where it came from, so a bad one is reported with its source::

    --tws-port: 'abc' is not a port (an integer 1-65535), from environment PYTEST_TWS_PORT
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

T = TypeVar("T")

DEFAULT_CASSETTES = "tests/cassettes"
#: the modes that serve each test through its cassette (pytest_tws.cassette.fixture)
CASSETTE_MODES = ("record", "replay")
MODES = ("fake", "paper", "record", "replay")
DEFAULT_PAPER_PORT = 7497
DEFAULT_CLIENT_ID = 100
#: Seconds a test using the plugin's fixtures may run (pytest-timeout), unless set otherwise.
DEFAULT_TEST_TIMEOUT = 60.0


class SettingError(ValueError):
    """A setting's value is invalid; the message names the value and where it came from."""


def _mode(text: str) -> str:
    value = text.strip().lower()
    if value not in MODES:
        raise ValueError(f"{text!r} is not one of {', '.join(MODES)}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 < value < 65536:
        raise ValueError(f"{text!r} is not a port (an integer 1-65535)")
    return value


def _client_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**31:
        raise ValueError(f"{text!r} is not a clientId (an integer 0-2147483647)")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer seed") from None


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ValueError(f"{text!r} is not a timeout (seconds >= 0; 0 disables it)")
    return value


def _text(text: str) -> str:
    return text.strip()


def _catalog_file(text: str) -> str:
    path = text.strip()
    if not os.path.isfile(path):
        raise ValueError(f"catalog file {path!r} does not exist")
    return path


@dataclass(frozen=True)
class Option(Generic[T]):
    """One setting: how it is spelled on each source, and how its text is checked."""

    name: str
    cli: str
    env: str
    ini: str
    default: T
    parse: Callable[[str], T]
    help: str

    @property
    def dest(self) -> str:
        return self.cli.lstrip("-").replace("-", "_")


OPTIONS: tuple[Option[Any], ...] = (
    Option("mode", "--tws", "PYTEST_TWS", "tws", "fake", _mode,
           "where tests run: 'fake' (an in-process fake TWS per worker) or 'paper' "
           "(a running paper TWS / IB Gateway), 'record' (paper, through a recording proxy: "
           "one cassette per test) or 'replay' (each test served from its cassette)"),
    Option("host", "--tws-host", "PYTEST_TWS_HOST", "tws_host", "127.0.0.1", _text,
           "paper TWS host"),
    Option("port", "--tws-port", "PYTEST_TWS_PORT", "tws_port", DEFAULT_PAPER_PORT, _port,
           "paper TWS API port (7497 TWS paper, 4002 Gateway paper); the fake picks a free one"),
    Option("client_id", "--tws-client-id", "PYTEST_TWS_CLIENT_ID", "tws_client_id",
           DEFAULT_CLIENT_ID, _client_id,
           "base clientId: each test gets its own id from here, offset per xdist worker"),
    Option("account", "--tws-account", "PYTEST_TWS_ACCOUNT", "tws_account", "", _text,
           "account to use (must be a paper account, D...); default: the first managed one"),
    Option("seed", "--tws-seed", "PYTEST_TWS_SEED", "tws_seed", 0, _seed,
           "seed of the fake's prices, fills and ids"),
    Option("catalog", "--tws-catalog", "PYTEST_TWS_CATALOG", "tws_catalog", "", _catalog_file,
           "JSON file of instruments the fake lists besides its own (see FakeTWS(catalog=))"),
    Option("timeout", "--tws-timeout", "PYTEST_TWS_TIMEOUT", "tws_timeout",
           DEFAULT_TEST_TIMEOUT, _timeout,
           "seconds a test using the plugin's fixtures may take before it fails (0: no "
           "limit); an explicit pytest-timeout setting or marker wins"),
    Option("cassettes", "--tws-cassettes", "PYTEST_TWS_CASSETTES", "tws_cassettes",
           DEFAULT_CASSETTES, _text,
           "directory of the cassettes --tws=record writes and --tws=replay reads (relative "
           "to the rootdir)"),
)


@dataclass(frozen=True)
class TwsSettings:
    """Resolved settings, with the source of each value (for messages and the header)."""

    mode: str
    host: str
    port: int
    client_id: int
    account: str
    seed: int
    sources: Mapping[str, str]
    timeout: float = DEFAULT_TEST_TIMEOUT
    catalog: str = ""
    cassettes: str = DEFAULT_CASSETTES

    @property
    def is_paper(self) -> bool:
        """Tests talk to a paper TWS (directly, or through the recording proxy)."""
        return self.mode in ("paper", "record")

    @property
    def uses_fake(self) -> bool:
        return self.mode == "fake"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("tws", "pytest-tws: fake or paper TWS")
    for option in OPTIONS:
        group.addoption(option.cli, dest=option.dest, default=None,
                        help=f"{option.help} (env {option.env}, ini {option.ini}, "
                             f"default {option.default!r})")
        parser.addini(option.ini, help=f"pytest-tws: {option.help}", default=None)


def resolve(
    cli: Mapping[str, str | None],
    env: Mapping[str, str],
    ini: Mapping[str, str | None],
) -> TwsSettings:
    """Pick each value from the first source that has it: CLI, environment, ini, default.

    Args:
        cli: option dest -> value given on the command line, or None.
        env: the environment (``os.environ``).
        ini: ini key -> value from the ini file, or None.

    Raises:
        SettingError: A value does not parse; the message names the option and source.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        candidates = (
            (cli.get(option.dest), f"command line {option.cli}"),
            (env.get(option.env), f"environment {option.env}"),
            (ini.get(option.ini), f"ini {option.ini}"),
        )
        for text, source in candidates:
            if text is not None and str(text).strip() != "":
                try:
                    values[option.name] = option.parse(str(text))
                except ValueError as exc:
                    raise SettingError(f"{option.cli}: {exc}, from {source}") from None
                sources[option.name] = source
                break
        else:
            values[option.name] = option.default
            sources[option.name] = "default"
    return TwsSettings(sources=sources, **values)


def from_config(config: pytest.Config) -> TwsSettings:
    """Resolve from a pytest config and ``os.environ``; a bad value is a usage error."""
    cli = {o.dest: config.getoption(o.dest, default=None) for o in OPTIONS}
    ini: dict[str, str | None] = {}
    for option in OPTIONS:
        raw = config.getini(option.ini)
        ini[option.ini] = None if raw in (None, "", []) else str(raw)
    try:
        return resolve(cli, os.environ, ini)
    except SettingError as exc:
        raise pytest.UsageError(f"pytest-tws: {exc}") from None
