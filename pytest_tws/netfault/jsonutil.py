"""JSON the way Toxiproxy's Go server reads and writes it.

Go's ``json.Decoder`` reads the first value and ignores trailing bytes, matches struct keys
case-insensitively, treats ``null`` as "leave the field alone", and rejects a value of the wrong
type (including ``100.0`` for an integer). ``json.Marshal`` is compact and escapes ``<>&``.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from .errors import ApiError, bad_request

_DECODER = json.JSONDecoder(parse_constant=lambda name: _reject_constant(name))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def decode_body(body: bytes) -> Any:
    """Decode the first JSON value of a request body, raising a 400 ApiError on failure."""
    try:
        text = body.decode("utf-8", errors="replace").lstrip(" \t\r\n")
        if not text:
            raise bad_request("EOF")
        value, _ = _DECODER.raw_decode(text)
    except json.JSONDecodeError as exc:
        raise bad_request(exc.msg) from None
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return value


def kind_of(value: object) -> str:
    """The JSON kind of a value, as named in Go's unmarshal errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def object_fields(value: object, go_type: str) -> dict[str, Any]:
    """The keys of a JSON object, lower-cased (Go matches them case-insensitively), last wins."""
    if not isinstance(value, dict):
        raise bad_request(
            f"json: cannot unmarshal {kind_of(value)} into Go value of type {go_type}"
        )
    return {key.lower(): item for key, item in value.items()}


def _type_error(value: object, where: str, go_kind: str) -> ApiError:
    return bad_request(
        f"json: cannot unmarshal {kind_of(value)} into Go struct field {where} of type {go_kind}"
    )


def get_str(fields: dict[str, Any], key: str, default: str, where: str) -> str:
    value = fields.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _type_error(value, f"{where}.{key}", "string")
    return value


def get_bool(fields: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = fields.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _type_error(value, f"{where}.{key}", "bool")
    return value


def get_float32(fields: dict[str, Any], key: str, default: float, where: str) -> float:
    value = fields.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type_error(value, f"{where}.{key}", "float32")
    try:
        return to_float32(float(value))
    except (OverflowError, ValueError):
        raise _type_error(value, f"{where}.{key}", "float32") from None


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def check_int64(value: object, where: str) -> int:
    """Accept only a JSON integer in int64 range (Go rejects 100.0 and true for an int64)."""
    if isinstance(value, bool) or not isinstance(value, int) or not INT64_MIN <= value <= INT64_MAX:
        raise _type_error(value, where, "int64")
    return value


def to_float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def float32_json(value: float) -> int | float:
    """The shortest decimal that round-trips as float32, as Go prints it (1.0 -> 1)."""
    shortest = value
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if to_float32(candidate) == value:
            shortest = candidate
            break
    if shortest.is_integer() and abs(shortest) < 1e21:
        return int(shortest)
    return shortest


def go_dumps(value: Any) -> bytes:
    """Compact JSON with Go's HTML-safe escaping."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text.encode("utf-8")
