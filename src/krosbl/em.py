"""The one EM loop shared by every SBL-family method (docs/theory.md, "The EM loop").

Each iteration: prune, E-step on the kept columns, the method's M-step, the learned-noise
update, and the stopping test; after the loop, one more E-step with the final hyperparameters.
The method enters only through its prior (structure, pruning, E-step) and its update rule.
The stopping test is the relative change of the embedded ``γ``,
``‖embed(⊗γ_i) − g_old‖ / ‖g_old‖ ≤ tol``, except for PC-SBL, which stops on the relative
change of the posterior mean. A learned noise variance is updated after each E-step by
``σ² ← (‖y − A_K μ‖² + σ²_old Σ_{j∈K} (1 − d_j/γ_j)) / M`` (docs/theory.md, "Learned noise
variance").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from .posterior import RESCALE_HINT, Posterior
from .priors import FlatPrior, KronPrior

__all__ = ["EMOutput", "initial_noise_var", "next_noise_var", "run_em"]


class UpdateRule(Protocol):
    """What the loop needs of an M-step rule."""

    stop_on: Literal["gamma", "mean"]

    def update(self, prior: Any, post: Posterior, /) -> None:
        """Apply the M-step to ``prior`` in place."""

    def for_problem(self, row: int, /) -> Any:
        """The rule as problem ``row`` of a stack would end with it alone."""


@dataclass
class EMOutput:
    """What the loop returns (full-length vectors, numpy.kron order)."""

    mean: NDArray
    var: NDArray
    n_iter: int
    converged: bool
    noise_var: float
    time_s: float
    cost: NDArray
    mean_history: list[NDArray] = field(default_factory=list)
    prior: Any = None


def initial_noise_var(y: NDArray) -> float:
    """Initial learned noise variance ``0.1 · var(y)`` (unbiased, ``ddof=1``, mean removed);
    for snapshots ``(M, T)``, the mean over the snapshots of each one's variance."""
    if len(y) == 1:
        return 0.1 * float(np.mean(np.abs(y[0]) ** 2))
    if y.ndim == 2:
        return 0.1 * float(np.mean(np.var(y, axis=0, ddof=1)))
    return 0.1 * float(np.var(y, ddof=1))


def next_noise_var(residual_sq: Any, noise_var: Any, dof: Any, m: int, floor: Any) -> Any:
    """The learned-noise update ``max((‖y − A_K μ‖² + σ² Σ_j (1 − d_j/γ_j)) / M, floor)``; the
    arguments may be floats or arrays (one entry per problem of a batch)."""
    return np.maximum((residual_sq + noise_var * dof) / m, floor)


def _check_finite(
    post: Posterior, t: int, sigma2: Any, rows: NDArray | None, *, whole: bool
) -> None:
    """Stop with a clear error once the E-step ``t`` is not finite (of a problem of a stack).

    Every iteration checks the scalars (residual, degrees of freedom, ``σ²``), which a
    non-finite ``γ`` or ``σ²`` reaches; ``whole`` also checks every entry of the mean.
    """
    scalars = (post.residual_sq, post.dof, sigma2)
    if rows is None:
        if all(map(math.isfinite, scalars)) and (not whole or np.isfinite(post.mean).all()):
            return
        where, value = "", sigma2
    else:
        each = np.isfinite(np.array(scalars)).all(axis=0)
        if whole:
            each &= np.isfinite(post.mean).all(axis=1)
        if each.all():
            return
        j = np.flatnonzero(~each)[0]
        where, value = f" of problem {rows[j]}", sigma2[j]
    raise FloatingPointError(
        f"the posterior{where} became non-finite in E-step {t} (σ² = {value:.3g}): {RESCALE_HINT}"
    )


def _relative_change(new: NDArray, old: NDArray) -> float:
    denom = np.linalg.norm(old)
    return float(np.linalg.norm(new - old) / denom) if denom > 0 else float("inf")


