"""The differential scenarios: API calls (section 1 of TOXIPROXY.md) and TCP behaviours.

Each records steps on a `Recorder`; names are written ``~name`` (see `_differential`). Timing
facts are recorded as coarse verdicts with wide margins (``delayed``/``prompt``), never raw
figures, so that two correct servers agree on a loaded CI machine.
"""

from __future__ import annotations

import re
import socket
import sys

from ._differential import (
    LOOPBACK_DEFAULT,
    SCENARIOS,
    TCP_WAIT,
    Recorder,
    connect_outcome,
    differences,
    echo_outcome,
    open_socket,
    read_outcome,
    run,
    scenario,
    timed,
)
from ._support import EchoServer

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}


def _create(r: Recorder, name: str = "~p", label: str = "", **fields: object) -> None:
    fields.setdefault("listen", "127.0.0.1:0")
    r.call(f"create {name}{label}", "POST", "/proxies",
           json_body={"name": name, "upstream": r.echo.address, **fields})


# -- general ---------------------------------------------------------------------------------


@scenario
def general_routes(r: Recorder) -> None:
    r.call("version", "GET", "/version")
    r.call("unknown path", "GET", "/nothing")
    r.call("unknown nested path", "GET", "/proxies/a/b/c/d")
    r.call("trailing slash", "GET", "/proxies/")
    r.call("wrong method on /proxies", "DELETE", "/proxies")
    r.call("wrong method on /version", "POST", "/version")
    r.call("wrong method on /reset", "GET", "/reset")
    r.call("wrong method on /populate", "GET", "/populate")
    r.call("PUT on a proxy", "PUT", "/proxies/~p", json_body={})
    r.call("PUT on a toxic", "PUT", "/proxies/~p/toxics/t", json_body={})
    r.call("browser on a route", "GET", "/version", headers=BROWSER)
    r.call("browser on an unknown path", "GET", "/nothing", headers=BROWSER)
    r.call("browser with a wrong method", "DELETE", "/proxies", headers=BROWSER)
    r.call("browser on a missing proxy", "GET", "/proxies/~none", headers=BROWSER)


#: Bodies Go's scanner rejects (or accepts) in telling ways; each is sent to three endpoints.
MALFORMED = [
    b'{"a" 1}', b'{"a":1 "b"}', b"[1 2]", b'"abc', b'"\\x"', b'"\\u12g4"', b"-x", b"1.x",
    b"1ex", b"1e+", b"tru", b"trux", b"nul1", b'"a\x01b"', b'{"a":1,}', b"[1,]", b"  ", b"}",
    b"'x'", b"\x00", b"\xff", b'\t{"a":\n', b"01", b"1e400", b'{"name":1e400}',
    b'{"enabled":"x","name":1}', b'{"Logger": 5}', b'{"toxicity": 1e50}',
]


@scenario
def json_syntax(r: Recorder) -> None:
    _create(r)
    r.call("toxic", "POST", "/proxies/~p/toxics", json_body={"type": "latency"})
    for body in MALFORMED:
        for path in ("/proxies", "/populate", "/proxies/~p/toxics/latency_downstream"):
            r.call(f"body {body!r}", "POST", path, data=body)


