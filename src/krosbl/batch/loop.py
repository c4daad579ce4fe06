"""The EM loop of a batch of Kronecker-prior problems, stepped together.

:func:`krosbl.em.run_em` for ``B`` problems at once: each iteration prunes, runs the E-step
and the M-step of every problem still running in one set of batched calls, and each problem
stops on its own tolerance and then drops out of the batch. Every problem follows the
iterations it would follow alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter

import numpy as np
from numpy.typing import NDArray

from ..em import EMOutput, check_finite_scalars, initial_noise_var, next_noise_var
from .posterior import BatchPosterior
from .prior import BatchKronPrior
from .rules import BatchRule

__all__ = ["run_em_batch"]


def _check_finite(
    post: BatchPosterior, rows: NDArray, t: int, sigma2: NDArray, *, whole: bool
) -> None:
    """The loop's error for the first problem whose E-step ``t`` is not finite."""
    finite = np.isfinite(post.residual_sq) & np.isfinite(post.dof) & np.isfinite(sigma2)
    if whole:
        finite &= np.isfinite(post.mean).all(axis=1)
    for j in np.flatnonzero(~finite)[:1]:
        check_finite_scalars(False, t, float(sigma2[j]), f" of problem {rows[j]}")


def run_em_batch(
    Y: NDArray,
    factors: Sequence[NDArray],
    prior: BatchKronPrior,
    rule: BatchRule,
    *,
    prune_ratios: tuple[float, ...] | None,
    prune_abs: float,
    tol: float,
    max_iter: int,
    noise_var: NDArray | None,
    init_noise_var: NDArray | None = None,
    noise_floor: NDArray | float = 0.0,
) -> list[EMOutput]:
    """Run EM for sparse Bayesian learning on ``B`` problems with Kronecker priors.

    Parameters
    ----------
    Y : ndarray, shape (B, M)
        Measurements, one row per problem.
    factors : sequence of ndarray
        ``A_i`` of shape ``(B, M_i, N_i)`` (per problem) or ``(1, M_i, N_i)`` (shared).
    prior : BatchKronPrior
        Initial hyperparameters of every problem; updated in place.
    rule : BatchRule
        The batched M-step (:func:`~krosbl.batch.rules.batched_rule`).
    prune_ratios, prune_abs, tol, max_iter
        As :func:`krosbl.em.run_em`, shared by the problems.
    noise_var : ndarray of shape (B,), or None
        Known ``σ² > 0`` of each problem, or ``None`` to learn every one.
    init_noise_var : ndarray of shape (B,), or None
        Starting values of learned noise variances (``None``: :func:`krosbl.em.initial_noise_var`
        of each ``y``).
    noise_floor : float or ndarray of shape (B,)
        Lower bound on each learned ``σ²``, as :func:`krosbl.em.run_em`.

    Returns
    -------
    list of EMOutput
        One per problem, as :func:`krosbl.em.run_em` returns it alone; ``time_s`` is the
        problem's share of the batch: each iteration's time divided among the problems it
        advanced.
    """
    batch, m = Y.shape
    out_shape = tuple(f.shape[1] for f in factors)
    tensors = Y.reshape(batch, *out_shape)
    adjoints = [f.conj().swapaxes(1, 2) for f in factors]
    per_problem = [f.shape[0] == batch and batch > 1 for f in factors]
    floor = np.broadcast_to(np.asarray(noise_floor, dtype=float), (batch,))
    sigma2 = _start_noise_vars(Y, noise_var, init_noise_var, floor)
    costs: list[list[float]] = [[] for _ in range(batch)]
    elapsed = np.zeros(batch)
    converged = np.zeros(batch, dtype=bool)
    n_iter = np.full(batch, max_iter)
    running = np.arange(batch)
    for t in range(1, max_iter + 1):
        start = perf_counter()
        part = prior.compact(running)
        assert part.columns is not None
        snapshot = part.snapshot()
        part.prune(prune_ratios, prune_abs)
        kept = _kept_columns(factors, adjoints, per_problem, part.columns, running)
        post = part.posterior(tensors[running], *kept, sigma2[running])
        _check_finite(post, part.rows, t, sigma2[running], whole=False)
        for row, cost in zip(running, post.cost.tolist()):
            costs[row].append(cost)
        rule.update(part, post)
        if noise_var is None:
            sigma2[running] = next_noise_var(
                post.residual_sq, sigma2[running], post.dof, m, floor[running]
            )
        done = part.relative_change(snapshot) <= tol
        prior.assign(running, part)
        elapsed[running] += (perf_counter() - start) / len(running)
        converged[running[done]] = True
        n_iter[running[done]] = t
        running = running[~done]
        if not running.size:
            break
    final = prior.posterior(tensors, factors, adjoints, sigma2)
    _check_finite(final, prior.rows, int(n_iter.max()) + 1, sigma2, whole=True)
    outputs = zip(final.mean, final.var, n_iter, converged, sigma2, elapsed, costs)
    return [
        EMOutput(mean, var, int(n), bool(c), float(s2), float(time_s), np.asarray(cost))
        for mean, var, n, c, s2, time_s, cost in outputs
    ]


def _kept_columns(
    factors: Sequence[NDArray],
    adjoints: Sequence[NDArray],
    per_problem: Sequence[bool],
    columns: Sequence[NDArray],
    running: NDArray,
) -> tuple[list[NDArray], list[NDArray]]:
    """The running problems' factors and adjoints restricted to the kept columns."""
    kept_factors = [
        (f[running] if p else f)[:, :, c] for f, p, c in zip(factors, per_problem, columns)
    ]
    kept_adjoints = [
        (a[running] if p else a)[:, c] for a, p, c in zip(adjoints, per_problem, columns)
    ]
    return kept_factors, kept_adjoints


def _start_noise_vars(
    Y: NDArray, noise_var: NDArray | None, init_noise_var: NDArray | None, floor: NDArray
) -> NDArray:
    """Each problem's ``σ²`` of the first E-step: the known ones, or the starts of learned
    ones (:func:`krosbl.em.initial_noise_var`, at least ``floor``)."""
    if noise_var is not None:
        return np.asarray(noise_var, dtype=float).copy()
    first = [initial_noise_var(y) for y in Y] if init_noise_var is None else init_noise_var
    return np.maximum(np.asarray(first, dtype=float), floor)