@dataclass
class _Progress:
    """What the loop records of each problem: costs, time, history."""

    costs: list[list[float]]
    elapsed: list[float]
    history: list[NDArray] = field(default_factory=list)

    def add_costs(self, rows: NDArray | None, cost: Any) -> None:
        """The costs of an E-step (of one problem, or of the problems ``rows`` of a stack)."""
        if rows is None:
            self.costs[0].append(cost)
        else:
            for row, value in zip(rows, cost.tolist()):
                self.costs[row].append(value)

    def add_time(self, rows: NDArray | None, seconds: float) -> None:
        """An iteration's time (in a stack, divided among the problems ``rows`` it advanced)."""
        if rows is None:
            self.elapsed[0] += seconds
        else:
            for row in rows:
                self.elapsed[row] += seconds / len(rows)

    def observe(self, t: int, prior: Any, post: Posterior, record: bool, callback: Any) -> float:
        """Keep the mean (``record``) and call ``callback``; returns the callback's seconds."""
        if record:
            self.history.append(prior.embed(post.mean))
        if callback is None:
            return 0.0
        start = perf_counter()
        callback(t, prior, post)
        return perf_counter() - start


def run_em(
    y: NDArray,
    op: Any,
    prior: KronPrior | FlatPrior,
    rule: UpdateRule,
    *,
    prune_ratios: tuple[float, ...] | None,
    prune_abs: float,
    tol: float,
    max_iter: int,
    noise_var: Any,
    record_history: bool = False,
    callback: Callable[[int, KronPrior | FlatPrior, Posterior], None] | None = None,
    init_noise_var: Any = None,
    noise_floor: Any = 0.0,
) -> list[EMOutput]:
    """Run EM for sparse Bayesian learning, on one problem or on a stack of problems.

    Parameters
    ----------
    y : ndarray, shape (M,) or (M, T); a stack: (B, M)
        Measurements: one vector, or ``T`` snapshots that share the prior (M-SBL; the
        learned ``σ²`` then uses the residual averaged over the snapshots); a stack of ``B``
        problems (``prior`` a stacked :class:`~krosbl.priors.KronPrior`) has one per row.
    op : Kron, Tasks, ndarray, or list of ndarray
        The dictionary; for a stack, the factors ``A_i`` of shape ``(B, M_i, N_i)`` (per
        problem) or ``(1, M_i, N_i)`` (shared).
    prior : KronPrior or FlatPrior
        Initial hyperparameters; updated in place (a stack's: the problems still running).
    rule : UpdateRule
        The method's M-step; ``rule.stop_on`` chooses the stopping statistic: the relative
        change of the embedded ``γ`` (all but PC-SBL) or of the posterior mean (PC-SBL, one
        problem).
    prune_ratios, prune_abs : tuple of float or None, float
        Pruning thresholds (``None`` = no pruning).
    tol : float
        Outer tolerance (``0`` runs all iterations unless the change is exactly 0).
    max_iter : int
        ``R_max``.
    noise_var : float, ndarray of shape (B,), or None
        Known ``σ²`` (of each problem), ``None`` to learn it, or ``0`` for the noiseless limit
        ``σ² → 0`` (one problem; docs/theory.md, "Noiseless limit").
    record_history : bool
        Keep the E-step mean of every iteration (full length; one problem).
    callback : callable, optional
        Called as ``callback(t, prior, posterior)`` after each E-step, before the M-step
        (e.g. to record ranks of ``Λ``; one problem); its time is not counted.
    init_noise_var : float, ndarray of shape (B,), or None
        Starting value of a learned ``σ²`` (``None``: :func:`initial_noise_var` of ``y``).
    noise_floor : float or ndarray of shape (B,)
        Lower bound on a learned ``σ²``, applied to the start and after every update (``0``:
        none); keeps ``Σ_y`` invertible when the data are fitted exactly.

    Returns
    -------
    list of EMOutput
        One per problem, in the order of ``y``: the final re-estimated mean and posterior
        marginal variances, iterations run, whether the tolerance was met, the final ``σ²``,
        the time of the iterations (set-up and the final re-estimate excluded; in a stack,
        each iteration's time divided among the problems it advanced), the cost per iteration,
        the per-iteration means if recorded, and the final prior of the problem.

    Notes
    -----
    In a stack each problem stops on its own tolerance and then leaves the stack, with its
    final E-step; every problem follows the iterations it would follow alone.
    """
    rows = getattr(prior, "rows", None)
    size = 1 if rows is None else len(rows)
    sigma2 = _start_noise_var(y, noise_var, init_noise_var, noise_floor, rows)
    floor, m = noise_floor, (len(y) if rows is None else y.shape[1])
    progress = _Progress([[] for _ in range(size)], [0.0] * size)
    outputs: dict[int, EMOutput] = {}  # a stack's, by row
    previous_mean: NDArray | None = None
    for t in range(1, max_iter + 1):
        snapshot: Any = prior.snapshot() if rule.stop_on == "gamma" else None
        start = perf_counter()
        prior.prune(prune_ratios, prune_abs)
        post = prior.posterior(y, op, sigma2)
        _check_finite(post, t, sigma2, rows, whole=False)
        progress.add_costs(rows, post.cost)
        if rule.stop_on == "mean":
            mean = prior.embed(post.mean)
            if previous_mean is not None and _relative_change(mean, previous_mean) <= tol:
                progress.add_time(rows, perf_counter() - start)
                return [_final(y, op, prior, sigma2, t - 1, True, progress)]
            previous_mean = mean
        start += progress.observe(t, prior, post, record_history, callback)
        rule.update(prior, post)
        if noise_var is None:
            sigma2 = next_noise_var(post.residual_sq, sigma2, post.dof, m, floor)
            sigma2 = float(sigma2) if rows is None else sigma2
        done: Any = snapshot is not None and prior.relative_change(snapshot) <= tol
        progress.add_time(rows, perf_counter() - start)
        if rows is None:
            if done:
                return [_final(y, op, prior, sigma2, t, True, progress)]
            continue
        assert isinstance(prior, KronPrior)
        if done.any():
            _finals(y, op, prior, sigma2, t, done, progress, outputs)
            if done.all():
                return [outputs[row] for row in range(size)]
            prior, y, sigma2 = prior.take(~done), y[~done], sigma2[~done]
            floor, rows = (floor if np.ndim(floor) == 0 else floor[~done]), prior.rows
    if rows is None:
        return [_final(y, op, prior, sigma2, max_iter, False, progress)]
    assert isinstance(prior, KronPrior)
    _finals(y, op, prior, sigma2, max_iter, None, progress, outputs)
    return [outputs[row] for row in range(size)]


