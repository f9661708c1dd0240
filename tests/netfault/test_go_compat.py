"""Exact Go-isms of the embedded server, checked without a real server at hand.

The expected texts were recorded from the real Toxiproxy 2.12.0 (``test_differential`` checks
them against it whenever one is available).
"""

from __future__ import annotations

import asyncio
import random
import socket

import pytest

from pytest_tws.netfault.api import TIMEOUT_BODY, Api
from pytest_tws.netfault.collection import ProxyCollection
from pytest_tws.netfault.gosyntax import GoSyntaxError, decode_first_value
from pytest_tws.netfault.httpd import Request, Response
from pytest_tws.netfault.toxics import _piece_sizes

from ._support import EchoServer, ToxiproxyApi, split_address


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "EOF"),
        (b"  \n", "EOF"),
        (b'{"name": "x"', "unexpected EOF"),
        (b"{not json", "invalid character 'n' looking for beginning of object key string"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b"}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b'"\\x"', "invalid character 'x' in string escape code"),
        (b'"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
        (b'"a\x01b"', "invalid character '\\x01' in string literal"),
        (b"-x", "invalid character 'x' in numeric literal"),
        (b"1.x", "invalid character 'x' after decimal point in numeric literal"),
        (b"1ex", "invalid character 'x' in exponent of numeric literal"),
        (b"trux", "invalid character 'x' in literal true (expecting 'e')"),
        (b"NaN", "invalid character 'N' looking for beginning of value"),
        (b"'x'", "invalid character '\\'' looking for beginning of value"),
        (b"\xff", "invalid character '\u00ff' looking for beginning of value"),
    ],
)
def test_syntax_errors_read_like_go(body: bytes, message: str) -> None:
    with pytest.raises(GoSyntaxError) as caught:
        decode_first_value(body)
    assert str(caught.value) == message


def test_only_the_first_value_is_read() -> None:
    assert decode_first_value(b'{"a": 1} trailing') == {"a": 1}
    assert decode_first_value(b"01") == 0
    assert decode_first_value(b"100.0").raw == "100.0"


def _error(api: ToxiproxyApi, path: str, body: object) -> str:
    return str(api.post(path, json=body).json()["error"])


def test_type_errors_name_go_types_and_fields(embedded_url: str, echo: EchoServer) -> None:
    api = ToxiproxyApi("embedded", embedded_url)
    try:
        api.create("p", echo.address)
        api.add_toxic("p", "latency")
        prefix = "bad request body: json: cannot unmarshal "
        assert _error(api, "/proxies", {"name": 1}) == (
            prefix + "number into Go struct field Proxy.name of type string")
        assert _error(api, "/proxies", []) == (
            prefix + "array into Go value of type toxiproxy.Proxy")
        assert _error(api, "/proxies/p/toxics",
                      {"type": "slicer", "attributes": {"average_size": 1.5}}) == (
            prefix + "number 1.5 into Go struct field SlicerToxic.attributes.average_size"
            " of type int")
        assert _error(api, "/proxies/p/toxics/latency_downstream", {"toxicity": "x"}) == (
            prefix + "string into Go struct field .toxicity of type float32")
        populate = api.post("/populate", json={"name": "x"})
        assert populate.status_code == 400
        assert populate.headers["Content-Type"] == "application/json"
        assert populate.json() == {
            "error": prefix + 'object into Go value of type []struct { toxiproxy.Proxy;'
            ' Enabled *bool "json:\\"enabled\\"" }',
            "status": 400,
            "proxies": None,
        }
        assert api.post("/populate", data=b"null").json() == {"proxies": None}
    finally:
        api.clear()
        api.session.close()


def test_listen_errors_carry_go_prefixes(embedded_url: str, echo: EchoServer) -> None:
    api = ToxiproxyApi("embedded", embedded_url)
    try:
        assert _error(api, "/proxies", {"name": "a", "upstream": "x:1", "listen": "nope"}) == (
            "listen tcp: address nope: missing port in address")
        assert _error(api, "/proxies", {"name": "a", "upstream": "x:1",
                                        "listen": "127.0.0.1:99999"}) == (
            "listen tcp: address 99999: invalid port")
        api.create("p", echo.address)
        # An update resolves the new listen first, without net.Listen's prefix.
        assert _error(api, "/proxies/p", {"listen": "nope"}) == (
            "address nope: missing port in address")
    finally:
        api.clear()
        api.session.close()


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_an_explicit_wildcard_listens_dual_stack(embedded_url: str, echo: EchoServer) -> None:
    api = ToxiproxyApi("embedded", embedded_url)
    try:
        try:
            proxy = api.create("p", echo.address, listen="0.0.0.0:0")
        except AssertionError:
            pytest.skip("IPv6 sockets unavailable here")
        host, port = split_address(proxy["listen"])
        assert host == "::"
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        # The deliberate difference: no host at all means loopback, not every interface.
        assert split_address(api.create("q", echo.address, listen=":0")["listen"])[0] == (
            "127.0.0.1")
    finally:
        api.clear()
        api.session.close()


def test_slicer_halves_like_toxiproxy() -> None:
    rng = random.Random(0)
    # 100 bytes at average 10: halved to 50, 25, then 12/13, then 6/6 and 6/7 (chunk()).
    assert _piece_sizes(100, 10, 0, rng) == [6, 6, 6, 7] * 4
    assert _piece_sizes(10, 10, 0, rng) == [10]
    assert _piece_sizes(0, 10, 0, rng) == [0]
    varied = _piece_sizes(1000, 50, 20, rng)
    assert sum(varied) == 1000 and all(0 < size <= 70 for size in varied)


async def test_a_handler_past_the_timeout_gets_go_503() -> None:
    api = Api(ProxyCollection(random.Random(0), "127.0.0.1"), handler_timeout=0.05)
    release = asyncio.Event()

    async def slow(request: Request) -> Response:
        await release.wait()
        return Response(204)

    api._routes.insert(0, (("slow",), {"GET": slow}))
    response = await api.handle(Request("GET", "/slow", {}))
    release.set()
    assert response.status == 503
    assert response.body == TIMEOUT_BODY and response.sniffed_type == "text/html; charset=utf-8"
    assert [name for name, _ in response.headers] == ["X-Toxiproxy-Request-Id"]
    # The handler went on running and holds no lock afterwards.
    assert (await api.handle(Request("GET", "/version", {}))).status == 200
