"""Small dense linear algebra used inside every EM iteration, where the fixed cost of a call
matters as much as its arithmetic (each for one problem or a stack of problems):

* :func:`hermitian_eig` — eigendecomposition of a small Hermitian matrix by a direct LAPACK
  call (``?syevd`` / ``?heevd``), without the checks and copies of :func:`numpy.linalg.eigh`,
  and :func:`leading_eigenpair`, its largest eigenpair only;
* :func:`kron_distance` — ``‖a_1 ⊗ … ⊗ a_I − b_1 ⊗ … ⊗ b_I‖`` from ``I`` small Gram matrices,
  without forming either Kronecker vector;
* :func:`matrix_vector`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

from .operators import outer_product

__all__ = [
    "hermitian_eig",
    "kron_distance",
    "lapack",
    "leading_eigenpair",
    "matrix_vector",
]


@cache
def lapack(name: str, dtype: np.dtype | type) -> Callable[..., Any]:
    """The LAPACK routine ``name`` (without its type prefix) for ``dtype``, looked up once.

    Calling LAPACK directly skips the argument handling of the ``scipy.linalg`` and NumPy
    wrappers, which dominates the small matrices of every iteration.
    """
    return sla.get_lapack_funcs((name,), dtype=np.dtype(dtype))[0]


def _eig_driver(complex_: bool, partial: bool) -> Callable[..., Any]:
    name = ("he" if complex_ else "sy") + ("evr" if partial else "evd")
    return lapack(name, np.complex128 if complex_ else np.float64)


def hermitian_eig(matrix: NDArray) -> tuple[NDArray, NDArray]:
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix, read from its lower triangle.

    Parameters
    ----------
    matrix : ndarray, shape (n, n) or (B, n, n)
        Real symmetric or complex Hermitian ``float64`` / ``complex128`` matrix, or a stack of
        them; a single matrix is used as workspace and overwritten.

    Returns
    -------
    values : ndarray, shape (n,) or (B, n)
        Real eigenvalues in ascending order.
    vectors : ndarray, shape (n, n) or (B, n, n)
        Orthonormal eigenvectors in the columns.

    Raises
    ------
    numpy.linalg.LinAlgError
        If LAPACK does not converge.

    Notes
    -----
    A single matrix goes to the divide-and-conquer routine NumPy uses, called directly
    (without the wrapper's checks and copies, which dominate tiny factors); a stack is one
    :func:`numpy.linalg.eigh` call.
    """
    if matrix.ndim > 2:
        return np.linalg.eigh(matrix)
    values, vectors, info = _eig_driver(np.iscomplexobj(matrix), False)(
        matrix, lower=1, overwrite_a=1
    )
    _check(info)
    return values, vectors


def leading_eigenpair(matrix: NDArray) -> tuple[Any, NDArray]:
    """Largest eigenvalue and its unit eigenvector of a Hermitian matrix (lower triangle).

    Parameters
    ----------
    matrix : ndarray, shape (n, n) or (B, n, n)
        Real symmetric or complex Hermitian ``float64`` / ``complex128`` matrix (a single one
        is overwritten), or a stack of them.

    Returns
    -------
    value : float, or ndarray of shape (B,)
    vector : ndarray, shape (n,) or (B, n)

    Notes
    -----
    A single matrix: LAPACK's MRRR routine (``?syevr`` / ``?heevr``) asked for the ``n``-th
    eigenpair only; a stack: the last pair of one :func:`numpy.linalg.eigh` call.
    """
    if matrix.ndim > 2:
        values, vectors = np.linalg.eigh(matrix)
        return values[:, -1], vectors[:, :, -1]
    n = matrix.shape[0]
    values, vectors, _, _, info = _eig_driver(np.iscomplexobj(matrix), True)(
        matrix, range="I", il=n, iu=n, lower=1, overwrite_a=1
    )
    _check(info)
    return float(values[0]), vectors[:, 0]


def _check(info: int) -> None:
    if info != 0:
        raise np.linalg.LinAlgError(f"Hermitian eigensolver failed (LAPACK info {info})")


def matrix_vector(matrix: NDArray, vector: NDArray) -> NDArray:
    """``A v``, or ``A_b v_b`` for each of a stack (``A``: ``(B, m, n)``, ``v``: ``(B, n)``)."""
    return matrix @ vector if vector.ndim == 1 else (matrix @ vector[..., None])[..., 0]


