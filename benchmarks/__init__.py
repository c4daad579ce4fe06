"""Benchmarks of krosbl: the solvers timed against each other, in one run, on fixed problems.

Run from a checkout (the suite is not part of the installed package)::

    python -m benchmarks --quick                              # small problems, seconds
    python -m benchmarks --cases irs scale --json out.json    # some cases, full size
    python -m pytest benchmarks                               # the speed targets, asserted

Cases (:data:`CASES`; choose with ``--cases``):

``irs-sized``
    IRS-sized complex problem, every SBL-family solver; ratios to classic SBL on the dense
    Kronecker matrix.
``irs-sized-snr``
    The same trial over the paper's SNR grid: SVD-KroSBL against dense classic SBL.
``synthetic``
    The real problem of the paper's Fig. 3 with AM/SVD/KSBL, dense classic SBL, scikit-learn's
    ``ARDRegression``, Kronecker OMP and OMP.
``synthetic-sbl``
    Classic SBL on five draws of the synthetic problem, on the ``Kron`` and on the dense
    matrix, against a plain dense EM implementation (:mod:`benchmarks.plain`); medians over
    the draws; the solvers take turns, solve by solve.
``scale``
    10⁶ unknowns: SVD-, AM- and dKroSBL full solves in child processes, with peak memory.
``iteration``
    One EM iteration against one posterior evaluation (SVD, AM) at IRS size and at 10⁶.
``irs``
    Five trials of the paper's IRS experiment at 4 dB (medians over them), every IRS
    algorithm; also divided by the authors' published times (a cross-machine comparison).
``batch``
    One IRS trial (trial 1) at 4 dB observed B = 5 and 20 times: one ``recover_batch`` call
    against one ``recover`` per problem (SVD-, AM-, PC-KroSBL, dKroSBL).
``paper`` (only when named: about 50 minutes at full size)
    ``krosbl run all --paper --workers 2``, extrapolated from the first ``--repeat`` trials of
    every experiment at the paper's settings (the median trial time times the trials each of
    two workers runs).

Times are medians of ``--repeat`` solves, wall clock (:func:`time.perf_counter`) around
the solver call only; every problem is drawn from a fixed seed. By default the BLAS thread
pools are limited to one thread (``--threads``), which keeps the ratios stable on a shared
machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .cases import CASES, run_case
from .measure import Row, limit_threads, warm_up
from .report import Report, machine_info

__all__ = ["CASES", "run_benchmark"]


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
        Small problems (for CI).
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
