"""One client connection: handshake, framing, the rate limit, and dispatch to handlers.

    bytes ─► HandshakeReader ─► FrameReader ─► rate limit ─► HANDLERS[In] ─► layouts ─► bytes

A client that sends something undecodable is closed with a logged reason; nothing it does
can disturb another session.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from pytest_tws.fake import bounds
from pytest_tws.fake.backend import Backend
from pytest_tws.fake.guards import Guard, Request, unschemed_request_id
from pytest_tws.fake.layouts import Fields, Payload, error
from pytest_tws.fake.pacing import MessageRateLimit
from pytest_tws.fake.transcript import Frame
from pytest_tws.fake.unimplemented import answer_unimplemented
from pytest_tws.model.errors import NO_REQUEST_ID, Code, TwsError, error_text
from pytest_tws.wire.fields import FieldError, FieldReader, encode_fields
from pytest_tws.wire.framing import FrameError, FrameReader
from pytest_tws.wire.handshake import SERVER_MAX_VERSION, HandshakeError, HandshakeReader
from pytest_tws.wire.messages import In
from pytest_tws.wire.protobuf_codec import codec_for, decode_request, negotiate, served_ceiling
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas import REQUESTS

log = logging.getLogger("pytest_tws.fake")

Handler = Callable[["Session", Any], None]
"""A message with a schema (pytest_tws.wire.schemas) is handed to its handler as the decoded
values (a dict of IBKR field names) at the session's version; one without, as a FieldReader."""


#: "71" -> In.START_API …: ids as clients write them
_IN_BY_TEXT = {str(int(message_id)): message_id for message_id in In}


class UnimplementedMessage(Exception):
    """A well-formed request this fake does not implement (yet)."""

    def __init__(self, message_id: In) -> None:
        super().__init__(f"{message_id.name} (id {int(message_id)}) is not implemented")