#: Raw requests for the HTTP layer (Go's net/http and gorilla/mux framing and routing).
RAW_REQUESTS = [
    b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /version HTTP/1.0\r\n\r\n",
    b"GET /version HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"HEAD /version HTTP/1.1\r\nHost: x\r\n\r\n",
    b"OPTIONS /proxies HTTP/1.1\r\nHost: x\r\n\r\n",
    b"get /version HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /proxies?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /proxies/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET //proxies HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /proxies/../version?a=b HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /proxies/./x/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /Proxies HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http://x/version HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /version HTTP/1.1\r\n\r\n",
    b"GET version HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /version HTTP/2.0\r\nHost: x\r\n\r\n",
    b"GET /version HTTP/x\r\nHost: x\r\n\r\n",
    b"GET /version\r\n\r\n",
    b"GET /version HTTP/1.1\r\nHost: x\r\nBadHeader\r\n\r\n",
    b"POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
    b"POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"6\r\n{\"name\r\n5\r\n\": 1}\r\n0\r\n\r\n",
    b"POST /reset HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab",
    b"DELETE /proxies/nope HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0\r\n\r\n",
]


def _read_reply(sock: socket.socket, head_only: bool) -> bytes:
    """One HTTP reply: up to its Content-Length, or to EOF when it has none."""
    reply = bytearray()
    while b"\r\n\r\n" not in reply and (chunk := sock.recv(65536)):
        reply += chunk
    head, _, body = bytes(reply).partition(b"\r\n\r\n")
    if head_only or b" 204 " in head.split(b"\r\n", 1)[0]:
        return bytes(reply)
    length = re.search(rb"\r\nContent-Length: (\d+)", head)
    while length is None or len(body) < int(length.group(1)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _raw_exchange(url: str, request: bytes) -> str:
    """One raw request on a fresh connection: the reply, with Date and request id masked."""
    with open_socket(url.split("//", 1)[1]) as sock:
        sock.sendall(request)
        sock.settimeout(TCP_WAIT)
        try:
            reply = _read_reply(sock, head_only=request.startswith(b"HEAD"))
        except TimeoutError:
            return "<no complete reply>"
    text = reply.decode("latin-1")
    text = re.sub(r"Date: [^\r]*", "Date: <date>", text)
    return re.sub(r"X-Toxiproxy-Request-Id: [^\r]*", "X-Toxiproxy-Request-Id: <id>", text)


@scenario(touches_all=True)  # one raw request is a POST /reset
def http_layer(r: Recorder) -> None:
    for request in RAW_REQUESTS:
        r.note(f"raw {request[:60]!r}", _raw_exchange(r.url, request))


# -- proxies ---------------------------------------------------------------------------------


@scenario
def proxy_create_validation(r: Recorder) -> None:
    up = r.echo.address
    r.call("blank name", "POST", "/proxies", json_body={"name": "", "upstream": up})
    r.call("no name", "POST", "/proxies", json_body={"upstream": up})
    r.call("blank upstream", "POST", "/proxies", json_body={"name": "~p", "upstream": ""})
    r.call("empty body", "POST", "/proxies", data=b"")
    r.call("not json", "POST", "/proxies", data=b"{not json")
    r.call("truncated json", "POST", "/proxies", data=b'{"name": "x"')
    r.call("an array", "POST", "/proxies", json_body=[])
    r.call("a string", "POST", "/proxies", json_body="p")
    r.call("a number", "POST", "/proxies", json_body=5)
    r.call("null", "POST", "/proxies", data=b"null")
    r.call("name a number", "POST", "/proxies", json_body={"name": 1, "upstream": up})
    r.call("enabled a string", "POST", "/proxies",
           json_body={"name": "~p", "upstream": up, "enabled": "yes"})
    r.call("listen an object", "POST", "/proxies",
           json_body={"name": "~p", "upstream": up, "listen": {}})
    r.call("upstream an array", "POST", "/proxies", json_body={"name": "~p", "upstream": [1]})
    r.call("NaN", "POST", "/proxies", data=b'{"name": NaN}')
    r.call("nothing was created", "GET", "/proxies")


@scenario
def proxy_create_and_show(r: Recorder) -> None:
    _create(r, listen="localhost:0")
    r.call("show", "GET", "/proxies/~p")
    r.call("index", "GET", "/proxies")
    r.call("name conflict", "POST", "/proxies",
           json_body={"name": "~p", "upstream": r.echo.address})
    r.note("echo through", echo_outcome(r.listen_of("~p")))
    r.call("keys are case-insensitive", "POST", "/proxies",
           json_body={"NAME": "~q", "Upstream": r.echo.address, "LISTEN": "127.0.0.1:0"})
    r.call("trailing data is ignored", "POST", "/proxies",
           data=b'{"name":"~r","upstream":"x:1","listen":"127.0.0.1:0"} trailing'.replace(
               b"~", r.ns.encode()))
    r.call("html escaping", "POST", "/proxies",
           json_body={"name": "~<&>", "upstream": "a<b>&c:1", "listen": "127.0.0.1:0"})
    r.call("index of four", "GET", "/proxies")


@scenario
def proxy_listen_forms(r: Recorder) -> None:
    free = r.free("FREE1")
    _create(r, "~disabled", listen=f"localhost:{free}", enabled=False)
    r.note("disabled does not listen", connect_outcome(f"127.0.0.1:{free}"))
    r.call("enable", "POST", "/proxies/~disabled", json_body={"enabled": True})
    r.note("enabled listens", connect_outcome(f"127.0.0.1:{free}"))
    r.call("disable by PATCH", "PATCH", "/proxies/~disabled", json_body={"enabled": False})
    r.note("disabled refuses", connect_outcome(f"127.0.0.1:{free}"))
    r.call("enable again", "PATCH", "/proxies/~disabled", json_body={"enabled": True})
    r.call("enable when enabled", "PATCH", "/proxies/~disabled", json_body={"enabled": True})
    _create(r, "~empty", listen="", label=LOOPBACK_DEFAULT)
    _create(r, "~portonly", listen=":0", label=LOOPBACK_DEFAULT)
    _create(r, "~loopback", listen="127.0.0.1:0")
    _create(r, "~nolisten", listen=None, label=LOOPBACK_DEFAULT)
    _create(r, "~any4", listen="0.0.0.0:0")
    _create(r, "~any6", listen="[::]:0")
    _create(r, "~v6loopback", listen="[::1]:0")
    _create(r, "~emptyport", listen="127.0.0.1:")
    _create(r, "~noport", listen="127.0.0.1")
    _create(r, "~badport", listen="127.0.0.1:99999")
    _create(r, "~nameport", listen="127.0.0.1:nosuchservice")
    _create(r, "~colons", listen="1:2:3")
    _create(r, "~bracket", listen="[::1")
    _create(r, "~nohost", listen="no-such-host.invalid:0")
    _create(r, "~notlocal", listen="192.0.2.1:0")
    r.call(f"index {LOOPBACK_DEFAULT}", "GET", "/proxies")


@scenario
def proxy_port_conflict(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        taken = blocker.getsockname()[1]
        r.port_symbol(taken, "TAKEN")
        _create(r, "~a", listen=f"127.0.0.1:{taken}")
        r.call("not kept", "GET", "/proxies/~a")
        _create(r, "~b", listen=f"127.0.0.1:{taken}", enabled=False)
        r.call("enable into a taken port", "POST", "/proxies/~b", json_body={"enabled": True})
        r.call("still disabled", "GET", "/proxies/~b")
    r.call("enable once free", "POST", "/proxies/~b", json_body={"enabled": True})
    _create(r, "~c")
    listen = r.listen_of("~c")
    r.call("a second proxy on the same address", "POST", "/proxies",
           json_body={"name": "~d", "upstream": r.echo.address, "listen": listen})


@scenario
def proxy_update(r: Recorder) -> None:
    _create(r)
    r.call("upstream and name", "PATCH", "/proxies/~p",
           json_body={"upstream": "127.0.0.1:9", "name": "other"})
    r.call("empty object", "POST", "/proxies/~p", json_body={})
    r.call("bad json", "PATCH", "/proxies/~p", data=b"{")
    r.call("empty body", "PATCH", "/proxies/~p", data=b"")
    r.call("array", "PATCH", "/proxies/~p", json_body=[])
    r.call("enabled a number", "PATCH", "/proxies/~p", json_body={"enabled": 1})
    r.call("bad listen", "PATCH", "/proxies/~p", json_body={"listen": "nope"})
    r.call("unresolvable listen", "PATCH", "/proxies/~p",
           json_body={"listen": "no-such-host.invalid:1"})
    r.call("unchanged after bad updates", "GET", "/proxies/~p")
    free = r.free("FREE1")
    r.call("move listen", "PATCH", "/proxies/~p", json_body={"listen": f"127.0.0.1:{free}"})
    r.call("localhost equals 127.0.0.1", "PATCH", "/proxies/~p",
           json_body={"listen": f"localhost:{free}"})
    r.call("move and disable", "PATCH", "/proxies/~p",
           json_body={"listen": "127.0.0.1:0", "enabled": False})
    r.call("missing proxy", "PATCH", "/proxies/~nope", json_body={})
    r.call("missing proxy, bad body", "PATCH", "/proxies/~nope", data=b"{")


@scenario
def proxy_delete(r: Recorder) -> None:
    _create(r)
    listen = r.listen_of("~p")
    r.call("delete", "DELETE", "/proxies/~p")
    r.note("port closed", connect_outcome(listen))
    r.call("delete again", "DELETE", "/proxies/~p")
    r.call("show deleted", "GET", "/proxies/~p")
    r.call("toxics of deleted", "GET", "/proxies/~p/toxics")
    r.call("url-escaped name", "GET", "/proxies/%7Enope")


@scenario
def proxy_disable_drops_connections(r: Recorder) -> None:
    _create(r)
    listen = r.listen_of("~p")
    with open_socket(listen) as sock:
        sock.sendall(b"x")
        sock.settimeout(3)
        r.note("first byte echoed", sock.recv(1) == b"x")
        r.call("disable", "PATCH", "/proxies/~p", json_body={"enabled": False})
        r.note("open connection after disable", read_outcome(sock)[1])
    r.note("new connection while disabled", connect_outcome(listen))
    r.call("enable", "PATCH", "/proxies/~p", json_body={"enabled": True})
    r.note("same port after enable", r.listen_of("~p") == listen)
    r.note("echo after enable", echo_outcome(listen))


@scenario
def proxy_upstream_down(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead = f"127.0.0.1:{closed.getsockname()[1]}"
        r.port_symbol(closed.getsockname()[1], "DEAD")
    r.call("create to a dead upstream", "POST", "/proxies",
           json_body={"name": "~p", "upstream": dead, "listen": "127.0.0.1:0"})
    with open_socket(r.listen_of("~p")) as sock:
        r.note("client reads", read_outcome(sock))
    r.call("bad upstream text is accepted", "POST", "/proxies",
           json_body={"name": "~q", "upstream": "not an address", "listen": "127.0.0.1:0"})
    with open_socket(r.listen_of("~q")) as sock:
        r.note("client of a bad upstream", read_outcome(sock))


@scenario(touches_all=True)
def reset(r: Recorder) -> None:
    _create(r, enabled=False)
    r.call("toxic on disabled", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "attributes": {"latency": 10}})
    r.call("reset", "POST", "/reset")
    r.call("after reset", "GET", "/proxies/~p")
    r.call("reset with a body", "POST", "/reset", json_body={"anything": 1})


# -- populate --------------------------------------------------------------------------------


@scenario
def populate(r: Recorder) -> None:
    up = r.echo.address
    free = r.free("FREE1")
    r.call("create two", "POST", "/populate", json_body=[
        {"name": "~one", "listen": "127.0.0.1:0", "upstream": up},
        {"name": "~two", "listen": f"localhost:{free}", "upstream": up, "enabled": False},
    ])
    r.note("disabled entry does not listen", connect_outcome(f"127.0.0.1:{free}"))
    r.call("toxic on one", "POST", "/proxies/~one/toxics", json_body={"type": "noop"})
    one = r.listen_of("~one")
    r.call("identical is untouched", "POST", "/populate", json_body=[
        {"name": "~one", "listen": one, "upstream": up},
    ])
    r.call("changed upstream replaces", "POST", "/populate", json_body=[
        {"name": "~one", "listen": one, "upstream": "127.0.0.1:9"},
    ])
    r.call("enabled null means true", "POST", "/populate", json_body=[
        {"name": "~three", "listen": "127.0.0.1:0", "upstream": up, "enabled": None},
    ])
    r.call("empty array", "POST", "/populate", json_body=[])
    r.call("null", "POST", "/populate", data=b"null")
    r.call("an object", "POST", "/populate", json_body={"name": "~x", "upstream": up})
    r.call("a string", "POST", "/populate", json_body="x")
    r.call("not json", "POST", "/populate", data=b"[{")
    r.call("empty body", "POST", "/populate", data=b"")
    r.call("an entry a string", "POST", "/populate", json_body=["x"])
    r.call("an entry name a number", "POST", "/populate", json_body=[{"name": 3}])
    r.call("enabled a string", "POST", "/populate",
           json_body=[{"name": "~x", "upstream": up, "enabled": "no"}])
    r.call("blank name second", "POST", "/populate", json_body=[
        {"name": "~x", "listen": "127.0.0.1:0", "upstream": up},
        {"name": "", "listen": "127.0.0.1:0", "upstream": up},
    ])
    r.call("blank upstream first", "POST", "/populate", json_body=[{"name": "~x"}])
    r.call("nothing created by invalid input", "GET", "/proxies/~x")
    r.call("index", "GET", "/proxies")


@scenario
def populate_start_failure(r: Recorder) -> None:
    up = r.echo.address
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        taken = blocker.getsockname()[1]
        r.port_symbol(taken, "TAKEN")
        r.call("second fails to listen", "POST", "/populate", json_body=[
            {"name": "~one", "listen": "127.0.0.1:0", "upstream": up},
            {"name": "~two", "listen": f"127.0.0.1:{taken}", "upstream": up},
            {"name": "~three", "listen": "127.0.0.1:0", "upstream": up},
        ])
    r.call("bad listen", "POST", "/populate", json_body=[
        {"name": "~four", "listen": "nope", "upstream": up},
    ])
    r.call("index", "GET", "/proxies")


# -- toxics ----------------------------------------------------------------------------------


@scenario
def toxic_create(r: Recorder) -> None:
    _create(r)
    r.call("empty list", "GET", "/proxies/~p/toxics")
    r.call("latency with an unknown key", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "attributes": {"latency": 100, "x": 1}})
    r.call("noop upstream", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "stream": "upstream", "name": "n", "toxicity": 0.2})
    r.call("noop default stream", "POST", "/proxies/~p/toxics", json_body={"type": "noop"})
    r.call("mixed-case stream", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "stream": "UpStream"})
    r.call("null fields", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "nulls", "stream": None, "toxicity": None,
                      "attributes": None})
    r.call("case-insensitive keys", "POST", "/proxies/~p/toxics",
           json_body={"TYPE": "latency", "Name": "caps",
                      "ATTRIBUTES": {"LATENCY": 5, "Jitter": 1}})
    r.call("toxicity out of range", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "big", "toxicity": 7.5})
    r.call("toxicity float32", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "third", "toxicity": 1 / 3})
    r.call("negative attribute", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "name": "neg", "attributes": {"latency": -5}})
    r.call("list, upstream first", "GET", "/proxies/~p/toxics")
    r.call("show one", "GET", "/proxies/~p/toxics/n")
    r.call("proxy shows toxics", "GET", "/proxies/~p")


