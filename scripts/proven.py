"""Which server versions each message's schema is proven at, per client: for docs/coverage.md.

A message is proven at a version for a client when it has a schema (`REQUESTS`/`RESPONSES`)
and an oracle test (tests/oracle/test_*.py) that names it (`In.X` or `Out.X` anywhere in the
test function, its decorators included) is parametrised with that `(client, version)`. The
test functions are read, not run: the parametrisation is the `client, version` parametrize
mark pytest would expand (clients not installed count too: the `test` extra installs all).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schemas import REQUESTS, RESPONSES

ORACLE = Path(__file__).resolve().parent.parent / "tests" / "oracle"
#: clients in the order the column lists them
CLIENT_ORDER = ("ibapi", "ib_async", "ib_insync")


#: a message as a key: `In` and `Out` are IntEnums, so In.PLACE_ORDER == Out.ORDER_STATUS (3)
Key = tuple[str, str]


def key(message: Enum) -> Key:
    return type(message).__name__, message.name


def _named_messages(function: ast.FunctionDef, constants: dict[str, ast.expr]) -> set[Key]:
    """`In.X`/`Out.X` in the function (decorators included) or in a module-level constant
    it names (a parametrize list kept in a variable)."""
    named: set[Key] = set()
    nodes: list[ast.AST] = [function]
    nodes += [constants[n.id] for n in ast.walk(function)
              if isinstance(n, ast.Name) and n.id in constants]
    for node in (n for root in nodes for n in ast.walk(root)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in ("In", "Out")):
            enum: Any = In if node.value.id == "In" else Out
            if node.attr in enum.__members__:
                named.add((node.value.id, node.attr))
    return named


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found[node.target.id] = node.value
    return found


def _client_versions(function: object) -> set[tuple[str, int]]:
    pairs: set[tuple[str, int]] = set()
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize" or len(mark.args) < 2:
            continue
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if "client" not in names or "version" not in names:
            continue
        at_client, at_version = names.index("client"), names.index("version")
        for param in mark.args[1]:
            values = getattr(param, "values", param)
            pairs.add((values[at_client], int(values[at_version])))
    return pairs


@cache
def oracle_versions() -> dict[Key, dict[str, frozenset[int]]]:
    """message key (`key(In.X)`) -> client -> the versions its oracle tests run at."""
    found: dict[Key, dict[str, set[int]]] = {}
    for path in sorted(ORACLE.glob("test_*.py")):
        module = importlib.import_module(f"tests.oracle.{path.stem}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
                continue
            pairs = _client_versions(getattr(module, node.name, None))
            for message in _named_messages(node, constants):
                for client, version in pairs:
                    found.setdefault(message, {}).setdefault(client, set()).add(version)
    return {m: {c: frozenset(v) for c, v in by.items()} for m, by in found.items()}


def _span(versions: frozenset[int]) -> str:
    low, high = min(versions), max(versions)
    return f"{low}" if low == high else f"{low}..{high} ({len(versions)})"


def proven_text(message: Enum) -> str:
    """`ibapi 100..200 (11) · ib_async 157..178 (6) · ...`, "schema", or "" (no schema)."""
    has_schema = message in (REQUESTS if isinstance(message, In) else RESPONSES)
    if not has_schema:
        return ""
    by_client = oracle_versions().get(key(message), {})
    if not by_client:
        return "schema"
    rank = {client: i for i, client in enumerate(CLIENT_ORDER)}
    order = sorted(by_client, key=lambda c: (rank.get(c, len(rank)), c))
    return " · ".join(f"{client} {_span(by_client[client])}" for client in order)


def response_rows() -> Iterator[tuple[Out, str]]:
    for message in sorted(RESPONSES, key=int):
        yield message, proven_text(message)
