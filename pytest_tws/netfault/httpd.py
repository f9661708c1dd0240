"""A tiny HTTP/1.1 server on asyncio streams, framed the way Go's ``net/http`` frames replies.

Supports keep-alive, ``Content-Length`` and chunked request bodies and ``Expect:
100-continue``. Like Go 1.19's server: response headers go out sorted, then ``Date``,
``Content-Length`` and ``Connection``; an HTTP/1.0 request gets an HTTP/1.0 status line;
a malformed request gets Go's bare ``400 Bad Request`` (``missing required Host header``,
``505`` for HTTP/2+), with no Date or length, and the connection closes. A malformed chunked
body is not a protocol error in Go (the body is read lazily): the handler sees it as a body
that fails to read (`Request.body_error`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024
_VERSION = re.compile(r"HTTP/(\d+)\.(\d+)")
_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")
BAD_REQUEST = "400 Bad Request"
NO_HOST = "400 Bad Request: missing required Host header"
BAD_VERSION = "505 HTTP Version Not Supported: unsupported protocol version"


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    """lower-cased header name -> value (the last one wins)"""
    body: bytes = b""
    body_error: str | None = None
    """why the body could not be read (Go reports it when the handler decodes it)"""


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    sniffed_type: str | None = None
    """a Content-Type Go would sniff from the body: it goes out after Content-Length"""


RequestHandler = Callable[[Request], Awaitable[Response]]


class BadRequest(Exception):
    """A request Go's server refuses before any handler runs; the text is its status."""

    def __init__(self, status_text: str = BAD_REQUEST) -> None:
        super().__init__(status_text)
        self.status_text = status_text


async def serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handle: RequestHandler
) -> None:
    """Serve requests on one connection until the client closes or asks to."""
    try:
        while True:
            try:
                request = await _read_request(reader, writer)
            except BadRequest as exc:
                writer.write(_protocol_error(exc.status_text))
                await writer.drain()
                return
            if request is None:
                return
            try:
                response = await handle(request)
            except Exception as exc:
                log.exception("netfault API handler failed")
                response = Response(500, f"internal error: {exc}\n".encode(), "text/plain")
            keep_alive = _keep_alive(request) and request.body_error is None
            writer.write(_encode(request, response, keep_alive))
            await writer.drain()
            if not keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _http10(request: Request) -> bool:
    return request.headers.get(":version") == "HTTP/1.0"


def _keep_alive(request: Request) -> bool:
    connection = request.headers.get("connection", "").lower()
    if _http10(request):
        return connection == "keep-alive"
    return connection != "close"


def _protocol_error(status_text: str) -> bytes:
    # What Go's server writes itself for a request it cannot parse.
    return (
        f"HTTP/1.1 {status_text}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Connection: close\r\n\r\n{status_text}"
    ).encode("latin-1")


def _check_target(target: str) -> None:
    """Go's ``url.ParseRequestURI``: origin or absolute form, with valid escapes."""
    if not (target.startswith("/") or "://" in target or target == "*"):
        raise BadRequest
    if _BAD_ESCAPE.search(target.split("?", 1)[0]):
        raise BadRequest


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadRequest from None
        return None
    except asyncio.LimitOverrunError:
        raise BadRequest from None
    lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise BadRequest from None
    match = _VERSION.fullmatch(version)
    if match is None:
        raise BadRequest
    if match.group(1) != "1":
        raise BadRequest(BAD_VERSION)
    version = "HTTP/1.0" if match.group(2) == "0" else version
    _check_target(target)
    headers = {":version": version}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise BadRequest
        headers[name.strip().lower()] = value.strip()
    if version != "HTTP/1.0" and "host" not in headers:
        raise BadRequest(NO_HOST)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request = Request(method, target, headers)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        try:
            request.body = await _read_chunked(reader)
        except _BadChunk as exc:
            request.body_error = str(exc)
        return request
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise BadRequest from None
    if not 0 <= length <= MAX_BODY:
        raise BadRequest
    request.body = await reader.readexactly(length)
    return request


class _BadChunk(Exception):
    pass


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise _BadChunk("invalid byte in chunk length") from None
        if size == 0:
            # Trailers end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise _BadChunk("http: request body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _encode(request: Request, response: Response, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    version = "HTTP/1.0" if _http10(request) else "HTTP/1.1"
    headers = list(response.headers)
    if response.content_type:
        headers.append(("Content-Type", response.content_type))
    lines = [f"{version} {response.status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in sorted(headers))
    lines.append(f"Date: {formatdate(usegmt=True)}")
    body = response.body if response.status != 204 and request.method != "HEAD" else b""
    if response.status != 204 and not (request.method == "HEAD" and not response.body):
        lines.append(f"Content-Length: {len(response.body)}")
    if response.sniffed_type:
        lines.append(f"Content-Type: {response.sniffed_type}")
    if _http10(request):
        if keep_alive:
            lines.append("Connection: keep-alive")
    elif not keep_alive:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body
