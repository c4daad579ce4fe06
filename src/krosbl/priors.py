"""Hyperparameter state of the SBL family: which columns are kept and their prior variances.

A prior knows its structure (Kronecker or unstructured), how to prune itself, how to run the
E-step on its kept columns and how to put a kept-set vector back on the full index set.
The M-step rules of :mod:`krosbl.updates` change its variances; the loop of :mod:`krosbl.em`
drives both.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import reduce
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

from .linalg import kron_distance
from .posterior import (
    Posterior,
    flat_posterior,
    kron_posterior,
    noiseless_flat_posterior,
    noiseless_kron_posterior,
)
from .tasks import Tasks

__all__ = ["FlatPrior", "KronPrior", "coupling_matrix", "product_support", "prune_mask"]


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


def prune_mask(g: NDArray, ratio: float, absolute: float, strict: bool) -> NDArray | None:
    """Which entries of ``g`` (of each row of a stack) pruning drops: ``γ < max(r·max γ, r_abs)``,
    or ``γ ≤ r·max γ`` for classic SBL (``strict``, with ``r_abs = 0``); ``None`` when it
    drops none of a single ``g``."""
    if g.ndim > 1:
        threshold = np.maximum(ratio * g.max(axis=1, keepdims=True), absolute)
    else:
        threshold = max(ratio * g.max(initial=0.0), absolute)
        low = g.min(initial=np.inf)
        if low > threshold or (low == threshold and not strict):
            return None
    return g <= threshold if strict else g < threshold


def _check_survivors(kept: NDArray, what: str, rows: NDArray | None = None) -> None:
    """The error of a pruning that leaves a factor (of a problem of a stack) empty."""
    empty = np.flatnonzero(~kept.any(axis=-1)) if kept.ndim > 1 else ([] if kept.any() else [0])
    if len(empty):
        problem = "" if rows is None else f"problem {rows[empty[0]]}: "
        raise FloatingPointError(
            f"{problem}pruning removed every entry of {what}; the estimate would be zero (all its "
            "variances reached 0: check the scale of y and of the dictionary)"
        )


def _restricted(coupling: NDArray | None, index: Any) -> NDArray | None:
    """A coupling matrix on the entries ``index`` (a mask or positions)."""
    return None if coupling is None else coupling[np.ix_(index, index)]


def _sq_norms(g: NDArray) -> Any:
    """``‖g‖²`` (of each row)."""
    return g @ g if g.ndim == 1 else np.einsum("bn,bn->b", g, g)


class KronPrior:
    """Kronecker prior ``γ = γ_1 ⊗ … ⊗ γ_I`` with per-factor kept index sets, of one problem or
    of a stack of problems.

    Parameters
    ----------
    gammas : sequence of ndarray
        Initial factor hyperparameters: full length ``N_i``, or ``(B, N_i)`` for a stack of
        ``B`` problems (``stacked=True``).
    couplings : sequence of ndarray or None, optional
        PC-KroSBL coupling matrix ``C_i`` per factor (``None`` for an uncoupled factor);
        pruned together with the factor.
    stacked : bool
        The prior of ``B`` problems, each pruning on its own.
    strict : bool
        Prune as classic SBL does (keep ``γ > r·max γ``, :func:`prune_mask`).

    Attributes
    ----------
    gammas : list of ndarray
        Current (effective) factor hyperparameters on the held indices (a stack: ``(B, l_i)``).
    keep : list of ndarray
        Held indices of each factor: the kept ones, or for a stack those some problem keeps.
    masks : list of ndarray or None
        A stack's kept entries of each problem among the held ones, ``(B, l_i)``; a problem's
        pruned entry stays with ``γ = 0``, which adds nothing to the E-step and the M-steps,
        so each problem follows the iterations it would follow alone. ``None`` for one
        problem.
    couplings : list of ndarray or None
        Coupling matrices restricted to the held indices.
    rows : ndarray of int or None
        A stack's problems' positions in the whole stack (to name one in an error).
    """

    structured = True

    def __init__(
        self,
        gammas: Sequence[NDArray],
        couplings: Sequence[NDArray | None] | None = None,
        *,
        stacked: bool = False,
        strict: bool = False,
    ) -> None:
        self.gammas = [np.asarray(g, dtype=float).copy() for g in gammas]
        self.in_shape = tuple(g.shape[-1] for g in self.gammas)
        self.keep = [np.arange(n) for n in self.in_shape]
        self.couplings: list[NDArray | None] = (
            list(couplings) if couplings is not None else [None] * len(self.gammas)
        )
        self.strict = strict
        self.rows = np.arange(len(self.gammas[0])) if stacked else None
        self.masks = [np.ones(g.shape, dtype=bool) for g in self.gammas] if stacked else None
        self._columns: dict[int, tuple[Any, list[NDArray], list[NDArray]]] = {}

    @classmethod
    def stack(cls, prior: KronPrior, size: int) -> KronPrior:
        """``size`` copies of an unpruned one-problem prior."""
        return cls([np.tile(g, (size, 1)) for g in prior.gammas], prior.couplings, stacked=True)

    def __len__(self) -> int:
        """Problems held (1 for one problem)."""
        return 1 if self.rows is None else len(self.rows)

    @property
    def kept_shape(self) -> tuple[int, ...]:
        """Current sizes ``(l_1, …, l_I)``."""
        return tuple(len(k) for k in self.keep)

    def kept_counts(self) -> list[Any]:
        """``l_i``: the kept length of each factor (of each problem of a stack, ``(B, 1)``)."""
        if self.masks is None:
            return [len(k) for k in self.keep]
        return [m.sum(axis=1, keepdims=True) for m in self.masks]

    def restrict(self, i: int, g: NDArray) -> NDArray:
        """New values ``g`` of factor ``i``, zero at each problem's pruned entries."""
        return g if self.masks is None else g * self.masks[i]

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

    def relative_change(self, snapshot: tuple[list[NDArray], list[NDArray]]) -> Any:
        """``‖γ − γ_old‖ / ‖γ_old‖`` of the full-length ``⊗γ_i`` since ``snapshot`` (of each
        problem of a stack).

        Notes
        -----
        Computed factor by factor (never forming ``⊗γ_i``): with ``r_i`` the old factor on
        the indices still held and ``q_i`` on those dropped since, the squared change is
        ``‖⊗γ_i − ⊗r_i‖²`` (:func:`~krosbl.linalg.kron_distance`) plus the old mass on
        dropped positions, ``Σ_k Π_{i<k} ‖r_i‖² · ‖q_k‖² · Π_{i>k} ‖γ_old,i‖²``.
        """
        old_keep, old = snapshot
        if all(len(k_old) == len(k_new) for k_old, k_new in zip(old_keep, self.keep)):
            return kron_distance(self.gammas, old, relative=True)
        norm_sq = math.prod(_sq_norms(g) for g in old)
        kept, lost = [], 0.0
        for k, (k_old, g_old, k_new) in enumerate(zip(old_keep, old, self.keep)):
            if len(k_old) == len(k_new):
                kept.append(g_old)
                continue
            mask = np.isin(k_old, k_new, assume_unique=True)
            kept.append(g_old[..., mask])
            lost = lost + (
                math.prod(_sq_norms(r) for r in kept[:k])
                * _sq_norms(g_old[..., ~mask])
                * math.prod(_sq_norms(g) for g in old[k + 1 :])
            )
        change = np.sqrt(kron_distance(self.gammas, kept) ** 2 + lost)
        if self.rows is None:
            return float(change / math.sqrt(norm_sq)) if norm_sq > 0 else math.inf
        return np.divide(
            change, np.sqrt(norm_sq), out=np.full(len(change), np.inf), where=norm_sq > 0
        )

    def prune(self, ratios: Sequence[float] | None, absolute: float) -> None:
        """Drop factor entries below ``max(r_i · max γ_i, r_abs)`` (docs/theory.md, "Pruning");
        each problem of a stack on its own.

        Raises
        ------
        FloatingPointError
            Pruning would remove every entry of a factor (of a problem, named).
        """
        if ratios is None:
            return
        for i, (g, r) in enumerate(zip(self.gammas, ratios)):
            below = prune_mask(g, r, absolute, self.strict)
            if below is not None and self.masks is not None:
                below &= self.masks[i]
            if below is None or not below.any():
                continue
            kept = ~below if self.masks is None else self.masks[i] & ~below
            _check_survivors(kept, f"factor {i}", self.rows)
            held = kept if self.masks is None else kept.any(axis=0)
            if self.masks is not None:
                self.masks[i] = kept[:, held]
                g = np.where(below, 0.0, g)
            self.gammas[i] = g[..., held]
            self.keep[i] = self.keep[i][held]
            self._columns = {}
            self.couplings[i] = _restricted(self.couplings[i], held)

    def take(self, index: NDArray) -> KronPrior:
        """The problems at positions ``index`` of a stack (a copy), on the entries they hold."""
        assert self.masks is not None and self.rows is not None
        out = copy.copy(self)
        masks = [m[index] for m in self.masks]
        held = [m.any(axis=0) for m in masks]
        out.masks = [m[:, h] for m, h in zip(masks, held)]
        out.gammas = [g[index][:, h] for g, h in zip(self.gammas, held)]
        out.keep = [k[h] for k, h in zip(self.keep, held)]
        out.couplings = [_restricted(c, h) for c, h in zip(self.couplings, held)]
        out.rows, out._columns = self.rows[index], {}
        return out

    def row(self, j: int) -> KronPrior:
        """Problem ``j`` (a position in this stack) as the one-problem prior it would end with
        alone (kept sets, factors and couplings on them)."""
        assert self.masks is not None
        out = KronPrior([np.zeros(n) for n in self.in_shape], strict=self.strict)
        keep = [np.flatnonzero(m[j]) for m in self.masks]
        out.keep = [k[kj] for k, kj in zip(self.keep, keep)]
        out.gammas = [g[j][kj] for g, kj in zip(self.gammas, keep)]
        out.couplings = [_restricted(c, kj) for c, kj in zip(self.couplings, keep)]
        return out

    def posterior(self, y: NDArray, op: Any, noise_var: Any) -> Posterior:
        """E-step on the kept columns (per-factor eigendecompositions); ``noise_var = 0`` is the
        noiseless limit ``σ² → 0``; :class:`~krosbl.tasks.Tasks` run it per task.

        A stack takes its problems' measurements ``(B, M)``, their ``σ²`` ``(B,)``, and as
        ``op`` the factors of the whole stack, ``(B_all, M_i, N_i)`` or ``(1, M_i, N_i)``.
        """
        if isinstance(op, Tasks):
            return op.posterior(y, lambda y_t, op_t: self.posterior(y_t, op_t, noise_var))
        cached = self._columns.get(id(op))
        if cached is None or cached[0] is not op:
            if self.rows is None:
                stack = op.factors
            else:
                stack = [f if len(f) == 1 else f[self.rows] for f in op]
            factors = [f if len(k) == f.shape[-1] else f[..., k] for f, k in zip(stack, self.keep)]
            adjoints = [f.conj().swapaxes(-1, -2) for f in factors]
            cached = self._columns[id(op)] = (op, factors, adjoints)
        _, factors, adjoints = cached
        if self.rows is None and noise_var == 0:
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
        below = prune_mask(self.gamma, ratios[0], 0.0, strict=True)
        if below is None:
            return
        mask = ~below
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
