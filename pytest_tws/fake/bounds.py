"""What one client may cost the fake, and the logged close past it; others are unaffected.

    accept ──► admit(): max_clients sockets already open? ──► closed at once, no message
          └──► handshake timer: no startApi within handshake_timeout ──► closed
    input ──► FrameReader(max_frame_bytes): a longer declared length ──► closed (bad input)
          └──► within_budget(): a partial message over max_buffered_bytes ──► closed
    output ──► transport high-water mark = max_buffered_bytes ──► pause_writing ──► closed
    startApi again ──► repeated_start_api(): logged, recorded as a server-side failure

Every limit lives in `Limits`. Every close names its reason in the log (``closing client …``).
An over-budget client is aborted, not closed gracefully, so its buffers are freed at once
rather than kept until a client that does not read has read them.

Sources: "each TWS session can receive up to 32 different client applications
simultaneously" (interactivebrokers.github.io/tws-api/connection.html, also IBKR Campus'
TWS API connectivity page). What TWS sends the 33rd is not in IBKR's docs, nor in the ib_async,
ib_insync or ibapi issue threads we searched, and neither is its answer to a second startApi
on one socket; so the fake closes the 33rd socket without a message (an ib_async client reports
"Peer closed connection" and its connect fails), and ignores a repeated startApi but records it,
so the test that sent it fails at teardown (a real client never sends it twice).
The frame and buffer limits are the fake's own: ibapi accepts messages up to 16 MiB
(``MAX_MSG_LEN``), real requests are under a few KB.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_tws.fake.backend import Backend
    from pytest_tws.fake.session import Session

log = logging.getLogger("pytest_tws.fake")

#: TWS's limit on simultaneous API clients (see the module docstring).
DEFAULT_MAX_CLIENTS = 32
#: Real seconds a client may take from TCP accept to startApi (ib_async's connect waits 4 s).
DEFAULT_HANDSHAKE_TIMEOUT = 10.0
#: The largest message a client may send: ~1000 times a combo placeOrder.
DEFAULT_MAX_FRAME_BYTES = 1024 * 1024
#: Bytes the fake holds for one client: an unfinished message plus output not yet read.
DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024


def admit(session: Session, transport: asyncio.Transport) -> bool:
    """At accept: refuse past ``max_clients``; else arm the handshake timeout and the output
    budget. Returns False when the socket was closed."""
    limits = session.backend.limits
    connected = len(session.backend.all_sessions)
    if connected >= limits.max_clients:
        cut(session, f"{connected} API clients are connected; TWS accepts at most "
                     f"{limits.max_clients} at once")
        return False
    transport.set_write_buffer_limits(high=limits.max_buffered_bytes)
    timer = asyncio.get_running_loop().call_later(
        limits.handshake_timeout, _handshake_overdue, session, limits.handshake_timeout)
    session.close_callbacks.append(lambda _session: timer.cancel())
    return True


def within_budget(session: Session, pending: int) -> bool:
    """After a read: False (and the client closed) when its unfinished message holds more
    than ``max_buffered_bytes``."""
    limit = session.backend.limits.max_buffered_bytes
    if pending <= limit:
        return True
    cut(session, f"{pending} bytes of an unfinished message buffered (limit {limit})")
    return False


def output_unread(session: Session, buffered: int) -> None:
    """The transport's write buffer passed ``max_buffered_bytes``: the client does not read."""
    limit = session.backend.limits.max_buffered_bytes
    cut(session, f"{buffered} bytes of output the client has not read (limit {limit})")


def repeated_start_api(session: Session, client_id: int) -> None:
    """A second startApi (asking for `client_id`) on a connection that already has one:
    logged and recorded."""
    detail = (f"startApi again (clientId {client_id}) on a connection already started as "
              f"clientId {session.client_id}; ignored, the connection keeps its clientId")
    log.warning("client %s (%s): %s", session.client_id, session.peer, detail)
    session.backend.transcript.fail("repeated startApi", detail, session.client_id)


def cut(session: Session, reason: str) -> None:
    """Close ``session`` now, freeing what it holds, with ``reason`` in the log."""
    session.drop(reason, level=logging.WARNING)


def buffered_bytes(backend: Backend) -> int:
    """Bytes held for all connected clients: unfinished input and unsent or unread output."""
    return sum(session.buffered_bytes for session in backend.all_sessions)


def _handshake_overdue(session: Session, timeout: float) -> None:
    if not session.ready and not session.closed:
        cut(session, f"no startApi within {timeout}s of connecting")
