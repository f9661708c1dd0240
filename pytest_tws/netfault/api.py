"""Toxiproxy's REST API (v2.12.0): routing, JSON bodies and Go-compatible responses."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .collection import ProxyCollection, ProxySpec
from .errors import ApiError, bad_request, missing_field, toxic_not_found
from .httpd import Request, Response
from .jsonutil import (
    BOOL,
    STRING,
    GoStruct,
    decode_body,
    decode_struct,
    decode_struct_array,
    go_dumps,
)
from .proxy import Proxy
from .toxics import Toxic, parse_new_toxic, parse_toxic_update

VERSION = "2.12.0"
#: Toxiproxy wraps its handlers in http.TimeoutHandler(next, 25*time.Second, "").
HANDLER_TIMEOUT = 25.0
TIMEOUT_BODY = b"<html><head><title>Timeout</title></head><body><h1>Timeout</h1></body></html>"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"

Handler = Callable[..., Awaitable[Response]]
#: Characters Go's URL.EscapedPath leaves alone in a path.
_PATH_SAFE = "/!$&'()*+,;=:@~"


def _request_id() -> str:
    # hlog.RequestIDHandler: a 20-character xid.
    return uuid.uuid4().hex[:20]


def json_response(status: int, value: Any) -> Response:
    return Response(status, go_dumps(value), JSON)


def text_response(status: int, text: str) -> Response:
    # What Go's http.Error sends.
    return Response(status, text.encode(), TEXT, [("X-Content-Type-Options", "nosniff")])


def error_response(error: ApiError) -> Response:
    body = go_dumps({"error": error.message, "status": error.status}).decode() + "\n"
    return text_response(error.status, body)


_PROXY_FIELDS: dict[str, str | GoStruct] = {
    "name": STRING,
    "listen": STRING,
    "upstream": STRING,
    "enabled": BOOL,
    # Toxiproxy's Proxy struct exports its logger (serialised as {}), so JSON can name it.
    "Logger": GoStruct("Logger", "zerolog.Logger"),
}
_PROXY = GoStruct("Proxy", "toxiproxy.Proxy", _PROXY_FIELDS)
#: One /populate entry: Go's anonymous struct embedding Proxy, with a nullable enabled.
_POPULATE_ENTRY = GoStruct(
    "", 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }', _PROXY_FIELDS
)


def _decode(request: Request) -> Any:
    if request.body_error is not None:
        raise bad_request(request.body_error)
    return decode_body(request.body)


def clean_path(path: str) -> str:
    """gorilla/mux's ``cleanPath``: Go's ``path.Clean``, keeping a trailing slash."""
    if not path:
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    cleaned = "/" + "/".join(parts)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


def _proxy_spec(fields: dict[str, Any], defaults: ProxySpec) -> ProxySpec:
    return ProxySpec(
        name=fields.get("name", defaults.name),
        listen=fields.get("listen", defaults.listen),
        upstream=fields.get("upstream", defaults.upstream),
        enabled=fields.get("enabled", defaults.enabled),
    )


class Api:
    """Maps requests to the proxy collection. Handlers run one at a time, like Go's locks."""

    def __init__(
        self, collection: ProxyCollection, handler_timeout: float = HANDLER_TIMEOUT
    ) -> None:
        self.collection = collection
        self.handler_timeout = handler_timeout
        self._lock = asyncio.Lock()
        self._routes: list[tuple[tuple[str, ...], dict[str, Handler]]] = [
            (("proxies",), {"GET": self.proxy_index, "POST": self.proxy_create}),
            (("populate",), {"POST": self.populate}),
            (("reset",), {"POST": self.reset}),
            (("version",), {"GET": self.version}),
            (
                ("proxies", "*"),
                {
                    "GET": self.proxy_show,
                    "POST": self.proxy_update,
                    "PATCH": self.proxy_update,
                    "DELETE": self.proxy_delete,
                },
            ),
            (("proxies", "*", "toxics"), {"GET": self.toxic_index, "POST": self.toxic_create}),
            (
                ("proxies", "*", "toxics", "*"),
                {
                    "GET": self.toxic_show,
                    "POST": self.toxic_update,
                    "PATCH": self.toxic_update,
                    "DELETE": self.toxic_delete,
                },
            ),
        ]

    async def handle(self, request: Request) -> Response:
        """Route a request the way gorilla/mux does for Toxiproxy.

        Toxiproxy's middlewares (request id, the browser check) run only for a matched route,
        so 404 and 405 answers carry no request id and ignore the user agent.
        """
        if request.target.startswith("/"):
            # Origin form: "//x" is a path here, not an authority (Go's ParseRequestURI).
            raw_path, _, raw_query = request.target.partition("?")
        else:
            target = urlsplit(request.target)
            raw_path, raw_query = target.path, target.query
        path = unquote(raw_path)  # mux matches the decoded path: a%2Fb is a/b
        cleaned = clean_path(path)
        if cleaned != path:
            query = f"?{raw_query}" if raw_query else ""
            location = quote(cleaned, safe=_PATH_SAFE) + query
            return Response(301, headers=[("Location", location)])
        segments = path.split("/")[1:]
        for pattern, handlers in self._routes:
            handler = handlers.get(request.method)
            if handler is None or not self._matches(pattern, segments):
                continue  # mux tries the remaining routes, then answers 405 or 404
            args = [s for p, s in zip(pattern, segments, strict=True) if p == "*"]
            response = await self._run(request, handler, args)
            response.headers.append(("X-Toxiproxy-Request-Id", _request_id()))
            return response
        if any(self._matches(pattern, segments) for pattern, _ in self._routes):
            return Response(405)
        return text_response(404, "404 page not found\n")

    @staticmethod
    def _matches(pattern: tuple[str, ...], segments: list[str]) -> bool:
        return len(pattern) == len(segments) and all(
            s and (p == "*" or p == s) for p, s in zip(pattern, segments, strict=True)
        )

    async def _run(self, request: Request, handler: Handler, args: list[str]) -> Response:
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            return text_response(403, "User agent not allowed\n")
        task = asyncio.get_running_loop().create_task(self._locked(handler, request, args))
        done, _ = await asyncio.wait({task}, timeout=self.handler_timeout)
        if not done:
            # http.TimeoutHandler answers; the handler runs on (its effect still happens).
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            return Response(503, TIMEOUT_BODY, sniffed_type="text/html; charset=utf-8")
        return task.result()

    async def _locked(self, handler: Handler, request: Request, args: list[str]) -> Response:
        if handler == self.version:
            return await handler(request)  # Toxiproxy's Version takes no lock
        async with self._lock:
            try:
                return await handler(request, *args)
            except ApiError as exc:
                return error_response(exc)

    # -- proxies -------------------------------------------------------------------------

    async def proxy_index(self, request: Request) -> Response:
        proxies = self.collection.proxies
        return json_response(200, {name: proxies[name].to_json() for name in sorted(proxies)})

    async def proxy_create(self, request: Request) -> Response:
        fields = decode_struct(_decode(request), _PROXY)
        spec = _proxy_spec(fields, ProxySpec("", "", ""))
        if not spec.name:
            raise missing_field("name")
        if not spec.upstream:
            raise missing_field("upstream")
        proxy = await self.collection.add(spec)
        return json_response(201, proxy.to_json())

    async def populate(self, request: Request) -> Response:
        try:
            specs = self._populate_specs(_decode(request))
        except ApiError as exc:
            return self._populate_response([], exc)
        proxies, error = await self.collection.populate(specs)
        return self._populate_response(proxies, error)

    @staticmethod
    def _populate_specs(value: object) -> list[ProxySpec]:
        entries = decode_struct_array(value, _POPULATE_ENTRY)
        specs = [_proxy_spec(entry, ProxySpec("", "", "")) for entry in entries]
        # Everything is validated before anything is created.
        for number, spec in enumerate(specs, 1):
            if not spec.name:
                raise missing_field(f"name at proxy {number}")
            if not spec.upstream:
                raise missing_field(f"upstream at proxy {number}")
        return specs

    @staticmethod
    def _populate_response(proxies: list[Proxy], error: ApiError | None) -> Response:
        body: dict[str, Any] = {}
        if error is not None:
            body = {"error": error.message, "status": error.status}
        body["proxies"] = [proxy.to_json() for proxy in proxies] or None
        return json_response(error.status if error else 201, body)

    async def proxy_show(self, request: Request, name: str) -> Response:
        return json_response(200, self.collection.get(name).to_json())

    async def proxy_update(self, request: Request, name: str) -> Response:
        proxy = self.collection.get(name)
        fields = decode_struct(_decode(request), _PROXY)
        spec = _proxy_spec(
            fields, ProxySpec(proxy.name, proxy.listen, proxy.upstream, proxy.enabled)
        )
        await proxy.update(spec.listen, spec.upstream, spec.enabled)
        return json_response(200, proxy.to_json())

    async def proxy_delete(self, request: Request, name: str) -> Response:
        await self.collection.remove(name)
        return Response(204)

    async def reset(self, request: Request) -> Response:
        await self.collection.reset()
        return Response(204)

    async def version(self, request: Request) -> Response:
        body = f'{{"version": "{VERSION}"}}\n'.encode()
        return Response(200, body, "application/json;charset=utf-8")

    # -- toxics --------------------------------------------------------------------------

    def _toxic(self, proxy_name: str, toxic_name: str) -> tuple[Proxy, Toxic]:
        proxy = self.collection.get(proxy_name)
        toxic = proxy.find_toxic(toxic_name)
        if toxic is None:
            raise toxic_not_found()
        return proxy, toxic

    async def toxic_index(self, request: Request, name: str) -> Response:
        proxy = self.collection.get(name)
        return json_response(200, [toxic.to_json() for toxic in proxy.toxics()])

    async def toxic_create(self, request: Request, name: str) -> Response:
        proxy = self.collection.get(name)
        body = _decode(request)
        toxic = parse_new_toxic(body, lambda n: proxy.find_toxic(n) is not None)
        proxy.add_toxic(toxic)
        return json_response(200, toxic.to_json())

    async def toxic_show(self, request: Request, name: str, toxic_name: str) -> Response:
        _, toxic = self._toxic(name, toxic_name)
        return json_response(200, toxic.to_json())

    async def toxic_update(self, request: Request, name: str, toxic_name: str) -> Response:
        proxy, toxic = self._toxic(name, toxic_name)
        update = parse_toxic_update(_decode(request), toxic)
        proxy.update_toxic(toxic, update)
        return json_response(200, toxic.to_json())

    async def toxic_delete(self, request: Request, name: str, toxic_name: str) -> Response:
        proxy, toxic = self._toxic(name, toxic_name)
        await proxy.remove_toxic(toxic)
        return Response(204)
