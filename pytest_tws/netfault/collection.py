"""All proxies of one server, with Toxiproxy's add / replace / populate / reset rules."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .addr import normalise
from .errors import ApiError, proxy_exists, proxy_not_found
from .proxy import Proxy


@dataclass
class ProxySpec:
    """A proxy as requested by POST /proxies or one /populate entry."""

    name: str
    listen: str
    upstream: str
    enabled: bool = True


class ProxyCollection:
    def __init__(self, rng: random.Random, default_host: str) -> None:
        self.rng = rng
        self.default_host = default_host
        self.proxies: dict[str, Proxy] = {}
        """name -> proxy"""

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise proxy_not_found()
        return proxy

    def _new(self, spec: ProxySpec) -> Proxy:
        return Proxy(spec.name, spec.listen, spec.upstream, self.rng, self.default_host)

    async def add(self, spec: ProxySpec) -> Proxy:
        """Create and (unless disabled) start a proxy; nothing is kept if the start fails."""
        if spec.name in self.proxies:
            raise proxy_exists()
        proxy = self._new(spec)
        if spec.enabled:
            await proxy.start()
        self.proxies[spec.name] = proxy
        return proxy

    async def add_or_replace(self, spec: ProxySpec) -> Proxy:
        """Populate rule: an identical proxy (resolved listen + upstream) is left untouched."""
        existing = self.proxies.get(spec.name)
        if existing is not None:
            listen = await normalise(spec.listen)  # its error is the answer, as in Go
            if existing.listen == listen and existing.upstream == spec.upstream:
                return existing
            await existing.stop()
        proxy = self._new(spec)
        if spec.enabled:
            await proxy.start()
        self.proxies[spec.name] = proxy
        return proxy

    async def populate(self, specs: list[ProxySpec]) -> tuple[list[Proxy], ApiError | None]:
        """Apply entries in order; stop at the first failure, keeping what was done before."""
        done: list[Proxy] = []
        for spec in specs:
            try:
                done.append(await self.add_or_replace(spec))
            except ApiError as exc:
                return done, exc
        return done, None

    async def remove(self, name: str) -> None:
        proxy = self.get(name)
        await proxy.stop()
        del self.proxies[name]

    async def reset(self) -> None:
        """Start every disabled proxy, then remove every toxic (flushing, never dropping)."""
        for name in sorted(self.proxies):
            proxy = self.proxies[name]
            await proxy.start()
            await proxy.reset_toxics()

    async def close(self) -> None:
        for proxy in list(self.proxies.values()):
            await proxy.stop()
        self.proxies.clear()
