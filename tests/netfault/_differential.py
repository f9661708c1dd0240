"""Differential steps: the same API calls and TCP behaviours, recorded on any Toxiproxy server.

A scenario is a function taking a `Recorder`; every call it makes becomes a *step* whose
observation (status, reason, the headers a client can see, the body, or a TCP outcome) is
normalised so that two servers can be compared step by step:

- proxy names are written ``~p``: ``~`` stands for a per-process namespace, so scenarios on one
  server shared by xdist workers never touch each other's proxies;
- ports are replaced by symbols (``ECHO``, ``FREE1`` …, then ``PORT1`` … in order of first
  appearance), because the two servers bind different random ports;
- request ids and dates are reduced to "present".

``python -m tests.netfault._scenarios URL_A URL_B`` prints every differing step and the
count; ``test_differential.py`` asserts there is none between the embedded and the real server.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from ._support import IO_TIMEOUT, EchoServer, free_port, split_address

_ADDRESS = re.compile(r"((?:\d{1,3}(?:\.\d{1,3}){3})|\[[0-9a-fA-F:.]*\]|localhost):(\d{1,5})\b")
_UNSET: Any = object()
#: Marks a step where the embedded server deliberately differs: an empty listen host binds
#: loopback, where Toxiproxy binds every interface (``[::]``). Only that may differ there.
LOOPBACK_DEFAULT = " (loopback default)"
#: Longest a TCP check waits for data or EOF.
TCP_WAIT = 3.0


def namespace() -> str:
    """A proxy-name prefix unique to this process (and xdist worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"d{worker}-{os.getpid()}-"


def _substitute(value: Any, ns: str) -> Any:
    if isinstance(value, str):
        return value.replace("~", ns)
    if isinstance(value, list):
        return [_substitute(item, ns) for item in value]
    if isinstance(value, dict):
        return {_substitute(k, ns): _substitute(v, ns) for k, v in value.items()}
    return value


@dataclass
class Recorder:
    """Runs scenario steps against one server and records normalised observations."""

    url: str
    echo: EchoServer
    ns: str = field(default_factory=namespace)
    steps: list[tuple[str, Any]] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)
    _ports: dict[str, str] = field(default_factory=dict)
    _counter: int = 0

    def __post_init__(self) -> None:
        self.session.trust_env = False
        self.port_symbol(split_address(self.echo.address)[1], "ECHO")
        self.port_symbol(split_address(self.url.split("//", 1)[1])[1], "API")

    # -- normalisation -----------------------------------------------------------------------

    def port_symbol(self, port: int, symbol: str | None = None) -> str:
        key = str(port)
        if key not in self._ports:
            if symbol is None:
                self._counter += 1
                symbol = f"PORT{self._counter}"
            self._ports[key] = symbol
        return self._ports[key]

    def free(self, symbol: str) -> int:
        """A free loopback port, shown as ``symbol`` in observations."""
        port = free_port()
        self.port_symbol(port, symbol)
        return port

    def normalise(self, text: str) -> str:
        text = text.replace(self.ns, "~")
        return _ADDRESS.sub(lambda m: f"{m.group(1)}:{self.port_symbol(int(m.group(2)))}", text)

    def _own_proxies(self, text: str) -> str:
        # On a shared server other workers' proxies show up in GET /proxies: keep ours.
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if not isinstance(value, dict):
            return text
        mine = {k: v for k, v in value.items() if k.startswith(self.ns)}
        if len(mine) == len(value):
            return text  # nothing to hide: compare the exact bytes
        # Re-encoded as Go's json.Marshal would (compact, HTML-safe), so servers still agree.
        encoded = json.dumps(mine, separators=(",", ":"), ensure_ascii=False)
        return encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    # -- steps -------------------------------------------------------------------------------

    def call(
        self,
        label: str,
        method: str,
        path: str,
        *,
        json_body: Any = _UNSET,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        kwargs: dict[str, Any] = {"timeout": 30, "headers": headers}
        if json_body is not _UNSET:
            kwargs["json"] = _substitute(json_body, self.ns)
        if data is not None:
            kwargs["data"] = data
        response = self.session.request(method, self.url + _substitute(path, self.ns), **kwargs)
        body = response.text
        if method == "GET" and path == "/proxies":
            body = self._own_proxies(body)
        seen = {key.lower() for key in response.headers}
        self.steps.append((f"{label}: {method} {path}", {
            "status": f"{response.status_code} {response.reason}",
            "content-type": response.headers.get("Content-Type"),
            "nosniff": response.headers.get("X-Content-Type-Options"),
            "request-id": "x-toxiproxy-request-id" in seen,
            "body": self.normalise(body),
        }))
        return response

    def note(self, label: str, value: Any) -> None:
        """Record a derived fact (a TCP outcome, a count) as a step."""
        self.steps.append((label, value if not isinstance(value, str) else self.normalise(value)))

    def listen_of(self, name: str) -> str:
        """The listen address of proxy ``name`` (not recorded)."""
        path = _substitute(f"/proxies/{name}", self.ns)
        return str(self.session.get(self.url + path, timeout=30).json()["listen"])

    def cleanup(self) -> None:
        proxies = self.session.get(self.url + "/proxies", timeout=30).json()
        for name in proxies:
            if name.startswith(self.ns):
                self.session.delete(f"{self.url}/proxies/{name}", timeout=30)
        self.session.close()


# -- TCP probes ------------------------------------------------------------------------------


def connect_outcome(address: str) -> str:
    """``listening`` or ``refused``."""
    try:
        socket.create_connection(split_address(address), timeout=IO_TIMEOUT).close()
    except ConnectionRefusedError:
        return "refused"
    return "listening"


def read_outcome(sock: socket.socket, limit: float = TCP_WAIT) -> tuple[bytes, str]:
    """Read until EOF/reset/silence; the bytes and how it ended (``eof``/``reset``/``silent``)."""
    sock.settimeout(limit)
    data = bytearray()
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        return bytes(data), "reset"
    except TimeoutError:
        return bytes(data), "silent"
    return bytes(data), "eof"


def open_socket(address: str) -> socket.socket:
    sock = socket.create_connection(split_address(address), timeout=IO_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def echo_outcome(address: str, payload: bytes = b"ping") -> str:
    """Send ``payload`` through, read it back: ``echo``, ``refused`` or how it ended."""
    try:
        sock = open_socket(address)
    except ConnectionRefusedError:
        return "refused"
    with sock:
        try:
            sock.sendall(payload)
        except OSError as exc:
            return f"send failed: {type(exc).__name__}"
        sock.settimeout(TCP_WAIT)
        data = bytearray()
        try:
            while len(data) < len(payload):
                chunk = sock.recv(65536)
                if not chunk:
                    return f"eof after {len(data)} bytes"
                data += chunk
        except ConnectionResetError:
            return f"reset after {len(data)} bytes"
        except TimeoutError:
            return f"silent after {len(data)} bytes"
        return "echo" if bytes(data) == payload else f"garbled ({len(data)} bytes)"


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def create_proxy(r: Recorder, name: str = "~p", label: str = "", **fields: object) -> None:
    """POST /proxies to the echo server, listening on 127.0.0.1:0 unless told otherwise."""
    fields.setdefault("listen", "127.0.0.1:0")
    r.call(f"create {name}{label}", "POST", "/proxies",
           json_body={"name": name, "upstream": r.echo.address, **fields})


def add_toxic(r: Recorder, label: str, type_: str, stream: str = "downstream",
              **attributes: int) -> None:
    """POST a toxic to proxy ``~p``."""
    r.call(label, "POST", "/proxies/~p/toxics",
           json_body={"type": type_, "stream": stream, "attributes": attributes})


Scenario = Callable[[Recorder], None]
SCENARIOS: dict[str, Scenario] = {}
#: Scenarios that act on every proxy of the server (POST /reset): never on a shared server.
GLOBAL_SCENARIOS: set[str] = set()


def scenario(func: Scenario | None = None, *, touches_all: bool = False) -> Any:
    def register(f: Scenario) -> Scenario:
        SCENARIOS[f.__name__] = f
        if touches_all:
            GLOBAL_SCENARIOS.add(f.__name__)
        return f

    return register(func) if func is not None else register


def run(url: str, echo: EchoServer, name: str) -> list[tuple[str, Any]]:
    recorder = Recorder(url, echo)
    try:
        SCENARIOS[name](recorder)
    finally:
        recorder.cleanup()
    return recorder.steps


def _deliberate(left: tuple[str, Any], right: tuple[str, Any]) -> bool:
    def loopback(observation: Any) -> str:
        return repr(observation).replace("[::]:", "127.0.0.1:")

    return (left[0] == right[0] and LOOPBACK_DEFAULT in left[0]
            and loopback(left[1]) == loopback(right[1]))


def differences(
    a: list[tuple[str, Any]], b: list[tuple[str, Any]]
) -> list[tuple[str, Any, Any]]:
    """Steps whose observations differ, as ``(label, a, b)``; a missing step counts too."""
    out = []
    for index in range(max(len(a), len(b))):
        left = a[index] if index < len(a) else ("<missing>", None)
        right = b[index] if index < len(b) else ("<missing>", None)
        if left != right and not _deliberate(left, right):
            out.append((left[0] if index < len(a) else right[0], left[1], right[1]))
    return out
