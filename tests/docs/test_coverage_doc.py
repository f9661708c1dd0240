"""docs/coverage.md is generated from the fake's handler table and must match it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docs_coverage_md_matches_the_handler_table() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "coverage.py"), "--check"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, (
        f"{result.stderr.strip()}\n(a handler was added or removed: regenerate the page)"
    )