@scenario
def toxic_types(r: Recorder) -> None:
    _create(r)
    for type_ in ("latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer",
                  "limit_data", "noop"):
        r.call(f"{type_} defaults", "POST", "/proxies/~p/toxics",
               json_body={"type": type_, "stream": "upstream"})
    r.call("every type", "GET", "/proxies/~p/toxics")


@scenario
def toxic_validation(r: Recorder) -> None:
    _create(r)
    bodies: list[tuple[str, object]] = [
        ("bad stream", {"type": "latency", "stream": "sideways"}),
        ("blank stream", {"type": "latency", "stream": ""}),
        ("unknown type", {"type": "nonsense"}),
        ("no type", {}),
        ("float attribute", {"type": "latency", "attributes": {"latency": 100.0}}),
        ("string attribute", {"type": "latency", "attributes": {"latency": "100"}}),
        ("bool attribute", {"type": "latency", "attributes": {"latency": True}}),
        ("huge attribute", {"type": "latency", "attributes": {"latency": 2**64}}),
        ("slicer float", {"type": "slicer", "attributes": {"average_size": 1.5}}),
        ("bandwidth string", {"type": "bandwidth", "attributes": {"rate": "x"}}),
        ("attributes an array", {"type": "latency", "attributes": [1]}),
        ("attributes a number", {"type": "latency", "attributes": 5}),
        ("toxicity a string", {"type": "latency", "toxicity": "1"}),
        ("name a number", {"type": "latency", "name": 5}),
        ("stream a number", {"type": "latency", "stream": 1}),
        ("type a bool", {"type": True}),
        ("an array", []),
        ("a string", "latency"),
    ]
    for label, body in bodies:
        r.call(label, "POST", "/proxies/~p/toxics", json_body=body)
    r.call("not json", "POST", "/proxies/~p/toxics", data=b"{")
    r.call("empty body", "POST", "/proxies/~p/toxics", data=b"")
    r.call("null", "POST", "/proxies/~p/toxics", data=b"null")
    r.call("bad stream before unknown type", "POST", "/proxies/~p/toxics",
           json_body={"type": "nonsense", "stream": "sideways"})
    r.call("noop", "POST", "/proxies/~p/toxics", json_body={"type": "noop", "name": "foobar"})
    r.call("conflict across streams", "POST", "/proxies/~p/toxics",
           json_body={"type": "noop", "name": "foobar", "stream": "upstream"})
    r.call("conflict before bad attributes", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "name": "foobar", "attributes": {"latency": "x"}})
    r.call("unknown type before conflict", "POST", "/proxies/~p/toxics",
           json_body={"type": "nonsense", "name": "foobar"})
    r.call("nothing added by invalid input", "GET", "/proxies/~p/toxics")
    r.call("toxic on a missing proxy", "POST", "/proxies/~nope/toxics", json_body={})


