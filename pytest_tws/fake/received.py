"""What the fake received: every request since the last reset, for `FakeTWS.requests()` and
`FakeTWS.assert_received()` (as pytest-httpserver lets a test assert on requests).

Recording is cheap (a tuple per request, on the fake's loop); decoding into IBKR's field
names happens on reading, through `pytest_tws.fake.describe.describe_request`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pytest_tws.fake.describe import describe_request
from pytest_tws.fake.names import resolve_request
from pytest_tws.wire.messages import In

__all__ = ["ReceivedRequest", "RequestLog", "match_request", "received_diff"]

#: Requests kept per test (a test sending more keeps the first ones and counts the rest).
MAX_REQUESTS = 20_000
_ID_BY_TEXT = {str(int(m)): m for m in In}


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the fake received it.

    Attributes:
        name: TWS's message name, e.g. ``"PLACE_ORDER"``.
        client_id: The clientId of the session that sent it (None before startApi).
        time: When, on the fake's clock.
        fields: The request's fields by IBKR's names (contract fields nested under
            ``"contract"``), e.g. ``fields["lmtPrice"]``.
        raw: The frame's text fields, message id first.
        server_version: The version negotiated with that client.
    """

    name: str
    client_id: int | None
    time: datetime
    fields: Mapping[str, Any]
    raw: tuple[str, ...]
    server_version: int

    @property
    def message_id(self) -> In | None:
        return _ID_BY_TEXT.get(self.raw[0]) if self.raw else None

    def __str__(self) -> str:
        who = "-" if self.client_id is None else str(self.client_id)
        return f"client {who} {self.name} {format_fields(self.fields)}"


def format_fields(fields: Mapping[str, Any], limit: int = 240) -> str:
    """``orderId=5 contract={symbol=SPY secType=STK} action=BUY``, skipping empty values."""
    parts: list[str] = []
    for key, value in fields.items():
        if isinstance(value, Mapping):
            inner = format_fields(value, limit)
            if inner:
                parts.append(f"{key}={{{inner}}}")
        elif value not in ("", None):
            parts.append(f"{key}={value}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[:limit] + "…"


class RequestLog:
    """Requests in arrival order; appended on the fake's loop, read from any thread."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._raw: list[tuple[int | None, int, datetime, Sequence[str]]] = []
        self.dropped = 0
        self._lock = threading.Lock()

    def record(self, client_id: int | None, server_version: int, fields: Sequence[str]) -> None:
        with self._lock:
            if len(self._raw) >= MAX_REQUESTS:
                self.dropped += 1
                return
            # a protobuf request (ProtoFrame) is kept as it is: its values are in .message
            kept = fields if hasattr(fields, "message") else tuple(fields)
            self._raw.append((client_id, server_version, self._now(), kept))

    def clear(self) -> None:
        with self._lock:
            self._raw.clear()
            self.dropped = 0

    def __len__(self) -> int:
        return len(self._raw)

    def requests(
        self, name: In | str | None = None, client_id: int | None = None
    ) -> list[ReceivedRequest]:
        """Decoded requests, oldest first, of one kind and/or one client when given.

        Raises:
            ValueError: ``name`` is no request's name (the message lists valid spellings).
        """
        wanted = None if name is None else resolve_request(name)
        with self._lock:
            raw = list(self._raw)
        out: list[ReceivedRequest] = []
        for who, version, when, fields in raw:
            message_id = _ID_BY_TEXT.get(fields[0]) if fields else None
            if wanted is not None and message_id is not wanted:
                continue
            frame = cast("list[str]", fields) if hasattr(fields, "message") else list(fields)
            decoded = describe_request(int(message_id), frame, version) if (
                message_id is not None) else {}
            if who is None and message_id is In.START_API:
                claimed = decoded.get("clientId")  # the session has no clientId before it
                who = claimed if isinstance(claimed, int) else None
            if client_id is not None and who != client_id:
                continue
            label = message_id.name if message_id is not None else f"?{fields[0] if fields else ''}"
            out.append(ReceivedRequest(label, who, when, decoded, tuple(fields), version))
        return out

    def summary(self) -> str:
        """``START_API (1), REQ_IDS (1), PLACE_ORDER (2)`` in first-seen order."""
        with self._lock:
            names = [(_ID_BY_TEXT.get(f[0]) if f else None) for _, _, _, f in self._raw]
        counts = Counter(m.name if m is not None else "?" for m in names)
        return ", ".join(f"{n} ({c})" for n, c in counts.items()) or "nothing"


# -- matching -------------------------------------------------------------------------------

_MISSING = object()


def _lookup(fields: Mapping[str, Any], key: str) -> Any:
    """A field by name; a contract field may be named directly (``symbol="SPY"``)."""
    if key in fields:
        return fields[key]
    contract = fields.get("contract")
    if isinstance(contract, Mapping) and key in contract:
        return contract[key]
    return _MISSING


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            _same(v, actual.get(k, _MISSING)) for k, v in expected.items()
        )
    if actual is _MISSING:
        return False
    if expected == actual:
        return True
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.upper() == actual.upper()  # "buy" is BUY, as TWS reads it
    return False


def mismatches(request: ReceivedRequest, expected: Mapping[str, Any]) -> list[str]:
    """One line per expected field the request does not have as expected."""
    lines = []
    for key, want in expected.items():
        got = _lookup(request.fields, key)
        if not _same(want, got):
            shown = "(no such field)" if got is _MISSING else repr(got)
            lines.append(f"    {key}: expected {want!r}, got {shown}")
    return lines


def match_request(
    candidates: Sequence[ReceivedRequest], expected: Mapping[str, Any]
) -> ReceivedRequest | None:
    """The first request having every expected field, or None."""
    for request in candidates:
        if not mismatches(request, expected):
            return request
    return None


def received_diff(
    name: str, candidates: Sequence[ReceivedRequest], expected: Mapping[str, Any], log: RequestLog
) -> str:
    """Why no request matched: the closest one and its differing fields."""
    wanted = ", ".join(f"{k}={v!r}" for k, v in expected.items())
    head = f"no {name} request with {wanted or 'any fields'} was received"
    if not candidates:
        return f"{head}: the fake received no {name} at all (it received: {log.summary()})"
    closest = min(candidates, key=lambda r: len(mismatches(r, expected)))
    lines = [f"{head}; {len(candidates)} {name} received, the closest:",
             f"  {closest}", *mismatches(closest, expected)]
    return "\n".join(lines)
