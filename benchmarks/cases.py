"""The benchmark cases, as data, and the one function that runs a case.

Each :class:`Case` names its problems (full size and ``--quick``), its solvers (one table
row each) and its baseline. Four kinds of case exist:

* ``compare`` — full solves of several solvers on one problem, taking turns solve by solve
  (so that a change of the machine's load reaches every row alike), ratios to the baseline
  row;
* ``scale`` — the same, each solve in a child process whose peak memory is measured;
* ``iteration`` — one EM iteration against one posterior evaluation, per problem;
* ``paper`` — the time of ``krosbl run all --paper``, extrapolated from its first trials.

The speed targets are assertions of ``benchmarks/test_performance.py``.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from krosbl.api import memory_estimate

from .iteration import measure_iteration
from .measure import Row, Solver, measure_in_child, measure_in_turn
from .paper import measure_paper
from .problems import IRSSpec, ProblemSpec, SyntheticSpec

__all__ = ["CASES", "MEDIAN", "Case", "CaseResult", "run_case"]

#: Problem name of the rows holding the medians over a case's problems.
MEDIAN = "median"


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    Parameters
    ----------
    name : str
        Name for ``--cases`` and the table.
    title : str
        One-line description.
    kind : {"compare", "scale", "iteration", "paper"}
        How the rows are measured (module docstring).
    problems, quick : tuple of ProblemSpec
        The problems of the full run and of ``--quick``.
    solvers : tuple of Solver
        The rows (``iteration``: the methods, on every problem).
    baseline : str or None
        Label of the row the others are divided by (``compare``, ``scale``).
    notes : tuple of str
        Printed under the table.
    median : bool
        Add one row per solver with the medians over the problems (``compare`` cases with
        several problems): time, ratio (the median of the per-problem ratios) and NMSE.
    opt_in : bool
        Run only when named (``--cases``), not by default: a case that takes far longer than
        the others (``paper``, about 50 minutes at full size).
    """

    name: str
    title: str
    kind: Literal["compare", "scale", "iteration", "paper"]
    problems: tuple[ProblemSpec, ...]
    quick: tuple[ProblemSpec, ...]
    solvers: tuple[Solver, ...]
    baseline: str | None = None
    notes: tuple[str, ...] = ()
    median: bool = False
    opt_in: bool = False


@dataclass
class CaseResult:
    """The rows of one case with the description of its problems."""

    case: Case
    problems: list[dict[str, Any]]
    rows: list[Row]


# --------------------------------------------------------------------------------------------
# problems

_SMALL_IRS = (("n_bs", 8), ("grid", 8), ("n_irs", 64))

IRS_SIZED = IRSSpec("irs-sized", snr_db=15.0, seed=2024)
IRS_SIZED_QUICK = IRSSpec("irs-sized-quick", snr_db=15.0, seed=2024, scenario=_SMALL_IRS)
SYNTHETIC = SyntheticSpec(
    "synthetic", (15, 15, 15), (8, 12, 15), k=3, snr_db=25.0, seed=71, drawn_rows=(14, 12, 15)
)
SYNTHETIC_QUICK = SyntheticSpec(
    "synthetic-quick", (10, 10, 10), (6, 8, 10), k=2, snr_db=25.0, seed=71
)
#: Five draws of the synthetic problem (seeds 71–75), for medians over problems.
SYNTHETIC_DRAWS = tuple(
    dataclasses.replace(SYNTHETIC, name=f"synthetic-{s}", seed=s) for s in range(71, 76)
)
SYNTHETIC_DRAWS_QUICK = tuple(
    dataclasses.replace(SYNTHETIC_QUICK, name=f"synthetic-quick-{s}", seed=s) for s in (71, 72)
)
SCALE = SyntheticSpec("scale-1e6", (100, 100, 100), (50, 50, 50), k=3, snr_db=20.0, seed=6)
SCALE_QUICK = SyntheticSpec("scale-quick", (20, 20, 20), (10, 10, 10), k=3, snr_db=20.0, seed=6)
#: The paper's SNR grid (IRS experiment, Figs. 6–8).
IRS_SNRS = (4.0, 8.0, 12.0, 16.0, 20.0)
IRS_SIZED_SNRS = tuple(IRSSpec(f"irs-sized-{s:g}dB", snr_db=s, seed=2024) for s in IRS_SNRS)
IRS_SIZED_SNRS_QUICK = tuple(
    IRSSpec(f"irs-sized-quick-{s:g}dB", snr_db=s, seed=2024, scenario=_SMALL_IRS)
    for s in (4.0, 20.0)
)
#: Five trials of the paper's IRS scenario (run seed 7) at 4 dB: one trial can be an easy one.
IRS_PAPER = tuple(IRSSpec(f"irs-paper-4dB-t{t}", snr_db=4.0, seed=7, trial=t) for t in range(5))
IRS_PAPER_QUICK = tuple(
    IRSSpec(f"irs-paper-quick-t{t}", snr_db=4.0, seed=7, trial=t, scenario=_SMALL_IRS)
    for t in range(2)
)

