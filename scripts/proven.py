"""Which server versions each message's schema is proven at, per client: for docs/coverage.md.

A message is proven at a version for a client when it has a schema (`REQUESTS`/`RESPONSES`)
and an oracle test (tests/oracle/test_*.py) that codes it is parametrised with that
`(client, version)`. A test codes the messages it names (`In.X`/`Out.X`, a schema, a
parametrize list of them; decorators included) and those named by the functions of this
project it calls, a few calls deep (a layout that returns `Message(OPEN_ORDER, ...)`). The
test functions are read, not run: the parametrisation is the `client, version` parametrize
mark pytest would expand (clients not installed count too: the `test` extra installs all).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from collections.abc import Iterator
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from pytest_tws.wire.messages import In, Out
from pytest_tws.wire.schema import Schema
from pytest_tws.wire.schemas import REQUESTS, RESPONSES

ORACLE = Path(__file__).resolve().parent.parent / "tests" / "oracle"
#: how many calls deep a test's helpers and this project's layouts are followed
FOLLOW_DEPTH = 3
#: modules whose functions are followed (not the clients' or the standard library's)
OWN_CODE = ("pytest_tws.", "tests.oracle.")
#: clients in the order the column lists them
CLIENT_ORDER = ("ibapi", "ib_async", "ib_insync")


#: a message as a key: `In` and `Out` are IntEnums, so In.PLACE_ORDER == Out.ORDER_STATUS (3)
Key = tuple[str, str]


def key(message: Enum) -> Key:
    return type(message).__name__, message.name


def _messages_of(obj: object) -> set[Key]:
    """The message keys `obj` stands for: an `In`/`Out` member, a Schema, or a collection
    (a parametrize list) holding them."""
    if isinstance(obj, (In, Out)):
        return {key(obj)}
    if isinstance(obj, Schema) and isinstance(obj.message_id, (In, Out)):
        return {key(obj.message_id)}
    # a layout built from a schema (its own attribute: never getattr on arbitrary objects,
    # `pytest.mark.schema` would make a mark)
    schema = getattr(obj, "__dict__", {}).get("schema") if not isinstance(obj, type) else None
    if isinstance(schema, Schema):
        return _messages_of(schema)
    if isinstance(obj, (list, tuple, set, frozenset)):
        found: set[Key] = set()
        for item in obj:
            values = getattr(item, "values", item)  # a pytest.param
            items = values if isinstance(values, (list, tuple)) else (values,)
            for x in items:
                if isinstance(x, (In, Out, Schema)):
                    found |= _messages_of(x)
        return found
    return set()


def _resolve(node: ast.expr, scope: dict[str, Any]) -> object:
    """The object a `name` or `name.attr.attr` expression names in `scope`, or None."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, scope)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _named_messages(tree: ast.AST, scope: dict[str, Any], depth: int = 0,
                    seen: set[int] | None = None) -> set[Key]:
    """Messages a test names, directly (`In.X`, a schema, a parametrize list of them) or
    through the functions it calls (a layout returning `Message(SCHEMA, ...)`), followed
    `FOLLOW_DEPTH` calls deep into this project's own code. Requests count only where the
    test names them itself: a helper that decodes a request to build a response's input (at
    one version) does not prove that request."""
    seen = set() if seen is None else seen
    named: set[Key] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        obj = _resolve(node, scope)
        named |= {k for k in _messages_of(obj) if depth == 0 or k[0] == "Out"}
        if callable(obj) and hasattr(obj, "__wrapped__"):
            obj = inspect.unwrap(obj)  # a memoised layout (functools.cache / lru_cache)
        if (inspect.isfunction(obj) and id(obj) not in seen and depth < FOLLOW_DEPTH
                and obj.__module__.startswith(OWN_CODE)):
            seen.add(id(obj))
            try:
                source = textwrap.dedent(inspect.getsource(obj))
            except (OSError, TypeError):
                continue
            named |= _named_messages(ast.parse(source), obj.__globals__, depth + 1, seen)
    return named


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
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
                continue
            pairs = _client_versions(getattr(module, node.name, None))
            for message in _named_messages(node, vars(module)):
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