@scenario
def toxic_update_and_delete(r: Recorder) -> None:
    _create(r)
    r.call("add", "POST", "/proxies/~p/toxics",
           json_body={"type": "latency", "toxicity": 0.5,
                      "attributes": {"latency": 100, "jitter": 10}})
    r.call("merge attributes, ignore type and name", "PATCH",
           "/proxies/~p/toxics/latency_downstream",
           json_body={"attributes": {"jitter": 20}, "type": "bandwidth", "name": "renamed",
                      "stream": "upstream"})
    r.call("toxicity by POST", "POST", "/proxies/~p/toxics/latency_downstream",
           json_body={"toxicity": 1})
    r.call("float attribute", "POST", "/proxies/~p/toxics/latency_downstream",
           json_body={"attributes": {"latency": 1.5}})
    r.call("attributes a string", "PATCH", "/proxies/~p/toxics/latency_downstream",
           json_body={"attributes": "x"})
    r.call("toxicity a string", "PATCH", "/proxies/~p/toxics/latency_downstream",
           json_body={"toxicity": "x"})
    r.call("bad json", "PATCH", "/proxies/~p/toxics/latency_downstream", data=b"{")
    r.call("empty body", "PATCH", "/proxies/~p/toxics/latency_downstream", data=b"")
    r.call("array", "PATCH", "/proxies/~p/toxics/latency_downstream", json_body=[])
    r.call("unchanged after bad updates", "GET", "/proxies/~p/toxics/latency_downstream")
    r.call("missing toxic", "GET", "/proxies/~p/toxics/t")
    r.call("update missing toxic", "PATCH", "/proxies/~p/toxics/t", json_body={})
    r.call("update missing toxic, bad body", "PATCH", "/proxies/~p/toxics/t", data=b"{")
    r.call("delete missing toxic", "DELETE", "/proxies/~p/toxics/t")
    r.call("missing proxy", "GET", "/proxies/~q/toxics/t")
    r.call("delete on missing proxy", "DELETE", "/proxies/~q/toxics/t")
    r.call("delete", "DELETE", "/proxies/~p/toxics/latency_downstream")
    r.call("delete again", "DELETE", "/proxies/~p/toxics/latency_downstream")
    r.call("gone", "GET", "/proxies/~p/toxics")
    r.call("re-add with the same name", "POST", "/proxies/~p/toxics",
           json_body={"type": "slicer", "name": "latency_downstream"})