# --------------------------------------------------------------------------------------------
# solvers

DENSE_SBL = Solver("sbl (dense)", "sbl", dense=True)
PLAIN_SBL = Solver("plain dense EM", "plain-sbl", dense=True)
_KRON_SBL = (Solver("sbl (Kron)", "sbl"), Solver("pc-sbl (Kron)", "pc-sbl"))
_SVD = Solver("svd-krosbl", "svd-krosbl")
_AM = Solver("am-krosbl", "am-krosbl")
_KSBL = Solver("ksbl", "ksbl")
#: dKroSBL (beyond the paper), on its neutral defaults.
_DK = Solver("dkrosbl", "dkrosbl")

#: The authors' per-solve times at 4 dB (MATLAB, their machine; paper, Section VI).
PAPER_SECONDS = {
    "svd-krosbl": 30.0,
    "am-krosbl": 44.0,
    "pc-krosbl": 27.0,
    "sbl": 63.0,
    "pc-sbl": 88.0,
}


def _paper(solver: Solver) -> Solver:
    """``solver`` with the authors' published time of its method."""
    return dataclasses.replace(solver, paper_s=PAPER_SECONDS[solver.method])


def _pc_krosbl(beta: float) -> Solver:
    return Solver(f"pc-krosbl β={beta}", "pc-krosbl", options=(("beta", beta),))


def _numba(solver: Solver) -> Solver:
    """``solver`` with the compiled sweeps (``kernel="numba"``, the ``fast`` extra)."""
    options = (*solver.options, ("kernel", "numba"))
    return dataclasses.replace(solver, label=f"{solver.label} (numba)", options=options)


# --------------------------------------------------------------------------------------------
# the cases

