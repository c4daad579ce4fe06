"""Hyperparameter state of the SBL family: which columns are kept and their prior variances.

A prior knows its structure (Kronecker or unstructured), how to prune itself, how to run the
E-step on its kept columns and how to put a kept-set vector back on the full index set.
The M-step rules of :mod:`krosbl.updates` change its variances; the loop of :mod:`krosbl.em`
drives both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import reduce

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

from .linalg import kron_distance
from .operators import Kron
from .posterior import (
    Posterior,
    flat_posterior,
    kron_posterior,
    noiseless_flat_posterior,
    noiseless_kron_posterior,
)
from .tasks import Tasks

__all__ = ["FlatPrior", "KronPrior", "coupling_matrix", "product_support"]


def coupling_matrix(n: int, beta: float) -> NDArray:
    """Tridiagonal coupling ``C = I + β(E₊ + E₋)`` of size ``n`` (PC-KroSBL's ``C_i``)."""
    c = np.eye(n)
    idx = np.arange(n - 1)
    c[idx, idx + 1] = beta
    c[idx + 1, idx] = beta
    return c


def product_support(keeps: Sequence[NDArray], in_shape: Sequence[int]) -> NDArray:
    """Flat indices (``numpy.kron`` order) of the product ``K_1 × … × K_I`` of kept index sets,
    ascending when each set is."""
    grids = np.meshgrid(*keeps, indexing="ij")
    return np.ravel_multi_index([g.ravel() for g in grids], tuple(in_shape))


def _check_survivors(mask: NDArray, what: str) -> None:
    if not mask.any():
        raise FloatingPointError(
            f"pruning removed every entry of {what}; the estimate would be zero (all its "
            "variances reached 0: check the scale of y and of the dictionary)"
        )


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
        self._columns: dict[int, tuple[LinearOperator, list[NDArray], list[NDArray]]] = {}

    @property
    def kept_shape(self) -> tuple[int, ...]:
        """Current sizes ``(l_1, …, l_I)``."""
        return tuple(len(k) for k in self.keep)

    def embed(self, kept: NDArray) -> NDArray:
        """Put a vector over the kept tensor back on the full index set (zeros elsewhere);
        ``kept`` of shape ``(K, T)`` gives ``(N, T)``."""
        columns = kept.shape[1:]
        full = np.zeros(self.in_shape + columns, dtype=kept.dtype)
        full[np.ix_(*self.keep)] = kept.reshape(self.kept_shape + columns)
        return full.reshape((-1, *columns))

    def embedded(self) -> NDArray:
        """The full-length ``⊗γ_i`` with zeros at pruned positions."""
        return self.embed(reduce(np.multiply.outer, self.gammas).ravel())

    def support(self) -> NDArray:
        """Flat indices (``numpy.kron`` order) of the kept entries, ascending."""
        return product_support(self.keep, self.in_shape)

    def full_gammas(self) -> list[NDArray]:
        """Each factor's hyperparameters on its full length ``N_i``, zeros at pruned entries."""
        out = []
        for g, k, n in zip(self.gammas, self.keep, self.in_shape):
            full = np.zeros(n)
            full[k] = g
            out.append(full)
        return out

    def snapshot(self) -> tuple[list[NDArray], list[NDArray]]:
        """The current kept sets and factors, for :meth:`relative_change` (no copy is needed:
        pruning and the M-steps replace the factor arrays, never write into them)."""
        return list(self.keep), list(self.gammas)

    def relative_change(self, snapshot: tuple[list[NDArray], list[NDArray]]) -> float:
        """``‖γ − γ_old‖ / ‖γ_old‖`` of the full-length ``⊗γ_i`` since ``snapshot``.

        Notes
        -----
        Computed factor by factor (never forming ``⊗γ_i``): with ``r_i`` the old factor on
        the indices still kept and ``q_i`` on those pruned since, the squared change is
        ``‖⊗γ_i − ⊗r_i‖²`` (:func:`~krosbl.linalg.kron_distance`) plus the old mass on
        pruned positions, ``Σ_k Π_{i<k} ‖r_i‖² · ‖q_k‖² · Π_{i>k} ‖γ_old,i‖²``.
        """
        old_keep, old = snapshot
        if all(len(k_old) == len(k_new) for k_old, k_new in zip(old_keep, self.keep)):
            return kron_distance(self.gammas, old, relative=True)
        norm_sq = math.prod(float(g @ g) for g in old)
        if norm_sq == 0:
            return float("inf")
        kept, lost = [], 0.0
        for k, (k_old, g_old, k_new) in enumerate(zip(old_keep, old, self.keep)):
            if len(k_old) == len(k_new):
                kept.append(g_old)
                continue
            mask = np.isin(k_old, k_new, assume_unique=True)
            kept.append(g_old[mask])
            gone = g_old[~mask]
            lost += (
                math.prod(float(r @ r) for r in kept[:k])
                * float(gone @ gone)
                * math.prod(float(g @ g) for g in old[k + 1 :])
            )
        return math.sqrt(kron_distance(self.gammas, kept) ** 2 + lost) / math.sqrt(norm_sq)

    def prune(self, ratios: Sequence[float] | None, absolute: float) -> None:
        """Drop factor entries below ``max(r_i · max γ_i, r_abs)`` (docs/theory.md, "Pruning")."""
        if ratios is None:
            return
        for i, (g, r) in enumerate(zip(self.gammas, ratios)):
            threshold = max(r * g.max(initial=0.0), absolute)
            if g.min(initial=np.inf) >= threshold:
                continue
            mask = g >= threshold
            _check_survivors(mask, f"factor {i}")
            self.gammas[i] = g[mask]
            self.keep[i] = self.keep[i][mask]
            self._columns = {}
            c = self.couplings[i]
            if c is not None:
                self.couplings[i] = c[np.ix_(mask, mask)]

    def posterior(self, y: NDArray, op: LinearOperator, noise_var: float) -> Posterior:
        """E-step on the kept columns (per-factor eigendecompositions); ``noise_var = 0`` is the
        noiseless limit ``σ² → 0``; :class:`~krosbl.tasks.Tasks` run it per task."""
        if isinstance(op, Tasks):
            return op.posterior(y, lambda y_t, op_t: self.posterior(y_t, op_t, noise_var))
        assert isinstance(op, Kron)
        cached = self._columns.get(id(op))
        if cached is None or cached[0] is not op:
            factors = [
                f if len(k) == f.shape[1] else f[:, k] for f, k in zip(op.factors, self.keep)
            ]
            cached = self._columns[id(op)] = (op, factors, [f.conj().T for f in factors])
        _, factors, adjoints = cached
        if noise_var == 0:
            return noiseless_kron_posterior(y, factors, self.gammas)
        return kron_posterior(y, factors, self.gammas, noise_var, adjoints)


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
        """Put a kept-set vector back on the full index set (zeros elsewhere); ``kept`` of
        shape ``(K, T)`` gives ``(N, T)``."""
        full = np.zeros((self.n, *kept.shape[1:]), dtype=kept.dtype)
        full[self.keep] = kept
        return full

    def embedded(self) -> NDArray:
        """The full-length ``γ`` with zeros at pruned positions."""
        return self.embed(self.gamma)

    def snapshot(self) -> NDArray:
        """The full-length ``γ`` now, for :meth:`relative_change`."""
        return self.embedded()

    def relative_change(self, snapshot: NDArray) -> float:
        """``‖γ − γ_old‖ / ‖γ_old‖`` of the full-length ``γ`` since ``snapshot``."""
        denom = float(np.linalg.norm(snapshot))
        change = float(np.linalg.norm(self.embedded() - snapshot))
        return change / denom if denom > 0 else float("inf")

    def support(self) -> NDArray:
        """Kept indices, ascending."""
        return self.keep.copy()

    def prune(self, ratios: Sequence[float] | None, absolute: float) -> None:
        """Keep only ``γ_j > r · max γ`` (classic SBL pruning; ``absolute`` unused)."""
        if ratios is None:
            return
        mask = self.gamma > ratios[0] * self.gamma.max(initial=0.0)
        _check_survivors(mask, "γ")
        if not mask.all():
            self.gamma = self.gamma[mask]
            self.keep = self.keep[mask]

    def posterior(self, y: NDArray, op: LinearOperator | NDArray, noise_var: float) -> Posterior:
        """E-step on the kept columns (Cholesky form); ``noise_var = 0`` is the noiseless limit
        ``σ² → 0``; :class:`~krosbl.tasks.Tasks` run it per task."""
        if isinstance(op, Tasks):
            return op.posterior(y, lambda y_t, op_t: self.posterior(y_t, op_t, noise_var))
        if noise_var == 0:
            return noiseless_flat_posterior(y, op, self.gamma, self.keep)
        return flat_posterior(y, op, self.gamma, self.keep, noise_var)
