"""Synthetic data of the paper's real-valued experiments (Figs. 2–5).

The data models are stated in docs/theory.md, section "The paper's experiments".  Every
function takes a :class:`numpy.random.Generator`; the experiments decide which draws are
shared (departure R14 in docs/reproduction.md): one ``x`` and one set of matrices per trial,
fresh noise per sweep value.  Two of the authors' choices are reproduced (departures of
docs/reproduction.md):

- R5: in the measurement sweep the noise variance is computed once from the noiseless
  measurement of the full 14-row ``A_1`` and reused for every ``M_1``
  (:func:`measurement_sweep_noise_var`);
- R6: the sparsity sweep is nested, each ``K`` adds one index and one value per factor to the
  previous ``x`` (:meth:`KronSparse.grow`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from krosbl.operators import Kron, kron_vector

__all__ = [
    "KronSparse",
    "block_sparse",
    "draw_kron_sparse",
    "draw_matrices",
    "measure",
    "measurement_sweep_noise_var",
    "noise_variance",
    "noisy",
]

FloatArray = NDArray[np.float64]


def draw_matrices(
    rng: np.random.Generator, rows: Sequence[int], cols: Sequence[int]
) -> list[FloatArray]:
    """Draw the factor matrices ``A_i ∈ R^{rows_i × cols_i}``, i.i.d. N(0, 1), unnormalised.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the matrices are drawn in order).
    rows, cols : sequence of int
        ``M_i`` and ``N_i``.

    Returns
    -------
    list of ndarray
    """
    return [rng.standard_normal((m, n)) for m, n in zip(rows, cols, strict=True)]


@dataclass(frozen=True)
class KronSparse:
    """A Kronecker-structured sparse vector ``x = x_1 ⊗ … ⊗ x_I`` given by its factors.

    Attributes
    ----------
    sizes : tuple of int
        ``(N_1, …, N_I)``.
    supports : tuple of ndarray of int
        Support of each factor, in the order drawn.
    values : tuple of ndarray of float
        Values on each factor's support.
    """

    sizes: tuple[int, ...]
    supports: tuple[NDArray[np.intp], ...]
    values: tuple[FloatArray, ...]

    def factors(self) -> list[FloatArray]:
        """The dense factor vectors ``x_i``."""
        out = []
        for n, support, values in zip(self.sizes, self.supports, self.values, strict=True):
            x = np.zeros(n)
            x[support] = values
            out.append(x)
        return out

    def vector(self) -> FloatArray:
        """``x = x_1 ⊗ … ⊗ x_I`` (``numpy.kron`` order)."""
        return kron_vector(self.factors())

    def support(self) -> NDArray[np.intp]:
        """Sorted flat indices of the non-zeros of ``x`` (the product of the supports)."""
        return _product_support(self.supports, self.sizes)

    def measure(self, matrices: Sequence[FloatArray]) -> FloatArray:
        """Noiseless ``y_0 = (A_1 x_1) ⊗ … ⊗ (A_I x_I)``."""
        return kron_vector([a @ x for a, x in zip(matrices, self.factors(), strict=True)])

    def grow(self, rng: np.random.Generator) -> KronSparse:
        """Add one uniformly random new index per factor, with a new N(0, 1) value (departure R6).

        The new indices are drawn first (one per factor), then the values; the old entries
        are kept.
        """
        new = []
        for n, support in zip(self.sizes, self.supports, strict=True):
            free = np.setdiff1d(np.arange(n), support)
            new.append(int(rng.choice(free)))
        values = rng.standard_normal(len(self.sizes))
        return KronSparse(
            sizes=self.sizes,
            supports=tuple(np.append(s, i) for s, i in zip(self.supports, new, strict=True)),
            values=tuple(np.append(v, w) for v, w in zip(self.values, values, strict=True)),
        )


def _product_support(
    supports: Sequence[NDArray[np.intp]], sizes: Sequence[int]
) -> NDArray[np.intp]:
    grid = np.array(list(itertools.product(*supports)), dtype=np.intp).T
    return np.sort(np.ravel_multi_index(tuple(grid), tuple(sizes)))


def draw_kron_sparse(rng: np.random.Generator, sizes: Sequence[int], k: int) -> KronSparse:
    """Draw ``x = x_1 ⊗ … ⊗ x_I`` with a uniformly random ``k``-subset support per factor.

    The supports are drawn first (factor by factor), then the N(0, 1) values, as the reference code.
    """
    supports = tuple(np.sort(rng.choice(n, size=k, replace=False)).astype(np.intp) for n in sizes)
    values = tuple(rng.standard_normal(k) for _ in sizes)
    return KronSparse(sizes=tuple(int(n) for n in sizes), supports=supports, values=values)


def block_sparse(
    rng: np.random.Generator, sizes: Sequence[int], k: int, variance: float
) -> tuple[FloatArray, NDArray[np.intp]]:
    """Draw ``x`` on a product support ``S_1 × … × S_I`` with i.i.d. N(0, variance) values.

    ``|S_i| = k``, the ``k^I`` values are independent, so ``x`` is not rank-one (the data of
    the paper's Fig. 4).

    Returns
    -------
    x : ndarray
        The vector (``numpy.kron`` order).
    support : ndarray of int
        Its sorted flat support.
    """
    supports = [np.sort(rng.choice(n, size=k, replace=False)).astype(np.intp) for n in sizes]
    support = _product_support(supports, sizes)
    x = np.zeros(int(np.prod(sizes)))
    x[support] = np.sqrt(variance) * rng.standard_normal(support.size)
    return x, support


def noise_variance(y0: FloatArray, snr_db: float) -> float:
    """``σ² = (‖y_0‖² / len(y_0)) / 10^{SNR/10}``: the SNR is per measurement."""
    return float(np.mean(np.abs(y0) ** 2)) / 10.0 ** (snr_db / 10.0)


def measurement_sweep_noise_var(
    x: KronSparse, matrices: Sequence[FloatArray], snr_db: float
) -> float:
    """σ² of the measurement sweep: from the full-row ``A_1``'s ``y_0``, for every ``M_1`` (R5)."""
    return noise_variance(x.measure(matrices), snr_db)


def noisy(rng: np.random.Generator, y0: FloatArray, noise_var: float) -> FloatArray:
    """``y = y_0 + N(0, σ² I)``."""
    return y0 + np.sqrt(noise_var) * rng.standard_normal(y0.shape)


def measure(matrices: Sequence[FloatArray], x: FloatArray) -> FloatArray:
    """``y_0 = (A_1 ⊗ … ⊗ A_I) x`` by mode products."""
    return np.asarray(Kron(matrices) @ x)
