"""``krosbl bench``: time the solvers against each other, in one run, on fixed problems.

Cases (:data:`CASES`; choose with ``--cases``):

``irs-sized``
    IRS-sized complex problem, every SBL-family solver; ratios to classic SBL on the dense
    Kronecker matrix.
``synthetic``
    The real problem of the paper's Fig. 3 with AM/SVD/KSBL, dense classic SBL, scikit-learn's
    ``ARDRegression``, Kronecker OMP and OMP.
``synthetic-sbl``
    Classic SBL on five draws of the synthetic problem, on the ``Kron`` and on the dense
    matrix, against a plain dense EM implementation; medians over the draws.
``scale``
    10⁶ unknowns: SVD- and AM-KroSBL full solves in child processes, with peak memory.
``iteration``
    One EM iteration against one posterior evaluation (SVD, AM) at IRS size and at 10⁶.
``paper`` (only when named: about 50 minutes at full size)
    ``krosbl run all --paper --workers 2``, extrapolated from the first ``--repeat`` trials of
    every experiment at the paper's settings (the estimate is the median trial time times
    the trials each of two workers runs).
``batch``
    One IRS trial (trial 1) at 4 dB observed B = 5 and 20 times: one ``recover_batch`` call
    against one ``recover`` per problem (SVD-, AM-, PC-KroSBL, dKroSBL).
``irs``
    Five trials of the paper's IRS experiment at 4 dB (medians over them), every IRS
    algorithm; also divided by the authors' published times (a cross-machine comparison).

Times are medians of ``--repeat`` solves, wall clock (:func:`time.perf_counter`) around
the solver call only; every problem is drawn from a fixed seed. By default the BLAS thread
pools are limited to one thread (``--threads``), which keeps the ratios stable on a shared
machine.

Examples
--------
From the shell::

    krosbl bench --quick --json bench.json
    krosbl bench --cases irs-sized scale --repeat 5

From Python:

>>> from krosbl import bench
>>> report = bench.run_benchmark(["iteration"], quick=True, repeat=1)  # doctest: +SKIP
>>> report.print()  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..cli_types import output_file, positive_float, positive_int
from .cases import CASES, Case, CaseResult, Target, run_case
from .measure import Row, Solver, limit_threads, warm_up
from .report import Report, machine_info, summary_lines

__all__ = [
    "CASES",
    "Case",
    "CaseResult",
    "Report",
    "Row",
    "Solver",
    "Target",
    "handler",
    "register",
    "run_benchmark",
]


def run_benchmark(
    cases: Sequence[str] | None = None,
    *,
    quick: bool = False,
    repeat: int = 3,
    budget_s: float = 60.0,
    threads: int | None = 1,
    progress: Callable[[Row], None] | None = None,
) -> Report:
    """Run benchmark cases and return their report.

    Parameters
    ----------
    cases : sequence of str, optional
        Names of :data:`CASES` (default: all but the opt-in ``paper``, in their order).
    quick : bool
        Small problems (for CI); the targets are not checked.
    repeat : int
        Solves per row; the median time is reported.
    budget_s : float
        Per-row time budget: a row starts no new solve once its solves took this long, so
        slow rows may report fewer than ``repeat`` solves (``n_solves``).
    threads : int or None
        Limit of the BLAS thread pools during the benchmark (``None``: the library default).
    progress : callable, optional
        Called with each row as soon as it is measured.

    Returns
    -------
    Report

    Raises
    ------
    ValueError
        An unknown case name or a non-positive ``repeat``.
    """
    names = (
        [n for n, c in CASES.items() if not c.opt_in] if not cases else list(dict.fromkeys(cases))
    )
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise ValueError(f"unknown case(s) {unknown}; valid cases are {list(CASES)}")
    if repeat < 1:
        raise ValueError(f"repeat must be ≥ 1, got {repeat}")
    start = time.perf_counter()
    with limit_threads(threads):
        # inside the limit: ``threadpools`` shows the thread counts the solves run with
        meta: dict[str, Any] = {
            "cases": names,
            "quick": quick,
            "repeat": repeat,
            "budget_s": budget_s,
            **machine_info(threads),
        }
        report = Report(meta=meta)
        warm_up()
        for name in names:
            report.results.append(
                run_case(
                    CASES[name],
                    quick=quick,
                    repeat=repeat,
                    budget_s=budget_s,
                    threads=threads,
                    progress=progress or (lambda row: None),
                )
            )
    meta["total_s"] = time.perf_counter() - start
    meta["load_average_end"] = machine_info(threads)["load_average"]
    return report


# --------------------------------------------------------------------------------------------
# command line


def _threads(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'auto', got {text!r}"
        ) from None


def _print_progress(row: Row) -> None:
    print(summary_lines([row])[0], file=sys.stderr, flush=True)


def handler(args: argparse.Namespace) -> int:
    """Run ``krosbl bench`` with parsed arguments; returns the exit code (0)."""
    report = run_benchmark(
        args.cases,
        quick=args.quick,
        repeat=args.repeat,
        budget_s=args.budget,
        threads=args.threads,
        progress=None if args.quiet else _print_progress,
    )
    if args.json:  # before the tables: a reader that stops early loses no file
        report.write_json(args.json)
        print(f"wrote {args.json}", file=sys.stderr)
    report.print(plain=args.plain)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``bench`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``ArgumentParser.add_subparsers()``; the subparser gets ``func=handler``.
    """
    parser = subparsers.add_parser(
        "bench",
        help="time the solvers against each other on fixed problems",
        description=(
            "Time the solvers against each other, in one run, on fixed problems; print one "
            "table per case (median time per solve, ratio to the case's baseline, NMSE, "
            "iterations)."
        ),
    )
    parser.add_argument(
        "--json", type=output_file, metavar="PATH", help="also write the results as JSON"
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=3,
        metavar="N",
        help="solves per row; the median is reported (default 3)",
    )
    parser.add_argument("--quick", action="store_true", help="small problems (for CI)")
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=list(CASES),
        metavar="CASE",
        help=f"cases to run (default all but paper): {', '.join(CASES)}",
    )
    parser.add_argument(
        "--threads",
        type=_threads,
        default=1,
        metavar="N|auto",
        help="BLAS threads during the benchmark (default 1; 'auto': the library default)",
    )
    parser.add_argument(
        "--budget",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="a row starts no new solve after this much time (default 60)",
    )
    parser.add_argument(
        "--plain", action="store_true", help="plain-text tables, even on a terminal"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=handler)