class Session(asyncio.Protocol):
    """The fake's side of one client socket."""

    def __init__(self, backend: Backend, handlers: Mapping[In, Handler],
                 guards: Sequence[Guard] = (), *, max_version: int = SERVER_MAX_VERSION) -> None:
        self.backend = backend
        self.max_version = max_version
        """the highest version this session may negotiate (FakeTWS's max_server_version)"""
        self._handlers = handlers
        self._guards = tuple(guards)
        self._handshake: HandshakeReader | None = HandshakeReader()
        self._frames: Any = FrameReader(backend.limits.max_frame_bytes)
        self._codec = codec_for(0)
        self._rate = MessageRateLimit(
            backend.limits.messages_per_second, kick_after=backend.limits.kick_after_windows
        )
        self._transport: asyncio.Transport | None = None
        self._outgoing: list[bytes] = []
        """frames not yet written: one socket write per batch, not per message"""
        self._flush_scheduled = False
        self.peer = "?"
        self.server_version = 0
        self.client_id: int | None = None
        self.ready = False
        """startApi accepted: the client may be sent anything"""
        self.closed = False
        self.state: dict[str, Any] = {}
        """area name -> per-session state of an area of handlers (subscriptions, …)"""
        self.close_callbacks: list[Callable[[Session], None]] = []
        self.close_reason = ""

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        if not bounds.admit(self, transport):
            return
        self.backend.all_sessions.add(self)
        log.info("client connected from %s", self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.ready = False
        self.backend.release(self)
        for callback in self.close_callbacks:
            try:
                callback(self)
            except Exception:
                log.exception("close callback failed for client %s", self.client_id)
        reason = self.close_reason or (f"lost: {exc}" if exc else "closed by the client")
        log.info("client %s (%s) disconnected (%s)", self._who(), self.peer, reason)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            if self._handshake is not None:
                handshake, data = self._handshake.feed(data)
                if handshake is None:
                    return
                self._handshake = None
                self.server_version = negotiate(handshake, served_ceiling(self._handlers),
                                                self.max_version)
                log.debug("handshake from %s: %s -> v%d", self.peer, handshake, self.server_version)
                self._write(
                    [self.server_version, self.backend.connection_time_text()], "SERVER_VERSION"
                )
                self._codec = codec_for(self.server_version)  # binary ids / protobuf from 201
                self._frames = self._codec.reader(self._frames)
            frames = self._frames.feed(data)
        except (HandshakeError, FrameError) as exc:
            self.close(f"bad input: {exc}", failure=True)
            return
        if not bounds.within_budget(self, self._frames.pending):
            return
        flush_pending = self._flush_scheduled
        self._flush_scheduled = True  # answers queue up and go out in the flush below
        for fields in frames:
            self._on_frame(fields)
            if self.closed:
                break
        if not flush_pending:
            self.flush()

    # sending

    def send(self, fields: Fields | Payload | Message) -> None:
        """Send one message; quietly nothing if the socket is already gone. A `Message` is
        encoded for this client's negotiated version."""
        if self._transport is None or self.closed or self._transport.is_closing():
            return
        kind = type(fields)
        if kind is Payload:
            self._queue(fields, self._codec.payload(fields))  # type: ignore[arg-type]
        elif kind is Message:
            self._queue(*self._codec.message(cast(Message, fields)))
        else:
            self._write(fields)  # type: ignore[arg-type]

    def send_repeated(self, fields: Fields | Message) -> None:
        """`send` for a message sent again and again with the same fields (account values at
        every connect): its encoding is remembered instead of redone."""
        if self._transport is None or self.closed or self._transport.is_closing():
            return
        self._queue(*self._codec.repeated(fields))

    def send_repeated_all(self, messages: Iterable[Message]) -> None:
        """`send_repeated` for a batch (the account rows at every connect), in one step."""
        if self._transport is None or self.closed or self._transport.is_closing():
            return
        encoded = [self._codec.repeated(m) for m in messages]
        if not encoded:
            return
        self.backend.transcript.record_many("<<", self.client_id, [f for f, _ in encoded])
        if log.isEnabledFor(logging.DEBUG):
            for fields, _ in encoded:
                log.debug("%s", Frame("<<", self.client_id, tuple(fields), ""))
        self._outgoing.extend(frame for _, frame in encoded)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def send_error(self, req_id: int, code: Code | int, text: str | None = None) -> None:
        text = text if text is not None else error_text(Code(code))
        self.send(error(req_id, int(code), text, self.backend.epoch_millis()))

    def flush(self) -> None:
        """Write every queued frame now, in one socket write."""
        self._flush_scheduled = False
        if self._outgoing and self._transport is not None and not self._transport.is_closing():
            self._transport.write(b"".join(self._outgoing))
        self._outgoing.clear()

    def pause_writing(self) -> None:
        """asyncio: the client has not read `Limits.max_buffered_bytes` of output."""
        transport = self._transport
        bounds.output_unread(self, transport.get_write_buffer_size() if transport else 0)

    @property
    def buffered_bytes(self) -> int:
        """What this client costs in buffers: unfinished input, queued and unsent output."""
        unsent = self._transport.get_write_buffer_size() if self._transport else 0
        return self._frames.pending + sum(map(len, self._outgoing)) + unsent

    def close(self, reason: str, failure: bool = False) -> None:
        """Close this client (its pending output is flushed first) with a logged reason."""
        if self.closed:
            return
        self.flush()
        self.closed = True
        self.close_reason = reason
        log.warning("closing client %s (%s): %s", self._who(), self.peer, reason)
        if failure:
            self.backend.transcript.fail("bad input", reason, self.client_id)
        if self._transport is not None:
            self._transport.close()

    def drop(self, reason: str = "dropped by the fake", level: int = logging.INFO) -> None:
        """Cut the socket at once with no message, as a crashing or restarting TWS does."""
        if not self.closed:
            self.close_reason = reason
            log.log(level, "closing client %s (%s): %s", self._who(), self.peer, reason)
        self.closed = True
        self._outgoing.clear()
        if self._transport is not None:
            self._transport.abort()

    # internals

    def _who(self) -> str:
        return "?" if self.client_id is None else str(self.client_id)

    def _write(self, values: Fields, label: str = "") -> None:
        fields = encode_fields(values)
        self._queue(fields, self._codec.frame(fields), label)

    def _queue(self, fields: Sequence[str] | Payload, frame: bytes, label: str = "") -> None:
        self.backend.transcript.record("<<", self.client_id, fields, label)
        if log.isEnabledFor(logging.DEBUG):
            text = fields.fields if isinstance(fields, Payload) else fields
            log.debug("%s", Frame("<<", self.client_id, tuple(text), label))
        self._outgoing.append(frame)
        if not self._flush_scheduled:
            # Sends from timers and control calls are flushed once the current step is done.
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def _on_frame(self, fields: list[str]) -> None:
        self.backend.transcript.record(">>", self.client_id, fields)
        self.backend.requests.record(self.client_id, self.server_version, fields)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", Frame(">>", self.client_id, tuple(fields)))
        verdict = self._rate.record(self.backend.wall_monotonic())
        if verdict.exceeded:
            text = error_text(
                Code.MAX_RATE_EXCEEDED, self._rate.limit, verdict.received, verdict.violations
            )
            self.send_error(NO_REQUEST_ID, Code.MAX_RATE_EXCEEDED, text)
        if verdict.disconnect:
            self.close(f"message rate over {self._rate.limit}/s in {verdict.violations} windows")
            return
        message_id = _IN_BY_TEXT.get(fields[0])
        if message_id is None:
            self.close(f"unknown message id {fields[0]!r}", failure=True)
            return
        if not self.ready and message_id is not In.START_API:
            log.warning("client at %s sent %s before startApi; ignored", self.peer, message_id.name)
            return
        self._dispatch(message_id, fields)

    def _dispatch(self, message_id: In, fields: list[str]) -> None:
        handler = self._handlers.get(message_id)
        schema = REQUESTS.get(message_id)
        try:
            if schema is None:
                values = None
                req_id = unschemed_request_id(message_id, fields)
            else:
                values = decode_request(schema, fields, self.server_version)
                req_id = schema.request_id(values, NO_REQUEST_ID)
            request = Request(message_id, fields, values, req_id)
            for guard in self._guards:
                if guard(self, request):
                    return
            if handler is None:
                raise UnimplementedMessage(message_id)
            handler(self, FieldReader(fields, 1) if values is None else values)
        except TwsError as exc:
            self.send_error(exc.req_id, exc.code, exc.message)
        except FieldError as exc:
            log.warning("client %s: %s does not fit its layout at v%d: %s", self._who(),
                        message_id.name, self.server_version, exc)
            self.backend.transcript.fail(
                "undecodable request", f"{message_id.name}: {exc}", self.client_id
            )
            text = error_text(Code.MISSING_OR_INVALID, exc.name, exc)
            partial = getattr(exc, "partial", {})
            req_id = NO_REQUEST_ID if schema is None else schema.request_id(partial, NO_REQUEST_ID)
            self.send_error(req_id, Code.MISSING_OR_INVALID, text)
        except UnimplementedMessage as exc:
            log.warning("client %s: %s", self._who(), exc)
            self.backend.transcript.fail("unimplemented request", str(exc), self.client_id)
            answer_unimplemented(self, message_id, fields)
        except Exception as exc:
            log.exception("handler for %s failed", message_id.name)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.backend.transcript.fail(
                "handler exception", f"{message_id.name}: {detail}", self.client_id
            )

