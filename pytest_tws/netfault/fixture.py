"""The `flaky_network` fixture: a Toxiproxy proxy between the client and the current target.

    async def test_survives_a_cut(flaky_network, tws_target):
        ib = IB()
        await ib.connectAsync(flaky_network.host, flaky_network.port, clientId=...)
        flaky_network.latency(500)                 # 500 ms on every server->client chunk
        with flaky_network.cut():                  # refused and dropped until the block ends
            ...
        flaky_network.clear()                      # every toxic of this proxy removed

The Toxiproxy server is a real ``toxiproxy-server`` when ``TOXIPROXY_URL`` is set (used as is)
or the binary is on PATH (started on 127.0.0.1 and a free port), otherwise the embedded
`ToxiproxyServer`; one per test session (per xdist worker), except that all workers share a
``TOXIPROXY_URL`` server. That is safe: each test's proxy has a name of its own
(`proxy_name`), and the fixture touches only that proxy. It is driven only through
toxiproxy-python, whose configuration is process-global: each test gets it pointed at the
session's server and put back afterwards. Every call is checked against the server's state,
because toxiproxy-python lets some failures pass silently (TOXIPROXY.md section 2).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.proxy import Proxy

from pytest_tws.settings import TwsSettings
from pytest_tws.target import TwsTarget

from .server import ToxiproxyServer

__all__ = ["FlakyNetwork", "FlakyNetworkError", "ToxiproxyEndpoint", "flaky_network"]

STREAMS = ("downstream", "upstream")
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
#: Real seconds a started ``toxiproxy-server`` has to answer ``/version``.
START_TIMEOUT = 10.0
_MISSING = object()
_CONSUMER_FIELDS = ("host", "port", "base_url")
_NO_PROXY_VARS = ("NO_PROXY", "no_proxy")


class FlakyNetworkError(RuntimeError):
    """The Toxiproxy server did not do what the fixture asked (toxiproxy-python may not say)."""


@dataclass(frozen=True)
class ToxiproxyEndpoint:
    """Where the session's Toxiproxy API listens, and what it is."""

    kind: str  # "embedded", "real" (started here) or "external" (TOXIPROXY_URL)
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class FlakyNetwork:
    """One Toxiproxy proxy to a TWS endpoint, with helpers for the common faults.

    Each helper adds one toxic and returns its name (``<type>_<stream>``, with a number
    appended when that name is taken); ``stream`` is ``"downstream"`` (TWS -> client, the
    default) or ``"upstream"`` (client -> TWS). Times are integer milliseconds unless named
    otherwise, as Toxiproxy's attributes are integers.

    Attributes:
        proxy: The toxiproxy-python ``Proxy``.
        upstream: ``host:port`` of the TWS endpoint behind the proxy.
    """

    def __init__(self, proxy: Proxy, upstream: str) -> None:
        self.proxy = proxy
        self.upstream = upstream
        host, port = proxy.listen.rsplit(":", 1)
        self._host = host.strip("[]")
        self._port = int(port)
        self._closed = False

    def __repr__(self) -> str:
        return f"FlakyNetwork({self.proxy.name}: {self.host}:{self.port} -> {self.upstream})"

    @property
    def host(self) -> str:
        """Where the client connects instead of the target."""
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def name(self) -> str:
        return str(self.proxy.name)

    # toxics

    def latency(self, ms: int, jitter: int = 0, *, stream: str = "downstream") -> str:
        """Delay every chunk by ``ms`` ± ``jitter`` (no reordering, no throughput limit)."""
        return self.add("latency", stream, latency=ms, jitter=jitter)

    def bandwidth(self, kb_per_s: int, *, stream: str = "downstream") -> str:
        """Limit throughput to ``kb_per_s`` (1 KB = 1000 bytes; 0 means unlimited)."""
        return self.add("bandwidth", stream, rate=kb_per_s)

    def slice(
        self,
        average_size: int,
        size_variation: int = 0,
        delay_us: int = 0,
        *,
        stream: str = "downstream",
    ) -> str:
        """Split data into pieces of ``average_size`` ± ``size_variation`` bytes, sleeping
        ``delay_us`` microseconds after each."""
        if _integer("average_size", average_size) <= 0:
            raise ValueError(f"average_size must be > 0, got {average_size!r}")
        return self.add("slicer", stream, average_size=average_size,
                        size_variation=size_variation, delay=delay_us)

    def timeout(self, ms: int, *, stream: str = "downstream") -> str:
        """Drop data; close the connection after ``ms`` without data (0: only on removal)."""
        return self.add("timeout", stream, timeout=ms)

    def reset_peer(self, after_ms: int = 0, *, stream: str = "downstream") -> str:
        """On the next data, wait ``after_ms`` then reset the connection (ECONNRESET for
        connections opened while the toxic exists, EOF for older ones)."""
        return self.add("reset_peer", stream, timeout=after_ms)

    def add(self, type: str, stream: str = "downstream", toxicity: float = 1.0,
            **attributes: int) -> str:
        """Add any toxic type; checks that the server now has it. Returns its name."""
        if stream not in STREAMS:
            raise ValueError(f"stream must be one of {STREAMS}, got {stream!r}")
        checked = {key: _integer(key, value) for key, value in attributes.items()}
        name = self._free_name(f"{type}_{stream}")
        self.proxy.add_toxic(name=name, type=type, stream=stream, toxicity=float(toxicity),
                             attributes=checked)
        toxic = self.proxy.get_toxic(name)
        if toxic is None or toxic.type != type or toxic.stream != stream:
            raise FlakyNetworkError(f"{self}: the server did not add toxic {name} "
                                    f"({type}, {stream}, {checked})")
        wrong = {key: value for key, value in checked.items()
                 if toxic.attributes.get(key) != value}
        if wrong:
            raise FlakyNetworkError(f"{self}: toxic {name} has attributes {toxic.attributes}, "
                                    f"asked for {checked}")
        return name

    def remove(self, name: str) -> None:
        """Remove one toxic (its held data is delivered at once; a timeout toxic's
        connections close)."""
        self.proxy.destroy_toxic(name)
        if self.proxy.get_toxic(name) is not None:
            raise FlakyNetworkError(f"{self}: toxic {name} is still there after removal")

    def toxics(self) -> dict[str, Any]:
        """The proxy's toxics by name (toxiproxy-python ``Toxic`` objects)."""
        return dict(self.proxy.toxics())

    def clear(self) -> None:
        """Remove every toxic of this proxy (never another proxy's)."""
        for name in self.toxics():
            self.proxy.destroy_toxic(name)
        left = self.toxics()
        if left:
            raise FlakyNetworkError(f"{self}: toxics left after clear(): {sorted(left)}")

    # the link itself

    @contextlib.contextmanager
    def cut(self) -> Iterator[FlakyNetwork]:
        """Inside the block the proxy is disabled: open connections are closed and new ones
        refused. It is enabled again (same port, toxics kept) when the block ends."""
        self.disable()
        try:
            yield self
        finally:
            self.enable()

    def disable(self) -> None:
        """Close the proxy's connections and its port (new connects are refused)."""
        self._set_enabled(False)

    def enable(self) -> None:
        """Listen again on the same port."""
        self._set_enabled(True)

    @property
    def enabled(self) -> bool:
        return bool(self._server_view().enabled)

    def _set_enabled(self, enabled: bool) -> None:
        if enabled:
            self.proxy.enable()
        else:
            self.proxy.disable()
        # A 500 (say, the port was taken meanwhile) passes silently in toxiproxy-python.
        actual = self._server_view()
        if actual.enabled is not enabled:
            raise FlakyNetworkError(f"{self}: the server left the proxy enabled={actual.enabled}"
                                    f" after asking for enabled={enabled}")
        if enabled and actual.listen != self.proxy.listen:
            raise FlakyNetworkError(f"{self}: re-enabled on {actual.listen}, "
                                    f"not {self.proxy.listen}")

    def _server_view(self) -> Proxy:
        current = Toxiproxy().get_proxy(self.proxy.name)
        if current is None:
            raise FlakyNetworkError(f"{self}: the proxy is gone from the server")
        return current

    def _free_name(self, base: str) -> str:
        taken = set(self.toxics())
        if base not in taken:
            return base
        return next(f"{base}_{n}" for n in itertools.count(2) if f"{base}_{n}" not in taken)

    # teardown

    def close(self) -> None:
        """Remove the toxics and delete the proxy; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if Toxiproxy().get_proxy(self.proxy.name) is None:
            return
        self.clear()
        self.proxy.destroy()
        if Toxiproxy().get_proxy(self.proxy.name) is not None:
            raise FlakyNetworkError(f"{self}: the proxy is still there after destroy")


def _integer(name: str, value: object) -> int:
    """Toxiproxy's attributes are Go integers: a JSON float (even 100.0) is a 400."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        return int(value)
    return value


