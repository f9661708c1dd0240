"""JSON the way Toxiproxy's Go server reads and writes it.

Go's ``json.Decoder`` reads the first value and ignores trailing bytes (`gosyntax`), matches
struct keys case-insensitively, treats ``null`` as "leave the field alone", and rejects a value
of the wrong type, including ``100.0`` for an integer. A type error names the innermost Go
struct and the path of JSON field names from the decoded root, as Go 1.19 prints them
(``cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type
int64``).

The first type error in document order wins. ``json.Marshal`` output is compact and escapes
``<>&``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request
from .gosyntax import GoFloat, GoSyntaxError, decode_first_value

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: Go kinds of scalar fields: the name Go prints in a type error.
STRING, BOOL, INT64, INT, FLOAT32 = "string", "bool", "int64", "int", "float32"


@dataclass(frozen=True)
class GoStruct:
    """A Go struct as the decoder sees it.

    Attributes:
        name: what Go prints as the struct in a field error ("" for an anonymous struct).
        type_name: how Go prints the type (``toxiproxy.Proxy``).
        fields: canonical JSON name -> a scalar kind or a nested `GoStruct` (whose own fields,
            if any, are checked; an empty one accepts any object).
    """

    name: str
    type_name: str
    fields: Mapping[str, str | GoStruct] = field(default_factory=dict)


def decode_body(body: bytes) -> Any:
    """Decode the first JSON value of a request body, raising a 400 ApiError on bad syntax."""
    try:
        return decode_first_value(body)
    except GoSyntaxError as exc:
        raise bad_request(str(exc)) from None


def _json_kind(value: object, numeric_target: bool) -> str:
    """How Go names the JSON value in an unmarshal error."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        # Only a number that does not fit a numeric field is quoted: "number 100.0".
        return f"number {_raw(value)}" if numeric_target else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _raw(value: int | float) -> str:
    return value.raw if isinstance(value, GoFloat) else repr(value)


def _type_error(value: object, owner: GoStruct | None, path: tuple[str, ...],
                type_name: str, numeric: bool = False) -> ApiError:
    kind = _json_kind(value, numeric)
    if owner is None:
        return bad_request(f"json: cannot unmarshal {kind} into Go value of type {type_name}")
    where = f"{owner.name}.{'.'.join(path)}"
    return bad_request(
        f"json: cannot unmarshal {kind} into Go struct field {where} of type {type_name}"
    )


def _scalar(value: object, kind: str, owner: GoStruct, path: tuple[str, ...]) -> Any:
    if kind == STRING:
        ok = isinstance(value, str)
    elif kind == BOOL:
        ok = isinstance(value, bool)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        ok = False
    elif kind in (INT64, INT):
        if isinstance(value, float) or not INT64_MIN <= value <= INT64_MAX:
            raise _type_error(value, owner, path, kind, numeric=True)
        ok = True
    else:  # FLOAT32
        try:
            return to_float32(float(value))
        except (OverflowError, ValueError):
            raise _type_error(value, owner, path, kind, numeric=True) from None
    if not ok:
        raise _type_error(value, owner, path, kind)
    return value


def decode_struct(value: object, schema: GoStruct, owner: GoStruct | None = None,
                  path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Check ``value`` against ``schema`` like Go's decoder; canonical name -> value.

    ``null`` (for the whole value or a field) leaves things alone, so it is simply absent from
    the result; unknown keys are ignored; nested structs come back as dicts.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _type_error(value, owner, path, schema.type_name)
    by_lower = {name.lower(): name for name in schema.fields}
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in schema.fields else by_lower.get(key.lower())
        if name is None or item is None:
            continue
        kind = schema.fields[name]
        if isinstance(kind, GoStruct):
            out[name] = decode_struct(item, kind, schema, (*path, name))
        else:
            out[name] = _scalar(item, kind, schema, (*path, name))
    return out


def decode_struct_array(value: object, element: GoStruct) -> list[dict[str, Any]]:
    """A JSON array of ``element`` structs (``null`` is an empty slice)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _type_error(value, None, (), f"[]{element.type_name}")
    return [decode_struct(item, element) for item in value]


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
