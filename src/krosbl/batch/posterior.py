"""The E-step of a batch of Kronecker-prior problems, all at once.

The batched twin of :func:`krosbl.posterior.kron_posterior`: the same formulas with a leading
batch axis, so that one set of NumPy calls serves every problem of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..operators import batched_multi_mode_product
from ..posterior import second_moment

__all__ = ["BatchPosterior", "batched_kron_posterior", "outer_rows"]


@dataclass(frozen=True)
class BatchPosterior:
    """Posterior statistics of ``B`` problems (row ``b`` is problem ``b``).

    Attributes
    ----------
    mean : ndarray, shape (B, N)
        Posterior means on the full index set (zero at pruned entries).
    var : ndarray, shape (B, N)
        Posterior marginal variances (zero at pruned entries).
    cost, residual_sq, dof : ndarray, shape (B,)
        As :class:`krosbl.posterior.Posterior`, one per problem.
    """

    mean: NDArray
    var: NDArray
    cost: NDArray
    residual_sq: NDArray
    dof: NDArray

    @property
    def second_moment(self) -> NDArray:
        """``Λ = d + |μ|²`` of every problem, shape ``(B, N)``."""
        return second_moment(self.mean, self.var)


def outer_rows(vectors: Sequence[NDArray]) -> NDArray:
    """Row-wise outer product: ``out[b] = v_1[b] ∘ … ∘ v_I[b]``, shape ``(B, n_1, …, n_I)``."""
    out = vectors[0]
    for v in vectors[1:]:
        out = out[..., None] * v.reshape(v.shape[0], *([1] * (out.ndim - 1)), v.shape[1])
    return out


def batched_kron_posterior(
    Y: NDArray,
    factors: Sequence[NDArray],
    adjoints: Sequence[NDArray],
    gammas: Sequence[NDArray],
    noise_var: NDArray,
) -> BatchPosterior:
    """E-step of ``B`` problems ``y_b = (A_1^b ⊗ … ⊗ A_I^b) x_b + n_b`` with Kronecker priors.

    Parameters
    ----------
    Y : ndarray, shape (B, M_1, …, M_I)
        Measurements, one tensor per problem.
    factors, adjoints : sequence of ndarray
        ``A_i`` of shape ``(B, M_i, N_i)`` or ``(1, M_i, N_i)`` (shared), and ``A_iᴴ``.
    gammas : sequence of ndarray
        ``γ_i`` of shape ``(B, N_i)``, zero at pruned entries.
    noise_var : ndarray, shape (B,)
        ``σ² > 0`` of each problem.

    Returns
    -------
    BatchPosterior

    Notes
    -----
    The formulas of :func:`krosbl.posterior.kron_posterior` (per-factor eigendecompositions
    ``A_i Γ_i A_iᴴ = U_i diag(p_i) U_iᴴ``, ``w = 1/(σ² + ⊗p_i)``, mode products by ``U_iᴴ``
    and ``G_i = Γ_i A_iᴴ U_i``) on full-length factors: a pruned entry has ``γ = 0``, so its
    column adds nothing to ``A_i Γ_i A_iᴴ`` and its row of ``G_i`` is zero, and the posterior
    equals that over the kept columns with zeros elsewhere.
    """
    batch = len(Y)
    powers, rotations, gains, gains_sq = [], [], [], []
    for a, ah, g in zip(factors, adjoints, gammas):
        p, u = np.linalg.eigh((a * g[:, None, :]) @ ah)
        powers.append(np.maximum(p, 0.0, out=p))
        rotations.append(u.conj().swapaxes(-1, -2))
        gain = (ah @ u) * g[:, :, None]
        gains.append(gain)
        gains_sq.append(np.abs(gain) ** 2)
    y_rot = batched_multi_mode_product(Y, rotations)
    power = outer_rows(powers)
    noise = noise_var.reshape(batch, *([1] * (power.ndim - 1)))
    total = power + noise
    w = 1.0 / total
    mean = batched_multi_mode_product(w * y_rot, gains)
    shrink = batched_multi_mode_product(w, gains_sq)
    w_y_sq = w * np.abs(y_rot) ** 2
    axes = tuple(range(1, power.ndim))
    return BatchPosterior(
        mean=mean.reshape(batch, -1),
        var=(outer_rows(list(gammas)) - shrink).reshape(batch, -1),
        cost=np.log(total).sum(axis=axes) + w_y_sq.sum(axis=axes),
        residual_sq=noise_var**2 * (w * w_y_sq).sum(axis=axes),
        dof=(w * power).sum(axis=axes),
    )