CASES: dict[str, Case] = {
    c.name: c
    for c in (
        Case(
            "irs-sized",
            "IRS-sized complex problem (IRS factors, Kronecker-supported angular channel), "
            "IRS presets; ratio to classic SBL on the dense Kronecker matrix",
            "compare",
            (IRS_SIZED,),
            (IRS_SIZED_QUICK,),
            (_SVD, _AM, _pc_krosbl(0.8), _KSBL, DENSE_SBL, *_KRON_SBL),
            baseline=DENSE_SBL.label,
            notes=(
                "NMSE is of the angular channel x = z; ch. NMSE is the channel NMSE.",
                "ksbl has no IRS preset and runs with krosbl's default (synthetic) settings.",
            ),
        ),
        Case(
            "irs-sized-snr",
            "The irs-sized trial over the paper's SNR grid: SVD-KroSBL against classic SBL "
            "on the dense Kronecker matrix, per SNR",
            "compare",
            IRS_SIZED_SNRS,
            IRS_SIZED_SNRS_QUICK,
            (_SVD, DENSE_SBL),
            baseline=DENSE_SBL.label,
            notes=(
                "The ratio is to dense classic SBL on the same problem (row 'sbl (dense)' of "
                "each SNR). Dense classic SBL's time is mostly its first, unpruned iterations "
                "(an M × M covariance from the M × N matrix); once it prunes, its iterations "
                "are cheap, so its total depends on how fast it prunes on the trial.",
            ),
        ),
        Case(
            "synthetic",
            "Synthetic problem of the paper's Fig. 3 (real Gaussian factors, K non-zeros per "
            "factor), synthetic presets; ratio to dense classic SBL",
            "compare",
            (SYNTHETIC,),
            (SYNTHETIC_QUICK,),
            (
                _AM,
                _SVD,
                _KSBL,
                _DK,
                DENSE_SBL,
                Solver("ARD (sklearn, dense)", "ard", dense=True, options=(("max_iter", 150),)),
                Solver("kron-omp", "kron-omp"),
                Solver("omp (dense)", "omp", dense=True),
            ),
            baseline=DENSE_SBL.label,
            notes=(
                "ARD: sklearn.linear_model.ARDRegression(fit_intercept=False, max_iter=150) on "
                "the dense matrix; it learns the noise variance and updates an N×N posterior "
                "covariance (over its kept features) every iteration.",
            ),
        ),
        Case(
            "synthetic-sbl",
            "Classic SBL on five draws of the synthetic problem: krosbl (on the Kron and on "
            "the dense matrix) against a plain dense EM implementation (M × M covariance "
            "every iteration, same pruning and stopping), synthetic preset",
            "compare",
            SYNTHETIC_DRAWS,
            SYNTHETIC_DRAWS_QUICK,
            (PLAIN_SBL, DENSE_SBL, Solver("sbl (Kron)", "sbl")),
            baseline=PLAIN_SBL.label,
            notes=(
                "plain dense EM: benchmarks.plain.plain_dense_sbl, the textbook iteration "
                "(Cholesky of σ²I + A_K Γ A_Kᵀ, posterior variances from one triangular "
                "solve against A_K) with krosbl's pruning, stopping test and final E-step; "
                "it runs the same iterations and returns the same estimate.",
                "median rows: the median over the problems of the time, of the per-problem "
                "ratio and of the NMSE.",
            ),
            median=True,
        ),
        Case(
            "scale",
            "Scale (10^6 unknowns at full size): full solves, each in a fresh child process, "
            "with its peak memory; ratio to SVD-KroSBL",
            "scale",
            (SCALE,),
            (SCALE_QUICK,),
            (
                Solver("svd-krosbl", "svd-krosbl", timeout_s=600.0),
                Solver("am-krosbl", "am-krosbl", timeout_s=60.0),
                Solver("dkrosbl", "dkrosbl", timeout_s=60.0),
            ),
            baseline="svd-krosbl",
            notes=(
                "peak RSS: the child's peak resident memory (Linux VmHWM; interpreter + "
                "imports + problem + solve); "
                "RSS@start: the same just before the solve; traced: tracemalloc peak during "
                "the solve (NumPy buffers included); estimate: krosbl.memory_estimate.",
                "AM-KroSBL is skipped if one solve takes more than 60 s.",
            ),
        ),
        Case(
            "iteration",
            "Per-iteration cost: one EM iteration (Result.time_s of max_iter=1, from the "
            "preset's initial γ) / one kron_posterior on the same factors and γ; and the "
            "same averaged over a full solve",
            "iteration",
            (IRS_SIZED, SCALE),
            (IRS_SIZED_QUICK, SCALE_QUICK),
            (_SVD, _AM),
            notes=(
                "time: one EM iteration (prune + E-step + M-step, Result.time_s); the ratio "
                "column is iteration / posterior; sweeps: AM inner sweeps in that iteration.",
                "solve: the mean iteration of a full solve (Result.time_s / n_iter) and the "
                "mean kron_posterior re-run on the kept factors and γ of each of its "
                "iterations; solve ratio = their quotient.",
                "Both medians are over at least --repeat calls and 0.25 s of samples (≤ 100 "
                "calls); solves counts the iterations timed.",
            ),
        ),
        Case(
            "irs",
            "IRS experiment (Figs. 6–8): five trials at 4 dB, every IRS algorithm with its IRS "
            "preset, full solves (R_max 150); ratio to dense classic SBL; medians over the "
            "trials",
            "compare",
            IRS_PAPER,
            IRS_PAPER_QUICK,
            (
                _paper(_SVD),
                _paper(_AM),
                _paper(_numba(_AM)),
                _paper(_pc_krosbl(0.8)),
                _paper(_numba(_pc_krosbl(0.8))),
                _paper(_pc_krosbl(0.5)),
                _paper(_numba(_pc_krosbl(0.5))),
                _DK,
                *(_paper(s) for s in _KRON_SBL),
                _paper(DENSE_SBL),
            ),
            baseline=DENSE_SBL.label,
            notes=(
                "Rows are krosbl.irs.estimate's solves (recover on the Kron with the IRS "
                "preset, known σ²); sbl (dense) is the same on Kron(F).todense().",
                "paper s: the authors' published MATLAB time per solve at 4 dB; × paper = "
                "paper s / time per solve, on the paper's problem size only (not --quick): a "
                "CROSS-MACHINE comparison (different hardware, language and BLAS), unlike the "
                "ratio column, which is measured in this run.",
                "median rows: the median over the five trials of the time per solve, of the "
                "ratio and of the NMSE; × paper there is the published time over the median "
                "time.",
                "(numba): the same solver with kernel='numba' (the inner sweeps compiled, "
                "krosbl[fast]); the NumPy rows are the reference.",
            ),
            median=True,
        ),
        Case(
            "paper",
            "The whole paper (krosbl run all --paper --workers 2), extrapolated: the first "
            "--repeat trials of every experiment at the paper's settings, timed as a worker "
            "runs them; estimate = median trial time × ⌈paper trials / 2 workers⌉",
            "paper",
            (),
            (),
            (),
            notes=(
                "Not counted: storage, process start-up, plots; a trial's time varies, so the "
                "estimate is as good as the first trials are typical.",
            ),
            opt_in=True,
        ),
        Case(
            "batch",
            "Many problems per call: trial 1 of the paper's IRS scenario (run seed 7; every "
            "method recovers it at 4 dB, unlike trial 0) observed at 4 dB B times (B noise "
            "draws, known σ², IRS presets), solved by one recover_batch call against one "
            "recover per problem; times per problem",
            "compare",
            tuple(IRSSpec(f"irs-4dB-B{b}", 4.0, seed=7, trial=1, draws=b) for b in (5, 20)),
            (IRSSpec("irs-quick-B3", 4.0, seed=7, trial=1, scenario=_SMALL_IRS, draws=3),),
            tuple(
                row
                for method in ("svd-krosbl", "am-krosbl", "pc-krosbl", "dkrosbl")
                for row in (
                    Solver(f"{method} one by one", method),
                    Solver(f"{method} batched", method, batch=True, versus=f"{method} one by one"),
                )
            ),
            notes=(
                "ratio: the batched row's time over its method's one-by-one row (< 1: the "
                "batch is faster); the answers agree to rounding (tests/test_batch.py).",
                "NMSE: the mean over the B problems; iterations: their sum (extra).",
            ),
        ),
    )
}


