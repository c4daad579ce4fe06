"""Run the Python code blocks of the documentation's markdown pages.

Each page's ```` ```python ```` blocks run in order, in one namespace per page, from the
repository root (so relative paths such as ``examples/`` resolve). A page passes when
no block raises. The gallery (``examples/``) is run by the Sphinx build itself.

Usage::

    .venv/bin/python docs/run_snippets.py              # every docs/**/*.md page but the slow ones
    .venv/bin/python docs/run_snippets.py docs/irs.md  # some pages (any, slow ones included)

Exit status 0 when every page passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import time
import traceback
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
#: Pages left out unless named: their examples run for minutes (reference-fixtures.md verifies
#: every fixture; experiments.md runs a 20-trial sweep into results/snr). The test suite covers
#: both.
SLOW = ("reference-fixtures.md", "experiments.md")
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(path: Path) -> list[str]:
    """The ```` ```python ```` blocks of a markdown file."""
    return BLOCK.findall(path.read_text(encoding="utf-8"))


def run_page(path: Path) -> tuple[bool, str]:
    """Run one page's blocks; returns (passed, message)."""
    namespace: dict[str, object] = {"__name__": f"snippets:{path.name}"}
    code = blocks(path)
    if not code:
        return True, "no python block"
    out = io.StringIO()
    start = time.perf_counter()
    for i, block in enumerate(code):
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(block, f"{path.name}[block {i + 1}]", "exec"), namespace)
        except Exception:  # report any failure of a documented example
            return False, f"block {i + 1} failed:\n{traceback.format_exc()}"
    return True, f"{len(code)} block(s), {time.perf_counter() - start:.1f} s"


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "pages", nargs="*", type=Path, help="markdown files (default: all but the slow ones)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.pages:
        pages = [p.resolve() for p in args.pages]
    else:
        skip = {"_build", "generated", "auto_examples"}
        pages = [
            p
            for p in sorted(DOCS.rglob("*.md"))
            if p.name not in SLOW
            and p.name != "README.md"
            and not skip & set(p.relative_to(DOCS).parts)
        ]
    os.chdir(ROOT)
    failed = 0
    for page in pages:
        ok, message = run_page(page)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {page.relative_to(ROOT)}: {message}")
    print(f"{len(pages) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
