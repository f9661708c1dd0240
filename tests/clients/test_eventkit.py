"""ib_async needs `aeventkit`, ib_insync needs `eventkit`; both wheels install the module
`eventkit` (the same file list), so the files on disk are those of whichever pip wrote last.

The project's choice (pyproject.toml, the `test` extra): install both and let either win,
because both libraries run this suite on both (ib_async 2.1 on eventkit 1.0.3 and ib_insync
0.9.86 on aeventkit 2.1 pass the same tests/clients and phase suites). These tests state what
that choice relies on, and say which one won.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
from pathlib import Path

import pytest

import tests

#: the two distributions that install the module `eventkit`
PROVIDERS = ("aeventkit", "eventkit")


def _module_files(dist: importlib.metadata.Distribution) -> dict[str, str]:
    """path -> RECORD hash of the `eventkit/*.py` files `dist` installed."""
    return {str(f): f.hash.value for f in dist.files or []
            if str(f).startswith("eventkit/") and str(f).endswith(".py") and f.hash}


def _on_disk(dist: importlib.metadata.Distribution, path: str) -> str:
    data = Path(str(dist.locate_file(path))).read_bytes()
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def winner() -> str | None:
    """"aeventkit 2.1.0" or "eventkit 1.0.3": the distribution whose files are all on disk."""
    for name in PROVIDERS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        files = _module_files(dist)
        if files and all(_on_disk(dist, path) == digest for path, digest in files.items()):
            return f"{name} {dist.version}"
    return None


def test_the_eventkit_files_are_one_distributions_whole(record_property: pytest.RecordProperty):
    won = winner()
    record_property("eventkit", won)
    assert won is not None, "the eventkit/ files on disk mix two distributions: reinstall one"


def test_both_providers_install_the_same_modules():
    try:
        files = [set(_module_files(importlib.metadata.distribution(n))) for n in PROVIDERS]
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("only one of aeventkit/eventkit is installed")
    assert files[0] == files[1]


def test_both_libraries_import_on_the_eventkit_that_won():
    ib_async = pytest.importorskip("ib_async")
    ib_insync = pytest.importorskip("ib_insync")
    assert ib_async.IB().isConnected() is False
    assert ib_insync.IB().isConnected() is False


def test_the_repositorys_tests_package_is_not_eventkit_103s():
    # eventkit 1.0.3's wheel also installs a top-level `tests` package into site-packages;
    # the suite's `from tests.… import …` must still find this repository's
    here = Path(__file__).resolve().parents[1]
    assert Path(tests.__file__).resolve().parent == here
