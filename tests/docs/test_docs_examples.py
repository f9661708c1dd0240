"""The docs show tests/examples/ verbatim (scripts/sync_examples.py keeps them so)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_example_in_the_docs_matches_its_file() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_examples.py"), "--check"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_every_example_file_is_shown_in_some_doc() -> None:
    shown = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    examples = sorted((ROOT / "tests" / "examples").glob("test_*.py"))
    assert examples
    marker = "<!-- example: tests/examples/{} -->"
    missing = [p.name for p in examples if marker.format(p.name) not in shown]
    assert missing == []
