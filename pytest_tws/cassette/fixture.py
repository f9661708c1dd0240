"""`--tws=record` and `--tws=replay`: one cassette per test, named after its node id.

- record: the session checks the paper TWS as `--tws=paper` does (pytest_tws.paper; the `ib`
  fixture's live-account guard applies on every connect); each test's clients connect through
  its own recording proxy, and the cassette is written at teardown, scrubbed.
- replay: each test's clients connect to a replay server of its cassette; a missing cassette
  fails the test naming it and how to record it, a request with no recorded answer fails it at
  teardown with the request and the closest recorded one side by side.

Every test has its own proxy / server on a free port and its own file: xdist-safe.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_tws.cassette.format import CassetteError, Scrubber, load
from pytest_tws.cassette.proxy import RecordingProxy
from pytest_tws.cassette.replay import ReplayServer
from pytest_tws.settings import CASSETTE_MODES

__all__ = ["CASSETTE_MODES", "CassetteFailure", "cassette_name", "cassette_path", "tws_cassette"]

SUFFIX = ".cassette"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")


class CassetteFailure(AssertionError):
    """The replay server saw requests its cassette has no answer for."""


def cassette_name(nodeid: str) -> str:
    """``tests/test_a.py::TestX::test_b[1]`` -> ``tests_test_a.py__TestX__test_b[1].cassette``
    (a file name on every OS)."""
    return _UNSAFE.sub("_", nodeid.replace("::", "__")).strip("_") + SUFFIX


def cassette_path(config: pytest.Config, directory: str, nodeid: str) -> Path:
    base = Path(directory)
    if not base.is_absolute():
        base = Path(config.rootpath) / base
    return base / cassette_name(nodeid)


@pytest.fixture
def tws_cassette(request: pytest.FixtureRequest) -> Iterator[tuple[str, int, str]]:
    """(host, port, account) of this test's recording proxy or replay server."""
    settings = request.getfixturevalue("tws_settings")
    path = cassette_path(request.config, settings.cassettes, request.node.nodeid)
    if settings.mode == "record":
        paper = request.getfixturevalue("paper_tws")
        scrubber = Scrubber()
        with RecordingProxy(paper.host, paper.port, scrubber=scrubber) as proxy:
            yield proxy.host, proxy.port, paper.account
        cassette = proxy.cassette()
        cassette.meta["test"] = request.node.nodeid
        cassette.meta["account"] = scrubber.placeholder(paper.account)
        from pytest_tws.cassette.format import save

        save(cassette, path)
        return
    if not path.exists():
        pytest.fail(f"{request.node.nodeid} has no cassette ({path}): record it with "
                    f"pytest --tws=record --tws-host HOST --tws-port PORT "
                    f"--tws-cassettes {settings.cassettes} {request.node.nodeid}", pytrace=False)
    try:
        cassette = load(path)
    except CassetteError as exc:
        pytest.fail(f"{request.node.nodeid}: {exc}", pytrace=False)
    with ReplayServer(cassette, name=str(path)) as server:
        yield server.host, server.port, str(cassette.meta.get("account", ""))
    if server.failures:
        raise CassetteFailure(f"replay of {path.name} for {request.node.nodeid}:\n"
                              + "\n\n".join(server.failures))
