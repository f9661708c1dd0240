"""The `flaky_network` fixture: ib_async through the proxy to the fake, and the plugin side."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ib_async import IB
from toxiproxy.api import APIConsumer

from pytest_tws.fake import FakeTWS
from pytest_tws.netfault import ToxiproxyServer
from pytest_tws.netfault.fixture import (
    FlakyNetwork,
    FlakyNetworkError,
    ToxiproxyEndpoint,
    proxy_name,
)
from pytest_tws.target import TwsTarget
from pytest_tws.waiting import expect_event, wait_until

from ._support import ToxiproxyApi

pytest_plugins = ["pytester"]

CONNECT_TIMEOUT = 5.0
LATENCY_MS = 300


async def connect(network: FlakyNetwork, client_id: int) -> IB:
    client = IB()
    await client.connectAsync(network.host, network.port, clientId=client_id,
                              timeout=CONNECT_TIMEOUT)
    return client


@pytest.fixture
async def client(flaky_network: FlakyNetwork, tws_target: TwsTarget) -> AsyncIterator[IB]:
    ib = await connect(flaky_network, tws_target.client_id)
    try:
        yield ib
    finally:
        ib.disconnect()


async def round_trip(ib: IB) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(ib.reqCurrentTimeAsync(), 10)
    return loop.time() - started


# -- through the proxy ----------------------------------------------------------------------


async def test_client_reaches_the_fake_through_the_proxy(
    flaky_network: FlakyNetwork, tws_target: TwsTarget, fake_tws: FakeTWS, client: IB
) -> None:
    assert flaky_network.port not in (0, tws_target.port)
    assert flaky_network.upstream == f"{tws_target.host}:{tws_target.port}"
    assert await client.reqCurrentTimeAsync() is not None
    assert tws_target.client_id in fake_tws.client_ids()


async def test_latency_delays_requests(flaky_network: FlakyNetwork, client: IB) -> None:
    before = await round_trip(client)
    assert flaky_network.latency(LATENCY_MS) == "latency_downstream"
    delayed = await round_trip(client)
    assert LATENCY_MS / 1000 * 0.9 <= delayed < 5.0, (before, delayed)
    flaky_network.clear()
    assert await round_trip(client) < LATENCY_MS / 1000


async def test_cut_drops_the_client_and_reconnect_works_after(
    flaky_network: FlakyNetwork, tws_target: TwsTarget, fake_tws: FakeTWS, client: IB
) -> None:
    lost = expect_event(client.disconnectedEvent)
    with flaky_network.cut():
        await lost
        assert not flaky_network.enabled
        with pytest.raises(OSError):
            await connect(flaky_network, tws_target.new_client_id())
        await wait_until(lambda: not fake_tws.client_ids(), "the fake to see the socket close")
    assert flaky_network.enabled
    await client.connectAsync(flaky_network.host, flaky_network.port,
                              clientId=tws_target.client_id, timeout=CONNECT_TIMEOUT)
    assert await client.reqCurrentTimeAsync() is not None


async def test_reset_peer_disconnects(
    flaky_network: FlakyNetwork, tws_target: TwsTarget, client: IB
) -> None:
    lost = expect_event(client.disconnectedEvent)
    flaky_network.reset_peer(stream="upstream")
    client.client.reqCurrentTime()  # the first chunk after the toxic triggers it
    await lost
    flaky_network.clear()
    again = await connect(flaky_network, tws_target.new_client_id())
    try:
        assert await again.reqCurrentTimeAsync() is not None
    finally:
        again.disconnect()


async def test_reset_peer_on_a_new_connection_is_a_connection_reset(
    flaky_network: FlakyNetwork, tws_target: TwsTarget
) -> None:
    flaky_network.reset_peer(stream="upstream")
    ib = IB()
    reset = expect_event(ib.client.apiError, lambda message: "reset" in message.lower())
    # ib_async would wait out its own timeout for the handshake: watch the socket instead.
    connecting = asyncio.ensure_future(ib.connectAsync(
        flaky_network.host, flaky_network.port, clientId=tws_target.client_id,
        timeout=CONNECT_TIMEOUT))
    try:
        assert "reset" in (await reset).lower()
    finally:
        connecting.cancel()
        await asyncio.gather(connecting, return_exceptions=True)
        ib.disconnect()


# -- the helpers ----------------------------------------------------------------------------


def test_helpers_add_named_toxics_with_integer_attributes(flaky_network: FlakyNetwork) -> None:
    assert flaky_network.latency(100, jitter=10) == "latency_downstream"
    assert flaky_network.latency(50) == "latency_downstream_2"
    assert flaky_network.bandwidth(1, stream="upstream") == "bandwidth_upstream"
    assert flaky_network.slice(1, delay_us=5) == "slicer_downstream"
    assert flaky_network.timeout(2000.0) == "timeout_downstream"  # type: ignore[arg-type]
    assert flaky_network.reset_peer(after_ms=10, stream="upstream") == "reset_peer_upstream"
    toxics = flaky_network.toxics()
    assert toxics["latency_downstream"].attributes == {"latency": 100, "jitter": 10}
    assert toxics["bandwidth_upstream"].attributes == {"rate": 1}
    assert toxics["slicer_downstream"].attributes == {
        "average_size": 1, "size_variation": 0, "delay": 5}
    assert toxics["timeout_downstream"].attributes == {"timeout": 2000}
    flaky_network.remove("latency_downstream_2")
    assert "latency_downstream_2" not in flaky_network.toxics()
    flaky_network.clear()
    assert flaky_network.toxics() == {}


def test_helpers_refuse_what_toxiproxy_would(flaky_network: FlakyNetwork) -> None:
    with pytest.raises(ValueError, match="whole number"):
        flaky_network.latency(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        flaky_network.latency(True)
    with pytest.raises(ValueError, match="stream"):
        flaky_network.latency(10, stream="sideways")
    with pytest.raises(ValueError, match="average_size"):
        flaky_network.slice(0)
    assert flaky_network.toxics() == {}


def test_a_failed_enable_is_loud(flaky_network: FlakyNetwork) -> None:
    # toxiproxy-python ignores the 500 of an enable whose port was taken meanwhile.
    flaky_network.disable()
    squatter = socket.create_server((flaky_network.host, flaky_network.port))
    try:
        with pytest.raises(FlakyNetworkError, match="enabled=False"):
            flaky_network.enable()
    finally:
        squatter.close()
    flaky_network.enable()
    assert flaky_network.enabled


def test_a_proxy_deleted_behind_its_back_is_reported(
    flaky_network: FlakyNetwork, toxiproxy_endpoint: ToxiproxyEndpoint
) -> None:
    api = ToxiproxyApi("fixture", toxiproxy_endpoint.url, ns="")  # its real name
    try:
        assert api.delete(f"/proxies/{flaky_network.name}").status_code == 204
    finally:
        api.session.close()
    with pytest.raises(FlakyNetworkError, match="gone"):
        _ = flaky_network.enabled
    flaky_network.close()  # nothing left to delete: quiet


# -- the plugin side ------------------------------------------------------------------------

INNER_ARGS = ("-p", "no:randomly", "-p", "no:hypothesispytest", "-s")
INNER_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

TEARDOWN_CHECK = """
    import requests
    from toxiproxy.api import APIConsumer

    seen = {}

    def test_uses_the_proxy(flaky_network, toxiproxy_endpoint):
        seen["name"] = flaky_network.name
        flaky_network.latency(10)
        assert APIConsumer.port == toxiproxy_endpoint.port
        assert "127.0.0.1" in __import__("os").environ["NO_PROXY"].split(",")
        print("KIND", toxiproxy_endpoint.kind)

    def test_the_proxy_is_gone_after(toxiproxy_endpoint):
        proxies = requests.get(toxiproxy_endpoint.url + "/proxies", timeout=5).json()
        assert seen["name"] not in proxies
