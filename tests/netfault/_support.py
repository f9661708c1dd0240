"""Sockets, test upstreams and an HTTP client shared by the netfault tests."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

IO_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def split_address(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host.strip("[]"), int(port)


def connect(address: str) -> socket.socket:
    sock = socket.create_connection(split_address(address), timeout=IO_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def recv_until_eof(sock: socket.socket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


class EchoServer:
    """A threaded echo server on 127.0.0.1:0 that records which connections saw EOF."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.eofs = threading.Semaphore(0)
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                return
            self.eofs.release()

    def close(self) -> None:
        self._listener.close()


class OneShotServer:
    """Accepts one connection, sends ``payload`` in ``writes`` pieces, then closes."""

    def __init__(self, pieces: list[bytes], start: threading.Event | None = None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._pieces = pieces
        self._start = start
        self.error: BaseException | None = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._start is not None:
                    self._start.wait(IO_TIMEOUT)
                for index, piece in enumerate(self._pieces):
                    conn.sendall(piece)
                    if index % 1024 == 1023:
                        time.sleep(0.001)  # spread the stream out so it overlaps with churn
        except BaseException as exc:
            self.error = exc
        finally:
            self._listener.close()


def worker_namespace(tag: str) -> str:
    """A proxy-name prefix for this process: xdist worker id and pid.

    Every test helper names its proxies with one, and deletes only those, so xdist workers
    (and other sessions) can share one real toxiproxy-server.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{tag}{worker}-{os.getpid()}-"


@dataclass
class ToxiproxyApi:
    """A small HTTP client for one Toxiproxy server (embedded or real).

    Proxy names are namespaced per process (`worker_namespace`): a test says ``"p"`` and the
    server sees ``"<ns>p"``, in paths and in the ``name`` of POST /proxies and /populate
    bodies; response bodies have the prefix taken out again, and ``GET /proxies`` lists only
    this namespace's proxies. Empty names are sent as they are (the server must reject them).
    """

    kind: str
    url: str
    session: requests.Session = field(default_factory=requests.Session)
    ns: str = field(default_factory=lambda: worker_namespace("t"))

    def __post_init__(self) -> None:
        # Never route 127.0.0.1 through an HTTP_PROXY from the environment.
        self.session.trust_env = False

    def _name(self, name: object) -> object:
        return f"{self.ns}{name}" if isinstance(name, str) and name else name

    def _outgoing(self, method: str, path: str, kwargs: dict[str, Any]) -> str:
        parts = path.split("/")
        if len(parts) > 2 and parts[1] == "proxies":
            parts[2] = str(self._name(parts[2]))
        body = kwargs.get("json")
        if method == "POST" and path == "/proxies" and isinstance(body, dict) and "name" in body:
            kwargs["json"] = {**body, "name": self._name(body["name"])}
        if method == "POST" and path == "/populate" and isinstance(body, list):
            kwargs["json"] = [
                {**entry, "name": self._name(entry["name"])}
                if isinstance(entry, dict) and "name" in entry else entry
                for entry in body
            ]
        return "/".join(parts)

    def _incoming(self, method: str, path: str, response: requests.Response) -> None:
        content = response.content
        if method == "GET" and path == "/proxies" and response.status_code == 200:
            listing = json.loads(content)
            mine = {k: v for k, v in listing.items() if k.startswith(self.ns)}
            content = json.dumps(mine, separators=(",", ":")).encode()
        response._content = content.replace(self.ns.encode(), b"")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        sent = self._outgoing(method, path, kwargs)
        response = self.session.request(method, self.url + sent, **kwargs)
        self._incoming(method, path, response)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, name: str, upstream: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("listen", "127.0.0.1:0")
        response = self.post("/proxies", json={"name": name, "upstream": upstream, **fields})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def add_toxic(
        self, proxy: str, type: str, stream: str = "downstream", **fields: Any
    ) -> dict[str, Any]:
        body = {"type": type, "stream": stream, **fields}
        response = self.post(f"/proxies/{proxy}/toxics", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def remove_toxic(self, proxy: str, name: str) -> None:
        response = self.delete(f"/proxies/{proxy}/toxics/{name}")
        assert response.status_code == 204, response.text

    def clear(self) -> None:
        """Delete this namespace's proxies, and only those."""
        for name in self.get("/proxies").json():
            self.delete(f"/proxies/{name}")