def kron_distance(a: Sequence[NDArray], b: Sequence[NDArray], *, relative: bool = False) -> Any:
    """``‖a_1 ⊗ … ⊗ a_I − b_1 ⊗ … ⊗ b_I‖`` for real vectors with ``len(a_i) == len(b_i)``, or
    that of every row of stacked factors.

    Parameters
    ----------
    a, b : sequence of ndarray
        The factors of the two Kronecker vectors, 1-D; or stacks ``(B, n_i)``, one pair of
        Kronecker vectors per row.
    relative : bool
        Divide by ``‖b_1 ⊗ … ⊗ b_I‖`` (``inf`` if that is 0 and the distance is not).

    Returns
    -------
    float, or ndarray of shape (B,)

    Notes
    -----
    With ``A_i = a_1 ⊗ … ⊗ a_i``, ``B_i`` likewise, ``D_i = A_i − B_i`` and
    ``d_i = a_i − b_i``, ``D_i = D_{i−1} ⊗ a_i + B_{i−1} ⊗ d_i``, so

    ``‖D_i‖² = ‖D_{i−1}‖² ‖a_i‖² + ‖B_{i−1}‖² ‖d_i‖² + 2 ⟨D_{i−1}, B_{i−1}⟩ ⟨a_i, d_i⟩``,
    ``⟨D_i, B_i⟩ = ⟨D_{i−1}, B_{i−1}⟩ ⟨a_i, b_i⟩ + ‖B_{i−1}‖² ⟨d_i, b_i⟩``,
    ``‖B_i‖² = ‖B_{i−1}‖² ‖b_i‖²``:

    six inner products per factor (one ``3 × 3`` Gram matrix), never the Kronecker vectors.
    Every term of ``‖D_i‖²`` carries the differences, so a small distance keeps its relative
    accuracy (no cancellation of ``‖⊗a‖²`` against ``‖⊗b‖²``). Cost ``O(Σ len(a_i))``.
    Stacks of at most ``2¹⁶`` entries in all form the Kronecker vectors instead (fewer array
    calls).
    """
    if a[0].ndim > 1:
        return _kron_distances(a, b, relative)
    grams = []
    for ai, bi in zip(a, b, strict=True):
        stacked = np.empty((3, len(ai)))
        stacked[0] = ai
        stacked[1] = bi
        np.subtract(ai, bi, out=stacked[2])
        grams.append((stacked @ stacked.T).tolist())
    dist_sq, norm_sq = _distance_recursion(grams)
    dist = math.sqrt(max(dist_sq, 0.0))
    if not relative:
        return dist
    return dist / math.sqrt(norm_sq) if norm_sq > 0 else (0.0 if dist == 0 else math.inf)


def _distance_recursion(grams: Sequence[Any]) -> tuple[Any, Any]:
    """``(‖⊗a − ⊗b‖², ‖⊗b‖²)`` from each factor's Gram of ``(a_i, b_i, a_i − b_i)``, by the
    recursion of :func:`kron_distance`; entries may be floats or arrays of a batch."""
    dist_sq, cross, norm_sq = 0.0, 0.0, 1.0  # ‖D‖², ⟨D, B⟩, ‖B‖² of the empty product
    for g in grams:
        aa, ab, ad, bb, bd, dd = g[0][0], g[0][1], g[0][2], g[1][1], g[1][2], g[2][2]
        dist_sq, cross = dist_sq * aa + norm_sq * dd + 2 * cross * ad, cross * ab + norm_sq * bd
        norm_sq = norm_sq * bb
    return dist_sq, norm_sq


def _kron_distances(a: Sequence[NDArray], b: Sequence[NDArray], relative: bool) -> NDArray:
    """:func:`kron_distance` of every row of stacked factors ``(B, n_i)``."""
    if len(a[0]) * math.prod(len(ai[0]) for ai in a) <= 2**16:
        new, old = (outer_product(v, 1).reshape(len(v[0]), -1) for v in (a, b))
        dist_sq = np.einsum("bn,bn->b", new - old, new - old)
        norm_sq = np.einsum("bn,bn->b", old, old)
    else:
        grams = []
        for ai, bi in zip(a, b, strict=True):
            stacked = np.stack([ai, bi, ai - bi], axis=1)  # (B, 3, n)
            grams.append((stacked @ stacked.transpose(0, 2, 1)).transpose(1, 2, 0))
        dist_sq, norm_sq = _distance_recursion(grams)
    dist = np.sqrt(np.maximum(dist_sq, 0.0))
    if not relative:
        return dist
    out = np.divide(dist, np.sqrt(norm_sq), out=np.zeros_like(dist), where=norm_sq > 0)
    out[(norm_sq <= 0) & (dist != 0)] = math.inf
    return out
