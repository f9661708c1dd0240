"""IBKR's protobuf messages <-> the values dicts the text schemas read and write.

The conversion is generic, by field name: IBKR's proto fields mostly carry the attribute names
of ibapi's objects (`reqId`, `contract.conId`, `order.totalQuantity`), which are also the
schemas' field names. A request's protobuf message is read into the same dict its text layout
decodes to (`Schema.decode`): the schema's items at the session's version say which names
exist and of which kind (a size as Decimal, an optional price as None when absent); a response's
values are written into its message class field by field.

Where IBKR's proto names or shapes differ from the text layouts', protobuf_adjust says so,
per message class. Kinds that differ are bridged by kind, not by message:
  - a TagValue list is a proto map; the text layouts have it as a list of {tag, value}
    (a `group`) or as one `tag=value;` string;
  - `multiplier` is a double in Contract.proto and a string on the wire and in ibapi's Contract;
  - sizes (Decimal) are strings in protobuf, as in text;
  - a list of single values (repeated string/double) is a group of one-field entries in text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pytest_tws.wire.fields import UNSET_DOUBLE_TEXT, UNSET_INTEGER
from pytest_tws.wire.framing import encode_protobuf_frame
from pytest_tws.wire.protobuf_adjust import FROM_PROTO, HOISTED, RENAMES, TO_PROTO
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

# google.protobuf FieldDescriptor.CPPTYPE_* (named here so this module imports without protobuf)
_CPP_INT = frozenset({1, 2, 3, 4})  # INT32, INT64, UINT32, UINT64
_CPP_DOUBLE, _CPP_FLOAT, _CPP_BOOL, _CPP_STRING = 5, 6, 7, 9


_ABSENT: dict[Kind, Any] = {
    STR: "", INT: 0, FLOAT: 0.0, BOOL: False, DECIMAL: None, OPT_INT: None, OPT_FLOAT: None,
}


#: FieldDescriptor.LABEL_REPEATED, for protobuf runtimes older than `is_repeated`
_LABEL_REPEATED = 3


def _repeated(field: Any) -> bool:
    """A repeated field (`is_repeated` from protobuf 5.29/6; `label` before, deprecated)."""
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == _LABEL_REPEATED


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
        if (owner, field.name) in HOISTED:
            out.update(raw_values(value))
        elif sub is not None and sub.GetOptions().map_entry:
            value_field = sub.fields_by_name["value"]
            out[name] = {k: (raw_values(v) if value_field.message_type is not None else v)
                         for k, v in value.items()}
        elif sub is not None:
            out[name] = [raw_values(v) for v in value] if _repeated(field) else raw_values(value)
        else:
            out[name] = list(value) if _repeated(field) else value
    return out


def request_values(schema: Schema, message: Any, version: int) -> Values:
    """The values `schema.decode` gives for the text form of `message` at `version`."""
    raw = raw_values(message)
    adjust = FROM_PROTO.get(message.DESCRIPTOR.name)
    if adjust is not None:
        raw = adjust(raw)
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
            elif name.startswith("_") or item.const is not None:
                scope[name] = item.default
            else:
                # absent in protobuf: the proto default (False, 0, ""), or None where the
                # kind has an unset (ibapi leaves UNSET_* values out)
                scope[name] = _ABSENT[item.kind]
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
            elif entries and not isinstance(entries[0], Mapping):  # single values
                (only,) = _field_names(item.items)
                entries = [{only: v} for v in entries]
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


def _field_names(items: tuple[Item, ...]) -> list[str]:
    return [i.name for i in items if isinstance(i, Field)]


def _as_kind(value: Any, kind: Kind, name: str) -> Any:
    if value is None:
        return _ABSENT[kind]
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
        known = _known(message.DESCRIPTOR)
        unused.extend(f"{path}{k}" for k in values if k not in known)
    for field in message.DESCRIPTOR.fields:
        if (owner, field.name) in HOISTED:
            getattr(message, field.name).SetInParent()
            fill(getattr(message, field.name), values)
            continue
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
        elif sub is not None and _repeated(field):
            for i, entry in enumerate(value):
                fill(target.add(), entry, unused, f"{path}{key}[{i}].")
        elif sub is not None:
            target.SetInParent()
            fill(target, value, unused, f"{path}{key}.")
        elif _repeated(field):
            singles = (next(iter(v.values())) if isinstance(v, Mapping) else v for v in value)
            target.extend(x for x in (_scalar(field, v) for v in singles) if x is not None)
        else:
            scalar = _scalar(field, value)
            if scalar is not None:
                setattr(message, field.name, scalar)
    return message


def _known(descriptor: Any) -> set[str]:
    """The IBKR names a message class holds (hoisted sub-messages' included)."""
    names: set[str] = set()
    for field in descriptor.fields:
        if (descriptor.name, field.name) in HOISTED:
            names |= _known(field.message_type)
        else:
            names.add(RENAMES.get((descriptor.name, field.name), field.name))
    return names


def response_message(cls: Any, values: Mapping[str, Any],
                     unused: list[str] | None = None) -> Any:
    adjust = TO_PROTO.get(cls.DESCRIPTOR.name)
    return fill(cls(), adjust(dict(values)) if adjust is not None else values, unused)


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
    if isinstance(value, str) and not value.strip():
        return None  # "" is text's unset number: absent in protobuf
    if cpp in (_CPP_DOUBLE, _CPP_FLOAT):
        return float(value)
    if cpp == _CPP_BOOL:
        return bool(int(value)) if isinstance(value, str) else bool(value)
    if cpp in _CPP_INT:
        return int(Decimal(value)) if isinstance(value, (str, Decimal)) else int(value)
    return value


# the hot path: payload text straight to protobuf, for flat messages (ticks)

_UNSET_TEXTS = frozenset({"", UNSET_DOUBLE_TEXT, str(UNSET_INTEGER)})


class FlatPlan:
    """A response whose layout at a version is plain fields (no nests, groups or
    conditions), written from its text fields straight into its message class: what
    `schema.decode` + `fill` would write, in one pass (ticks at market-data rates)."""

    def __init__(self, message_id: int, cls: Any,
                 steps: list[tuple[int, str, Callable[[str], Any]]]) -> None:
        self.message_id = message_id
        self.cls = cls
        self.steps = steps

    def frame(self, fields: Sequence[str]) -> bytes:
        unset = _UNSET_TEXTS
        values = {name: convert(fields[i]) for i, name, convert in self.steps
                  if fields[i] not in unset}
        return encode_protobuf_frame(self.message_id, self.cls(**values).SerializeToString())


_FLAT: dict[tuple[str, int], FlatPlan | None] = {}


def flat_plan(schema: Schema, version: int) -> FlatPlan | None:
    """The FlatPlan of a response schema at `version`, or None if it is not flat."""
    key = (schema.name, version)
    if key not in _FLAT:
        _FLAT[key] = _make_flat_plan(schema, version)
    return _FLAT[key]


def _make_flat_plan(schema: Schema, version: int) -> FlatPlan | None:
    from pytest_tws.wire import protobuf

    plan = [item for item in schema.plan(version) if isinstance(item, Field)]
    if len(plan) != len(schema.plan(version)) or any(item.when is not None for item in plan):
        return None
    cls = protobuf.response_class(schema.message_id)  # type: ignore[arg-type]
    descriptor = cls.DESCRIPTOR
    if descriptor.name in TO_PROTO:
        return None
    by_ibkr = {RENAMES.get((descriptor.name, f.name), f.name): f for f in descriptor.fields}
    steps: list[tuple[int, str, Callable[[str], Any]]] = []
    for index, item in enumerate(plan, start=1):
        field = by_ibkr.get(item.name)
        if item.name.startswith("_") or item.const is not None or field is None:
            continue
        if field.message_type is not None or _repeated(field):
            return None
        steps.append((index, field.name, _TEXT_TO[field.cpp_type]))
    return FlatPlan(int(schema.message_id), cls, steps)  # type: ignore[call-overload]


def _text_bool(text: str) -> bool:
    return text not in ("0", "false", "False")


def _text_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return int(Decimal(text))


_TEXT_TO: dict[int, Callable[[str], Any]] = {
    1: _text_int, 2: _text_int, 3: _text_int, 4: _text_int,
    _CPP_DOUBLE: float, _CPP_FLOAT: float, _CPP_BOOL: _text_bool, _CPP_STRING: str,
}
