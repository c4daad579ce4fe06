"""Hyperparameter state of the SBL family: which columns are kept and their prior variances.

A prior knows its structure (Kronecker or unstructured), how to prune itself, how to run the
E-step on its kept columns and how to put a kept-set vector back on the full index set.
The M-step rules of :mod:`krosbl.updates` change its variances; the loop of :mod:`krosbl.em`
drives both.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

from .operators import Kron
from .posterior import (
    Posterior,
    flat_posterior,
    kron_posterior,
    noiseless_flat_posterior,
    noiseless_kron_posterior,
)

__all__ = ["FlatPrior", "KronPrior", "coupling_matrix"]


def coupling_matrix(n: int, beta: float) -> NDArray:
    """Tridiagonal coupling ``C = I + β(E₊ + E₋)`` of size ``n`` (spec §4.1)."""
    c = np.eye(n)
    idx = np.arange(n - 1)
    c[idx, idx + 1] = beta
    c[idx + 1, idx] = beta
    return c


class KronPrior:
    """Kronecker prior ``γ = γ_1 ⊗ … ⊗ γ_I`` with per-factor kept index sets.

    Parameters
    ----------
    gammas : sequence of ndarray
        Initial factor hyperparameters (full length ``N_i``).
    couplings : sequence of ndarray or None, optional
        PC-KroSBL coupling matrix ``C_i`` per factor (``None`` for an uncoupled factor);
        pruned together with the factor.

    Attributes
    ----------
    gammas : list of ndarray
        Current (effective) factor hyperparameters on the kept indices.
    keep : list of ndarray
        Kept indices of each factor.
    couplings : list of ndarray or None
        Coupling matrices restricted to the kept indices.
    """

    structured = True

    def __init__(
        self, gammas: Sequence[NDArray], couplings: Sequence[NDArray | None] | None = None
    ) -> None:
        self.gammas = [np.asarray(g, dtype=float).copy() for g in gammas]
        self.in_shape = tuple(len(g) for g in self.gammas)
        self.keep = [np.arange(n) for n in self.in_shape]
        self.couplings: list[NDArray | None] = (
            list(couplings) if couplings is not None else [None] * len(self.gammas)
        )

    @property
    def kept_shape(self) -> tuple[int, ...]:
        """Current sizes ``(l_1, …, l_I)``."""
        return tuple(len(k) for k in self.keep)

    def embed(self, kept: NDArray) -> NDArray:
        """Put a vector over the kept tensor back on the full index set (zeros elsewhere)."""
        full = np.zeros(self.in_shape, dtype=kept.dtype)
        full[np.ix_(*self.keep)] = kept.reshape(self.kept_shape)
        return full.ravel()

    def embedded(self) -> NDArray:
        """The full-length ``⊗γ_i`` with zeros at pruned positions."""
        return self.embed(reduce(np.multiply.outer, self.gammas))

    def support(self) -> NDArray:
        """Flat indices (``numpy.kron`` order) of the kept entries, ascending."""
        grids = np.meshgrid(*self.keep, indexing="ij")
        return np.ravel_multi_index([g.ravel() for g in grids], self.in_shape)

    def prune(self, ratios: Sequence[float] | None, absolute: float) -> None:
        """Drop factor entries below ``max(r_i · max γ_i, r_abs)`` (spec §2.1 step 2)."""
        if ratios is None:
            return
        for i, (g, r) in enumerate(zip(self.gammas, ratios)):
            mask = g >= max(r * g.max(initial=0.0), absolute)
            if mask.all():
                continue
            if not mask.any():
                raise FloatingPointError(
                    f"pruning removed every entry of factor {i}; the estimate would be zero"
                )
            self.gammas[i] = g[mask]
            self.keep[i] = self.keep[i][mask]
            c = self.couplings[i]
            if c is not None:
                self.couplings[i] = c[np.ix_(mask, mask)]

    def posterior(self, y: NDArray, op: LinearOperator, noise_var: float) -> Posterior:
        """E-step on the kept columns (spec §3); ``noise_var = 0`` is the noiseless limit (§2.6)."""
        assert isinstance(op, Kron)
        factors = [f[:, k] for f, k in zip(op.factors, self.keep)]
        if noise_var == 0:
            return noiseless_kron_posterior(y, factors, self.gammas)
        return kron_posterior(y, factors, self.gammas, noise_var)


class FlatPrior:
    """Unstructured prior ``diag(γ)`` with one kept index set (classic SBL, PC-SBL).

    Parameters
    ----------
    gamma : ndarray
        Initial prior variances (full length ``N``).

    Attributes
    ----------
    gamma : ndarray
        Current prior variances on the kept indices.
    keep : ndarray
        Kept indices.
    """

    structured = False

    def __init__(self, gamma: NDArray) -> None:
        self.gamma = np.asarray(gamma, dtype=float).copy()
        self.n = len(self.gamma)
        self.keep = np.arange(self.n)

    def embed(self, kept: NDArray) -> NDArray:
        """Put a kept-set vector back on the full index set (zeros elsewhere)."""
        full = np.zeros(self.n, dtype=kept.dtype)
        full[self.keep] = kept
        return full

    def embedded(self) -> NDArray:
        """The full-length ``γ`` with zeros at pruned positions."""
        return self.embed(self.gamma)

    def support(self) -> NDArray:
        """Kept indices, ascending."""
        return self.keep.copy()

    def prune(self, ratios: Sequence[float] | None, absolute: float) -> None:
        """Keep only ``γ_j > r · max γ`` (spec §2.1 step 2, classic SBL; ``absolute`` unused)."""
        if ratios is None:
            return
        mask = self.gamma > ratios[0] * self.gamma.max(initial=0.0)
        if not mask.all():
            self.gamma = self.gamma[mask]
            self.keep = self.keep[mask]

    def posterior(self, y: NDArray, op: LinearOperator | NDArray, noise_var: float) -> Posterior:
        """E-step on the kept columns (spec §3); ``noise_var = 0`` is the noiseless limit (§2.6)."""
        if noise_var == 0:
            return noiseless_flat_posterior(y, op, self.gamma, self.keep)
        return flat_posterior(y, op, self.gamma, self.keep, noise_var)
