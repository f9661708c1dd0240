"""The pytest plugin: registered through the `pytest11` entry point as `tws`.

Other fixture modules join by adding their module path to `pytest_plugins` below.
"""

from __future__ import annotations

import pytest

from pytest_tws.ib_log import IbAsyncErrors
from pytest_tws.paper import PaperRefused, PaperSession, check_paper
from pytest_tws.settings import TwsSettings, add_options, from_config
from pytest_tws.target import ClientIds, worker_index
from pytest_tws.timeouts import add_default_timeouts

pytest_plugins = [
    "pytest_tws.asyncio_support",
    "pytest_tws.report",
    "pytest_tws.fixtures",
    "pytest_tws.restart",
    "pytest_tws.netfault.fixture",
    "pytest_tws.cassette.fixture",
]

SETTINGS_KEY = pytest.StashKey[TwsSettings]()
CLIENT_IDS_KEY = pytest.StashKey[ClientIds]()
PAPER_KEY = pytest.StashKey[PaperSession]()
IB_ERRORS_KEY = pytest.StashKey[IbAsyncErrors]()

MARKERS = (
    ("phase1a", "phase 1A: connection to TWS"),
    ("phase1b", "phase 1B: watchdog, restarts and connectivity faults"),
    ("phase1c", "phase 1C: trading, vertical spreads"),
    ("phase1d", "phase 1D: market data, option chains and line limits"),
    ("fake_only", "needs the fake's fault control; skipped with --tws=paper"),
)

FAKE_ONLY_REASON = "fake_only: needs the fake TWS's fault control, and this run is --tws={}"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for marker, meaning in MARKERS:
        config.addinivalue_line("markers", f"{marker}: {meaning}")
    settings = from_config(config)
    config.stash[SETTINGS_KEY] = settings
    workerinput = getattr(config, "workerinput", None)
    worker = worker_index(workerinput["workerid"]) if workerinput else None
    config.stash[CLIENT_IDS_KEY] = ClientIds(settings.client_id, worker)
    errors = IbAsyncErrors()
    errors.install()
    config.stash[IB_ERRORS_KEY] = errors


def pytest_unconfigure(config: pytest.Config) -> None:
    errors = config.stash.get(IB_ERRORS_KEY, None)
    if errors is not None:
        errors.uninstall()


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS_KEY]
    source = settings.sources["mode"]
    if settings.mode == "replay":
        return [f"tws: replay of the cassettes in {settings.cassettes} ({source})"]
    if settings.is_paper:
        account = settings.account or "first managed account"
        return [f"tws: paper TWS at {settings.host}:{settings.port} ({source}), clientIds from "
                f"{settings.client_id}, account {account}"]
    return [f"tws: fake TWS on 127.0.0.1, a free port per worker ({source}), "
            f"seed {settings.seed}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    settings = config.stash[SETTINGS_KEY]
    if not settings.is_paper:
        return
    probe_id = config.stash[CLIENT_IDS_KEY].probe_id
    try:
        config.stash[PAPER_KEY] = check_paper(settings.host, settings.port, probe_id,
                                              settings.account)
    except PaperRefused as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = config.stash[SETTINGS_KEY]
    add_default_timeouts(config, items, settings.timeout)
    if settings.uses_fake:
        return
    skip = pytest.mark.skip(reason=FAKE_ONLY_REASON.format(settings.mode))
    for item in items:
        if item.get_closest_marker("fake_only") is not None:
            item.add_marker(skip)
