"""Gaussian posterior of SBL: the E-step, for Kronecker-structured and unstructured priors.

Both functions return a :class:`Posterior` with the statistics every M-step and the noise
update need, so the EM loop never looks inside. The measurements are one vector ``y`` of
shape ``(M,)`` or ``T`` snapshots ``Y`` of shape ``(M, T)`` that share the prior (M-SBL,
Wipf & Rao 2007): every factorisation is computed once and applied to the ``T`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

from .linalg import hermitian_eig, lapack
from .operators import Kron, multi_mode_product, outer_product

__all__ = [
    "Posterior",
    "flat_posterior",
    "kron_kept_gram",
    "kron_posterior",
    "noiseless_flat_posterior",
    "noiseless_kron_posterior",
    "posterior_memory",
    "second_moment",
    "snapshot_count",
]


@dataclass(frozen=True)
class Posterior:
    """Posterior statistics over the kept columns.

    Attributes
    ----------
    mean : ndarray, shape (K,) or (K, T)
        Posterior mean ``μ`` (over the kept columns, C order of the kept tensor); one column
        per snapshot when the measurements are ``(M, T)``.
    var : ndarray, shape (K,) or (K, T)
        Diagonal ``d`` of the posterior covariance (real): the same for every snapshot of
        one dictionary, one column per task of :class:`krosbl.tasks.Tasks`.
    cost : float
        SBL objective ``log det Σ_y + (1/T) Σ_t y_tᴴ Σ_y⁻¹ y_t`` at the prior used
        (``T = 1`` for one vector).
    residual_sq : float
        ``(1/T) Σ_t ‖y_t − A_K μ_t‖²``.
    dof : float
        ``Σ_j (1 − d_j/γ_j)`` over the kept columns with ``γ_j > 0`` (the learned-noise term).

    A stack of ``B`` problems (:func:`kron_posterior`) has one row of ``mean`` and ``var`` and
    one entry of ``cost``, ``residual_sq`` and ``dof`` per problem.
    """

    mean: NDArray
    var: NDArray
    cost: Any
    residual_sq: Any
    dof: Any

    @property
    def second_moment(self) -> NDArray:
        """``Λ = d + |μ|²`` (snapshots: ``d + (1/T) Σ_t |μ_t|²``), the statistic of every SBL
        M-step."""
        if self.mean.ndim == 1 or np.ndim(self.cost):
            return second_moment(self.mean, self.var)
        var = self.var if self.var.ndim == 2 else self.var[:, None]
        return second_moment(self.mean, var).mean(axis=1)


def second_moment(mean: NDArray, var: NDArray) -> NDArray:
    """``Λ = d + |μ|²`` entrywise (without the square root of ``abs`` for complex ``μ``)."""
    if np.iscomplexobj(mean):
        return var + mean.real**2 + mean.imag**2
    return var + mean**2


def snapshot_count(y: NDArray) -> int:
    """``T`` of measurements ``(M, T)``; 1 for a vector ``(M,)``."""
    return y.shape[1] if y.ndim == 2 else 1


def _per_row(values: NDArray, like: NDArray) -> NDArray:
    """``values`` (one per row) shaped to broadcast against ``like`` of shape ``(K,)`` or
    ``(K, T)``."""
    return values if like.ndim == 1 else values[:, None]


def _dof(gamma: NDArray, shrink: NDArray) -> float:
    """``Σ (1 − d/γ) = Σ (γ − d)/γ`` where ``shrink = γ − d``; zero where ``γ = 0``."""
    pos = gamma > 0
    return float(np.sum(shrink[pos] / gamma[pos]))


def kron_posterior(
    y: NDArray,
    factors: Sequence[NDArray],
    gammas: Sequence[NDArray],
    noise_var: float | NDArray,
    adjoints: Sequence[NDArray] | None = None,
) -> Posterior:
    """E-step under a Kronecker prior ``γ = γ_1 ⊗ … ⊗ γ_I`` without any ``N×N`` or ``M×M`` matrix.

    One problem, or a stack of ``B`` problems ``y_b = (A_1^b ⊗ … ⊗ A_I^b) x_b + n_b``, each
    with its own prior ``γ_1^b ⊗ … ⊗ γ_I^b``, in the same calls.

    Parameters
    ----------
    y : ndarray, shape (prod(M_i),) or (prod(M_i), T); a stack: (B, prod(M_i))
        Measurements: one vector, or ``T`` snapshots sharing the prior; a stack has one row
        per problem.
    factors : sequence of ndarray
        Kept columns of each factor, ``A_i[:, K_i]`` of shape ``(M_i, l_i)``; a stack:
        ``(B, M_i, l_i)``, or ``(1, M_i, l_i)`` shared by the problems.
    gammas : sequence of ndarray
        Factor hyperparameters ``γ_i`` of length ``l_i`` (a stack: ``(B, l_i)``), non-negative.
    noise_var : float or ndarray of shape (B,)
        Noise variance ``σ² > 0`` (of each problem).
    adjoints : sequence of ndarray, optional
        ``A_iᴴ`` on the kept columns, if the caller keeps them between iterations.

    Returns
    -------
    Posterior
        For a stack, ``mean`` and ``var`` have one row per problem and ``cost``,
        ``residual_sq`` and ``dof`` are arrays of shape ``(B,)``.

    Notes
    -----
    With ``A_i Γ_i A_iᴴ = U_i diag(p_i) U_iᴴ`` (Hermitian eigensolver), ``P = ⊗p_i``,
    ``w = 1/(σ² + P)`` and ``G_i = Γ_i A_iᴴ U_i``:
    ``μ = (⊗G_i)(w ⊙ (⊗U_iᴴ) y)``, ``d = γ − (⊗|G_i|²) w``,
    ``log det Σ_y = Σ log(σ² + P)``, ``yᴴΣ_y⁻¹y = Σ w |(⊗U_iᴴ)y|²``,
    ``‖y − Aμ‖² = σ⁴ Σ w² |(⊗U_iᴴ)y|²`` and ``Σ_j (1 − d_j/γ_j) = Σ w P``
    (because ``Σ_n γ_i[n] |(A_iᴴU_i)[n, m]|² = p_i[m]``; docs/theory.md, "Kronecker prior:
    per-factor eigendecompositions"). Memory ``O(ΠN + ΠM)``. With ``T`` snapshots the
    eigendecompositions, ``w`` and ``d`` are shared; only the mode products of ``y`` and
    ``μ`` carry the ``T`` columns, and the quadratic terms are averaged over them. A zero
    ``γ`` adds nothing to ``A_i Γ_i A_iᴴ`` and zeroes its row of ``G_i``, so a problem of a
    stack whose entry is pruned (``γ = 0``) gets the posterior over its own kept columns.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse vector
       recovery with application to IRS-MIMO channel estimation", IEEE Trans. Signal
       Process., 2024, arXiv:2307.14719.
    """
    lead = gammas[0].ndim - 1  # 1 for a stack of problems
    if adjoints is None:
        adjoints = [a.conj().swapaxes(-1, -2) for a in factors]
    powers, rotations, gains, gains_sq = [], [], [], []
    for a, ah, g in zip(factors, adjoints, gammas):
        p, u = hermitian_eig((a * g[..., None, :]) @ ah)
        powers.append(np.maximum(p, 0.0, out=p))
        rotations.append(u.conj().swapaxes(-1, -2))
        gain = (ah @ u) * g[..., None]
        gains.append(gain)
        gains_sq.append(np.abs(gain) ** 2)
    head = y.shape[:lead]
    out_shape = tuple(a.shape[-2] for a in factors)
    columns, t = y.shape[lead + 1 :], snapshot_count(y) if not lead else 1
    y_rot = multi_mode_product(y.reshape(head + out_shape + columns), rotations)
    power = outer_product(powers, lead)
    total = power + (np.reshape(noise_var, (-1,) + (1,) * len(out_shape)) if lead else noise_var)
    w = 1.0 / total
    w_each = w.reshape(w.shape + (1,) * len(columns))  # the same weights for every snapshot
    mean = multi_mode_product(w_each * y_rot, gains)
    shrink = multi_mode_product(w, gains_sq)
    gamma = outer_product(list(gammas), lead)
    w_y_sq = w_each * np.abs(y_rot) ** 2
    return Posterior(
        mean=mean.reshape((*head, -1, *columns)),
        var=(gamma - shrink).reshape((*head, -1)),
        cost=_each(np.log(total), lead) + _each(w_y_sq, lead) / t,
        residual_sq=noise_var**2 * _each(w_each * w_y_sq, lead) / t,
        dof=_each(w * power, lead),
    )


def _each(values: NDArray, lead: int) -> Any:
    """The sum of ``values`` (a float), or of each problem's (leading axis) entries."""
    return values.sum(axis=tuple(range(1, values.ndim))) if lead else float(values.sum())


def flat_posterior(
    y: NDArray, A: NDArray | LinearOperator, gamma: NDArray, keep: NDArray, noise_var: float
) -> Posterior:
    """E-step under an unstructured prior ``diag(γ)`` on the kept columns ``K``.

    Parameters
    ----------
    y : ndarray, shape (M,) or (M, T)
        Measurements: one vector, or ``T`` snapshots sharing the prior.
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
    The posterior of Tipping (2001), ``Σ_x = (Γ⁻¹ + A_KᴴA_K/σ²)⁻¹`` and
    ``μ = Σ_x A_Kᴴ y/σ²`` ([1]_, [2]_), is computed in whichever of two equivalent
    forms is cheaper:

    * measurement space while ``|K| ≥ M`` (:func:`_measurement_form`):
      ``Σ_y = σ²I + A_K Γ A_Kᴴ = LLᴴ``, ``μ = Γ A_Kᴴ Σ_y⁻¹ y``,
      ``d = γ − γ² ⊙ diag(A_Kᴴ Σ_y⁻¹ A_K)``, an ``M × M`` factorisation;
    * coefficient space once pruning leaves ``|K| < M`` (:func:`_coefficient_form`): by the
      Woodbury identity ``Σ_x = Γ − ΓA_KᴴΣ_y⁻¹A_KΓ = Γ^½ (I + Γ^½A_KᴴA_KΓ^½/σ²)⁻¹ Γ^½``,
      a ``|K| × |K|`` factorisation.

    On a ``Kron`` no ``M × N`` matrix is formed (:meth:`Kron.weighted_gram`,
    :meth:`Kron.adjoint_quadratic_diag`, :func:`kron_kept_gram`). While every column is kept
    with one common variance ``c`` (classic SBL's first iteration), the prior is the Kronecker
    prior ``c·1 ⊗ … ⊗ 1`` and :func:`kron_posterior` gives the posterior from the factors.
    With ``T`` snapshots either factorisation is computed once and solved against the ``T``
    columns (M-SBL, [3]_).

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse vector
       recovery with application to IRS-MIMO channel estimation", IEEE Trans. Signal
       Process., 2024, arXiv:2307.14719.
    .. [2] M. E. Tipping, "Sparse Bayesian learning and the relevance vector machine",
       J. Mach. Learn. Res. 1, 2001.
    .. [3] D. P. Wipf and B. D. Rao, "An empirical Bayesian strategy for solving the
       simultaneous sparse approximation problem", IEEE Trans. Signal Process. 55(7), 2007.
    """
    if isinstance(A, Kron) and len(keep) == A.shape[1] and np.all(gamma == gamma[0]):
        gammas = [np.full(n, float(gamma[0]) if i == 0 else 1.0) for i, n in enumerate(A.in_shape)]
        return kron_posterior(y, A.factors, gammas, noise_var)
    cols = _KeptColumns(A, keep)
    if len(keep) >= A.shape[0]:
        chol = _cholesky(_covariance(cols, gamma, noise_var))
        return _measurement_form(y, cols, gamma, noise_var, chol)
    return _coefficient_form(y, cols, gamma, noise_var)


#: The end of every error of a solve that left floating point (a non-finite posterior, a
#: failed factorisation): what the user can do about it.
RESCALE_HINT = (
    "y, the dictionary and noise_var span more scales than floating point holds; rescale them"
)

#: Smallest reciprocal condition number of ``A_K Γ A_Kᴴ`` for which the noiseless E-step
#: solves with its Cholesky factor (see :func:`noiseless_flat_posterior`).
NOISELESS_MIN_RCOND = 1e-7


def kron_kept_gram(op: Kron, keep: NDArray) -> NDArray:
    """Gram matrix ``A_KᴴA_K`` of the kept columns of a ``Kron``, from the factor Grams.

    Parameters
    ----------
    op : Kron
        ``A = A_1 ⊗ … ⊗ A_I``.
    keep : ndarray of int, shape (K,)
        Flat column indices (``numpy.kron`` order).

    Returns
    -------
    ndarray, shape (K, K)
        ``A[:, keep]ᴴ A[:, keep]``.

    Notes
    -----
    Column ``j`` of ``A`` is ``a_1[:, n_1(j)] ⊗ … ⊗ a_I[:, n_I(j)]``, and the inner product
    of two Kronecker products is the product of the inner products, so
    ``(A_KᴴA_K)[j, j'] = Π_i (A_iᴴA_i)[n_i(j), n_i(j')]``: ``I`` gathers of ``K²`` entries
    from ``N_i × N_i`` matrices instead of a ``K × M × K`` product.
    """
    gram: NDArray | None = None
    for f, idx in zip(op.factors, np.unravel_index(keep, op.in_shape)):
        block = (f.conj().T @ f)[np.ix_(idx, idx)]
        if gram is None:
            gram = block
        else:
            gram *= block
    assert gram is not None
    return gram


class _KeptColumns:
    """The kept columns ``A_K`` of a dense matrix or of a ``Kron``: the products every form
    of :func:`flat_posterior` needs, each by the cheaper route for the dictionary's kind."""

    def __init__(self, A: NDArray | LinearOperator, keep: NDArray) -> None:
        self.keep = keep
        self.kron = A if isinstance(A, Kron) else None
        self.dense = None if isinstance(A, Kron) else np.asarray(A)[:, keep]

    def matrix(self) -> NDArray:
        """``A_K`` itself (``M × K``)."""
        if self.kron is not None:
            return self.kron.columns(self.keep)
        assert self.dense is not None
        return self.dense

    def apply(self, x: NDArray) -> NDArray:
        """``A_K x`` (``x`` of shape ``(K,)`` or ``(K, T)``)."""
        if self.kron is not None:
            full = np.zeros((self.kron.shape[1], *x.shape[1:]), dtype=x.dtype)
            full[self.keep] = x
            return self.kron.matvec(full) if x.ndim == 1 else self.kron.matmat(full)
        assert self.dense is not None
        return self.dense @ x

    def adjoint(self, v: NDArray) -> NDArray:
        """``A_Kᴴ v`` (``v`` of shape ``(M,)`` or ``(M, T)``)."""
        if self.kron is not None:
            product = self.kron.rmatvec(v) if v.ndim == 1 else self.kron.rmatmat(v)
            return product[self.keep]
        assert self.dense is not None
        return self.dense.conj().T @ v

    def column_norms_sq(self) -> NDArray:
        """``‖a_j‖²`` of the kept columns (on a ``Kron``, products of factor column norms)."""
        if self.kron is not None:
            norms = [np.sum(np.abs(f) ** 2, axis=0) for f in self.kron.factors]
            return reduce(np.multiply.outer, norms).ravel()[self.keep]
        assert self.dense is not None
        return np.sum(np.abs(self.dense) ** 2, axis=0)

    def gram(self) -> NDArray:
        """``A_KᴴA_K`` (``K × K``)."""
        if self.kron is not None:
            return kron_kept_gram(self.kron, self.keep)
        assert self.dense is not None
        return self.dense.conj().T @ self.dense

    def weighted_gram(self, gamma: NDArray) -> NDArray:
        """``A_K Γ A_Kᴴ`` (``M × M``)."""
        if self.kron is not None:
            full = np.zeros(self.kron.shape[1])
            full[self.keep] = gamma
            return self.kron.weighted_gram(full)
        assert self.dense is not None
        return (self.dense * gamma) @ self.dense.conj().T

    def inverse_quadratic_diag(self, chol: NDArray) -> NDArray:
        """``diag(A_Kᴴ Σ⁻¹ A_K)`` (real) from the lower Cholesky factor ``L`` of ``Σ``.

        Dense: the column norms of ``L⁻¹A_K`` (one triangular solve, ``M²K``). ``Kron``:
        ``Σ⁻¹`` by ``?potri`` (``M³``, independent of ``K``), then a contraction with the
        factors (:meth:`Kron.adjoint_quadratic_diag`).
        """
        if self.kron is not None:
            inverse = _inverse_from_cholesky(chol)
            return np.real(self.kron.adjoint_quadratic_diag(inverse))[self.keep]
        dtype = np.result_type(chol, self.dense)
        whitened = _lapack("trtrs", dtype, chol.astype(dtype, copy=False), self.dense, lower=1)
        return np.sum(np.abs(whitened) ** 2, axis=0)


def _lapack(name: str, dtype: np.dtype, *args: Any, **kwargs: Any) -> Any:
    """LAPACK ``?name`` for ``dtype`` called on ``args``; a non-zero ``info`` is a
    ``LinAlgError``."""
    *out, info = lapack(name, dtype)(*args, **kwargs)
    if info != 0:
        raise np.linalg.LinAlgError(f"LAPACK ?{name} failed (info {info})")
    return out[0] if len(out) == 1 else out


def _cholesky(matrix: NDArray) -> NDArray:
    """Lower Cholesky factor (LAPACK ``?potrf``); a matrix that left floating point is a
    ``FloatingPointError``, one that is not positive definite a ``LinAlgError``."""
    if not np.isfinite(matrix).all():
        raise FloatingPointError(f"the posterior's covariance is not finite: {RESCALE_HINT}")
    return _lapack("potrf", matrix.dtype, matrix, lower=1, clean=1)


def _cho_solve(chol: NDArray, b: NDArray) -> NDArray:
    """``(LLᴴ)⁻¹ b`` from the lower Cholesky factor (LAPACK ``?potrs``), in the dtype of
    ``L`` and ``b`` together (a real factor with complex data solves in complex)."""
    dtype = np.result_type(chol, b)
    return _lapack("potrs", dtype, chol.astype(dtype, copy=False), b, lower=1)


def _cholesky_rcond(matrix: NDArray) -> tuple[NDArray | None, float]:
    """Lower Cholesky factor and its estimated reciprocal condition number (1-norm, LAPACK
    ``?pocon``); ``(None, 0.0)`` when ``matrix`` is not numerically positive definite."""
    try:
        chol = _cholesky(matrix)
        anorm = float(np.abs(matrix).sum(axis=0).max())
        return chol, float(_lapack("pocon", chol.dtype, chol, anorm, uplo="L"))
    except np.linalg.LinAlgError:
        return None, 0.0


def _inverse_from_cholesky(chol: NDArray) -> NDArray:
    """``Σ⁻¹`` from the lower Cholesky factor of ``Σ`` (strict upper triangle zero).

    LAPACK ``?potri`` (``L⁻¹``, then ``L⁻ᴴL⁻¹``) does a third of the work of solving against
    the identity; it fills the lower triangle, and the upper one is its conjugate transpose.
    """
    lower = _lapack("potri", chol.dtype, chol, lower=1)
    full = lower + lower.conj().T
    full.flat[:: full.shape[0] + 1] = lower.diagonal().real
    return full


def _add_to_diagonal(matrix: NDArray, value: float | NDArray) -> None:
    """``matrix += diag(value)`` in place (any memory layout; cheaper than index arrays)."""
    matrix.flat[:: matrix.shape[0] + 1] += value


def _finish(
    y: NDArray, mean: NDArray, fitted: NDArray, gamma: NDArray, shrink: NDArray, cost: float
) -> Posterior:
    """The :class:`Posterior` from the mean, ``A_K μ`` and ``γ − d``."""
    return Posterior(
        mean=mean,
        var=gamma - shrink,
        cost=cost,
        residual_sq=float(np.sum(np.abs(y - fitted) ** 2)) / snapshot_count(y),
        dof=_dof(gamma, shrink),
    )


def _covariance(cols: _KeptColumns, gamma: NDArray, noise_var: float) -> NDArray:
    """``Σ_y = σ²I + A_K Γ A_Kᴴ`` (``M × M``)."""
    sigma_y = cols.weighted_gram(gamma)
    _add_to_diagonal(sigma_y, noise_var)
    return sigma_y


def _measurement_form(
    y: NDArray, cols: _KeptColumns, gamma: NDArray, noise_var: float, chol: NDArray
) -> Posterior:
    """Posterior from the lower Cholesky factor ``L`` of ``Σ_y = σ²I + A_K Γ A_Kᴴ``.

    ``μ = Γ A_Kᴴ Σ_y⁻¹ y``, ``γ − d = γ² ⊙ diag(A_Kᴴ Σ_y⁻¹ A_K)``, cost
    ``log det Σ_y + yᴴ Σ_y⁻¹ y`` (``nan`` at ``σ² = 0``).
    """
    v = _cho_solve(chol, y)
    if noise_var > 0:
        quad = np.real(np.vdot(y, v)) / snapshot_count(y)
        cost = float(2 * np.sum(np.log(np.abs(np.diag(chol)))) + quad)
    else:
        cost = float("nan")
    mean = _per_row(gamma, v) * cols.adjoint(v)
    shrink = gamma**2 * cols.inverse_quadratic_diag(chol)
    return _finish(y, mean, cols.apply(mean), gamma, shrink, cost)


def _coefficient_form(
    y: NDArray, cols: _KeptColumns, gamma: NDArray, noise_var: float
) -> Posterior:
    """Posterior from the ``K × K`` factorisation ``I + Γ^½A_KᴴA_KΓ^½/σ² = LLᴴ`` (Woodbury).

    ``Σ_x = Γ^½ L⁻ᴴL⁻¹ Γ^½`` (diagonal from the column norms of ``L⁻¹``, LAPACK
    ``?trtri``), ``μ = Γ^½ L⁻ᴴL⁻¹ Γ^½ A_Kᴴy/σ²``; the cost by the determinant lemma,
    ``log det Σ_y = M log σ² + log det LLᴴ``, and ``yᴴΣ_y⁻¹y = (‖y‖² − yᴴA_Kμ)/σ²``.
    """
    root = np.sqrt(gamma)
    inner = cols.gram()
    inner *= root[:, None]
    inner *= root / noise_var
    _add_to_diagonal(inner, 1.0)
    chol = _cholesky(inner)
    aty = cols.adjoint(y)
    root_each = _per_row(root, aty)
    core = _cho_solve(chol, root_each * aty)
    mean = root_each * core / noise_var
    sigma_diag = gamma * np.sum(np.abs(_lapack("trtri", chol.dtype, chol, lower=1)) ** 2, axis=0)
    logdet = len(y) * np.log(noise_var) + 2 * np.sum(np.log(np.abs(np.diag(chol))))
    quad = (np.sum(np.abs(y) ** 2) - np.real(np.vdot(aty, mean))) / noise_var
    quad /= snapshot_count(y)
    return _finish(y, mean, cols.apply(mean), gamma, gamma - sigma_diag, float(logdet + quad))


def _surely_ill_conditioned(weights: NDArray, m: int) -> bool:
    """Whether ``S = Σ_j w_j a_j a_jᴴ / ‖a_j‖²`` (``M × M``) has ``κ₂(S) > M /``
    :data:`NOISELESS_MIN_RCOND` for certain, by the Courant–Fischer bound ``λ_max ≥ max w`` and
    ``λ_min ≤ Σ w`` over all but the ``M − 1`` largest ``w`` (a unit vector orthogonal to
    those ``M − 1`` columns)."""
    w = np.sort(weights)
    rest = float(w[: len(w) - (m - 1)].sum())
    return bool(w[-1] * NOISELESS_MIN_RCOND > m * rest)


def _noiseless_moments(A: NDArray, gamma: NDArray) -> tuple[NDArray, NDArray]:
    """``P = Γ^½ (A Γ^½)⁺`` and ``diag(P A Γ)`` for one (factor) matrix."""
    root = np.sqrt(gamma)
    p = root[:, None] * np.linalg.pinv(A * root)
    return p, np.real(np.sum(p * A.T, axis=1)) * gamma


def noiseless_kron_posterior(
    y: NDArray, factors: Sequence[NDArray], gammas: Sequence[NDArray]
) -> Posterior:
    """E-step in the noiseless limit ``σ² → 0`` under a Kronecker prior ([1]_).

    Notes
    -----
    ``P_i = Γ_i^½ (A_i Γ_i^½)⁺``, ``μ = (P_1 ⊗ … ⊗ P_I) y`` by mode products and
    ``Σ_x = Γ − ⊗_i P_i A_i Γ_i`` (diagonal ``γ − ⊗ diag(P_i A_i Γ_i)``). The cost is
    undefined (``nan``).

    References
    ----------
    .. [1] Y. He and G. Joseph, IEEE Trans. Signal Process., 2024, arXiv:2307.14719.
    """
    parts = [_noiseless_moments(a, g) for a, g in zip(factors, gammas)]
    out_shape = tuple(a.shape[0] for a in factors)
    columns = y.shape[1:]
    mean = multi_mode_product(y.reshape(out_shape + columns), [p for p, _ in parts])
    mean = mean.reshape((-1, *columns))
    kept_shape = tuple(len(g) for g in gammas)
    fitted = multi_mode_product(mean.reshape(kept_shape + columns), list(factors)).reshape(y.shape)
    shrink = reduce(np.multiply.outer, [s for _, s in parts]).ravel()
    gamma = reduce(np.multiply.outer, gammas).ravel()
    return _finish(y, mean, fitted, gamma, shrink, float("nan"))


def noiseless_flat_posterior(
    y: NDArray, A: NDArray | Kron, gamma: NDArray, keep: NDArray
) -> Posterior:
    """E-step in the noiseless limit under an unstructured prior (Wipf & Rao 2004; paper [1]_).

    Parameters
    ----------
    y : ndarray, shape (M,) or (M, T)
        Measurements: one vector, or ``T`` snapshots sharing the prior.
    A : ndarray or Kron
        The dictionary.
    gamma : ndarray, shape (len(keep),)
        Prior variances of the kept columns.
    keep : ndarray of int
        Kept column indices (ascending).

    Returns
    -------
    Posterior
        With ``cost = nan``.

    Notes
    -----
    The ``σ² → 0`` limit of the posterior is ``μ = Γ^½ B⁺ y`` and
    ``Σ_x = Γ − Γ^½ B⁺ B Γ^½`` with ``B = A_K Γ^½``. When ``B`` has full row rank
    (``|K| ≥ M``), ``B⁺ = Bᴴ S⁻¹`` with ``S = BBᴴ = A_K Γ A_Kᴴ``, and this is the
    measurement form of :func:`flat_posterior` at ``σ² = 0``: one ``M × M`` Cholesky
    factorisation instead of the SVD of ``B``, taken when the LAPACK ``?pocon`` estimate of
    the reciprocal condition number of ``S`` is at least :data:`NOISELESS_MIN_RCOND` (squaring
    the condition number of ``B`` then costs at most about ``10⁻⁹`` in relative accuracy).
    ``S`` is not formed when Courant–Fischer shows its condition number too large:
    ``κ₂(S) ≥ max w / Σ' w`` with ``w_j = γ_j ‖a_j‖²``, ``Σ'`` over all but the ``M − 1``
    largest. Otherwise ``B⁺`` is :func:`numpy.linalg.pinv` (singular values below
    ``max(M, |K|)·ε·s_max`` are zero), the reference behaviour.

    References
    ----------
    .. [1] Y. He and G. Joseph, IEEE Trans. Signal Process., 2024, arXiv:2307.14719.
    .. [2] D. P. Wipf and B. D. Rao, "Sparse Bayesian learning for basis selection",
       IEEE Trans. Signal Process. 52(8), 2004.
    """
    cols = _KeptColumns(A, keep)
    m = A.shape[0]
    if len(keep) >= m and not _surely_ill_conditioned(gamma * cols.column_norms_sq(), m):
        chol, rcond = _cholesky_rcond(_covariance(cols, gamma, 0.0))
        if chol is not None and rcond >= NOISELESS_MIN_RCOND:
            return _measurement_form(y, cols, gamma, 0.0, chol)
    dense = cols.matrix()
    p, shrink = _noiseless_moments(dense, gamma)
    mean = p @ y
    return _finish(y, mean, dense @ mean, gamma, shrink, float("nan"))


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
