"""The differential scenarios: API calls (section 1 of TOXIPROXY.md) and TCP behaviours.

Each records steps on a `Recorder`; names are written ``~name`` (see `_differential`). Timing
facts are recorded as coarse verdicts with wide margins (``delayed``/``prompt``), never raw
figures, so that two correct servers agree on a loaded CI machine. This module holds the
general, proxy and populate scenarios and imports the others (`_scenarios_toxics`,
`_scenarios_tcp`, `_scenarios_wire`) so that importing it registers them all.
"""

from __future__ import annotations

import socket
import sys

from ._differential import (
    LOOPBACK_DEFAULT,
    SCENARIOS,
    Recorder,
    connect_outcome,
    create_proxy,
    differences,
    echo_outcome,
    open_socket,
    read_outcome,
    run,
    scenario,
)
from ._support import EchoServer

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}


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
    create_proxy(r, listen="localhost:0")
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
    create_proxy(r, "~disabled", listen=f"localhost:{free}", enabled=False)
    r.note("disabled does not listen", connect_outcome(f"127.0.0.1:{free}"))
    r.call("enable", "POST", "/proxies/~disabled", json_body={"enabled": True})
    r.note("enabled listens", connect_outcome(f"127.0.0.1:{free}"))
    r.call("disable by PATCH", "PATCH", "/proxies/~disabled", json_body={"enabled": False})
    r.note("disabled refuses", connect_outcome(f"127.0.0.1:{free}"))
    r.call("enable again", "PATCH", "/proxies/~disabled", json_body={"enabled": True})
    r.call("enable when enabled", "PATCH", "/proxies/~disabled", json_body={"enabled": True})
    create_proxy(r, "~empty", listen="", label=LOOPBACK_DEFAULT)
    create_proxy(r, "~portonly", listen=":0", label=LOOPBACK_DEFAULT)
    create_proxy(r, "~loopback", listen="127.0.0.1:0")
    create_proxy(r, "~nolisten", listen=None, label=LOOPBACK_DEFAULT)
    create_proxy(r, "~any4", listen="0.0.0.0:0")
    create_proxy(r, "~any6", listen="[::]:0")
    create_proxy(r, "~v6loopback", listen="[::1]:0")
    create_proxy(r, "~emptyport", listen="127.0.0.1:")
    create_proxy(r, "~noport", listen="127.0.0.1")
    create_proxy(r, "~badport", listen="127.0.0.1:99999")
    create_proxy(r, "~nameport", listen="127.0.0.1:nosuchservice")
    create_proxy(r, "~colons", listen="1:2:3")
    create_proxy(r, "~bracket", listen="[::1")
    create_proxy(r, "~nohost", listen="no-such-host.invalid:0")
    create_proxy(r, "~notlocal", listen="192.0.2.1:0")
    create_proxy(r, "~later", listen="nope", enabled=False)
    r.call("enable a bad listen", "PATCH", "/proxies/~later", json_body={"enabled": True})
    r.call("fix the listen while disabled", "PATCH", "/proxies/~later",
           json_body={"listen": "127.0.0.1:0"})
    r.call("a bad listen while disabled", "PATCH", "/proxies/~later", json_body={"listen": "x"})
    r.call("fix and enable", "PATCH", "/proxies/~later",
           json_body={"listen": "localhost:0", "enabled": True})
    r.call(f"index {LOOPBACK_DEFAULT}", "GET", "/proxies")


@scenario
def proxy_port_conflict(r: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        taken = blocker.getsockname()[1]
        r.port_symbol(taken, "TAKEN")
        create_proxy(r, "~a", listen=f"127.0.0.1:{taken}")
        r.call("not kept", "GET", "/proxies/~a")
        create_proxy(r, "~b", listen=f"127.0.0.1:{taken}", enabled=False)
        r.call("enable into a taken port", "POST", "/proxies/~b", json_body={"enabled": True})
        r.call("still disabled", "GET", "/proxies/~b")
    r.call("enable once free", "POST", "/proxies/~b", json_body={"enabled": True})
    create_proxy(r, "~c")
    listen = r.listen_of("~c")
    r.call("a second proxy on the same address", "POST", "/proxies",
           json_body={"name": "~d", "upstream": r.echo.address, "listen": listen})


@scenario
def proxy_update(r: Recorder) -> None:
    create_proxy(r)
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
    create_proxy(r)
    listen = r.listen_of("~p")
    r.call("delete", "DELETE", "/proxies/~p")
    r.note("port closed", connect_outcome(listen))
    r.call("delete again", "DELETE", "/proxies/~p")
    r.call("show deleted", "GET", "/proxies/~p")
    r.call("toxics of deleted", "GET", "/proxies/~p/toxics")
    r.call("url-escaped name", "GET", "/proxies/%7Enope")


@scenario
def proxy_disable_drops_connections(r: Recorder) -> None:
    create_proxy(r)
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
    create_proxy(r, enabled=False)
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


from . import _scenarios_tcp, _scenarios_toxics, _scenarios_wire  # noqa: E402, F401  (registers)


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

