"""A plain dense implementation of classic SBL, the baseline krosbl's own solver is timed against.

It is the textbook EM iteration of Tipping (2001) written the way one would without
krosbl: every iteration forms the ``M × M`` measurement covariance from the dense ``M × |K|``
matrix of the kept columns, factorises it, and reads the posterior variances from one
triangular solve; pruning, the stopping test and the final re-estimate are those of
:func:`krosbl.em.run_em` with a :class:`~krosbl.priors.FlatPrior`, so that both run the
same iterations and return the same estimate. It is honest, not naive: Cholesky rather than
an explicit inverse, no ``N × N`` matrix, and each ``O(M²|K|)`` product done once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

__all__ = ["PlainResult", "plain_dense_sbl"]


@dataclass(frozen=True)
class PlainResult:
    """Estimate (full length) and iterations run."""

    x: NDArray
    n_iter: int


def _posterior(
    y: NDArray, columns: NDArray, gamma: NDArray, noise_var: float
) -> tuple[NDArray, NDArray]:
    """Mean and variances: ``Σ_y = σ²I + A_K Γ A_Kᴴ = LLᴴ``, ``μ = Γ A_Kᴴ Σ_y⁻¹ y``,
    ``d = γ − γ² ⊙ ‖L⁻¹ a_j‖²``."""
    sigma_y = (columns * gamma) @ columns.conj().T
    sigma_y[np.diag_indices_from(sigma_y)] += noise_var
    chol = sla.cholesky(sigma_y, lower=True, check_finite=False)
    mean = gamma * (columns.conj().T @ sla.cho_solve((chol, True), y, check_finite=False))
    whitened = sla.solve_triangular(chol, columns, lower=True, check_finite=False)
    return mean, gamma - gamma**2 * np.sum(np.abs(whitened) ** 2, axis=0)


def plain_dense_sbl(
    y: NDArray,
    A: NDArray,
    noise_var: float,
    *,
    prune_ratio: float | None,
    tol: float,
    max_iter: int,
) -> PlainResult:
    """Classic SBL (EM, known ``σ² > 0``) with the ``M × M`` covariance in every iteration.

    Parameters
    ----------
    y : ndarray, shape (M,)
        Measurements.
    A : ndarray, shape (M, N)
        The dense dictionary.
    noise_var : float
        Known noise variance.
    prune_ratio : float or None
        Keep ``γ_j > r · max γ`` before each E-step (``None``: no pruning).
    tol : float
        Stop once ``‖γ − γ_old‖/‖γ_old‖ ≤ tol`` (full-length ``γ``).
    max_iter : int
        Most iterations.

    Returns
    -------
    PlainResult
        The mean of one more E-step with the final ``γ``, on the full index set.
    """
    n = A.shape[1]
    gamma = np.ones(n)
    keep = np.arange(n)
    n_iter = max_iter
    for t in range(1, max_iter + 1):
        old = np.zeros(n)
        old[keep] = gamma
        if prune_ratio is not None:
            mask = gamma > prune_ratio * gamma.max()
            gamma, keep = gamma[mask], keep[mask]
        mean, var = _posterior(y, A[:, keep], gamma, noise_var)
        gamma = var + np.abs(mean) ** 2
        new = np.zeros(n)
        new[keep] = gamma
        if np.linalg.norm(new - old) <= tol * np.linalg.norm(old):
            n_iter = t
            break
    mean, _ = _posterior(y, A[:, keep], gamma, noise_var)
    x = np.zeros(n, dtype=mean.dtype)
    x[keep] = mean
    return PlainResult(x, n_iter)