# -- the session's server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_version(url: str) -> bool:
    with requests.Session() as session:
        session.trust_env = False
        try:
            return session.get(url + "/version", timeout=1.0).status_code == 200
        except requests.RequestException:
            return False


@contextlib.contextmanager
def _real_server(binary: str) -> Iterator[ToxiproxyEndpoint]:
    port = _free_port()
    endpoint = ToxiproxyEndpoint("real", "127.0.0.1", port)
    process = subprocess.Popen([binary, "-host", "127.0.0.1", "-port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers_version(endpoint.url):
            if process.poll() is not None:
                raise FlakyNetworkError(f"{binary} exited with {process.returncode} "
                                        f"before answering on {endpoint.url}")
            if time.monotonic() > deadline:
                raise FlakyNetworkError(f"{binary} did not answer /version on {endpoint.url} "
                                        f"within {START_TIMEOUT}s")
            time.sleep(0.05)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _external(url: str) -> ToxiproxyEndpoint:
    parts = urlsplit(url if "//" in url else f"http://{url}")
    if parts.hostname is None or parts.port is None:
        raise FlakyNetworkError(f"TOXIPROXY_URL={url!r} is not http://host:port")
    return ToxiproxyEndpoint("external", parts.hostname, parts.port)


@contextlib.contextmanager
def toxiproxy_server(seed: int = 0) -> Iterator[ToxiproxyEndpoint]:
    """The Toxiproxy server for a session: TOXIPROXY_URL, else ``toxiproxy-server`` on PATH,
    else the embedded one (seeded with ``seed``)."""
    url = os.environ.get("TOXIPROXY_URL", "").strip()
    if url:
        yield _external(url)
        return
    binary = shutil.which("toxiproxy-server")
    if binary is not None:
        with _real_server(binary) as endpoint:
            yield endpoint
        return
    with ToxiproxyServer("127.0.0.1", 0, seed=seed) as server:
        yield ToxiproxyEndpoint("embedded", server.host, server.port)


@contextlib.contextmanager
def loopback_bypasses_http_proxy() -> Iterator[None]:
    """requests honours HTTP_PROXY, so name loopback in NO_PROXY (both spellings) meanwhile."""
    saved = {var: os.environ.get(var) for var in _NO_PROXY_VARS}
    for var, value in saved.items():
        present = [item.strip() for item in (value or "").split(",") if item.strip()]
        os.environ[var] = ",".join(present + [h for h in LOOPBACK_NAMES if h not in present])
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


@contextlib.contextmanager
def toxiproxy_client(endpoint: ToxiproxyEndpoint) -> Iterator[Toxiproxy]:
    """toxiproxy-python pointed at ``endpoint``; its process-global settings are put back."""
    saved = {name: APIConsumer.__dict__.get(name, _MISSING) for name in _CONSUMER_FIELDS}
    client = Toxiproxy()
    client.update_api_consumer(endpoint.host, endpoint.port)
    try:
        yield client
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                if name in APIConsumer.__dict__:
                    delattr(APIConsumer, name)
            else:
                setattr(APIConsumer, name, value)


_proxy_numbers = itertools.count(1)


def proxy_name() -> str:
    """A proxy name no other test, worker or session uses: ``pytest_tws_<worker>_<pid>_<n>``.

    Several workers (or CI jobs) may share one real toxiproxy-server (``TOXIPROXY_URL``), so
    the fixture creates only such names and deletes only its own proxy.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"pytest_tws_{worker}_{os.getpid()}_{next(_proxy_numbers)}"


def open_flaky_network(client: Toxiproxy, upstream: str, name: str) -> FlakyNetwork:
    """Create a proxy ``name`` to ``upstream`` on a free loopback port."""
    try:
        proxy = client.create(upstream=upstream, name=name, listen="127.0.0.1:0")
    except KeyError:
        # toxiproxy-python reads the 500 body as a proxy and misses "name".
        raise FlakyNetworkError(f"the Toxiproxy server could not create proxy {name} "
                                f"-> {upstream}") from None
    network = FlakyNetwork(proxy, upstream)
    if not network.enabled or network.port <= 0:
        network.close()
        raise FlakyNetworkError(f"{network}: created but not listening")
    return network


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def toxiproxy_endpoint(tws_settings: TwsSettings) -> Iterator[ToxiproxyEndpoint]:
    """The session's Toxiproxy server (real or embedded); loopback bypasses HTTP proxies."""
    with loopback_bypasses_http_proxy(), toxiproxy_server(tws_settings.seed) as endpoint:
        yield endpoint


@pytest.fixture
def flaky_network(toxiproxy_endpoint: ToxiproxyEndpoint,
                  tws_target: TwsTarget) -> Iterator[FlakyNetwork]:
    """A Toxiproxy proxy to this test's target; connect to ``.host``/``.port`` through it.

    Toxics are removed and the proxy deleted at teardown.
    """
    name = proxy_name()
    with toxiproxy_client(toxiproxy_endpoint) as client:
        network = open_flaky_network(client, f"{tws_target.host}:{tws_target.port}", name)
        try:
            yield network
        finally:
            network.close()