"""


def _global_config() -> tuple[object, object, object, str | None, str | None]:
    return (APIConsumer.__dict__.get("host"), APIConsumer.__dict__.get("port"),
            APIConsumer.__dict__.get("base_url"), os.environ.get("NO_PROXY"),
            os.environ.get("no_proxy"))


def test_embedded_server_by_default_and_everything_put_back(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    monkeypatch.setenv("PATH", str(pytester.path))  # no toxiproxy-server on it
    monkeypatch.setenv("NO_PROXY", "example.internal")
    before = _global_config()
    pytester.makeini(INNER_INI)
    pytester.makepyfile(TEARDOWN_CHECK)
    result = pytester.runpytest(*INNER_ARGS)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*KIND embedded*"])
    assert _global_config() == before


def test_toxiproxy_url_is_used_as_is(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ToxiproxyServer() as server:
        monkeypatch.setenv("TOXIPROXY_URL", server.url)
        pytester.makeini(INNER_INI)
        pytester.makepyfile(TEARDOWN_CHECK)
        result = pytester.runpytest(*INNER_ARGS)
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["*KIND external*"])
        api = ToxiproxyApi("external", server.url, ns="")  # every proxy
        assert api.get("/proxies").json() == {}
        api.session.close()


@pytest.mark.skipif(sys.platform == "win32", reason="a shebang script stands in for the binary")
def test_a_toxiproxy_server_on_path_is_started_and_stopped(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Our own CLI behind the real binary's name and flags (-host, -port).
    binary = tmp_path / "toxiproxy-server"
    binary.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        from pytest_tws.netfault import run_cli
        args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
        sys.exit(run_cli(args["-host"], int(args["-port"])))
    """))
    binary.chmod(0o755)
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    pytester.makeini(INNER_INI)
    pytester.makepyfile(TEARDOWN_CHECK + """
    def test_the_server_is_the_started_binary(toxiproxy_endpoint):
        assert toxiproxy_endpoint.kind == "real"
        print("PORT", toxiproxy_endpoint.port)
    """)
    result = pytester.runpytest(*INNER_ARGS)
    result.assert_outcomes(passed=3)
    port = int(next(line.split()[-1] for line in result.outlines if "PORT" in line))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_proxy_names_carry_the_worker_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    first, second = proxy_name(), proxy_name()
    assert first.startswith(f"pytest_tws_gw7_{os.getpid()}_") and first != second
