"""The documentation's runnable examples run: the gallery scripts and the markdown snippets.

The Sphinx build of ``make test`` does not execute the gallery (``plot_gallery=0``, for speed),
so each gallery script runs here in its own process, as a user would run it; the Python blocks
of the README and of the docs pages run through ``docs/run_snippets.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
#: Gallery scripts that run for more than about 5 s.
SLOW_EXAMPLES = {"plot_methods_comparison"}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_there_are_gallery_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(
    "script",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW_EXAMPLES else p for p in EXAMPLES],
    ids=[p.stem for p in EXAMPLES],
)
def test_gallery_example_runs(script: Path, tmp_path: Path) -> None:
    done = _run([str(script)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_markdown_snippets_run() -> None:
    done = _run([str(ROOT / "docs" / "run_snippets.py"), "README.md"], cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    done = _run([str(ROOT / "docs" / "run_snippets.py")], cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout
