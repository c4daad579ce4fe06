"""The three Kronecker factors of the IRS measurement and the channel rebuild.

The model and the rebuild are stated in docs/theory.md, sections "The Kronecker model" and
"True angular channel and rebuild".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from krosbl.irs.arrays import array_dictionary, array_response
from krosbl.validation import check_int

__all__ = [
    "Factors",
    "build_factors",
    "pattern_atoms",
    "pattern_factor",
    "pilot_atoms",
    "pilot_factor",
    "rebuild_channels",
]


class Factors(NamedTuple):
    """The factors of ``A = F1 ⊗ F2 ⊗ F3`` (a tuple, so ``Kron(factors)`` works).

    Attributes
    ----------
    f1 : ndarray of complex128, shape (K2, G)
        IRS factor (patterns × IRS angle differences), :func:`pattern_factor`.
    f2 : ndarray of complex128, shape (K1, G)
        MS factor (pilot blocks × MS departure angles), :func:`pilot_factor`.
    f3 : ndarray of complex128, shape (N_b, G)
        BS factor, the BS array dictionary ``A_{N_b}``.
    """

    f1: NDArray[np.complex128]
    f2: NDArray[np.complex128]
    f3: NDArray[np.complex128]


def _matrix(values: ArrayLike, name: str, shape: str) -> NDArray:
    """``values`` as an array, which must be 2-D (``shape`` names its axes in the error)."""
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr


def pattern_factor(patterns: ArrayLike, grid: int) -> NDArray[np.complex128]:
    """Return the IRS factor ``F1[k, g] = (1/L) Σ_ℓ ψ_k[ℓ] e^{−j2πℓg/G}``.

    Parameters
    ----------
    patterns : array_like, shape (L, K2)
        IRS patterns ``Ψ = [ψ_1, …, ψ_K2]`` (real or complex).
    grid : int
        Grid size ``G``.

    Returns
    -------
    ndarray of complex128, shape (K2, G)
        ``F1[k, g] = ψ_kᵀ (a_L(0) ⊙ conj a_L(g))``.

    Notes
    -----
    ``a_L(a) ⊙ conj a_L(d)`` depends only on ``(a − d) mod G``, so column ``g`` stands for
    every IRS (arrival, departure) pair with ``d − a ≡ g (mod G)``; the IRS cannot tell those
    pairs apart. The exponent ``ℓg`` is reduced modulo ``G`` in integers.
    """
    psi = _matrix(patterns, "patterns", "(L, K2)")
    grid = check_int("grid", grid, minimum=1)
    n_irs = psi.shape[0]
    phase = np.mod(np.outer(np.arange(n_irs), np.arange(grid)), grid)
    return psi.T @ np.exp(-2j * np.pi * phase / grid) / n_irs


def pilot_factor(pilots: ArrayLike, grid: int) -> NDArray[np.complex128]:
    """Return the MS factor ``F2 = Xᵀ conj(A_{N_m})``.

    Parameters
    ----------
    pilots : array_like, shape (N_m, K1)
        Pilot matrix ``X``.
    grid : int
        Grid size ``G``.

    Returns
    -------
    ndarray of complex128, shape (K1, G)
        ``F2[t, g] = a_{N_m}(g)ᴴ X[:, t]``.

    """
    x = _matrix(pilots, "pilots", "(N_m, K1)")
    return x.T @ array_dictionary(x.shape[0], grid).conj()


def pattern_atoms(
    patterns: ArrayLike, delta: ArrayLike, *, derivative: bool = False
) -> NDArray[np.complex128]:
    """Return the IRS atoms ``f(δ)[k] = (1/L) Σ_ℓ ψ_k[ℓ] e^{−jπδℓ}`` at any angle differences.

    Parameters
    ----------
    patterns : array_like, shape (L, K2)
        IRS patterns ``Ψ``.
    delta : array_like of float, shape (P,)
        IRS angle differences ``δ = θ_d − θ_a`` (sin-domain, period 2).
    derivative : bool, default False
        Return ``∂f/∂δ`` instead.

    Returns
    -------
    ndarray of complex128, shape (K2, P)
        ``Ψᵀ conj(a_L(δ)) / √L``; column ``g`` of :func:`pattern_factor` is ``δ = 2g/G``.

    Notes
    -----
    What the IRS does to a path arriving at ``θ_a`` and leaving at ``θ_d`` under pattern ``ψ``
    is ``a_L(θ_d)ᴴ diag(ψ) a_L(θ_a)``, a function of ``δ = θ_d − θ_a`` only (He & Joseph,
    IEEE TSP 2024, Section VI); the parametric IRS atom of the off-grid model of He & Joseph,
    arXiv:2412.00310.
    """
    psi = _matrix(patterns, "patterns", "(L, K2)")
    n_irs = psi.shape[0]
    a = array_response(n_irs, delta, derivative=derivative)
    return psi.T @ a.conj() / np.sqrt(n_irs)


def pilot_atoms(
    pilots: ArrayLike, phi: ArrayLike, *, derivative: bool = False
) -> NDArray[np.complex128]:
    """Return the MS atoms ``Xᵀ conj(a_{N_m}(φ))`` at any departure angles.

    Parameters
    ----------
    pilots : array_like, shape (N_m, K1)
        Pilot matrix ``X``.
    phi : array_like of float, shape (P,)
        MS departure angles (sin-domain).
    derivative : bool, default False
        Return ``∂/∂φ`` instead.

    Returns
    -------
    ndarray of complex128, shape (K1, P)
        The continuous counterpart of :func:`pilot_factor` (off-grid model: arXiv:2412.00310).
    """
    x = _matrix(pilots, "pilots", "(N_m, K1)")
    return x.T @ array_response(x.shape[0], phi, derivative=derivative).conj()


def build_factors(patterns: ArrayLike, pilots: ArrayLike, n_bs: int, grid: int) -> Factors:
    """Return the three factors ``(F1, F2, F3)`` of the IRS measurement operator.

    Parameters
    ----------
    patterns : array_like, shape (L, K2)
        IRS patterns.
    pilots : array_like, shape (N_m, K1)
        Pilot matrix.
    n_bs : int
        BS antennas ``N_b``.
    grid : int
        Grid size ``G``.

    Returns
    -------
    Factors
        ``(F1, F2, F3)`` with ``y_0 = (F1 ⊗ F2 ⊗ F3) z`` (``numpy.kron`` order): ``F1`` of
        :func:`pattern_factor`, ``F2`` of :func:`pilot_factor` and ``F3 = A_{N_b}``; the axes of
        ``z`` are (IRS angle difference, MS departure, BS arrival).
    """
    return Factors(
        pattern_factor(patterns, grid),
        pilot_factor(pilots, grid),
        array_dictionary(n_bs, grid),
    )


def rebuild_channels(
    z_hat: ArrayLike,
    f1: ArrayLike,
    ms_dictionary: ArrayLike,
    bs_dictionary: ArrayLike,
) -> NDArray[np.complex128]:
    """Rebuild the cascaded channels of every pattern from an angular estimate.

    Parameters
    ----------
    z_hat : array_like, shape (G1, G2, G3) or (G1·G2·G3,)
        Angular estimate (axes: IRS difference, MS, BS; flat input in ``numpy.kron`` order).
    f1 : array_like, shape (K2, G1)
        IRS factor, :func:`pattern_factor`.
    ms_dictionary : array_like, shape (N_m, G2)
        MS array dictionary ``A_{N_m}`` (not conjugated).
    bs_dictionary : array_like, shape (N_b, G3)
        BS array dictionary ``A_{N_b}`` (``= F3``).

    Returns
    -------
    ndarray of complex128, shape (K2, N_b, N_m)
        ``Ĥ_k[b, n] = Σ F1[k, g1] conj(A_{N_m})[n, g2] A_{N_b}[b, g3] ẑ[g1, g2, g3]``, exact
        for ``ẑ = z``. The pilots do not enter: the MS factor is ``conj(A_{N_m})``, not ``F2``.
    """
    f1, a_ms, a_bs = np.asarray(f1), np.asarray(ms_dictionary), np.asarray(bs_dictionary)
    shape = (f1.shape[1], a_ms.shape[1], a_bs.shape[1])
    z = np.asarray(z_hat)
    if z.size != int(np.prod(shape)):
        raise ValueError(f"z_hat must have {shape} = {int(np.prod(shape))} entries, got {z.shape}")
    return np.einsum("kx,ny,bw,xyw->kbn", f1, a_ms.conj(), a_bs, z.reshape(shape), optimize=True)
