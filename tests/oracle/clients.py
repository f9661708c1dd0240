"""The clients as oracles: their own encoders and decoders driven in-process, no socket.

- `encode_request(client, version, method, *args)`: call the client's request method (ibapi's
  `EClient`, ib_async's or ib_insync's `Client`) as if connected at server `version` and return
  the fields it would have sent, message id first, as text.
- `decode_response(client, version, fields)`: feed one message's fields to the client's own
  decoder at `version` and return the wrapper calls it made. ibapi's processing methods get an
  iterator that must be exhausted afterwards: the field count is proven exactly.
- `mismatches(values, obj)`: every schema value compared with the client object's attribute of
  the same name (IBKR's names on both sides), after normalising the clients' "unset" spellings.
"""

from __future__ import annotations

import functools
import importlib
import math
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from pytest_tws.wire.versions import TEXT_PROTOCOL_MAX

UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1
UNSET_LONG = 2**63 - 1

#: The server versions every layout is proven at (and where gates of implemented messages fall).
TEXT_VERSIONS = (100, 151, 157, 163, 170, 173, 176, 178, 187, 193, TEXT_PROTOCOL_MAX)
#: What each client can negotiate (its announced range, capped at the text protocol).
CLIENT_RANGES = {
    "ibapi": (100, TEXT_PROTOCOL_MAX),
    "ib_async": (157, 178),
    "ib_insync": (157, 176),
}
CLIENTS = tuple(CLIENT_RANGES)


def available(client: str) -> bool:
    module = "ibapi" if client == "ibapi" else client
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def client_versions(clients: Iterable[str] = CLIENTS,
                    versions: Iterable[int] = TEXT_VERSIONS) -> list[Any]:
    """pytest params `(client, version)` for every version each client can speak."""
    params = []
    for client in clients:
        low, high = CLIENT_RANGES[client]
        marks = [] if available(client) else [pytest.mark.skip(reason=f"{client} not installed")]
        for version in versions:
            if low <= version <= high:
                params.append(pytest.param(client, version, id=f"{client}-v{version}",
                                           marks=marks))
    return params


# -- encoders -------------------------------------------------------------------------------


class _Conn:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def isConnected(self) -> bool:
        return True

    def sendMsg(self, msg: bytes) -> None:
        self.sent.append(msg)


def _ibapi_fields(frame: bytes) -> list[str]:
    (length,) = struct.unpack(">I", frame[:4])
    text = frame[4 : 4 + length].decode()
    fields = text.split("\0")[:-1]
    # On Python 3.10 ibapi writes str(IntEnum) ("OUT.REQ_IDS") as the id; the rest is intact.
    return fields


def encode_request(client: str, version: int, method: str, *args: Any,
                   message_id: int | None = None,
                   attrs: Mapping[str, Any] | None = None) -> list[str]:
    """The fields `client` sends for `method(*args)` at server `version`; `attrs` are set on
    the client first (startApi sends its `clientId` and `optCapab`)."""
    if client == "ibapi":
        from ibapi.client import EClient
        from ibapi.wrapper import EWrapper

        errors: list[tuple[Any, ...]] = []

        class _Wrapper(EWrapper):  # type: ignore[misc]
            def error(self, *a: Any) -> None:
                errors.append(a)

        eclient = EClient(_Wrapper())
        conn = _Conn()
        eclient.conn = conn
        eclient.serverVersion_ = version
        eclient.connState = EClient.CONNECTED
        for name, value in (attrs or {}).items():
            setattr(eclient, name, value)
        getattr(eclient, method)(*args)
        if errors:
            raise AssertionError(f"ibapi refused {method} at v{version}: {errors}")
        (frame,) = conn.sent
        fields = _ibapi_fields(frame)
        if message_id is not None:
            fields[0] = str(message_id)
        return fields
    module = importlib.import_module(f"{client}.client")
    sent: list[str] = []
    iclient = module.Client(_Recorder())
    iclient.connState = module.Client.CONNECTED
    iclient._serverVersion = version
    iclient.sendMsg = sent.append
    for name, value in (attrs or {}).items():
        setattr(iclient, name, value)
    getattr(iclient, method)(*args)
    (msg,) = sent
    return msg.split("\0")[:-1]


# -- decoders -------------------------------------------------------------------------------


@dataclass
class Call:
    name: str
    args: tuple[Any, ...]


