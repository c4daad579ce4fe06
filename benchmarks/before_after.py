"""Two versions of krosbl in one process, their solvers taking turns: a change's before/after.

``python -m benchmarks.before_after BEFORE_SRC [AFTER_SRC] [--repeat N] [--json FILE]``

``BEFORE_SRC`` and ``AFTER_SRC`` are ``src`` folders of two checkouts (``AFTER_SRC``: this
checkout's). Each is copied under a name of its own (``krosbl_before``, ``krosbl_after``) so
that both import side by side; the problems are built once, by the installed ``krosbl``.
Every solve is timed in CPU seconds with one BLAS thread, the two versions alternating solve
by solve (which goes first alternates too), and a row gives the medians and their ratio
(after / before) with the relative difference of the two estimates.

Problems: the five IRS trials of the ``irs`` case (the paper's scenario at 4 dB) with SVD-,
AM- and PC-KroSBL; the 10⁶-unknown problem of the ``scale`` case with SVD-KroSBL; eight noise
draws of the ``irs-sized`` trial solved by one ``recover_batch`` call (SVD- and AM-KroSBL).
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from .cases import IRS_PAPER, SCALE
from .problems import IRSSpec, Problem

__all__ = ["main"]


def load_copy(src: Path, name: str, into: Path) -> ModuleType:
    """Import the ``krosbl`` package of ``src`` as ``name`` (a renamed copy in ``into``)."""
    package = into / name
    shutil.copytree(src / "krosbl", package)
    for path in package.rglob("*.py"):
        text = path.read_text()
        renamed = re.sub(r"\bkrosbl\.", f"{name}.", text)
        renamed = re.sub(r"\b(from|import) krosbl\b", rf"\1 {name}", renamed)
        if renamed != text:
            path.write_text(renamed)
    sys.path.insert(0, str(into))
    return importlib.import_module(name)


def _solve(pkg: ModuleType, problem: Problem, method: str) -> tuple[float, np.ndarray]:
    """One solve: CPU seconds and the estimate (the first problem's, for a batch)."""
    settings = pkg.irs.irs_settings(method, problem.snr_db) if problem.preset == "irs" else None
    factors = [np.asarray(f) for f in problem.factors]
    start = time.process_time()
    if problem.y.ndim == 2:
        x = pkg.recover_batch(problem.y, factors, method, problem.noise_var, settings=settings)[0].x
    else:
        x = pkg.recover(problem.y, factors, method, problem.noise_var, settings=settings).x
    return time.process_time() - start, x


def _cases(quick: bool) -> list[tuple[str, Problem, str]]:
    irs = IRS_PAPER[:2] if quick else IRS_PAPER
    cases = [(s.name, s.build(), m) for s in irs for m in ("svd-krosbl", "am-krosbl", "pc-krosbl")]
    batch = IRSSpec("irs-sized-8-draws", snr_db=15.0, seed=2024, draws=8).build()
    cases += [(batch.name, batch, m) for m in ("svd-krosbl", "am-krosbl")]
    if not quick:
        cases.append((SCALE.name, SCALE.build(), "svd-krosbl"))
    return cases


def compare(before: ModuleType, after: ModuleType, repeat: int, quick: bool) -> list[dict]:
    """Rows of the comparison (printed as they are measured)."""
    rows = []
    for name, problem, method in _cases(quick):
        times: dict[str, list[float]] = {"before": [], "after": []}
        estimates = {}
        for turn in range(repeat + 1):  # the first turn warms up
            order = [("before", before), ("after", after)]
            for label, pkg in order if turn % 2 else order[::-1]:
                seconds, estimates[label] = _solve(pkg, problem, method)
                if turn:
                    times[label].append(seconds)
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        scale = max(float(np.linalg.norm(estimates["before"])), 1e-300)
        diff = float(np.linalg.norm(estimates["after"] - estimates["before"])) / scale
        row = {"problem": name, "method": method, "before_s": b, "after_s": a}
        row |= {"ratio": a / b, "estimate_difference": diff, "repeat": repeat}
        rows.append(row)
        print(
            f"{name:24s} {method:11s} before {b * 1e3:8.1f} ms  after {a * 1e3:8.1f} ms  "
            f"ratio {a / b:5.3f}  |Δx|/|x| {diff:.1e}",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.before_after", description=__doc__)
    parser.add_argument("before", type=Path, help="src folder of the version before")
    parser.add_argument("after", type=Path, nargs="?", default=Path(__file__).parents[1] / "src")
    parser.add_argument("--repeat", type=int, default=5, help="timed solves per version")
    parser.add_argument("--quick", action="store_true", help="fewer, smaller problems")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(limits=1):
        before = load_copy(args.before, "krosbl_before", Path(folder))
        after = load_copy(args.after, "krosbl_after", Path(folder))
        rows = compare(before, after, args.repeat, args.quick)
    if args.json:
        record: dict[str, Any] = {"command": " ".join(sys.argv), "rows": rows}
        args.json.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
