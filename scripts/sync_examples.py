"""Copy the runnable examples of tests/examples/ into the docs that show them.

A doc marks where an example goes; everything between the markers is replaced:

    <!-- example: tests/examples/test_quickstart.py -->
    ...
    <!-- /example -->

    python scripts/sync_examples.py           # rewrite the docs
    python scripts/sync_examples.py --check   # exit 1 if a doc shows an outdated example

The examples run as tests against the fake, so what the docs show is known to work;
tests/docs/test_docs_examples.py fails when a doc and its example differ.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(
    r"(?P<open><!-- example: (?P<path>[^ ]+) -->\n)(?P<body>.*?)(?P<close><!-- /example -->)",
    re.DOTALL,
)


def render_example(path: str) -> str:
    source = (ROOT / path).read_text(encoding="utf-8")
    return f"```python\n{source.rstrip()}\n```\n"


def sync(text: str) -> str:
    """`text` with every example block refreshed from its file."""
    return BLOCK.sub(lambda m: m["open"] + render_example(m["path"]) + m["close"], text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a doc is stale")
    args = parser.parse_args(argv)
    stale = []
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        wanted = sync(text)
        if wanted == text:
            continue
        stale.append(doc)
        if not args.check:
            with doc.open("w", encoding="utf-8", newline="\n") as out:
                out.write(wanted)
            print(f"updated {doc.relative_to(ROOT)}")
    if args.check and stale:
        names = ", ".join(str(d.relative_to(ROOT)) for d in stale)
        print(f"examples out of date in {names}: run python scripts/sync_examples.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
