"""Build the wheel and the sdist, install each in a clean virtual environment, and run the
installation's smoke tests there, as a user would meet the package.

    python scripts/check_dist.py            # build into a temporary dir, check both
    python scripts/check_dist.py --dist dist  # check what is already in dist/

In each fresh venv (no ini, no conftest, in an empty directory): `pytest-tws --version`,
`pytest --pyargs pytest_tws.selftest` in pytest-asyncio's strict and auto modes (with
warnings turned into errors), and `pytest-tws fake --help`. Needs the package index for the
dependencies; takes minutes, so it is a tox env (`tox -e dist`), not part of the suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def bin_dir(env: Path) -> Path:
    return env / ("Scripts" if sys.platform == "win32" else "bin")


def check(artifact: Path, work: Path) -> float:
    started = time.monotonic()
    env = work / f"venv-{artifact.suffix.strip('.')}"
    venv.create(env, with_pip=True)
    python = bin_dir(env) / "python"
    run(python, "-m", "pip", "install", "-q", str(artifact))
    project = work / f"project-{artifact.suffix.strip('.')}"
    project.mkdir()
    version = run(bin_dir(env) / "pytest-tws", "--version", cwd=project).strip()
    assert version.startswith("pytest-tws "), version
    run(bin_dir(env) / "pytest-tws", "fake", "--help", cwd=project)
    for mode in ("strict", "auto"):
        out = run(python, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error",
                  f"--asyncio-mode={mode}", "--pyargs", "pytest_tws.selftest", cwd=project)
        print(f"  {artifact.name} [{mode}]: {out.strip().splitlines()[-1]}")
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, help="check the artifacts already in this dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pytest-tws-dist-") as tmp:
        work = Path(tmp)
        dist = args.dist or work / "dist"
        if args.dist is None:
            run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
        artifacts = sorted(dist.glob("*.whl")) + sorted(dist.glob("*.tar.gz"))
        if len(artifacts) != 2:
            raise SystemExit(f"expected one wheel and one sdist in {dist}, found {artifacts}")
        for artifact in artifacts:
            seconds = check(artifact, work)
            print(f"ok: {artifact.name} installs and passes its smoke tests ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