def _start_noise_var(
    y: NDArray, noise_var: Any, init_noise_var: Any, noise_floor: Any, rows: NDArray | None
) -> Any:
    """The ``σ²`` of the first E-step (of each problem of a stack): the known one, or the
    start of a learned one, at least ``noise_floor``."""
    if noise_var is not None:
        return noise_var if rows is None else np.array(noise_var, dtype=float)
    if rows is None:
        start = initial_noise_var(y) if init_noise_var is None else init_noise_var
        return max(start, noise_floor)
    first = [initial_noise_var(v) for v in y] if init_noise_var is None else init_noise_var
    return np.maximum(np.asarray(first, dtype=float), noise_floor)


def _final(
    y: NDArray,
    op: Any,
    prior: KronPrior | FlatPrior,
    sigma2: float,
    n_iter: int,
    converged: bool,
    progress: _Progress,
) -> EMOutput:
    """The output of a run of one problem: the E-step at the final hyperparameters, checked
    finite."""
    final = prior.posterior(y, op, sigma2)
    _check_finite(final, n_iter + 1, sigma2, None, whole=True)
    return EMOutput(
        mean=prior.embed(final.mean),
        var=prior.embed(final.var),
        n_iter=n_iter,
        converged=converged,
        noise_var=float(sigma2),
        time_s=float(progress.elapsed[0]),
        cost=np.asarray(progress.costs[0]),
        mean_history=progress.history,
        prior=prior,
    )


def _finals(
    y: NDArray,
    op: Any,
    prior: KronPrior,
    sigma2: NDArray,
    n_iter: int,
    converged: NDArray | None,
    progress: _Progress,
    outputs: dict[int, EMOutput],
) -> None:
    """The outputs of the problems of a stack that leave it after ``n_iter`` iterations, each
    put at its row of ``outputs``: those that met the tolerance (``converged``), or all of
    them at the iteration cap (``None``)."""
    leaving = np.ones(len(prior), dtype=bool) if converged is None else converged
    part = prior.take(leaving)
    final = part.posterior(y[leaving], op, sigma2[leaving])
    _check_finite(final, n_iter + 1, sigma2[leaving], part.rows, whole=True)
    assert part.rows is not None
    for j, (row, s2) in enumerate(zip(part.rows, sigma2[leaving])):
        outputs[int(row)] = EMOutput(
            mean=part.embed(final.mean[j]),
            var=part.embed(final.var[j]),
            n_iter=n_iter,
            converged=converged is not None,
            noise_var=float(s2),
            time_s=float(progress.elapsed[row]),
            cost=np.asarray(progress.costs[row]),
            prior=part.row(j),
        )