class _Recorder:
    """A wrapper that records every call made on it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("_"):
            raise AttributeError(name)

        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append(Call(name, args + tuple(kwargs.values())))

        return record


def _ibapi_recorder() -> Any:
    import inspect

    from ibapi.wrapper import EWrapper

    calls: list[Call] = []

    class _IbapiRecorder(EWrapper):  # type: ignore[misc]
        pass

    wrapper = _IbapiRecorder()
    for name, _ in inspect.getmembers(EWrapper, inspect.isfunction):
        if not name.startswith("_") and not name.endswith("ProtoBuf"):
            setattr(wrapper, name,
                    lambda *a, _n=name: calls.append(Call(_n, a)))
    wrapper.calls = calls
    return wrapper


@functools.cache
def _ibapi_decoder(version: int) -> tuple[Any, Any]:
    """One ibapi Decoder per version (making one inspects every wrapper method: slow)."""
    from ibapi.decoder import Decoder

    wrapper = _ibapi_recorder()
    return Decoder(wrapper, version), wrapper


@functools.cache
def _client_decoder(client: str, version: int) -> tuple[Any, _Recorder]:
    module = importlib.import_module(f"{client}.decoder")
    recorder = _Recorder()
    return module.Decoder(recorder, version), recorder


def decode_response(client: str, version: int, fields: list[str]) -> list[Call]:
    """The wrapper calls `client`'s decoder makes for one message at server `version`."""
    msg_id = int(fields[0])
    if client == "ibapi":
        decoder, wrapper = _ibapi_decoder(version)
        wrapper.calls.clear()
        info = decoder.msgId2handleInfo[msg_id]
        raw = [f.encode() for f in fields]
        if info.processMeth is not None:
            rest = iter(raw[1:])
            info.processMeth(decoder, rest)
            left = list(rest)
            assert not left, f"ibapi left {len(left)} fields unread: {left[:5]}"
        else:
            before = len(wrapper.calls)
            # ibapi's reader hands interpret() the fields after the message id; the
            # signature reader then skips the version field
            decoder.interpretWithSignature(raw[1:], info)
            assert len(wrapper.calls) > before, (
                f"ibapi's {info.wrapperMeth.__name__} wants "
                f"{len(info.wrapperParams) - 1} fields, got {len(fields) - 1}")
        return list(wrapper.calls)
    decoder, recorder = _client_decoder(client, version)
    recorder.calls.clear()
    decoder.handlers[msg_id](list(fields))
    return list(recorder.calls)


# -- comparing ------------------------------------------------------------------------------


def normalise(value: Any) -> Any:
    """One spelling for "unset" and one type per number, across clients and schema."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or value >= Decimal(UNSET_DOUBLE):
            return None
        value = float(value)
    if isinstance(value, int):
        if value in (UNSET_INTEGER, UNSET_LONG, -(2**63)):
            return None
        return value
    if isinstance(value, float):
        if math.isnan(value) or value >= UNSET_DOUBLE:
            return None
        return int(value) if value.is_integer() else value
    return value


def mismatches(values: Mapping[str, Any], obj: Any, path: str = "",
               aliases: Mapping[str, str] | None = None,
               ignore: Iterable[str] = ()) -> list[str]:
    """Where `values` (a schema's) differ from `obj`'s attributes of the same names."""
    aliases = aliases or {}
    ignored = set(ignore)
    found: list[str] = []
    for name, value in values.items():
        where = f"{path}{name}"
        if name.startswith("_") or where in ignored or name in ignored:
            continue
        attr = aliases.get(where, aliases.get(name, name))
        if isinstance(obj, Mapping):
            if attr not in obj:
                found.append(f"{where}: client has no such field")
                continue
            actual = obj[attr]
        elif attr.endswith("Present") and not hasattr(obj, attr):
            # a presence flag on the wire: the client's object is set or None
            actual = bool(getattr(obj, attr[: -len("Present")], None))
        elif not hasattr(obj, attr):
            found.append(f"{where}: client object {type(obj).__name__} has no {attr!r}")
            continue
        else:
            actual = getattr(obj, attr)
        if isinstance(value, Mapping):
            if actual is None:
                if any(normalise(v) is not None for v in value.values()
                       if not isinstance(v, (Mapping, list))):
                    found.append(f"{where}: client has None")
                continue
            found += mismatches(value, actual, f"{where}.", aliases, ignored)
        elif isinstance(value, list):
            actual_list = list(actual or [])
            if len(actual_list) != len(value):
                found.append(f"{where}: {len(value)} entries, client {len(actual_list)}")
                continue
            for i, (entry, other) in enumerate(zip(value, actual_list, strict=True)):
                if isinstance(entry, Mapping):
                    found += mismatches(entry, other, f"{where}[{i}].", aliases, ignored)
                elif normalise(entry) != normalise(other):
                    found.append(f"{where}[{i}]: {entry!r} != client {other!r}")
        elif not _equal(normalise(value), normalise(actual)):
            found.append(f"{where}: {value!r} != client {actual!r}")
    return found


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    numbers = (int, float)
    if (isinstance(a, numbers) and isinstance(b, str)) or (
            isinstance(b, numbers) and isinstance(a, str)):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
        except ValueError:
            return False
    return bool(a == b)


class View:
    """Attributes looked up in `overrides` first, then in each object in turn: a request's
    values span several client objects (placeOrder: orderId, the Order, the Contract)."""

    def __init__(self, *objects: Any, **overrides: Any) -> None:
        self._objects = objects
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        for obj in self._objects:
            if hasattr(obj, name):
                return getattr(obj, name)
        raise AttributeError(name)
