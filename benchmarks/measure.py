"""The measurements: one function per kind of number the benchmark reports.

* :func:`measure_solver` — median wall time of full solves of one solver on one problem;
* :func:`measure_in_turn` — the same for several solvers taking turns, solve by solve;
* :func:`measure_in_child` — the same in a fresh child process, with its peak memory;
* :func:`measure_iteration` — one EM iteration against one posterior evaluation.

Every solve is timed with :func:`time.perf_counter` around the solver call only (the problem,
the dense matrix and the settings are prepared before the clock starts); krosbl's own
iteration time (``Result.time_s``: pruning, E-step, M-step and noise update of every
iteration, as the paper times its solvers) is recorded beside it.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import resource
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from krosbl.api import recover
from krosbl.batch_api import recover_batch
from krosbl.compiled import _compiled, available
from krosbl.methods import METHODS
from krosbl.metrics import nmse
from krosbl.operators import Kron

from .plain import plain_dense_sbl
from .problems import Problem, ProblemSpec

__all__ = [
    "Outcome",
    "Row",
    "Solver",
    "limit_threads",
    "measure_in_child",
    "measure_in_turn",
    "measure_solver",
    "warm_up",
]

#: Seconds a child process may take to import krosbl and build its problem.
CHILD_STARTUP_S = 120.0

#: Most calls :func:`measure_iteration` makes to reach its minimum total time.
MAX_CALLS = 100


@dataclass(frozen=True)
class Solver:
    """One row of a benchmark case: a method and how it is called.

    Parameters
    ----------
    label : str
        Name in the table (unique within a case).
    method : str
        A method of :func:`krosbl.methods`, ``"ard"`` for scikit-learn's
        ``ARDRegression``, or ``"plain-sbl"`` for :func:`~benchmarks.plain.plain_dense_sbl`
        (classic SBL with the problem's ``"sbl"`` settings, on the dense matrix).
    dense : bool
        Pass the dense ``ΠM × ΠN`` matrix instead of the :class:`~krosbl.Kron`.
    options : tuple of (str, value) pairs
        krosbl: settings overrides (on top of the problem's preset); ARD: constructor
        arguments.
    paper_s : float or None
        The authors' published time per solve (IRS, 4 dB), for a cross-machine ratio.
    timeout_s : float or None
        In a child process: give up (and report the row as skipped) when one solve takes
        longer.
    batch : bool
        On a batch of problems: one :func:`krosbl.recover_batch` call instead of one
        :func:`krosbl.recover` per problem.
    versus : str or None
        Label of the row this one's ratio is taken to (default: the case's baseline).
    """

    label: str
    method: str
    dense: bool = False
    options: tuple[tuple[str, Any], ...] = ()
    paper_s: float | None = None
    timeout_s: float | None = None
    batch: bool = False
    versus: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one timed solve returns (small and picklable: no estimate)."""

    wall_s: float
    solver_time_s: float | None
    n_iter: int | None
    nmse: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """One line of the benchmark table (and of the JSON ``rows``).

    Attributes
    ----------
    case, problem, method : str
        Case name, problem name and solver label.
    time_s : float or None
        Median wall time per solve (``None`` if the row failed or was skipped); for
        ``iteration`` rows, the median time of one EM iteration (``Result.time_s``).
    solver_time_s : float or None
        Median ``Result.time_s`` (the iterations only).
    n_solves : int
        Solves timed (``--repeat``, fewer when a row exceeds the time budget).
    nmse : float or None
        ``‖x̂ − x‖²/‖x‖²`` of the estimate.
    n_iter : int or None
        Iterations of the (last) solve.
    ratio : float or None
        ``time_s`` over the case's baseline (``iteration`` rows: over one posterior).
    baseline : bool
        Whether this row is the case's baseline.
    extra : dict
        Case-specific numbers (channel NMSE, peak memory, posterior time, published times…).
    error : str or None
        Why the row has no time (failure or skip).
    """

    case: str
    problem: str
    method: str
    time_s: float | None = None
    solver_time_s: float | None = None
    n_solves: int = 0
    nmse: float | None = None
    n_iter: int | None = None
    ratio: float | None = None
    baseline: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def value(self, key: str) -> Any:
        """An attribute or, failing that, an ``extra`` entry (``None`` if absent)."""
        if key in self.__dataclass_fields__:
            return getattr(self, key)
        return self.extra.get(key)


# --------------------------------------------------------------------------------------------
# threads and warm-up


def limit_threads(threads: int | None) -> contextlib.AbstractContextManager[Any]:
    """Limit the BLAS/OpenMP thread pools to ``threads`` (``None``: leave them alone)."""
    return contextlib.nullcontext() if threads is None else threadpool_limits(limits=threads)


def warm_up() -> None:
    """Run every krosbl method once on a tiny problem (first-call costs off the clock).

    The answers are discarded, and so are the warnings they raise (dKroSBL's "not rank one"
    on this problem): they would appear on stderr as if about a benchmarked problem.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _warm_up_methods()
    if available():  # compile the Numba sweeps now (Numba caches them on disk afterwards)
        _compiled()


def _warm_up_methods() -> None:
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.complex128):
        factors = tuple(rng.standard_normal((4, 10)).astype(dtype) for _ in range(3))
        x = np.zeros(1000, dtype=dtype)
        x[[5, 21]] = 1.0
        y = Kron(factors) @ x + 0.01 * rng.standard_normal(64)
        problem = Problem("warm-up", y, factors, x, 1e-4, "synthetic", 40.0)
        for name, method in METHODS.items():
            if method.takes_support:  # needs the true support: nothing to warm up
                continue
            layouts = (False,) if method.kronecker else (False, True)
            options = (("max_iter", 2),) if "max_iter" in method.defaults else ()
            for dense in layouts:
                _prepare_krosbl(problem, Solver(name, name, dense, options))()


# --------------------------------------------------------------------------------------------
# one timed solve


def _prepare_krosbl(problem: Problem, solver: Solver) -> Callable[[], Outcome]:
    A = problem.dense if solver.dense else problem.operator
    settings = problem.settings_for(solver.method)
    overrides = dict(solver.options)

    if problem.y.ndim == 2:
        return _prepare_batch(problem, solver, A, settings, overrides)

    def run() -> Outcome:
        start = time.perf_counter()
        res = recover(
            problem.y, A, solver.method, problem.noise_var, settings=settings, **overrides
        )
        wall = time.perf_counter() - start
        extra: dict[str, Any] = {"converged": res.converged}
        if "n_sweeps" in res.details:
            extra["sweeps"] = int(sum(res.details["n_sweeps"]))
        if (channel := problem.channel_nmse(res.x)) is not None:
            extra["channel_nmse"] = channel
        return Outcome(wall, res.time_s, res.n_iter, nmse(res.x, problem.x), extra)

    return run


def _prepare_batch(
    problem: Problem, solver: Solver, A: Any, settings: Any, overrides: dict[str, Any]
) -> Callable[[], Outcome]:
    """A batch of problems (rows of ``y``) in one :func:`krosbl.recover_batch` call or one
    :func:`krosbl.recover` each; the time, NMSE and iterations are per problem (mean)."""

    def run() -> Outcome:
        start = time.perf_counter()
        if solver.batch:
            results = recover_batch(
                problem.y, A, solver.method, problem.noise_var, settings=settings, **overrides
            )
        else:
            results = [
                recover(y, A, solver.method, problem.noise_var, settings=settings, **overrides)
                for y in problem.y
            ]
        wall = (time.perf_counter() - start) / len(results)
        errors = [nmse(r.x, problem.x) for r in results]
        extra = {"problems": len(results), "iterations": sum(r.n_iter for r in results)}
        solver_s = statistics.mean(r.time_s for r in results)
        return Outcome(wall, solver_s, results[0].n_iter, statistics.mean(errors), extra)

    return run


def _prepare_ard(problem: Problem, solver: Solver) -> Callable[[], Outcome]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import ARDRegression

    A = problem.dense
    options = {"fit_intercept": False, **dict(solver.options)}

    def run() -> Outcome:
        model = ARDRegression(**options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(A, problem.y)
            wall = time.perf_counter() - start
        n_iter = int(model.n_iter_)
        extra = {"converged": n_iter < model.max_iter, "noise_var_learned": 1.0 / model.alpha_}
        return Outcome(wall, None, n_iter, nmse(model.coef_, problem.x), extra)

    return run


def _prepare_plain(problem: Problem, solver: Solver) -> Callable[[], Outcome]:
    A = problem.dense
    settings = problem.settings_for("sbl")
    assert settings is not None
    ratio = settings.prune_ratio
    prune = ratio if ratio is None or isinstance(ratio, float) else float(ratio[0])

    def run() -> Outcome:
        start = time.perf_counter()
        res = plain_dense_sbl(
            problem.y,
            A,
            problem.noise_var,
            prune_ratio=prune,
            tol=settings.tol,
            max_iter=settings.max_iter,
        )
        wall = time.perf_counter() - start
        return Outcome(wall, None, res.n_iter, nmse(res.x, problem.x))

    return run


def _prepare(problem: Problem, solver: Solver) -> Callable[[], Outcome]:
    """Everything but the solve itself, done now; the returned call times only the solve."""
    if solver.method == "ard":
        return _prepare_ard(problem, solver)
    if solver.method == "plain-sbl":
        return _prepare_plain(problem, solver)
    return _prepare_krosbl(problem, solver)


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _time_calls(
    run: Callable[[], Outcome], repeat: int, budget_s: float, min_total_s: float = 0.0
) -> list[Outcome]:
    """Time ``run`` repeatedly; every call is timed by ``run`` itself.

    ``repeat`` calls, fewer once their total exceeds ``budget_s`` (at least one call); then,
    for fast calls, more until their total reaches ``min_total_s`` (at most
    :data:`MAX_CALLS`), so that a median of sub-millisecond times is not left to a few
    samples. The garbage collector runs once before and is paused during the calls.
    """
    outcomes: list[Outcome] = []
    gc.collect()
    with _gc_paused():
        while True:
            total = sum(o.wall_s for o in outcomes)
            if len(outcomes) < repeat:
                if outcomes and total >= budget_s:
                    break
            elif total >= min_total_s or len(outcomes) >= MAX_CALLS:
                break
            outcomes.append(run())
    return outcomes


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off (as :mod:`timeit` does), restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _row(case: str, problem: str, solver: Solver, outcomes: list[Outcome]) -> Row:
    last = outcomes[-1]
    extra = dict(last.extra)
    if solver.paper_s is not None:
        extra["paper_s"] = solver.paper_s
    return Row(
        case=case,
        problem=problem,
        method=solver.label,
        time_s=_median([o.wall_s for o in outcomes]),
        solver_time_s=_median([o.solver_time_s for o in outcomes]),
        n_solves=len(outcomes),
        nmse=last.nmse,
        n_iter=last.n_iter,
        extra=extra,
    )


def _failed(case: str, problem: str, solver: Solver, error: str) -> Row:
    return Row(case=case, problem=problem, method=solver.label, error=error)


def measure_solver(
    case: str,
    problem: Problem,
    solver: Solver,
    *,
    repeat: int,
    budget_s: float,
    min_total_s: float = 0.0,
) -> Row:
    """Median wall time of full solves of ``solver`` on ``problem``.

    Parameters
    ----------
    case : str
        Case name (recorded in the row).
    problem : Problem
        The problem (its dense matrix is built before timing when the solver needs it).
    solver : Solver
        What to run.
    repeat : int
        Solves to time (the median is reported).
    budget_s : float
        Stop repeating once the solves so far took this long (at least one solve runs).
    min_total_s : float
        After ``repeat`` solves, go on (up to :data:`MAX_CALLS`) until the solves took this
        long in total.

    Returns
    -------
    Row
        Time, NMSE, iterations; ``error`` set (no time) if the solver raised.
    """
    try:
        outcomes = _time_calls(_prepare(problem, solver), repeat, budget_s, min_total_s)
    except Exception as exc:  # a failing row must not stop the benchmark
        return _failed(case, problem.name, solver, f"{type(exc).__name__}: {exc}")
    return _row(case, problem.name, solver, outcomes)


def measure_in_turn(
    case: str, problem: Problem, solvers: tuple[Solver, ...], *, repeat: int, budget_s: float
) -> list[Row]:
    """Median wall times of full solves of several solvers on one problem, taking turns.

    Round ``r`` runs solve ``r`` of every solver, one after the other, so that a change of
    the machine's load during the measurement reaches every row alike and the ratios between
    rows stay meaningful on a shared machine (one row after another would put a busy minute
    into one row only).

    Parameters
    ----------
    case : str
        Case name.
    problem : Problem
        The problem.
    solvers : tuple of Solver
        The rows, in table order.
    repeat : int
        Rounds (the median of each row is reported).
    budget_s : float
        A solver whose solves so far took this long sits out the further rounds (every
        solver runs at least once).

    Returns
    -------
    list of Row
        One per solver, in order; ``error`` set for a solver that raised.
    """
    runs: dict[str, Callable[[], Outcome]] = {}
    errors: dict[str, str] = {}
    for solver in solvers:
        try:
            runs[solver.label] = _prepare(problem, solver)
        except Exception as exc:  # a failing row must not stop the benchmark
            errors[solver.label] = f"{type(exc).__name__}: {exc}"
    outcomes: dict[str, list[Outcome]] = {label: [] for label in runs}
    gc.collect()
    with _gc_paused():
        for _ in range(repeat):
            for label, run in runs.items():
                done = outcomes[label]
                if label in errors or (done and sum(o.wall_s for o in done) >= budget_s):
                    continue
                try:
                    done.append(run())
                except Exception as exc:  # a failing row must not stop the benchmark
                    errors[label] = f"{type(exc).__name__}: {exc}"
    return [
        _failed(case, problem.name, solver, errors[solver.label])
        if solver.label in errors
        else _row(case, problem.name, solver, outcomes[solver.label])
        for solver in solvers
    ]


# --------------------------------------------------------------------------------------------
# in a child process, with peak memory


def _peak_rss_bytes() -> int:
    """Peak resident set size of this process image.

    Linux: ``VmHWM`` of ``/proc/self/status``, which starts afresh at ``exec``;
    ``getrusage(RUSAGE_SELF).ru_maxrss`` (and ``RUSAGE_CHILDREN`` in the parent) would also
    count the parent's memory that the spawned child shared between its fork and its exec.
    Elsewhere ``ru_maxrss`` (KiB on Linux and BSD, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # pragma: no cover
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024  # pragma: no cover


def _child(conn: Any, spec: ProblemSpec, solver: Solver, threads: int | None) -> None:
    """Child process: build the problem, report, then one traced, timed solve."""
    try:
        with limit_threads(threads):
            run = _prepare(spec.build(), solver)
            conn.send(("ready", _peak_rss_bytes()))
            tracemalloc.start()
            outcome = run()
            traced = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        conn.send(("done", outcome, _peak_rss_bytes(), traced))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@contextlib.contextmanager
def _child_process(*args: Any) -> Iterator[Any]:
    """A spawned child running :func:`_child`; yields the receiving end of its pipe."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, *args), daemon=True)
    process.start()
    sender.close()
    try:
        yield receiver
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        receiver.close()


def _solve_in_child(
    spec: ProblemSpec, solver: Solver, threads: int | None
) -> tuple[Outcome, dict[str, int]] | str:
    """One solve in a fresh process: the outcome and memory, or why there is none."""
    timeout = solver.timeout_s
    with _child_process(spec, solver, threads) as conn:
        if not conn.poll(CHILD_STARTUP_S):
            return f"child did not start within {CHILD_STARTUP_S:.0f} s"
        message = conn.recv()
        if message[0] == "error":
            return str(message[1])
        rss_ready = message[1]
        if not conn.poll(timeout):
            return f"skipped: one solve takes more than {timeout:.0f} s"
        try:
            message = conn.recv()
        except EOFError:
            return "child process died during the solve"
    if message[0] == "error":
        return str(message[1])
    _, outcome, rss_peak, traced = message
    return outcome, {"rss_before_solve": rss_ready, "peak_rss": rss_peak, "traced_peak": traced}


def measure_in_child(
    case: str,
    spec: ProblemSpec,
    solver: Solver,
    *,
    repeat: int,
    budget_s: float,
    threads: int | None,
    memory_estimate: int | None = None,
) -> Row:
    """Median wall time and peak memory of full solves, each in a fresh spawned process.

    Parameters
    ----------
    case : str
        Case name.
    spec : ProblemSpec
        The problem; each child builds it from ``spec`` (not timed, not traced).
    solver : Solver
        What to run; ``solver.timeout_s`` bounds one solve (the child is terminated).
    repeat, budget_s : int, float
        As :func:`measure_solver` (one child per solve).
    threads : int or None
        BLAS thread limit inside the child.
    memory_estimate : int or None
        :func:`krosbl.memory_estimate` of the solve, reported beside the measurements.

    Returns
    -------
    Row
        ``extra`` holds ``peak_rss`` (the child's peak resident memory: interpreter, imports,
        problem and solve; :func:`_peak_rss_bytes`), ``rss_before_solve`` (the same just
        before the solve), ``traced_peak``
        (``tracemalloc`` peak during the solve: the solver's own allocations, NumPy's
        included) and ``memory_estimate``; each the largest over the solves.
    """
    outcomes: list[Outcome] = []
    memory: dict[str, int] = {}
    while len(outcomes) < repeat and sum(o.wall_s for o in outcomes) < budget_s:
        result = _solve_in_child(spec, solver, threads)
        if isinstance(result, str):
            if not outcomes:
                return _failed(case, spec.name, solver, result)
            break
        outcomes.append(result[0])
        for key, value in result[1].items():
            memory[key] = max(memory.get(key, 0), value)
    row = _row(case, spec.name, solver, outcomes)
    row.extra.update(memory, memory_estimate=memory_estimate)
    return row
