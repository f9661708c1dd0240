"""How replay matches a client's request to a recorded one, and re-keys the answers.

Rules (`MatchRules`, every set overridable per field name):

- **renumbered**: values that legitimately change between the recording and the replay --
  request ids (``reqId``, ``tickerId``, ``id``), order ids (``orderId``, ``parentId``) and
  ``clientId``. They are left out of the comparison; the recorded value -> the client's value is
  learned from each matched request and applied to the answers (a recorded ``orderStatus`` of
  order 5 goes out as the client's order 12). ERR_MSG's ``reqId`` is a request id or an order
  id: looked up in both.
- **ignored**: timestamps the client writes from its clock (``endDateTime``,
  ``startDateTime``, ``goodAfterTime``, ``goodTillDate``): not compared, not re-keyed.
- **placeholders**: a recorded value the scrubber replaced (``REF1``) matches whatever the
  client sends there, and the answers carry the client's value back (`unify`).
- everything else must be equal, nested contract fields included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: the id spaces renumbering keeps apart: name -> space
RENUMBERED: Mapping[str, str] = {
    "reqId": "request", "tickerId": "request", "id": "request", "requestId": "request",
    "orderId": "order", "parentId": "order",
    "clientId": "client",
}
IGNORED = frozenset({"endDateTime", "startDateTime", "goodAfterTime", "goodTillDate"})
#: ERR_MSG's reqId names a request or an order (TWS reports order errors by order id)
EITHER = ("request", "order")


@dataclass
class MatchRules:
    """Which fields are renumbered (name -> id space) and which are ignored."""

    renumbered: Mapping[str, str] = field(default_factory=lambda: dict(RENUMBERED))
    ignored: frozenset[str] = IGNORED

    def key(self, values: Any) -> Any:
        """The values with renumbered and ignored fields left out (what must be equal)."""
        if isinstance(values, dict):
            return {k: self.key(v) for k, v in values.items()
                    if k not in self.renumbered and k not in self.ignored}
        if isinstance(values, list):
            return [self.key(v) for v in values]
        return _comparable(values)

    def differences(self, request: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
        """Dotted names of the compared fields that differ."""
        return _differences(self.key(request), self.key(recorded), "")


def _comparable(value: Any) -> Any:
    """Values as a cassette stores them (JSON): Decimals and the like as text."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _differences(a: Any, b: Any, prefix: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for name in list(a) + [k for k in b if k not in a]:
            out += _differences(a.get(name), b.get(name), f"{prefix}{name}.")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _differences(x, y, f"{prefix}{i}.")
        return out
    return [] if a == b else [prefix.rstrip(".")]


class IdMap:
    """Recorded id -> the client's, per id space, learned from matched requests."""

    def __init__(self, rules: MatchRules) -> None:
        self.rules = rules
        self.spaces: dict[str, dict[int, int]] = {}

    def learn(self, recorded: dict[str, Any], request: dict[str, Any]) -> None:
        for name, space in self.rules.renumbered.items():
            old, new = recorded.get(name), request.get(name)
            if isinstance(old, int) and isinstance(new, int) and not isinstance(old, bool):
                self.spaces.setdefault(space, {})[old] = new

    def new_value(self, message_name: str, name: str, value: Any) -> Any:
        space = self.rules.renumbered.get(name)
        if space is None or not isinstance(value, int) or isinstance(value, bool):
            return value
        spaces = EITHER if message_name == "ERR_MSG" and name == "reqId" else (space,)
        for each in spaces:
            mapped = self.spaces.get(each, {}).get(value)
            if mapped is not None:
                return mapped
        return value

    def rekey(self, message_name: str, values: dict[str, Any]) -> dict[str, Any]:
        """The values with every renumbered top-level field mapped to the client's id."""
        return {k: self.new_value(message_name, k, v) for k, v in values.items()}


def side_by_side(request: dict[str, Any], recorded: dict[str, Any] | None,
                 differing: list[str]) -> str:
    """Two columns, the client's request and the closest recorded one, differences marked
    ``!``; fields left at their defaults on both sides (empty, 0, None, False) are left out."""
    flat_request = _flatten(request)
    flat_recorded = _flatten(recorded or {})
    names = [n for n in list(flat_request) + [k for k in flat_recorded if k not in flat_request]
             if _marked(n, differing) or not (_blank(flat_request.get(n))
                                               and _blank(flat_recorded.get(n)))]
    width = max([len(n) for n in names] + [5])
    left = max([len(repr(flat_request.get(n, ""))) for n in names] + [7])
    rows = [f"  {'field':<{width}}  {'request':<{left}}  recorded"]
    for name in names:
        mark = "!" if _marked(name, differing) else " "
        got = repr(flat_request[name]) if name in flat_request else "-"
        want = repr(flat_recorded[name]) if name in flat_recorded else "-"
        rows.append(f"{mark} {name:<{width}}  {got:<{left}}  {want}")
    return "\n".join(rows)


def _marked(name: str, differing: list[str]) -> bool:
    return any(name == d or name.startswith(d + ".") for d in differing)


def _blank(value: Any) -> bool:
    return value in ("", None, 0, False, [], "0")


def _flatten(values: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(values, dict):
        out: dict[str, Any] = {}
        for k, v in values.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(values, list):
        out = {}
        for i, v in enumerate(values):
            out.update(_flatten(v, f"{prefix}{i}."))
        return out if out else {prefix.rstrip("."): []}
    return {prefix.rstrip("."): _comparable(values)}


def unify(request: Any, recorded: Any, placeholders: frozenset[str],
          learned: dict[str, str]) -> Any:
    """The request with each value where the recording has a scrubbed placeholder replaced by
    that placeholder (learning placeholder -> the client's value)."""
    if isinstance(request, dict) and isinstance(recorded, dict):
        return {k: unify(v, recorded.get(k), placeholders, learned) for k, v in request.items()}
    if isinstance(request, list) and isinstance(recorded, list) and len(request) == len(recorded):
        return [unify(a, b, placeholders, learned)
                for a, b in zip(request, recorded, strict=True)]
    if isinstance(recorded, str) and recorded in placeholders and isinstance(request, str):
        learned[recorded] = request
        return recorded
    return request
