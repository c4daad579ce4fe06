"""Gaussian posterior of SBL: the E-step, for Kronecker-structured and unstructured priors.

Both functions return a :class:`Posterior` with the statistics every M-step and the noise
update need, so the EM loop never looks inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

from .linalg import hermitian_eig
from .operators import Kron, multi_mode_product

__all__ = [
    "Posterior",
    "flat_posterior",
    "kron_posterior",
    "noiseless_flat_posterior",
    "noiseless_kron_posterior",
    "posterior_memory",
]


@dataclass(frozen=True)
class Posterior:
    """Posterior statistics over the kept columns.

    Attributes
    ----------
    mean : ndarray
        Posterior mean ``μ`` (flat, over the kept columns, C order of the kept tensor).
    var : ndarray
        Diagonal ``d`` of the posterior covariance (real).
    cost : float
        SBL objective ``log det Σ_y + yᴴ Σ_y⁻¹ y`` at the prior used.
    residual_sq : float
        ``‖y − A_K μ‖²``.
    dof : float
        ``Σ_j (1 − d_j/γ_j)`` over the kept columns with ``γ_j > 0`` (the learned-noise term).
    """

    mean: NDArray
    var: NDArray
    cost: float
    residual_sq: float
    dof: float

    @property
    def second_moment(self) -> NDArray:
        """``Λ = d + |μ|²``, the statistic of every SBL M-step."""
        if np.iscomplexobj(self.mean):
            return self.var + self.mean.real**2 + self.mean.imag**2
        return self.var + self.mean**2


def _dof(gamma: NDArray, shrink: NDArray) -> float:
    """``Σ (1 − d/γ) = Σ (γ − d)/γ`` where ``shrink = γ − d``; zero where ``γ = 0``."""
    pos = gamma > 0
    return float(np.sum(shrink[pos] / gamma[pos]))


def kron_posterior(
    y: NDArray,
    factors: Sequence[NDArray],
    gammas: Sequence[NDArray],
    noise_var: float,
    adjoints: Sequence[NDArray] | None = None,
) -> Posterior:
    """E-step under a Kronecker prior ``γ = γ_1 ⊗ … ⊗ γ_I`` without any ``N×N`` or ``M×M`` matrix.

    Parameters
    ----------
    y : ndarray, shape (prod(M_i),)
        Measurements.
    factors : sequence of ndarray
        Kept columns of each factor, ``A_i[:, K_i]`` of shape ``(M_i, l_i)``.
    gammas : sequence of ndarray
        Factor hyperparameters ``γ_i`` of length ``l_i``, non-negative.
    noise_var : float
        Noise variance ``σ² > 0``.
    adjoints : sequence of ndarray, optional
        ``A_i[:, K_i]ᴴ``, if the caller keeps them between iterations (computed otherwise).

    Returns
    -------
    Posterior

    Notes
    -----
    With ``A_i Γ_i A_iᴴ = U_i diag(p_i) U_iᴴ`` (Hermitian eigensolver), ``P = ⊗p_i``,
    ``w = 1/(σ² + P)`` and ``G_i = Γ_i A_iᴴ U_i``:
    ``μ = (⊗G_i)(w ⊙ (⊗U_iᴴ) y)``, ``d = γ − (⊗|G_i|²) w``,
    ``log det Σ_y = Σ log(σ² + P)``, ``yᴴΣ_y⁻¹y = Σ w |(⊗U_iᴴ)y|²``,
    ``‖y − Aμ‖² = σ⁴ Σ w² |(⊗U_iᴴ)y|²`` and ``Σ_j (1 − d_j/γ_j) = Σ w P``
    (because ``Σ_n γ_i[n] |(A_iᴴU_i)[n, m]|² = p_i[m]``; docs/theory.md, "Kronecker prior:
    per-factor eigendecompositions"). Memory ``O(ΠN + ΠM)``.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse vector
       recovery with application to IRS-MIMO channel estimation", IEEE Trans. Signal
       Process., 2024, arXiv:2307.14719.
    """
    if adjoints is None:
        adjoints = [a.conj().T for a in factors]
    powers, rotations, gains, gains_sq = [], [], [], []
    for a, ah, g in zip(factors, adjoints, gammas):
        p, u = hermitian_eig((a * g) @ ah)
        powers.append(np.maximum(p, 0.0, out=p))
        rotations.append(u.conj().T)
        gain = (ah @ u) * g[:, None]
        gains.append(gain)
        gains_sq.append(np.abs(gain) ** 2)
    out_shape = tuple(a.shape[0] for a in factors)
    y_rot = multi_mode_product(y.reshape(out_shape), rotations)
    power = reduce(np.multiply.outer, powers)
    total = power + noise_var
    w = 1.0 / total
    mean = multi_mode_product(w * y_rot, gains)
    shrink = multi_mode_product(w, gains_sq)
    gamma = reduce(np.multiply.outer, gammas)
    w_y_sq = w * np.abs(y_rot) ** 2
    return Posterior(
        mean=mean.ravel(),
        var=(gamma - shrink).ravel(),
        cost=float(np.log(total).sum() + w_y_sq.sum()),
        residual_sq=float(noise_var**2 * (w * w_y_sq).sum()),
        dof=float((w * power).sum()),
    )


def flat_posterior(
    y: NDArray, A: NDArray | LinearOperator, gamma: NDArray, keep: NDArray, noise_var: float
) -> Posterior:
    """E-step under an unstructured prior ``diag(γ)`` on the kept columns ``K``.

    Parameters
    ----------
    y : ndarray, shape (M,)
        Measurements.
    A : ndarray or Kron
        The dictionary, dense ``(M, N)`` or a :class:`~krosbl.Kron`.
    gamma : ndarray, shape (len(keep),)
        Prior variances of the kept columns.
    keep : ndarray of int
        Kept column indices ``K`` (ascending).
    noise_var : float
        Noise variance ``σ² > 0``.

    Returns
    -------
    Posterior

    Notes
    -----
    Measurement-space form (``M ≤ |K|``): ``Σ_y = σ²I + A_K Γ A_Kᴴ = LLᴴ``,
    ``μ = Γ A_Kᴴ Σ_y⁻¹ y``, ``d = γ − γ² ⊙ diag(A_Kᴴ Σ_y⁻¹ A_K)``. On a ``Kron``,
    ``A Γ Aᴴ`` and ``diag(Aᴴ W A)`` are contractions of the factors with ``γ`` and ``W``
    (:meth:`Kron.weighted_gram`, :meth:`Kron.adjoint_quadratic_diag`). Once pruning leaves
    fewer columns than measurements (``|K| < M``) the kept columns are formed and the
    coefficient-space form ``Σ_x = Γ^½ (I + Γ^½A_KᴴA_KΓ^½/σ²)⁻¹ Γ^½`` is used.
    """
    if isinstance(A, Kron):
        if len(keep) >= A.shape[0]:
            return _flat_posterior_kron(y, A, gamma, keep, noise_var)
        dense = A.columns(keep)
    else:
        dense = np.asarray(A)[:, keep]
    if dense.shape[0] <= dense.shape[1]:
        return _flat_posterior_measurement(y, dense, gamma, noise_var)
    return _flat_posterior_coefficient(y, dense, gamma, noise_var)


#: The end of every error of a solve that left floating point (a non-finite posterior, a
#: failed factorisation): what the user can do about it.
RESCALE_HINT = (
    "y, the dictionary and noise_var span more scales than floating point holds; rescale them"
)


def _cholesky(matrix: NDArray) -> NDArray:
    """Lower Cholesky factor; a matrix that left floating point is a ``FloatingPointError``."""
    if not np.isfinite(matrix).all():
        raise FloatingPointError(f"the posterior's covariance is not finite: {RESCALE_HINT}")
    return sla.cholesky(matrix, lower=True, check_finite=False)


def _cholesky_stats(sigma_y: NDArray, y: NDArray) -> tuple[NDArray, NDArray, float]:
    chol = _cholesky(sigma_y)
    v = sla.cho_solve((chol, True), y)
    cost = float(2 * np.sum(np.log(np.abs(np.diag(chol)))) + np.real(np.vdot(y, v)))
    return chol, v, cost


def _inverse_from_cholesky(chol: NDArray) -> NDArray:
    """``Σ⁻¹`` from the lower Cholesky factor of ``Σ`` (strict upper triangle zero).

    LAPACK ``?potri`` (``L⁻¹``, then ``L⁻ᴴL⁻¹``) does a third of the work of solving against
    the identity; it fills the lower triangle, and the upper one is its conjugate transpose.
    """
    (potri,) = sla.get_lapack_funcs(("potri",), (chol,))
    lower, info = potri(chol, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"inverse from the Cholesky factor failed (LAPACK info {info})")
    full = lower + lower.conj().T
    full[np.diag_indices_from(full)] = lower.diagonal().real
    return full


def _finish(
    y: NDArray, mean: NDArray, fitted: NDArray, gamma: NDArray, diag_q: NDArray, cost: float
) -> Posterior:
    shrink = gamma**2 * diag_q
    return Posterior(
        mean=mean,
        var=gamma - shrink,
        cost=cost,
        residual_sq=float(np.sum(np.abs(y - fitted) ** 2)),
        dof=_dof(gamma, shrink),
    )


def _flat_posterior_measurement(
    y: NDArray, A: NDArray, gamma: NDArray, noise_var: float
) -> Posterior:
    sigma_y = (A * gamma) @ A.conj().T
    sigma_y[np.diag_indices_from(sigma_y)] += noise_var
    chol, v, cost = _cholesky_stats(sigma_y, y)
    mean = gamma * (A.conj().T @ v)
    whitened = sla.solve_triangular(chol, A, lower=True)
    diag_q = np.sum(np.abs(whitened) ** 2, axis=0)
    return _finish(y, mean, A @ mean, gamma, diag_q, cost)


def _flat_posterior_coefficient(
    y: NDArray, A: NDArray, gamma: NDArray, noise_var: float
) -> Posterior:
    root = np.sqrt(gamma)
    scaled = A * root
    inner = scaled.conj().T @ scaled / noise_var
    inner[np.diag_indices_from(inner)] += 1.0
    chol = _cholesky(inner)
    b = scaled.conj().T @ y
    core = sla.cho_solve((chol, True), b)
    mean = root * core / noise_var
    inv_chol = sla.solve_triangular(chol, np.eye(len(gamma)), lower=True)
    sigma_diag = gamma * np.sum(np.abs(inv_chol) ** 2, axis=0)
    m = len(y)
    logdet = m * np.log(noise_var) + 2 * np.sum(np.log(np.abs(np.diag(chol))))
    quad = (np.sum(np.abs(y) ** 2) - np.real(np.vdot(A.conj().T @ y, mean))) / noise_var
    with np.errstate(divide="ignore", invalid="ignore"):
        diag_q = np.where(gamma > 0, (gamma - sigma_diag) / gamma**2, 0.0)
    return _finish(y, mean, A @ mean, gamma, diag_q, float(logdet + quad))


def _flat_posterior_kron(
    y: NDArray, A: Kron, gamma: NDArray, keep: NDArray, noise_var: float
) -> Posterior:
    full = np.zeros(A.shape[1])
    full[keep] = gamma
    sigma_y = A.weighted_gram(full)
    sigma_y[np.diag_indices_from(sigma_y)] += noise_var
    chol, v, cost = _cholesky_stats(sigma_y, y)
    mean = gamma * A.rmatvec(v)[keep]
    diag_q = np.real(A.adjoint_quadratic_diag(_inverse_from_cholesky(chol)))[keep]
    full_mean = np.zeros(A.shape[1], dtype=mean.dtype)
    full_mean[keep] = mean
    return _finish(y, mean, A.matvec(full_mean), gamma, diag_q, cost)


def _noiseless_moments(A: NDArray, gamma: NDArray) -> tuple[NDArray, NDArray]:
    """``P = Γ^½ (A Γ^½)⁺`` and ``diag(P A Γ)`` for one (factor) matrix."""
    root = np.sqrt(gamma)
    p = root[:, None] * np.linalg.pinv(A * root)
    return p, np.real(np.sum(p * A.T, axis=1)) * gamma


def _noiseless_finish(
    y: NDArray, mean: NDArray, fitted: NDArray, gamma: NDArray, shrink: NDArray
) -> Posterior:
    return Posterior(
        mean=mean,
        var=gamma - shrink,
        cost=float("nan"),
        residual_sq=float(np.sum(np.abs(y - fitted) ** 2)),
        dof=_dof(gamma, shrink),
    )


def noiseless_kron_posterior(
    y: NDArray, factors: Sequence[NDArray], gammas: Sequence[NDArray]
) -> Posterior:
    """E-step in the noiseless limit ``σ² → 0`` under a Kronecker prior.

    Notes
    -----
    ``P_i = Γ_i^½ (A_i Γ_i^½)⁺``, ``μ = (P_1 ⊗ … ⊗ P_I) y`` by mode products and
    ``Σ_x = Γ − ⊗_i P_i A_i Γ_i`` (diagonal ``γ − ⊗ diag(P_i A_i Γ_i)``). The cost is
    undefined (``nan``). See docs/theory.md, "Noiseless limit".
    """
    parts = [_noiseless_moments(a, g) for a, g in zip(factors, gammas)]
    out_shape = tuple(a.shape[0] for a in factors)
    mean = multi_mode_product(y.reshape(out_shape), [p for p, _ in parts]).ravel()
    fitted = multi_mode_product(mean.reshape([len(g) for g in gammas]), list(factors)).ravel()
    shrink = reduce(np.multiply.outer, [s for _, s in parts]).ravel()
    gamma = reduce(np.multiply.outer, gammas).ravel()
    return _noiseless_finish(y, mean, fitted, gamma, shrink)


def noiseless_flat_posterior(
    y: NDArray, A: NDArray | Kron, gamma: NDArray, keep: NDArray
) -> Posterior:
    """E-step in the noiseless limit ``σ² → 0`` under an unstructured prior.

    Notes
    -----
    ``μ = Γ^½ (A_K Γ^½)⁺ y`` and ``Σ_x = Γ − Γ^½ (A_K Γ^½)⁺ A_K Γ``.
    """
    dense = A.columns(keep) if isinstance(A, Kron) else np.asarray(A)[:, keep]
    p, shrink = _noiseless_moments(dense, gamma)
    mean = p @ y
    return _noiseless_finish(y, mean, dense @ mean, gamma, shrink)


def posterior_memory(
    in_shape: Sequence[int], out_shape: Sequence[int], structured: bool, itemsize: int = 16
) -> int:
    """Rough peak bytes of one E-step (used by :func:`krosbl.memory_estimate`).

    Parameters
    ----------
    in_shape, out_shape : sequence of int
        ``(N_1, …, N_I)`` and ``(M_1, …, M_I)``.
    structured : bool
        ``True`` for a Kronecker prior, ``False`` for an unstructured prior on a ``Kron``.
    itemsize : int
        Bytes per element (16 for complex128).

    Returns
    -------
    int
        Estimated bytes.
    """
    n, m = int(np.prod(in_shape)), int(np.prod(out_shape))
    if structured:
        return itemsize * (8 * n + 4 * m)
    return itemsize * (8 * n + 4 * m * m)
