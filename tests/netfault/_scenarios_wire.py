"""Differential scenarios: JSON syntax errors and the HTTP layer, byte for byte."""

from __future__ import annotations

import re
import socket

from ._differential import (
    TCP_WAIT,
    Recorder,
    create_proxy,
    open_socket,
    scenario,
)

MALFORMED = [
    b'{"a" 1}', b'{"a":1 "b"}', b"[1 2]", b'"abc', b'"\\x"', b'"\\u12g4"', b"-x", b"1.x",
    b"1ex", b"1e+", b"tru", b"trux", b"nul1", b'"a\x01b"', b'{"a":1,}', b"[1,]", b"  ", b"}",
    b"'x'", b"\x00", b"\xff", b'\t{"a":\n', b"01", b"1e400", b'{"name":1e400}',
    b'{"enabled":"x","name":1}', b'{"Logger": 5}', b'{"toxicity": 1e50}',
]


@scenario
def json_syntax(r: Recorder) -> None:
    create_proxy(r)
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
