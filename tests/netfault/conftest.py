"""Fixtures for the Toxiproxy compatibility suite.

``toxiproxy`` is parametrised: ``embedded`` always runs against our ``ToxiproxyServer``;
``real`` runs the same tests against a real ``toxiproxy-server`` and is skipped when there is
none. The real server is, in this order: ``TOXIPROXY_URL`` (used as is, possibly shared with
other xdist workers), the binary at ``../shared/tools/toxiproxy-server`` next to the
repository, or ``toxiproxy-server`` on PATH (started on a free loopback port, one per worker).

Every helper names its proxies per worker and deletes only its own (`worker_namespace`), so a
shared server is safe. ``POST /reset`` is not: it acts on every proxy of the server. Tests that
call it take ``private_toxiproxy``, whose real side is always a server of their own (started
from the binary), or ``TOXIPROXY_URL`` only when no other worker can be using it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pytest_tws.netfault import ToxiproxyServer

from ._support import EchoServer, ToxiproxyApi, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_BINARY = REPO_ROOT.parent / "shared" / "tools" / "toxiproxy-server"
START_TIMEOUT = 10.0


def real_binary() -> str | None:
    """The real toxiproxy-server next to the repository, else on PATH, else None."""
    if SHARED_BINARY.is_file() and os.access(SHARED_BINARY, os.X_OK):
        return str(SHARED_BINARY)
    return shutil.which("toxiproxy-server")


def _wait_for_version(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with requests.Session() as session:
        session.trust_env = False
        while True:
            try:
                session.get(url + "/version", timeout=1)
                return
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


@contextlib.contextmanager
def started_real_server(binary: str) -> Iterator[str]:
    """Run ``binary`` like the release (``-host 127.0.0.1 -port N``) until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [binary, "-host", "127.0.0.1", "-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_version(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(START_TIMEOUT)


def _xdist_workers() -> int:
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


@pytest.fixture(scope="session")
def embedded_url() -> Iterator[str]:
    with ToxiproxyServer() as server:
        yield server.url


@pytest.fixture(scope="session")
def real_url() -> Iterator[str]:
    url = os.environ.get("TOXIPROXY_URL", "").strip()
    if url:
        yield url.rstrip("/")
        return
    binary = real_binary()
    if binary is None:
        pytest.skip("no real toxiproxy-server (TOXIPROXY_URL, ../shared/tools or PATH)")
    with started_real_server(binary) as started:
        yield started


@pytest.fixture(scope="session")
def private_real_url() -> Iterator[str]:
    """A real server no other worker uses (for POST /reset)."""
    binary = real_binary()
    if binary is not None:
        with started_real_server(binary) as started:
            yield started
        return
    url = os.environ.get("TOXIPROXY_URL", "").strip()
    if url and _xdist_workers() <= 1:
        yield url.rstrip("/")
        return
    pytest.skip("POST /reset needs a real toxiproxy-server no other xdist worker shares")


def _api(request: pytest.FixtureRequest, url_fixture: str) -> Iterator[ToxiproxyApi]:
    url = request.getfixturevalue(url_fixture)
    api = ToxiproxyApi(request.param, url)
    api.clear()
    yield api
    api.clear()
    api.session.close()


@pytest.fixture(params=["embedded", "real"])
def toxiproxy(request: pytest.FixtureRequest) -> Iterator[ToxiproxyApi]:
    yield from _api(request, f"{request.param}_url")


@pytest.fixture(params=["embedded", "real"])
def private_toxiproxy(request: pytest.FixtureRequest) -> Iterator[ToxiproxyApi]:
    """Like ``toxiproxy``, on a server nobody else uses: for tests calling POST /reset."""
    yield from _api(request, "embedded_url" if request.param == "embedded" else "private_real_url")


@pytest.fixture(scope="session")
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()