# --------------------------------------------------------------------------------------------
# running a case


def _set_ratios(
    rows: list[Row], baseline: str | None, versus: dict[str, str], *, paper_sized: bool
) -> None:
    """Each row's time over the baseline row's time on the same problem (``versus``: the
    rows whose baseline is another row, by label).

    On the paper's problem size (not ``--quick``) a row with a published time also gets
    ``faster_than_paper`` = published time / time per solve (a cross-machine comparison).
    """
    by_label = {(r.problem, r.method): r for r in rows}
    own_bases = set(versus.values())
    for row in rows:
        label = row.method if row.method in own_bases else versus.get(row.method, baseline)
        base = by_label.get((row.problem, label or ""))
        row.baseline = row is base
        if base is not None and base.time_s and row.time_s is not None:
            row.ratio = row.time_s / base.time_s
        paper = row.extra.get("paper_s")
        if paper_sized and paper and row.time_s:
            row.extra["faster_than_paper"] = paper / row.time_s


def _median_row(case: Case, solver: Solver, rows: list[Row]) -> Row:
    """The medians over the problems of one solver's rows (failed rows left out): time,
    ratio, NMSE and channel NMSE; the iterations and solves of a middle row (lower median)."""
    mine = [r for r in rows if r.method == solver.label and r.time_s is not None]

    def median(key: str) -> float | None:
        values = [v for r in mine if (v := r.value(key)) is not None]
        return float(statistics.median(values)) if values else None

    extra: dict[str, Any] = {}
    if (channel := median("channel_nmse")) is not None:
        extra["channel_nmse"] = channel
    time_s = median("time_s")
    if solver.paper_s is not None:
        extra["paper_s"] = solver.paper_s
        if time_s and any("faster_than_paper" in r.extra for r in mine):
            extra["faster_than_paper"] = solver.paper_s / time_s
    return Row(
        case.name,
        MEDIAN,
        solver.label,
        time_s=time_s,
        n_solves=int(statistics.median_low([r.n_solves for r in mine])) if mine else 0,
        nmse=median("nmse"),
        n_iter=int(statistics.median_low([r.n_iter for r in mine if r.n_iter is not None]))
        if any(r.n_iter is not None for r in mine)
        else None,
        ratio=median("ratio"),
        baseline=solver.label == case.baseline,
        extra=extra,
        error=None if mine else "no problem solved",
    )


