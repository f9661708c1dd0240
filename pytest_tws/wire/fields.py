"""Field values: how the server writes them and how it reads every client's spelling.

Writing follows real TWS: ints as decimal text (never `1.0`: Python clients `int()` them),
booleans as `0`/`1`, unset doubles as `1.7976931348623157E308`, unset ints as `2147483647`.
Reading accepts what ib_async, ibapi and @stoqey/ib each send for "unset": `""`, the UNSET
sentinels (either case of exponent), `0.0` where an int is expected, and `Infinite`.
"""

from __future__ import annotations

import enum
import math
import sys
from collections.abc import Sequence
from decimal import Decimal

from pytest_tws.wire.messages import Out

UNSET_DOUBLE = sys.float_info.max
UNSET_INTEGER = 2**31 - 1
UNSET_LONG = -(2**63)
#: Real TWS's spelling of UNSET_DOUBLE (Java's Double.toString).
UNSET_DOUBLE_TEXT = "1.7976931348623157E308"

FieldValue = str | int | float | bool | Decimal | None


class FieldError(ValueError):
    """A client field that does not parse as what its position requires."""

    def __init__(self, index: int, name: str, value: str, expected: str) -> None:
        super().__init__(f"field {index} ({name}) = {value!r} is not {expected}")
        self.index = index
        self.name = name
        self.value = value


def encode_field(value: FieldValue) -> str:
    """One server field as text; see the module docstring for the rules."""
    kind = type(value)
    # Exact-type fast paths: these three are nearly every field the fake sends.
    if kind is str:
        if "\0" in value:  # type: ignore[operator]
            raise ValueError(f"a field cannot contain NUL: {value!r}")
        return value  # type: ignore[return-value]
    if kind is int:
        return str(value)
    if kind is float:
        return _encode_float(value)  # type: ignore[arg-type]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):  # IntEnum message ids included: always the number
        return str(int(value))
    if isinstance(value, enum.Enum):
        return encode_field(value.value)
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if "\0" in value:
        raise ValueError(f"a field cannot contain NUL: {value!r}")
    return value


def _encode_float(value: float) -> str:
    if value == UNSET_DOUBLE:
        return UNSET_DOUBLE_TEXT
    if math.isinf(value):
        return "Infinite" if value > 0 else "-Infinite"
    if math.isnan(value):
        return ""
    return repr(value)


def encode_fields(values: Sequence[FieldValue]) -> list[str]:
    """Every field of a message as text. This is the fake's hot path: text, plain ints and
    message ids skip the general `encode_field`."""
    # `type(v) is str` narrows nothing for mypy, hence the ignore on the first branch.
    return [
        v if (kind := type(v)) is str  # type: ignore[misc]
        else str(v) if kind is int
        else _OUT_TEXT[v] if kind is Out  # type: ignore[index]
        else encode_field(v)
        for v in values
    ]


_OUT_TEXT = {message_id: str(int(message_id)) for message_id in Out}


class FieldReader:
    """Reads a client message's fields in order, naming each for precise errors."""

    def __init__(self, fields: Sequence[str], start: int = 0) -> None:
        self._fields = fields
        self._index = start

    @property
    def index(self) -> int:
        return self._index

    @property
    def remaining(self) -> int:
        return len(self._fields) - self._index

    def _next(self, name: str) -> str:
        if self._index >= len(self._fields):
            raise FieldError(self._index, name, "", "present (message too short)")
        value = self._fields[self._index]
        self._index += 1
        return value

    def skip(self, count: int = 1) -> None:
        for _ in range(count):
            self._next("(skipped)")

    def read_str(self, name: str = "str") -> str:
        return self._next(name)

    def read_int(self, name: str = "int", default: int = 0) -> int:
        raw = self._next(name).strip()
        if raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            as_float = float(raw)
        except ValueError:
            raise FieldError(self._index - 1, name, raw, "an integer") from None
        if as_float >= UNSET_DOUBLE or not as_float.is_integer():
            raise FieldError(self._index - 1, name, raw, "an integer")
        return int(as_float)

    def read_optional_int(self, name: str = "int") -> int | None:
        """An int where `""` and UNSET_INTEGER both mean "not set"."""
        value = self.read_int(name, default=UNSET_INTEGER)
        return None if value in (UNSET_INTEGER, UNSET_LONG) else value

    def read_float(self, name: str = "float", default: float = 0.0) -> float:
        raw = self._next(name).strip()
        if raw == "":
            return default
        if raw.lower() in ("infinite", "inf", "infinity"):
            return math.inf
        try:
            value = float(raw)
        except ValueError:
            raise FieldError(self._index - 1, name, raw, "a number") from None
        if math.isnan(value):
            raise FieldError(self._index - 1, name, raw, "a number")
        return value

    def read_optional_float(self, name: str = "float") -> float | None:
        """A double where `""` and UNSET_DOUBLE (any spelling) both mean "not set"."""
        value = self.read_float(name, default=UNSET_DOUBLE)
        return None if value >= UNSET_DOUBLE else value

    def read_bool(self, name: str = "bool") -> bool:
        raw = self._next(name).strip().lower()
        if raw in ("", "0", "false"):
            return False
        if raw in ("1", "true"):
            return True
        try:
            return float(raw) != 0.0
        except ValueError:
            raise FieldError(self._index - 1, name, raw, "a boolean") from None
