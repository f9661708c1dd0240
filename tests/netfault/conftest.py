"""Fixtures for the Toxiproxy compatibility suite.

``toxiproxy`` is parametrised: ``embedded`` always runs against our ``ToxiproxyServer``;
``real`` runs the same tests against a real ``toxiproxy-server`` (``TOXIPROXY_URL``, or the
binary on PATH, started on a free port) and is skipped when neither is available.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from pytest_tws.netfault import ToxiproxyServer

from ._support import EchoServer, ToxiproxyApi, free_port


@pytest.fixture(scope="session")
def embedded_url() -> Iterator[str]:
    with ToxiproxyServer() as server:
        yield server.url


def _wait_for_version(url: str, deadline: float) -> None:
    session = requests.Session()
    session.trust_env = False
    while True:
        try:
            session.get(url + "/version", timeout=1)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session")
def real_url() -> Iterator[str]:
    url = os.environ.get("TOXIPROXY_URL")
    if url:
        yield url.rstrip("/")
        return
    binary = shutil.which("toxiproxy-server")
    if binary is None:
        pytest.skip("no real toxiproxy-server (set TOXIPROXY_URL or put it on PATH)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "-host", "127.0.0.1", "-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_version(url, time.monotonic() + 10)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(params=["embedded", "real"])
def toxiproxy(request: pytest.FixtureRequest) -> Iterator[ToxiproxyApi]:
    url = request.getfixturevalue(f"{request.param}_url")
    api = ToxiproxyApi(request.param, url)
    api.clear()
    yield api
    api.clear()
    api.session.close()


@pytest.fixture(scope="session")
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()