def run_case(
    case: Case,
    *,
    quick: bool,
    repeat: int,
    budget_s: float,
    threads: int | None,
    progress: Callable[[Row], None] = lambda row: None,
) -> CaseResult:
    """Measure every row of ``case``.

    Parameters
    ----------
    case : Case
        The case.
    quick : bool
        Use the small problems.
    repeat : int
        Solves per row (median reported).
    budget_s : float
        Per-row time budget: no new solve starts once the row's solves took this long.
    threads : int or None
        BLAS thread limit of the child processes (the caller limits this process).
    progress : callable
        Called with each finished row.

    Returns
    -------
    CaseResult
    """
    if case.kind == "paper":
        infos, estimates = measure_paper(case.name, quick=quick, repeat=repeat, budget_s=budget_s)
        for row in estimates:
            progress(row)
        return CaseResult(case, infos, estimates)
    specs = case.quick if quick else case.problems
    rows: list[Row] = []
    infos = []

    def add(row: Row) -> None:
        rows.append(row)
        progress(row)

    for spec in specs:
        problem = spec.build()
        infos.append(problem.info)
        if case.kind == "compare":
            for row in measure_in_turn(
                case.name, problem, case.solvers, repeat=repeat, budget_s=budget_s
            ):
                add(row)
            continue
        for solver in case.solvers:
            if case.kind == "scale":
                estimate = memory_estimate(problem.factors, solver.method)
                add(
                    measure_in_child(
                        case.name,
                        spec,
                        solver,
                        repeat=repeat,
                        budget_s=budget_s,
                        threads=threads,
                        memory_estimate=estimate,
                    )
                )
            else:
                add(
                    measure_iteration(
                        case.name, problem, solver.method, repeat=repeat, budget_s=budget_s
                    )
                )
    if case.kind != "iteration":
        versus = {s.label: s.versus for s in case.solvers if s.versus is not None}
        _set_ratios(rows, case.baseline, versus, paper_sized=not quick)
    if case.median and len(specs) > 1:
        rows += [_median_row(case, solver, rows) for solver in case.solvers]
    return CaseResult(case, infos, rows)
