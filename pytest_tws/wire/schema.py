"""Declarative message layouts: one `Schema` per message, read and written at a server version.

A schema is a sequence of items, each gated by the server versions that carry it:

    Field("lmtPrice", OPT_FLOAT)                          one field
    Field("tradingClass", since=MIN_SERVER_VER_TRADING_CLASS)
    Block(..., when=lambda m, s: s["secType"] == "BAG")   fields present only in some messages
    Group("comboLegs", count="comboLegsCount", items=...) a count, then that many items
    Nest("contract", CONTRACT)                            a sub-object (`values["contract"]`)
    Switch("conditionType", {1: PRICE, 3: TIME, ...})     items chosen by a value already read

`since` is the first version with the item (`>=`), `until` the first version without it (`<`).
`when(message, scope)` decides from values already read: `message` is the whole message's
values, `scope` the innermost object (a combo leg inside `comboLegs`, …).

Decoding is strict: a message with fields left over, or too few, is a `FieldError` naming the
field, so a layout that is wrong cannot shift fields silently. Field names are IBKR's own
(`lmtPrice`, `totalQuantity`, `whatIf`): the oracle tests compare them with the clients'
attributes of the same name. Names starting with `_` are placeholders (deprecated fields).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from pytest_tws.wire.fields import (
    UNSET_DOUBLE,
    UNSET_DOUBLE_TEXT,
    UNSET_INTEGER,
    FieldError,
    FieldReader,
    FieldValue,
    encode_field,
)

Values = dict[str, Any]
Predicate = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


class Kind(Enum):
    """How a field's text maps to a value (decoding) and back (encoding)."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DECIMAL = "decimal"
    """sizes: `Decimal`, "" is None"""
    OPT_INT = "opt_int"
    """"" and 2147483647 are None; None is written as 2147483647, as TWS writes it"""
    OPT_FLOAT = "opt_float"
    """"" and 1.797…E308 are None; None is written as Java's Double.MAX_VALUE"""


STR, INT, FLOAT, BOOL, DECIMAL, OPT_INT, OPT_FLOAT = (
    Kind.STR, Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.DECIMAL, Kind.OPT_INT, Kind.OPT_FLOAT,
)

_DEFAULTS: dict[Kind, Any] = {
    STR: "", INT: 0, FLOAT: 0.0, BOOL: False, DECIMAL: None, OPT_INT: None, OPT_FLOAT: None,
}
_MISSING = object()
INFINITY_TEXT = "Infinity"


@dataclass(frozen=True)
class _Gated:
    since: int = 0
    until: int | None = None
    when: Predicate | None = None

    def in_version(self, version: int) -> bool:
        return version >= self.since and (self.until is None or version < self.until)


@dataclass(frozen=True)
class Field(_Gated):
    name: str = ""
    kind: Kind = STR
    default: Any = _MISSING
    """the value written when the message's values do not name this field"""
    const: FieldValue = None
    """a fixed value always written (a message's version field)"""
    unset: str | None = None
    """the text written for None, where TWS writes something else than the kind's default"""
    derive: Predicate | None = None
    """computes the value to write from the others when the values do not name this field
    (a presence flag from the object it announces)"""

    def __init__(
        self,
        name: str,
        kind: Kind = STR,
        *,
        since: int = 0,
        until: int | None = None,
        when: Predicate | None = None,
        default: Any = _MISSING,
        const: FieldValue = None,
        unset: str | None = None,
        derive: Predicate | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "until", until)
        object.__setattr__(self, "when", when)
        object.__setattr__(self, "default", _DEFAULTS[kind] if default is _MISSING else default)
        object.__setattr__(self, "const", const)
        object.__setattr__(self, "unset", unset)
        object.__setattr__(self, "derive", derive)


@dataclass(frozen=True)
class Block(_Gated):
    """Items that appear together, in the enclosing scope."""

    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Nest(_Gated):
    """A sub-object: its items are read into `values[name]`, a dict of their own. A second
    `Nest` of the same name later in the message adds to the same dict (placeOrder writes the
    contract's combo legs after the order's first fields)."""

    name: str = ""
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Group(_Gated):
    """A count field, then that many items, each read into a dict of `values[name]`."""

    name: str = ""
    count: str = ""
    items: tuple[Item, ...] = ()
    count_kind: Kind = INT


@dataclass(frozen=True)
class Switch(_Gated):
    """Items chosen by a value already read in the scope (`cases[scope[key]]`)."""

    key: str = ""
    cases: Mapping[Any, tuple[Item, ...]] = field(default_factory=dict)


Item = Field | Block | Nest | Group | Switch


def block(*items: Item, since: int = 0, until: int | None = None,
          when: Predicate | None = None) -> Block:
    return Block(since=since, until=until, when=when, items=items)


def nest(name: str, items: Iterable[Item], *, since: int = 0, until: int | None = None,
         when: Predicate | None = None) -> Nest:
    return Nest(since=since, until=until, when=when, name=name, items=tuple(items))


def group(name: str, count: str, *items: Item, since: int = 0, until: int | None = None,
          when: Predicate | None = None) -> Group:
    return Group(since=since, until=until, when=when, name=name, count=count, items=items)