# -- TCP behaviours --------------------------------------------------------------------------


def _toxic(r: Recorder, label: str, type_: str, stream: str = "downstream",
           **attributes: int) -> None:
    r.call(label, "POST", "/proxies/~p/toxics",
           json_body={"type": type_, "stream": stream, "attributes": attributes})


@scenario
def tcp_latency(r: Recorder) -> None:
    _create(r)
    listen = r.listen_of("~p")
    with open_socket(listen) as sock:
        sock.sendall(b"a")
        r.note("before", sock.recv(1))
        _toxic(r, "latency on an open connection", "latency", latency=400)
        _, elapsed = timed(lambda: (sock.sendall(b"b"), sock.recv(1)))
        r.note("open connection delayed", "delayed" if elapsed >= 0.35 else "prompt")
        r.call("remove", "DELETE", "/proxies/~p/toxics/latency_downstream")
        _, elapsed = timed(lambda: (sock.sendall(b"c"), sock.recv(1)))
        r.note("after removal", "delayed" if elapsed >= 0.35 else "prompt")


@scenario
def tcp_latency_removal_flushes(r: Recorder) -> None:
    _create(r)
    _toxic(r, "long latency", "latency", latency=20_000)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"held")
        sock.settimeout(0.3)
        try:
            early = sock.recv(4)
        except TimeoutError:
            early = b""
        r.note("held back", early)
        r.call("remove", "DELETE", "/proxies/~p/toxics/latency_downstream")
        sock.settimeout(3)
        data = bytearray()
        while len(data) < 4 and (chunk := sock.recv(4)):
            data += chunk
        r.note("flushed on removal", bytes(data))


