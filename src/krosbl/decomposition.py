"""Rank-one split of a measurement tensor: ``y ≈ ŷ_1 ⊗ … ⊗ ŷ_I``.

For a rank-one unknown ``x = x_1 ⊗ … ⊗ x_I`` the noise-free ``y = (A_1 x_1) ⊗ … ⊗ (A_I x_I)``
is rank one too; :mod:`krosbl.dkrosbl` runs one small SBL per factor of its split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .validation import check_array, check_int

__all__ = ["RankOneSplit", "rank_one_split"]


@dataclass(frozen=True)
class RankOneSplit:
    """A rank-one approximation ``r = ŷ_1 ∘ … ∘ ŷ_I`` of a tensor ``T``.

    Attributes
    ----------
    factors : list of ndarray
        ``ŷ_1, …, ŷ_I`` (lengths ``M_1, …, M_I``): the first ``I − 1`` have unit norm, the last
        carries the scale, so ``‖r‖ = ‖ŷ_I‖``.
    residual_sq : float
        ``‖T − r‖²``.
    energy : float
        ``‖T‖²``.
    """

    factors: list[NDArray]
    residual_sq: float
    energy: float

    @property
    def residual_fraction(self) -> float:
        """``‖T − r‖² / ‖T‖²`` (``0`` for an all-zero ``T``, which the split reproduces)."""
        return self.residual_sq / self.energy if self.energy > 0 else 0.0

    def tensor(self) -> NDArray:
        """The approximation ``r`` as an array of shape ``(M_1, …, M_I)``."""
        return reduce(np.multiply.outer, self.factors)


def _normalise(factors: list[NDArray]) -> list[NDArray]:
    """Unit norm for every factor but the last, which takes the product of the norms."""
    out, scale = [], 1.0
    for f in factors[:-1]:
        norm = float(np.linalg.norm(f))
        if norm > 0:
            out.append(f / norm)
            scale *= norm
        else:
            out.append(f)
            scale = 0.0
    out.append(factors[-1] * scale)
    return out


def _sequential_svd(tensor: NDArray) -> list[NDArray]:
    """``ŷ_i = u_1`` of the successive unfoldings; the last factor is ``s_1 v_1ᴴ``."""
    shape = tensor.shape
    if len(shape) == 1:
        return [tensor.copy()]
    factors = []
    rest = tensor.reshape(shape[0], -1)
    for i in range(len(shape) - 1):
        u, s, vh = np.linalg.svd(rest, full_matrices=False)
        factors.append(u[:, 0])
        lead = s[0] * vh[0]
        rest = lead.reshape(shape[i + 1], -1) if i < len(shape) - 2 else lead
    factors.append(rest)
    return factors


def _contract_all_but(tensor: NDArray, factors: list[NDArray], i: int) -> NDArray:
    """``T ×_{j≠i} ŷ_jᴴ`` (contract every axis but ``i`` with the conjugated factor)."""
    out = tensor
    for j in reversed(range(len(factors))):  # last axis first: the others keep their index
        if j != i:
            out = np.tensordot(out, factors[j].conj(), axes=([j], [0]))
    return out


def _hooi_sweep(tensor: NDArray, factors: list[NDArray]) -> list[NDArray]:
    """One alternating least-squares sweep ``i = 1 … I`` (each step minimises ``‖T − r‖``)."""
    factors = list(factors)
    for i in range(len(factors)):
        norms_sq = math.prod(float(np.vdot(f, f).real) for j, f in enumerate(factors) if j != i)
        if norms_sq == 0:
            return factors
        factors[i] = _contract_all_but(tensor, factors, i) / norms_sq
    return _normalise(factors)


def rank_one_split(y: ArrayLike, shape: Sequence[int], *, hooi_sweeps: int = 0) -> RankOneSplit:
    """Split ``y`` into rank-one factors: ``y ≈ ŷ_1 ⊗ … ⊗ ŷ_I`` (``numpy.kron`` order).

    Parameters
    ----------
    y : array_like, shape (prod(shape),)
        Measurements (real or complex), any array of ``prod(shape)`` entries, C order.
    shape : sequence of int
        ``(M_1, …, M_I)``, the tensor shape of ``y`` (``I ≥ 1``).
    hooi_sweeps : int
        Alternating rank-one refinement sweeps after the sequential SVD (``0``: none).

    Returns
    -------
    RankOneSplit
        The factors ``ŷ_i`` (the first ``I − 1`` unit-norm, the last carrying the scale), the
        residual energy ``‖T − r‖²`` and the energy ``‖T‖²``.

    Raises
    ------
    ValueError
        ``y`` does not have ``prod(shape)`` entries, contains NaN or inf, a size is not a
        positive integer, or ``hooi_sweeps < 0``.

    Notes
    -----
    ``T = y.reshape(shape)`` (C order) and ``W = T.reshape(M_1, M_2⋯M_I)``. For
    ``i = 1 … I − 1``: ``U, S, Vᴴ = svd(W)``, ``ŷ_i = U[:, 0]`` and ``W = S[0]·Vᴴ[0]``
    reshaped to ``(M_{i+1}, M_{i+2}⋯M_I)``; at ``i = I − 1``, ``ŷ_I = S[0]·Vᴴ[0]``. Then
    ``r = ŷ_1 ∘ … ∘ ŷ_I`` (``vec r = ŷ_1 ⊗ … ⊗ ŷ_I``) is exact when ``T`` is rank one; the
    phases of the factors are arbitrary but cancel in ``r``.

    A refinement sweep (rank-one HOOI [2]_) sets ``ŷ_i ← T ×_{j≠i} ŷ_jᴴ / Π_{j≠i} ‖ŷ_j‖²``
    for ``i = 1 … I`` (least-squares optimal, so ``‖T − r‖`` never increases), then
    renormalises.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Decomposition-based Kronecker sparse Bayesian learning",
       SPAWC 2024, arXiv:2310.07869.
    .. [2] L. De Lathauwer, B. De Moor and J. Vandewalle, "On the best rank-1 and
       rank-(R1, R2, …, RN) approximation of higher-order tensors", SIAM J. Matrix Anal.
       Appl., 21(4), 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.decomposition import rank_one_split
    >>> y = np.kron([1.0, 2.0], [3.0, 0.0, -1.0])
    >>> split = rank_one_split(y, (2, 3))
    >>> bool(np.allclose(np.kron(*split.factors), y)), split.residual_fraction < 1e-20
    (True, True)
    """
    dims = tuple(shape)
    if len(dims) == 0 or any(
        isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1 for m in dims
    ):
        raise ValueError(f"shape must be a non-empty sequence of positive integers, got {shape!r}")
    check_int("hooi_sweeps", hooi_sweeps, minimum=0)
    arr = np.asarray(y)
    if arr.size != math.prod(dims):
        raise ValueError(f"y has {arr.size} entries but shape {dims} needs {math.prod(dims)}")
    check_array(arr, "y")
    tensor = arr.astype(np.result_type(arr, np.float64), copy=False).reshape(dims)
    factors = _sequential_svd(tensor)
    if len(dims) > 1:
        for _ in range(int(hooi_sweeps)):
            factors = _hooi_sweep(tensor, factors)
    residual = tensor - reduce(np.multiply.outer, factors)
    return RankOneSplit(
        factors=factors,
        residual_sq=float(np.vdot(residual, residual).real),
        energy=float(np.vdot(tensor, tensor).real),
    )
