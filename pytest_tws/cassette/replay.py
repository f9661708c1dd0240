"""The replay server: serves a cassette to a client, no TWS needed.

Each connection the client opens is served from the recorded connection of the same rank.
The handshake is answered with the recorded version, or refused when the client cannot speak
it. Each request is matched (`matching.MatchRules`) against the recorded requests of that
connection not yet used; the answers recorded after it, up to the next recorded request, go
out at once (re-timed: no recorded pause is waited), re-keyed to the client's ids. A request
with no recorded match is answered with error 321 and kept in `failures` with the closest
recorded request side by side.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

from pytest_tws.cassette.decode import StreamDecoder
from pytest_tws.cassette.format import CLIENT, HANDSHAKE, SERVER_VERSION, Cassette, Entry
from pytest_tws.cassette.loopback import LoopbackServer
from pytest_tws.cassette.matching import IdMap, MatchRules, side_by_side, unify
from pytest_tws.fake.describe import describe_response
from pytest_tws.model.errors import Code, error_text
from pytest_tws.wire import protobuf
from pytest_tws.wire.fields import encode_fields
from pytest_tws.wire.framing import encode_binary_text_frame, encode_frame, encode_protobuf_frame
from pytest_tws.wire.messages import Out
from pytest_tws.wire.protobuf_codec import codec_for
from pytest_tws.wire.schema import Message
from pytest_tws.wire.schemas import RESPONSES
from pytest_tws.wire.versions import MIN_SERVER_VER_PROTOBUF

log = logging.getLogger("pytest_tws.cassette")

CHUNK = 65536
#: the code a request without a recorded answer gets (as TWS answers a request it cannot read)
NO_RECORDED_ANSWER = Code.MISSING_OR_INVALID
#: ... and an order: a rejection, which ends the order for the client (ib_async takes 321
#: on an order as a warning and would wait on it until the test times out)
NO_RECORDED_ORDER = Code.ORDER_REJECTED
PLACE_ORDER = "PLACE_ORDER"
NO_ID = -1


@dataclass
class _Step:
    request: Entry
    answers: list[Entry]
    used: bool = False


def script(entries: list[Entry]) -> tuple[list[Entry], list[_Step]]:
    """(answers before any request, [request and the answers recorded after it])."""
    opening: list[Entry] = []
    steps: list[_Step] = []
    for entry in entries:
        if entry.name in (HANDSHAKE, SERVER_VERSION):
            continue
        if entry.dir == CLIENT:
            steps.append(_Step(entry, []))
        elif steps:
            steps[-1].answers.append(entry)
        else:
            opening.append(entry)
    return opening, steps


class ReplayServer(LoopbackServer):
    """Serves `cassette` on 127.0.0.1:`port` (0: any free) until `stop`."""

    kind = "replay server"

    def __init__(self, cassette: Cassette, port: int = 0, rules: MatchRules | None = None,
                 name: str = "cassette") -> None:
        self.cassette = cassette
        self.rules = rules if rules is not None else MatchRules()
        self.name = name
        self.failures: list[str] = []
        """what went wrong, server side: refused versions, requests with no recorded answer"""
        super().__init__(port)

    def start(self) -> ReplayServer:
        self._listen()
        return self

    def stop(self) -> None:
        self._close_all()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, text: str) -> None:
        log.warning("replay of %s: %s", self.name, text)
        with self._lock:
            self.failures.append(text)

    def _on_client(self, client: socket.socket) -> None:
        index = self._hold(client)
        self._spawn(self._serve, f"replay-{index}", client, index)

    def _serve(self, sock: socket.socket, index: int) -> None:
        with contextlib.suppress(OSError):
            _Replay(self, sock, index).run()
        with contextlib.suppress(OSError):
            sock.close()


class _Replay:
    """One client connection served from recorded connection `index`."""

    def __init__(self, server: ReplayServer, sock: socket.socket, index: int) -> None:
        self.server = server
        self.sock = sock
        self.index = index
        connections = server.cassette.connections()
        self.entries = server.cassette.of(connections[index]) if index < len(connections) \
            else []
        versions = [e for e in self.entries if e.name == SERVER_VERSION]
        self.version_entry = versions[0] if versions else None
        self.version = int(versions[0].fields["serverVersion"]) if versions else 0
        self.opening, self.steps = script(self.entries)
        self.ids = IdMap(server.rules)
        self.placeholders = frozenset(server.cassette.meta.get("scrubbed") or ())
        self.learned: dict[str, str] = {}
        """scrubbed placeholder -> the value this client sent in its place"""
        self.decoder = StreamDecoder(CLIENT, index, time.monotonic())

    def run(self) -> None:
        if self.version_entry is None:
            self.server.fail(f"connection #{self.index + 1}: {self.server.name} recorded only "
                             f"{self.index} connection(s); record the test again")
            return
        while True:
            data = self.sock.recv(CHUNK)
            if not data:
                return
            for entry in self.decoder.feed(data, self.version):
                if not self.on_entry(entry):
                    return

    def on_entry(self, entry: Entry) -> bool:
        if entry.name == HANDSHAKE:
            low, high = int(entry.fields["minVersion"]), int(entry.fields["maxVersion"])
            if not low <= self.version <= high:
                self.server.fail(
                    f"connection #{self.index + 1}: the client negotiates v{low}..{high}, but "
                    f"{self.server.name} was recorded at v{self.version}: refused (record the "
                    f"cassette again with this client)")
                return False
            assert self.version_entry is not None and self.version_entry.raw is not None
            self.sock.sendall(encode_frame(self.version_entry.raw))
            self.send_all(self.opening)
            return True
        step = self.match(entry)
        if step is None:
            return True
        step.used = True
        self.ids.learn(step.request.fields, entry.fields)
        self.send_all(step.answers)
        return True

    def match(self, entry: Entry) -> _Step | None:
        rules = self.server.rules
        same = [s for s in self.steps if s.request.id == entry.id]
        for step in same:
            if step.used:
                continue
            learned: dict[str, str] = {}
            fields = unify(entry.fields, step.request.fields, self.placeholders, learned)
            if not rules.differences(fields, step.request.fields):
                self.learned.update(learned)
                return step
        pool = [s for s in same if not s.used] or same or self.steps

        def unified(step: _Step) -> dict[str, Any]:
            return dict(unify(entry.fields, step.request.fields, self.placeholders, {}))

        closest = min(pool, key=lambda s: len(rules.differences(unified(s), s.request.fields)),
                      default=None)
        recorded = closest.request.fields if closest is not None else None
        shown = unified(closest) if closest is not None else entry.fields
        differing = rules.differences(shown, recorded or {})
        what = (f"closest recorded: {closest.request.name}" if closest is not None
                else "nothing recorded on this connection")
        self.server.fail(
            f"no recorded answer for {entry.name} (connection #{self.index + 1}) in "
            f"{self.server.name}; {what}, differing in {', '.join(differing) or 'nothing'}:\n"
            + side_by_side(shown, recorded, differing))
        self.send_error(entry)
        return None

    def send_error(self, entry: Entry) -> None:
        req_id = next((v for k in ("reqId", "tickerId", "orderId", "id")
                       if isinstance(v := entry.fields.get(k), int)), NO_ID)
        text = (f"pytest-tws replay: no recorded answer for {entry.name} in "
                f"{self.server.name} (record the test again)")
        code = NO_RECORDED_ORDER if entry.name == PLACE_ORDER else NO_RECORDED_ANSWER
        if code == NO_RECORDED_ORDER:
            text = f"{error_text(code)}{text}"
        values = {"version": 2, "reqId": req_id, "errorCode": int(code),
                  "errorString": text, "advancedOrderRejectJson": "", "errorTime": 0}
        _, frame = codec_for(self.version).message(Message(RESPONSES[Out.ERR_MSG], values))
        self.sock.sendall(frame)

    def send_all(self, entries: list[Entry]) -> None:
        if entries:
            self.sock.sendall(b"".join(self.frame(entry) for entry in entries))

    def frame(self, entry: Entry) -> bytes:
        if entry.proto is not None:
            return encode_protobuf_frame(entry.id, self.rekey_proto(entry))
        fields = self.rekey_text(entry)
        if self.version >= MIN_SERVER_VER_PROTOBUF:
            return encode_binary_text_frame(fields)
        return encode_frame(fields)

    def rekey_text(self, entry: Entry) -> list[str]:
        raw = [self.learned.get(text, text) for text in entry.raw or []]
        rekeyed = self.ids.rekey(entry.name, entry.fields)
        if rekeyed == entry.fields:
            return raw
        try:
            schema = RESPONSES.get(Out(entry.id))
        except ValueError:
            schema = None
        if schema is None:
            return raw
        values = describe_response(entry.id, raw, self.version)  # typed, as the layout has them
        if encode_fields(schema.encode(values, self.version)) != raw:
            return raw  # the layout does not round-trip this message: keep it as recorded
        return encode_fields(schema.encode(self.ids.rekey(entry.name, values), self.version))

    def rekey_proto(self, entry: Entry) -> bytes:
        body = bytes.fromhex(entry.proto or "")
        try:
            message = protobuf.response_class(Out(entry.id))()
            message.ParseFromString(body)
        except Exception:
            return body
        changed = False
        for name in self.server.rules.renumbered:
            if name in message.DESCRIPTOR.fields_by_name:
                old = getattr(message, name)
                new = self.ids.new_value(entry.name, name, old)
                if new != old:
                    setattr(message, name, new)
                    changed = True
        return bytes(message.SerializeToString()) if changed else body