@scenario
def tcp_limit_data(r: Recorder) -> None:
    _create(r)
    _toxic(r, "limit 10 down", "limit_data", bytes=10)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"0123456789abcdef")
        r.note("truncated then closed", read_outcome(sock))
    r.call("update to zero", "PATCH", "/proxies/~p/toxics/limit_data_downstream",
           json_body={"attributes": {"bytes": 0}})
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"x")
        r.note("zero limit", read_outcome(sock))


@scenario
def tcp_timeout(r: Recorder) -> None:
    _create(r)
    _toxic(r, "timeout 200 ms", "timeout", timeout=200)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"dropped")
        r.note("dropped then closed", read_outcome(sock))
    r.call("timeout 0", "PATCH", "/proxies/~p/toxics/timeout_downstream",
           json_body={"attributes": {"timeout": 0}})
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"dropped")
        r.note("silent while it exists", read_outcome(sock, 0.5))
        r.call("remove closes", "DELETE", "/proxies/~p/toxics/timeout_downstream")
        r.note("after removal", read_outcome(sock))


@scenario
def tcp_reset_peer(r: Recorder) -> None:
    _create(r)
    _toxic(r, "reset_peer", "reset_peer", timeout=100)
    with open_socket(r.listen_of("~p")) as sock:
        sock.sendall(b"x")
        r.note("reset", read_outcome(sock)[1])
    r.call("remove", "DELETE", "/proxies/~p/toxics/reset_peer_downstream")
    r.note("works again", echo_outcome(r.listen_of("~p")))


