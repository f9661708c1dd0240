"""toxiproxy-python 0.1.1's own calls against the server (TOXIPROXY.md section 2)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from toxiproxy import Toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from pytest_tws.netfault.fixture import ToxiproxyEndpoint, toxiproxy_client

from ._support import (
    EchoServer,
    ToxiproxyApi,
    connect,
    recv_exactly,
    split_address,
    worker_namespace,
)

#: toxiproxy-python talks to the server directly: the proxy name carries this worker's
#: namespace so that workers sharing one real server never collide.
PY = worker_namespace("py") + "py"


@contextlib.contextmanager
def _client_for(api: ToxiproxyApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[Toxiproxy]:
    # APIConsumer's configuration is process-global: the fixture's helper puts it back.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    url = urlsplit(api.url)
    assert url.hostname is not None and url.port is not None
    with toxiproxy_client(ToxiproxyEndpoint("any", url.hostname, url.port)) as server:
        try:
            yield server
        finally:
            for name in api.session.get(f"{api.url}/proxies", timeout=10).json():
                if name.startswith(PY):  # ours only: other workers may share the server
                    api.session.delete(f"{api.url}/proxies/{name}", timeout=10)


@pytest.fixture
def client(toxiproxy: ToxiproxyApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[Toxiproxy]:
    with _client_for(toxiproxy, monkeypatch) as server:
        yield server


@pytest.fixture
def private_client(
    private_toxiproxy: ToxiproxyApi, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Toxiproxy]:
    """For reset() and destroy_all(), which act on every proxy of the server."""
    with _client_for(private_toxiproxy, monkeypatch) as server:
        yield server


def mine(client: Toxiproxy) -> set[str]:
    return {name for name in client.proxies() if name.startswith(PY)}


def echo_once(address: str, payload: bytes = b"hi") -> bytes:
    with connect(address) as sock:
        sock.sendall(payload)
        return recv_exactly(sock, len(payload))


def test_create_list_get_destroy(client: Toxiproxy, echo: EchoServer) -> None:
    assert client.running()
    proxy = client.create(upstream=echo.address, name=PY)
    assert proxy.name == PY and proxy.enabled is True
    assert split_address(proxy.listen)[1] > 0
    assert echo_once(proxy.listen) == b"hi"
    assert mine(client) == {PY}
    assert client.get_proxy(PY).listen == proxy.listen
    assert client.get_proxy("nope") is None
    with pytest.raises(ProxyExists):
        client.create(upstream=echo.address, name=PY)
    assert client.destroy(proxy) is True
    assert mine(client) == set()
    with pytest.raises(NotFound):
        proxy.destroy()


def test_toxics_round_trip(client: Toxiproxy, echo: EchoServer) -> None:
    proxy = client.create(upstream=echo.address, name=PY)
    assert proxy.add_toxic(type="latency", attributes={"latency": 10}) is None
    proxy.add_toxic(type="limit_data", stream="upstream", name="cap", attributes={"bytes": 5})
    toxics = proxy.toxics()
    assert set(toxics) == {"latency_downstream", "cap"}
    assert toxics["cap"].attributes == {"bytes": 5} and toxics["cap"].stream == "upstream"
    assert proxy.get_toxic("latency_downstream").attributes["latency"] == 10
    with pytest.raises(ProxyExists):
        proxy.add_toxic(type="noop", name="cap")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="noop", stream="sideways")
    assert proxy.destroy_toxic("cap") is True
    assert set(proxy.toxics()) == {"latency_downstream"}


def test_down_disables_then_enables(client: Toxiproxy, echo: EchoServer) -> None:
    proxy = client.create(upstream=echo.address, name=PY)
    proxy.add_toxic(type="noop")
    with proxy.down():
        assert client.get_proxy(PY).enabled is False
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(split_address(proxy.listen), timeout=5).close()
    assert proxy.enabled is True
    assert echo_once(proxy.listen) == b"hi"
    assert set(proxy.toxics()) == {"noop_downstream"}


def test_reset_and_version(private_client: Toxiproxy, echo: EchoServer) -> None:
    client = private_client
    proxy = client.create(upstream=echo.address, name=PY)
    proxy.add_toxic(type="noop")
    proxy.disable()
    assert client.reset() is True
    assert client.get_proxy(PY).enabled is True
    assert proxy.toxics() == {}
    version = client.version()
    assert isinstance(version, bytes) and b'"version"' in version
    client.destroy_all()
    assert client.proxies() == {}
