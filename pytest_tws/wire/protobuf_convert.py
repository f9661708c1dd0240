"""IBKR's protobuf messages <-> the values dicts the text schemas read and write.

The conversion is generic, by field name: IBKR's proto fields mostly carry the attribute names
of ibapi's objects (`reqId`, `contract.conId`, `order.totalQuantity`), which are also the
schemas' field names. A request's protobuf message is read into the same dict its text layout
decodes to (`Schema.decode`): the schema's items at the session's version say which names
exist and of which kind (a size as Decimal, an optional price as None when absent); a response's
values are written into its message class field by field.

Where IBKR's proto names differ from the attribute names, `RENAMES` says so, per message
class (proto name -> IBKR name). Kinds that differ are bridged by kind, not by message:
  - a TagValue list is a proto map; the text layouts have it as a list of {tag, value}
    (a `group`) or as one `tag=value;` string;
  - `multiplier` is a double in Contract.proto and a string on the wire and in ibapi's Contract;
  - sizes (Decimal) are strings in protobuf, as in text.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pytest_tws.wire.schema import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    OPT_FLOAT,
    OPT_INT,
    STR,
    Block,
    Field,
    Group,
    Item,
    Kind,
    Nest,
    Schema,
    Values,
)

#: (proto message class, proto field) -> IBKR's attribute name, where they differ
RENAMES: dict[tuple[str, str], str] = {
    ("Contract", "primaryExch"): "primaryExchange",
    ("ComboLeg", "shortSalesSlot"): "shortSaleSlot",
    ("MarketDataRequest", "marketDataOptions"): "mktDataOptions",
    ("ErrorMessage", "id"): "reqId",
    ("ErrorMessage", "errorMsg"): "errorString",
    ("StartApiRequest", "optionalCapabilities"): "optCapab",
}

# google.protobuf FieldDescriptor.CPPTYPE_* (named here so this module imports without protobuf)
_CPP_INT = frozenset({1, 2, 3, 4})  # INT32, INT64, UINT32, UINT64
_CPP_DOUBLE, _CPP_FLOAT, _CPP_BOOL, _CPP_STRING = 5, 6, 7, 9


class ProtoError(ValueError):
    """A protobuf body that cannot be read as the message its id announces."""


# protobuf -> values (requests)


def raw_values(message: Any) -> Values:
    """Every field set in `message`, by IBKR name: sub-messages as dicts, repeated ones as
    lists, maps as dicts."""
    out: Values = {}
    owner = message.DESCRIPTOR.name
    for field, value in message.ListFields():
        name = RENAMES.get((owner, field.name), field.name)
        sub = field.message_type
        if sub is not None and sub.GetOptions().map_entry:
            value_field = sub.fields_by_name["value"]
            out[name] = {k: (raw_values(v) if value_field.message_type is not None else v)
                         for k, v in value.items()}
        elif sub is not None:
            out[name] = [raw_values(v) for v in value] if field.is_repeated else raw_values(value)
        else:
            out[name] = list(value) if field.is_repeated else value
    return out


def request_values(schema: Schema, message: Any, version: int) -> Values:
    """The values `schema.decode` gives for the text form of `message` at `version`."""
    raw = raw_values(message)
    values: Values = {}
    _coerce(schema.plan(version), raw, values, values)
    return values


def _coerce(items: tuple[Item, ...], raw: Mapping[str, Any], message: Values,
            scope: Values) -> None:
    for item in items:
        if item.when is not None and not item.when(message, scope):
            continue
        if isinstance(item, Field):
            name = item.name
            if name in raw and not name.startswith("_") and item.const is None:
                scope[name] = _as_kind(raw[name], item.kind, name)
            elif name.endswith("Present") and name not in raw:
                scope[name] = bool(raw.get(name[: -len("Present")]))
            else:
                scope[name] = item.default
        elif isinstance(item, Block):
            _coerce(item.items, raw, message, scope)
        elif isinstance(item, Nest):
            inner = scope.get(item.name)
            if not isinstance(inner, dict):
                inner = scope[item.name] = {}
            _coerce(item.items, raw.get(item.name) or {}, message, inner)
        elif isinstance(item, Group):
            entries = raw.get(item.name) or []
            if isinstance(entries, Mapping):  # a TagValue map read into a {tag, value} group
                entries = [{"tag": k, "value": v} for k, v in entries.items()]
            decoded: list[Values] = []
            scope[item.name] = decoded
            for entry in entries:
                one: Values = {}
                decoded.append(one)
                _coerce(item.items, entry, message, one)
        else:
            case = item.cases.get(scope.get(item.key))
            if case is not None:
                _coerce(case, raw, message, scope)


def _as_kind(value: Any, kind: Kind, name: str) -> Any:
    try:
        if kind is STR:
            if isinstance(value, Mapping):
                return "".join(f"{k}={v};" for k, v in value.items())
            if isinstance(value, float):
                return _number_text(value)
            if isinstance(value, bool):
                return "1" if value else "0"
            return str(value)
        if kind is INT or kind is OPT_INT:
            return int(value)
        if kind is FLOAT or kind is OPT_FLOAT:
            return float(value)
        if kind is BOOL:
            return bool(value)
        if kind is DECIMAL:
            text = str(value).strip()
            return Decimal(text) if text else None
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise ProtoError(f"{name}: {value!r} is not a {kind.value}") from exc
    return value


def _number_text(value: float) -> str:
    """A double as TWS writes it in text: `100`, not `100.0`."""
    return str(int(value)) if value.is_integer() else repr(value)


# values -> protobuf (responses)


def fill(message: Any, values: Mapping[str, Any], unused: list[str] | None = None,
         path: str = "") -> Any:
    """Write `values` (IBKR names) into `message` by its descriptor; None and names the
    message class does not have are left out (ibapi reads an absent field as its default).
    `unused` collects the names left out for want of a proto field (the oracle tests check
    that no value is lost that way)."""
    owner = message.DESCRIPTOR.name
    if unused is not None:
        known = {RENAMES.get((owner, f.name), f.name) for f in message.DESCRIPTOR.fields}
        unused.extend(f"{path}{k}" for k in values if k not in known)
    for field in message.DESCRIPTOR.fields:
        key = RENAMES.get((owner, field.name), field.name)
        if key not in values:
            continue
        value = values[key]
        if value is None:
            continue
        target = getattr(message, field.name)
        sub = field.message_type
        if sub is not None and sub.GetOptions().map_entry:
            target.update(_as_map(value))
        elif sub is not None and field.is_repeated:
            for i, entry in enumerate(value):
                fill(target.add(), entry, unused, f"{path}{key}[{i}].")
        elif sub is not None:
            target.SetInParent()
            fill(target, value, unused, f"{path}{key}.")
        elif field.is_repeated:
            target.extend(_scalar(field, v) for v in value)
        else:
            setattr(message, field.name, _scalar(field, value))
    return message


def response_message(cls: Any, values: Mapping[str, Any],
                     unused: list[str] | None = None) -> Any:
    return fill(cls(), values, unused)


def _as_map(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        pairs = (p.split("=", 1) for p in value.split(";") if "=" in p)
        return {k: v for k, v in pairs}
    return {str(e["tag"]): str(e["value"]) for e in value}


def _scalar(field: Any, value: Any) -> Any:
    cpp = field.cpp_type
    if cpp == _CPP_STRING:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, Decimal):
            text = format(value, "f")
            return text.rstrip("0").rstrip(".") if "." in text else text
        if isinstance(value, float):
            return _number_text(value)
        return str(value)
    if cpp in (_CPP_DOUBLE, _CPP_FLOAT):
        return float(value)
    if cpp == _CPP_BOOL:
        return bool(value)
    if cpp in _CPP_INT:
        return int(value)
    return value
