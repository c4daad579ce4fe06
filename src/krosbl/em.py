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
from scipy.sparse.linalg import LinearOperator

from .posterior import RESCALE_HINT, Posterior
from .priors import FlatPrior, KronPrior

__all__ = ["EMOutput", "check_finite_scalars", "initial_noise_var", "next_noise_var", "run_em"]


class UpdateRule(Protocol):
    """What the loop needs of an M-step rule."""

    stop_on: Literal["gamma", "mean"]

    def update(self, prior: Any, post: Posterior, /) -> None:
        """Apply the M-step to ``prior`` in place."""


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


def check_finite_scalars(finite: bool, t: int, sigma2: float, problem: str = "") -> None:
    """Raise the loop's error for a non-finite E-step ``t`` (``problem`` names a batch row)."""
    if not finite:
        raise FloatingPointError(
            f"the posterior{problem} became non-finite in E-step {t} (σ² = {sigma2:.3g}): "
            f"{RESCALE_HINT}"
        )


def _relative_change(new: NDArray, old: NDArray) -> float:
    denom = np.linalg.norm(old)
    return float(np.linalg.norm(new - old) / denom) if denom > 0 else float("inf")


def _check_finite_posterior(post: Posterior, t: int, sigma2: float, *, whole: bool) -> None:
    """Stop with a clear error once the E-step is not finite.

    Every iteration checks the scalars (residual, degrees of freedom, ``σ²``), which a
    non-finite ``γ`` or ``σ²`` reaches; ``whole`` also checks every entry of the mean.
    """
    scalars = (post.residual_sq, post.dof, sigma2)
    finite = all(map(math.isfinite, scalars)) and (not whole or np.isfinite(post.mean).all())
    check_finite_scalars(bool(finite), t, sigma2)


def run_em(
    y: NDArray,
    op: LinearOperator | NDArray,
    prior: KronPrior | FlatPrior,
    rule: UpdateRule,
    *,
    prune_ratios: tuple[float, ...] | None,
    prune_abs: float,
    tol: float,
    max_iter: int,
    noise_var: float | None,
    record_history: bool = False,
    callback: Callable[[int, KronPrior | FlatPrior, Posterior], None] | None = None,
    init_noise_var: float | None = None,
    noise_floor: float = 0.0,
) -> EMOutput:
    """Run EM for sparse Bayesian learning.

    Parameters
    ----------
    y : ndarray, shape (M,) or (M, T)
        Measurements: one vector, or ``T`` snapshots that share the prior (M-SBL); the
        learned ``σ²`` then uses the residual averaged over the snapshots.
    op : Kron or ndarray
        The dictionary.
    prior : KronPrior or FlatPrior
        Initial hyperparameters; updated in place.
    rule : UpdateRule
        The method's M-step; ``rule.stop_on`` chooses the stopping statistic: the relative
        change of the embedded ``γ`` (all but PC-SBL) or of the posterior mean (PC-SBL).
    prune_ratios, prune_abs : tuple of float or None, float
        Pruning thresholds (``None`` = no pruning).
    tol : float
        Outer tolerance (``0`` runs all iterations unless the change is exactly 0).
    max_iter : int
        ``R_max``.
    noise_var : float or None
        Known ``σ²``, ``None`` to learn it, or ``0`` for the noiseless limit ``σ² → 0``
        (docs/theory.md, "Noiseless limit").
    record_history : bool
        Keep the E-step mean of every iteration (full length).
    callback : callable, optional
        Called as ``callback(t, prior, posterior)`` after each E-step, before the M-step
        (e.g. to record ranks of ``Λ``); its time is not counted.
    init_noise_var : float or None
        Starting value of a learned ``σ²`` (``None``: :func:`initial_noise_var` of ``y``).
    noise_floor : float
        Lower bound on a learned ``σ²``, applied to the start and after every update (``0``:
        none); keeps ``Σ_y`` invertible when the data are fitted exactly.

    Returns
    -------
    EMOutput
        The final re-estimated mean and posterior marginal variances, iterations run,
        whether the tolerance was met, the final ``σ²``, the time of the iterations (set-up
        and the final re-estimate excluded), the cost per iteration and, optionally,
        the per-iteration means.
    """
    sigma2 = _start_noise_var(y, noise_var, init_noise_var, noise_floor)
    costs: list[float] = []
    history: list[NDArray] = []
    elapsed = 0.0
    converged = False
    n_iter = max_iter
    previous_mean: NDArray | None = None
    for t in range(1, max_iter + 1):
        snapshot: Any = prior.snapshot() if rule.stop_on == "gamma" else None
        start = perf_counter()
        prior.prune(prune_ratios, prune_abs)
        post = prior.posterior(y, op, sigma2)
        _check_finite_posterior(post, t, sigma2, whole=False)
        costs.append(post.cost)
        if rule.stop_on == "mean":
            mean = prior.embed(post.mean)
            if previous_mean is not None and _relative_change(mean, previous_mean) <= tol:
                elapsed += perf_counter() - start
                converged, n_iter = True, t - 1
                break
            previous_mean = mean
        if record_history:
            history.append(prior.embed(post.mean))
        if callback is not None:
            paused = perf_counter()
            callback(t, prior, post)
            start += perf_counter() - paused
        rule.update(prior, post)
        if noise_var is None:
            sigma2 = float(next_noise_var(post.residual_sq, sigma2, post.dof, len(y), noise_floor))
        elapsed += perf_counter() - start
        if snapshot is not None and prior.relative_change(snapshot) <= tol:
            converged, n_iter = True, t
            break
    return _final(y, op, prior, sigma2, n_iter, converged, elapsed, costs, history)


def _start_noise_var(
    y: NDArray, noise_var: float | None, init_noise_var: float | None, noise_floor: float
) -> float:
    """The ``σ²`` of the first E-step: the known one, or the start of a learned one."""
    if noise_var is not None:
        return noise_var
    start = initial_noise_var(y) if init_noise_var is None else init_noise_var
    return max(start, noise_floor)


def _final(
    y: NDArray,
    op: LinearOperator | NDArray,
    prior: KronPrior | FlatPrior,
    sigma2: float,
    n_iter: int,
    converged: bool,
    elapsed: float,
    costs: list[float],
    history: list[NDArray],
) -> EMOutput:
    """The output of a run: the E-step at the final hyperparameters, checked finite."""
    final = prior.posterior(y, op, sigma2)
    _check_finite_posterior(final, n_iter + 1, sigma2, whole=True)
    return EMOutput(
        mean=prior.embed(final.mean),
        var=prior.embed(final.var),
        n_iter=n_iter,
        converged=converged,
        noise_var=float(sigma2),
        time_s=elapsed,
        cost=np.asarray(costs),
        mean_history=history,
    )
