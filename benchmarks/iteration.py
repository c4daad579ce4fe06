"""Cost of one EM iteration against one posterior evaluation (the ``iteration`` case).

Two measurements per method and problem:

* the first iteration from the method's initial ``γ`` (``recover(..., max_iter=1)``) against
  :func:`krosbl.posterior.kron_posterior` on the same factors and ``γ``;
* the mean iteration of a full solve (``Result.time_s / n_iter``) against the mean
  time of ``kron_posterior`` re-run on the kept factors and ``γ`` of every iteration of that
  solve, recorded through the solver's callback.

The first is the worst case for methods whose M-step does more work far from convergence
(AM-KroSBL's inner sweeps); the second is what a solve actually pays per iteration.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from krosbl.api import recover
from krosbl.methods import METHODS, EMMethod
from krosbl.posterior import kron_posterior
from krosbl.priors import KronPrior
from krosbl.settings import SolverSettings

from .measure import Outcome, Row, Solver, _gc_paused, _time_calls, measure_solver
from .problems import Problem

__all__ = ["ITERATION_MIN_TOTAL_S", "measure_iteration"]

#: Seconds of samples each sub-millisecond timing collects (up to ``MAX_CALLS`` calls).
ITERATION_MIN_TOTAL_S = 0.25


def _first_iteration(
    case: str, problem: Problem, method: str, gammas: list[Any], repeat: int, budget_s: float
) -> Row:
    solver = Solver(method, method, options=(("max_iter", 1),))
    row = measure_solver(
        case, problem, solver, repeat=repeat, budget_s=budget_s, min_total_s=ITERATION_MIN_TOTAL_S
    )

    def posterior() -> Outcome:
        start = time.perf_counter()
        kron_posterior(problem.y, problem.factors, gammas, problem.noise_var)
        return Outcome(time.perf_counter() - start, None, None, float("nan"))

    if row.error is None and row.solver_time_s is not None:
        calls = _time_calls(posterior, repeat, budget_s, ITERATION_MIN_TOTAL_S)
        post = statistics.median(o.wall_s for o in calls)
        row.extra = {"posterior_s": post, "wall_s": row.time_s, "sweeps": row.extra.get("sweeps")}
        row.time_s, row.nmse = row.solver_time_s, None
        row.ratio = row.solver_time_s / post
    return row


def _solve_average(problem: Problem, method: str, repeat: int) -> dict[str, float]:
    """Mean iteration of full solves and mean posterior on the states those solves visited."""
    settings = problem.settings_for(method)
    states: list[tuple[list[Any], list[Any]]] = []

    def record(t: int, prior: KronPrior, post: Any) -> None:
        kept = [f[:, k] for f, k in zip(problem.factors, prior.keep)]
        states.append((kept, list(prior.gammas)))

    per_iteration = []
    for k in range(repeat):
        res = recover(
            problem.y,
            problem.operator,
            method,
            problem.noise_var,
            settings=settings,
            callback=record if k == 0 else None,
        )
        per_iteration.append(res.time_s / res.n_iter)
    per_posterior = []
    with _gc_paused():
        for _ in range(repeat):
            start = time.perf_counter()
            for factors, gammas in states:
                kron_posterior(problem.y, factors, gammas, problem.noise_var)
            per_posterior.append((time.perf_counter() - start) / len(states))
    iteration, posterior = statistics.median(per_iteration), statistics.median(per_posterior)
    return {
        "solve_iteration_s": iteration,
        "solve_posterior_s": posterior,
        "solve_ratio": iteration / posterior,
    }


def measure_iteration(
    case: str, problem: Problem, method: str, *, repeat: int, budget_s: float
) -> Row:
    """Time of one EM iteration against one posterior evaluation, same factors and ``γ``.

    Parameters
    ----------
    case : str
        Case name.
    problem : Problem
        The problem (its preset for ``method`` is used).
    method : str
        A Kronecker method.
    repeat, budget_s : int, float
        As :func:`~benchmarks.measure.measure_solver`, for each timing; the first-iteration
        timings also go on until they hold :data:`ITERATION_MIN_TOTAL_S` of samples
        (``n_solves`` counts those iterations).

    Returns
    -------
    Row
        ``time_s``: median ``Result.time_s`` of ``recover(..., max_iter=1)`` — one iteration
        from the method's initial ``γ`` (prune, E-step, M-step);
        ``extra["posterior_s"]``: median wall time of
        :func:`krosbl.posterior.kron_posterior` on the same factors and initial ``γ_i``;
        ``ratio`` = iteration / posterior; ``extra["sweeps"]``: inner sweeps (AM);
        ``extra["solve_iteration_s"]``, ``["solve_posterior_s"]`` and ``["solve_ratio"]``:
        the same over a full solve (module docstring).
    """
    settings = problem.settings_for(method) or SolverSettings(method)
    spec = METHODS[method]
    prior = spec.build(problem.operator, settings)[0] if isinstance(spec, EMMethod) else None
    if not isinstance(prior, KronPrior):
        raise ValueError(f"{method!r} is not a Kronecker SBL method")
    row = _first_iteration(case, problem, method, prior.gammas, repeat, budget_s)
    if row.error is None:
        row.extra.update(_solve_average(problem, method, repeat))
    return row