@scenario
def tcp_slow_close(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("create", "POST", "/proxies", json_body={
            "name": "~p", "upstream": f"127.0.0.1:{upstream.getsockname()[1]}",
            "listen": "127.0.0.1:0"})
        _toxic(r, "slow_close 400 ms", "slow_close", delay=400)
        with open_socket(r.listen_of("~p")) as sock:
            conn, _ = upstream.accept()
            conn.sendall(b"bye")
            conn.close()
            (data, end), elapsed = timed(lambda: read_outcome(sock))
            r.note("data then a late EOF", (data, end, "late" if elapsed >= 0.35 else "early"))


@scenario
def tcp_slicer(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        r.port_symbol(upstream.getsockname()[1], "UPSTREAM")
        r.call("create", "POST", "/proxies", json_body={
            "name": "~p", "upstream": f"127.0.0.1:{upstream.getsockname()[1]}",
            "listen": "127.0.0.1:0"})
        _toxic(r, "slicer 10 bytes, 30 ms apart", "slicer", average_size=10, delay=30_000)
        with open_socket(r.listen_of("~p")) as sock:
            conn, _ = upstream.accept()
            with conn:
                conn.sendall(bytes(100))
                sizes = []
                sock.settimeout(3)
                while sum(sizes) < 100 and (chunk := sock.recv(4096)):
                    sizes.append(len(chunk))
            r.note("piece sizes", sizes)


@scenario
def tcp_bandwidth(r: Recorder) -> None:
    _create(r)
    _toxic(r, "10 KB/s down", "bandwidth", rate=10)
    with open_socket(r.listen_of("~p")) as sock:
        payload = bytes(5000)
        sock.sendall(payload)

        def read_all() -> int:
            got = 0
            while got < len(payload) and (chunk := sock.recv(65536)):
                got += len(chunk)
            return got

        got, elapsed = timed(read_all)
        r.note("5 KB at 10 KB/s", (got, "slow" if elapsed >= 0.4 else "fast"))


@scenario
def tcp_toxicity_zero(r: Recorder) -> None:
    _create(r)
    r.call("timeout with toxicity 0", "POST", "/proxies/~p/toxics",
           json_body={"type": "timeout", "toxicity": 0, "attributes": {"timeout": 100}})
    r.note("passes", echo_outcome(r.listen_of("~p")))


def main(argv: list[str]) -> int:
    """Compare two servers: ``python -m tests.netfault._scenarios URL_A URL_B``."""
    url_a, url_b = argv
    echo = EchoServer()
    total = differing = 0
    for name in SCENARIOS:
        a, b = run(url_a, echo, name), run(url_b, echo, name)
        diffs = differences(a, b)
        total += max(len(a), len(b))
        differing += len(diffs)
        for label, left, right in diffs:
            print(f"{name} / {label}\n  A: {left}\n  B: {right}")
    echo.close()
    print(f"{differing} of {total} steps differ ({len(SCENARIOS)} scenarios)")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
