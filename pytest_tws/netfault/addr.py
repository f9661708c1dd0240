"""``host:port`` parsing, resolution and formatting, following Go's ``net`` package."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket

from .errors import ApiError, internal


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


def _port_number(port: str, address: str) -> int:
    if port.isdigit():
        number = int(port)
        if number <= 65535:
            return number
    else:
        try:
            return socket.getservbyname(port, "tcp")
        except OSError:
            pass
    raise internal(f"address {address}: invalid port")


async def resolve(address: str) -> tuple[str, int]:
    """Resolve ``address`` to ``(ip, port)``; ``ip`` is "" for "any interface".

    Names prefer IPv4, as Go's ``ResolveTCPAddr("tcp", ...)`` does, and an empty address
    means any interface, any port.
    """
    if not address:
        return "", 0
    host, port_text = split_host_port(address)
    port = _port_number(port_text, address)
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
        raise internal(f"lookup {host}: no such host") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(infos[0][4][0]), port


def format_address(host: str, port: int) -> str:
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


async def normalise(address: str) -> str:
    """``address`` as Toxiproxy compares listens (``localhost:N`` == ``127.0.0.1:N``)."""
    return format_address(*await resolve(address))


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening socket; Go's error text on failure (``listen tcp A: bind: ...``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            # Re-enabling must get the same port back while old connections sit in TIME_WAIT.
            # On Windows this option would allow port stealing instead, so it is POSIX only.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise _listen_error(host, port, "bind", exc) from None
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _listen_error(host: str, port: int, op: str, exc: OSError) -> ApiError:
    reason = exc.strerror or str(exc)
    reason = reason[:1].lower() + reason[1:]
    return internal(f"listen tcp {format_address(host, port)}: {op}: {reason}")