def switch(key: str, cases: Mapping[Any, Iterable[Item]], *, since: int = 0,
           until: int | None = None, when: Predicate | None = None) -> Switch:
    return Switch(since=since, until=until, when=when, key=key,
                  cases={k: tuple(v) for k, v in cases.items()})


class Schema:
    """The layout of one message, evaluated against a server version."""

    def __init__(self, message_id: Enum, *items: Item, req_id: str | None = None) -> None:
        self.message_id = message_id
        self.name = message_id.name
        self.items = items
        self.req_id = req_id
        """the field holding the request id (errors about this message carry it)"""
        self._plans: dict[int, tuple[Item, ...]] = {}
        self._flat: dict[int, tuple[Field, ...] | None] = {}

    def __repr__(self) -> str:
        return f"Schema({self.name})"

    def flat(self, version: int) -> tuple[Field, ...] | None:
        """The plan at `version` when it is plain fields only (no group, nest, switch or
        `when`/`derive`): most messages are, and take a shorter path both ways."""
        try:
            return self._flat[version]
        except KeyError:
            plan = self.plan(version)
            flat = plan if all(type(i) is Field and i.when is None and i.derive is None
                               for i in plan) else None
            self._flat[version] = flat  # type: ignore[assignment]
            return flat  # type: ignore[return-value]

    def plan(self, version: int) -> tuple[Item, ...]:
        """The items present at `version` (static gates applied; `when`s stay dynamic)."""
        plan = self._plans.get(version)
        if plan is None:
            plan = self._plans[version] = _plan(self.items, version)
        return plan

    # decoding

    def decode(self, fields: Sequence[str], version: int, start: int = 1) -> Values:
        """The message's values; `fields[0]` is the message id. Raises FieldError (with the
        values read so far in `.partial`) when the fields do not fit the layout."""
        flat = self.flat(version)
        if flat is not None and len(fields) - start == len(flat):
            reader = FieldReader(fields, start)
            return {item.name: _read(reader, item) for item in flat}
        values: Values = {}
        reader = FieldReader(fields, start)
        try:
            _decode_items(self.plan(version), reader, values, values)
            if reader.remaining:
                index = reader.index
                raise FieldError(index, "(end of message)", fields[index],
                                 f"the end of {self.name} at v{version} "
                                 f"({reader.remaining} fields left over)")
        except FieldError as exc:
            exc.partial = values  # type: ignore[attr-defined]
            raise
        return values

    def request_id(self, values: Mapping[str, Any], default: int = -1) -> int:
        if self.req_id is None:
            return default
        value = values.get(self.req_id)
        return value if isinstance(value, int) else default

    # encoding

    def encode(self, values: Mapping[str, Any], version: int) -> list[FieldValue]:
        """The message as field values (message id first), ready for `encode_fields`."""
        flat = self.flat(version)
        if flat is not None:
            get = values.get
            return [self.message_id,  # type: ignore[list-item]
                    *[_write(item, get(item.name, item.default)) for item in flat]]
        out: list[FieldValue] = [self.message_id]  # type: ignore[list-item]
        _encode_items(self.plan(version), values, values, out)
        return out

    def field_names(self, version: int) -> list[str]:
        """Every field name the layout has at `version` (all branches), in order."""
        names: list[str] = []
        _names(self.plan(version), "", names)
        return names


class Message:
    """A message to send: a schema and its values, encoded once the session's version is known.

    Handlers and layouts build these without knowing the version; the session encodes them
    for its client (`fields(version)`)."""

    __slots__ = ("_encoded", "schema", "values")

    def __init__(self, schema: Schema, values: Mapping[str, Any]) -> None:
        self.schema = schema
        self.values = values
        self._encoded: tuple[int, list[FieldValue]] | None = None

    def fields(self, version: int) -> list[FieldValue]:
        """The encoding at `version`; the last one is kept, so a message sent again and again
        (a memoised layout's) is encoded once. Treat the values and the list as read-only."""
        encoded = self._encoded
        if encoded is None or encoded[0] != version:
            encoded = self._encoded = (version, self.schema.encode(self.values, version))
        return encoded[1]

    def __repr__(self) -> str:
        return f"Message({self.schema.name}, {dict(self.values)!r})"


def _plan(items: Iterable[Item], version: int) -> tuple[Item, ...]:
    planned: list[Item] = []
    for item in items:
        if not item.in_version(version):
            continue
        if isinstance(item, Block):
            inner = _plan(item.items, version)
            if item.when is None:
                planned.extend(inner)
            else:
                planned.append(Block(when=item.when, items=inner))
        elif isinstance(item, Nest):
            planned.append(Nest(when=item.when, name=item.name, items=_plan(item.items, version)))
        elif isinstance(item, Group):
            planned.append(Group(when=item.when, name=item.name, count=item.count,
                                 items=_plan(item.items, version), count_kind=item.count_kind))
        elif isinstance(item, Switch):
            planned.append(Switch(when=item.when, key=item.key, cases={
                k: _plan(v, version) for k, v in item.cases.items()
            }))
        else:
            planned.append(item)
    return tuple(planned)


