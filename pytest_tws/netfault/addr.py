"""``host:port`` parsing, resolution and formatting, following Go's ``net`` package."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket

from .errors import ApiError, internal

DNS_PORT = 53
LISTEN_BACKLOG = 128
#: Hosts that mean "every interface" when given explicitly.
WILDCARDS = ("0.0.0.0", "::")


def split_host_port(address: str) -> tuple[str, str]:
    """Split ``host:port`` / ``[v6]:port`` like Go's ``net.SplitHostPort``."""
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise internal(f"address {address}: missing ']' in address")
        host, rest = address[1:end], address[end + 1 :]
        if not rest.startswith(":"):
            raise internal(f"address {address}: missing port in address")
        return host, rest[1:]
    if ":" not in address:
        raise internal(f"address {address}: missing port in address")
    host, port = address.rsplit(":", 1)
    if ":" in host:
        raise internal(f"address {address}: too many colons in address")
    return host, port


def _port_number(port: str) -> int:
    """Go's ``LookupPort``: a number up to 65535, or a service name; "" is 0."""
    if not port:
        return 0
    if port.isdigit():
        if int(port) <= 65535:
            return int(port)
        raise internal(f"address {port}: invalid port")
    try:
        return socket.getservbyname(port, "tcp")
    except OSError:
        raise internal(f"address tcp/{port}: unknown port") from None


def _nameserver() -> str | None:
    """The first resolv.conf nameserver, which Go's own resolver names in its errors."""
    if os.name != "posix":
        return None
    try:
        with open("/etc/resolv.conf", encoding="utf-8", errors="replace") as conf:
            for line in conf:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    return format_address(parts[1], DNS_PORT)
    except OSError:
        return None
    return None


def _no_such_host(host: str) -> ApiError:
    server = _nameserver()
    where = f" on {server}" if server else ""
    return internal(f"lookup {host}{where}: no such host")


async def resolve(address: str) -> tuple[str, int]:
    """Resolve ``address`` to ``(ip, port)`` like Go's ``ResolveTCPAddr("tcp", ...)``.

    ``ip`` is "" for "any interface"; names prefer IPv4; an empty address means any
    interface, any port. Errors carry Go's text without the ``listen tcp:`` prefix.
    """
    if not address:
        return "", 0
    host, port_text = split_host_port(address)
    port = _port_number(port_text)
    if not host:
        return "", port
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise _no_such_host(host) from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(infos[0][4][0]), port


def format_address(host: str, port: int) -> str:
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


async def normalise(address: str) -> str:
    """``address`` as Toxiproxy compares listens (``localhost:N`` == ``127.0.0.1:N``)."""
    return format_address(*await resolve(address))


def is_wildcard(host: str) -> bool:
    return host in WILDCARDS


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening socket; Go's error text on failure (``listen tcp A: bind: ...``).

    A wildcard host (``0.0.0.0`` or ``::``) listens dual-stack on ``::`` where IPv6 exists,
    as Go does, so it is then reported as ``[::]:PORT``.
    """
    if is_wildcard(host) and socket.has_ipv6:
        try:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        except OSError:
            sock = None  # no IPv6 here: Go falls back to IPv4 too
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            except OSError:
                sock.close()
                sock = None
        if sock is not None:
            return _bind(sock, "::", port, shown=host)
        host = "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return _bind(socket.socket(family, socket.SOCK_STREAM), host, port, shown=host)


def _bind(sock: socket.socket, host: str, port: int, shown: str) -> socket.socket:
    try:
        if os.name == "posix":
            # Re-enabling must get the same port back while old connections sit in TIME_WAIT.
            # On Windows this option would allow port stealing instead, so it is POSIX only.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise _listen_error(shown, port, "bind", exc) from None
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _listen_error(host: str, port: int, op: str, exc: OSError) -> ApiError:
    reason = exc.strerror or str(exc)
    reason = reason[:1].lower() + reason[1:]
    return internal(f"listen tcp {format_address(host, port)}: {op}: {reason}")
