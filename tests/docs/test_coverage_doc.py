"""docs/coverage.md is generated from the fake's handler table and must match it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_coverage_md_matches_the_handler_table() -> None:
    coverage = load_script("coverage")
    current = coverage.DOC.read_text(encoding="utf-8")
    assert current == coverage.render(), (
        "docs/coverage.md is stale (a handler was added or removed): "
        "run python scripts/coverage.py"
    )


def test_the_table_lists_every_request_once() -> None:
    coverage = load_script("coverage")
    text = coverage.render()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    names = [row.split("`")[1] for row in rows]
    assert len(names) == len(set(names)) > 80
    assert "| 71 | `START_API` | ✓ | connection |" in text