def _read(reader: FieldReader, item: Field) -> Any:
    kind = item.kind
    name = item.name
    if kind is STR:
        return reader.read_str(name)
    if kind is INT:
        return reader.read_int(name)
    if kind is FLOAT:
        return reader.read_float(name)
    if kind is BOOL:
        return reader.read_bool(name)
    if kind is OPT_INT:
        return reader.read_optional_int(name)
    if kind is OPT_FLOAT:
        # "Infinite" stays infinity (PEG BEST's competeAgainstBestOffset "up to mid")
        number = reader.read_float(name, default=UNSET_DOUBLE)
        return None if number >= UNSET_DOUBLE and not math.isinf(number) else number
    raw = reader.read_str(name).strip()
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FieldError(reader.index - 1, name, raw, "a decimal") from None
    if not value.is_finite() or value >= Decimal(UNSET_DOUBLE_TEXT):
        return None
    return value


def _decode_items(items: tuple[Item, ...], reader: FieldReader, message: Values,
                  scope: Values) -> None:
    for item in items:
        if item.when is not None and not item.when(message, scope):
            continue
        if isinstance(item, Field):
            scope[item.name] = _read(reader, item)
        elif isinstance(item, Block):
            _decode_items(item.items, reader, message, scope)
        elif isinstance(item, Nest):
            inner = scope.get(item.name)
            if not isinstance(inner, dict):
                inner = scope[item.name] = {}
            _decode_items(item.items, reader, message, inner)
        elif isinstance(item, Group):
            count = reader.read_optional_int(item.count) or 0
            if count < 0 or count > reader.remaining:
                raise FieldError(reader.index - 1, item.count, str(count),
                                 f"a count of at most {reader.remaining} (fields left)")
            entries: list[Values] = []
            scope[item.name] = entries
            for _ in range(count):
                entry: Values = {}
                entries.append(entry)
                _decode_items(item.items, reader, message, entry)
        else:
            case = item.cases.get(scope.get(item.key))
            if case is None:
                raise FieldError(reader.index - 1, item.key, str(scope.get(item.key)),
                                 f"one of {sorted(item.cases)}")
            _decode_items(case, reader, message, scope)


def _write(item: Field, value: Any) -> FieldValue:
    if item.const is not None:
        return item.const
    if value is None:
        if item.unset is not None:
            return item.unset
        kind = item.kind
        if kind is OPT_FLOAT:
            return UNSET_DOUBLE_TEXT
        if kind is OPT_INT:
            return UNSET_INTEGER
        return ""
    kind = item.kind
    if kind is BOOL or type(value) is bool:
        return "1" if value else "0"
    if kind is INT or kind is OPT_INT:
        return int(value)
    if kind is DECIMAL:
        return _decimal_text(value)
    if kind is FLOAT or kind is OPT_FLOAT:
        number = float(value)
        if math.isinf(number):
            # TWS writes Java's Double.toString: ibapi decodes "Infinity" (const.INFINITY_STR)
            return INFINITY_TEXT if number > 0 else "-" + INFINITY_TEXT
        return number
    return value  # type: ignore[no-any-return]


def _decimal_text(value: Any) -> str:
    """Sizes as TWS writes them: `100`, `0.5`; never an exponent."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _encode_items(items: tuple[Item, ...], message: Mapping[str, Any],
                  scope: Mapping[str, Any], out: list[FieldValue]) -> None:
    for item in items:
        if item.when is not None and not item.when(message, scope):
            continue
        if isinstance(item, Field):
            if item.name in scope:
                value = scope[item.name]
            elif item.derive is not None:
                value = item.derive(message, scope)
            else:
                value = item.default
            out.append(_write(item, value))
        elif isinstance(item, Block):
            _encode_items(item.items, message, scope, out)
        elif isinstance(item, Nest):
            _encode_items(item.items, message, scope.get(item.name) or {}, out)
        elif isinstance(item, Group):
            entries = scope.get(item.name) or ()
            out.append(len(entries))
            for entry in entries:
                _encode_items(item.items, message, entry, out)
        else:
            case = item.cases.get(scope.get(item.key))
            if case is None:
                raise ValueError(f"{item.key}={scope.get(item.key)!r} has no layout")
            _encode_items(case, message, scope, out)


def _names(items: tuple[Item, ...], prefix: str, names: list[str]) -> None:
    for item in items:
        if isinstance(item, Field):
            names.append(prefix + item.name)
        elif isinstance(item, Block):
            _names(item.items, prefix, names)
        elif isinstance(item, Nest):
            _names(item.items, f"{prefix}{item.name}.", names)
        elif isinstance(item, Group):
            names.append(prefix + item.count)
            _names(item.items, f"{prefix}{item.name}[].", names)
        else:
            for case in item.cases.values():
                _names(case, prefix, names)


def encode_text(values: Sequence[FieldValue]) -> list[str]:
    """Field values as text (`encode_field` for each)."""
    return [encode_field(v) for v in values]
