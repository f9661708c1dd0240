"""What a schema carries at a version: the values of a message a client can see there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tws.wire.schema import Schema


def present(schema: Schema, version: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` without the names `schema`'s layout at `version` does not carry (a field
    added by a later gate, or removed by an earlier one): what the decoded object can hold."""
    names = set(schema.field_names(version))
    return _keep(values, names, "")


def _keep(values: Mapping[str, Any], names: set[str], prefix: str) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in values.items():
        path = prefix + key
        if isinstance(value, Mapping):
            inner = _keep(value, names, f"{path}.")
            if inner:
                kept[key] = inner
        elif isinstance(value, list):
            if any(n.startswith(f"{path}[].") for n in names):
                kept[key] = [_keep(v, names, f"{path}[].") if isinstance(v, Mapping) else v
                             for v in value]
        elif path in names:
            kept[key] = value
    return kept
