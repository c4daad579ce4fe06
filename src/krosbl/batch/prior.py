"""Kronecker-prior hyperparameters of a batch of problems, kept on the full index sets.

Each problem prunes on its own; to keep every array rectangular a pruned entry stays in place
with ``γ = 0`` and a ``False`` in its problem's keep mask. A zero variance adds nothing to the
E-step and the M-steps (:mod:`krosbl.batch.posterior`, :mod:`krosbl.batch.rules`), so every
problem follows the iterations it would follow alone, on its own kept sets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..linalg import kron_distances
from ..priors import KronPrior
from .posterior import BatchPosterior, batched_kron_posterior

__all__ = ["BatchKronPrior"]


class BatchKronPrior:
    """Factor hyperparameters ``γ_i`` of ``B`` problems, zero at each problem's pruned entries.

    Parameters
    ----------
    gammas : sequence of ndarray
        ``γ_i`` of shape ``(B, N_i)``.
    masks : sequence of ndarray of bool
        Kept entries of each factor, shape ``(B, N_i)``.
    couplings : sequence of ndarray or None
        PC-KroSBL's full coupling matrix ``C_i`` of each factor (``None``: uncoupled), shared
        by the problems; a problem uses it restricted to its kept entries.
    rows : ndarray of int
        The problems' positions in the whole batch (to name a problem in an error).
    columns : sequence of ndarray or None
        The entries of each factor these arrays hold (``None``: all); see :meth:`compact`.
    strict : bool
        Prune as classic SBL does (:meth:`krosbl.priors.FlatPrior.prune`: keep ``γ > r·max γ``)
        instead of as a Kronecker prior (keep ``γ ≥ max(r·max γ, r_abs)``); for one factor.
    """

    def __init__(
        self,
        gammas: Sequence[NDArray],
        masks: Sequence[NDArray],
        couplings: Sequence[NDArray | None],
        rows: NDArray,
        columns: Sequence[NDArray] | None = None,
        strict: bool = False,
    ) -> None:
        self.gammas = list(gammas)
        self.masks = list(masks)
        self.couplings = list(couplings)
        self.rows = rows
        self.columns = None if columns is None else list(columns)
        self.strict = strict

    @classmethod
    def stack(cls, prior: KronPrior, size: int) -> BatchKronPrior:
        """``size`` copies of an unpruned single-problem prior."""
        gammas = [np.tile(g, (size, 1)) for g in prior.gammas]
        masks = [np.ones(g.shape, dtype=bool) for g in gammas]
        return cls(gammas, masks, prior.couplings, np.arange(size))

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, index: NDArray) -> BatchKronPrior:
        """The problems at positions ``index`` (copies)."""
        return BatchKronPrior(
            [g[index] for g in self.gammas],
            [m[index] for m in self.masks],
            self.couplings,
            self.rows[index],
            self.columns,
            self.strict,
        )

    def compact(self, index: NDArray) -> BatchKronPrior:
        """The problems at positions ``index`` (copies) on the entries some of them keep.

        An entry every one of them has pruned is zero in all their factors and adds nothing,
        so the E- and M-steps can skip it; this keeps their cost near that of the kept sets
        as pruning proceeds. Only a batch on all the entries can be compacted.
        """
        assert self.columns is None
        columns = [np.flatnonzero(m[index].any(axis=0)) for m in self.masks]
        return BatchKronPrior(
            [g[np.ix_(index, c)] for g, c in zip(self.gammas, columns)],
            [m[np.ix_(index, c)] for m, c in zip(self.masks, columns)],
            [None if k is None else k[np.ix_(c, c)] for k, c in zip(self.couplings, columns)],
            self.rows[index],
            columns,
            self.strict,
        )

    def assign(self, index: NDArray, part: BatchKronPrior) -> None:
        """Write ``part`` (from :meth:`subset` or :meth:`compact` of ``index``) back."""
        parts = zip(self.gammas, self.masks, part.gammas, part.masks)
        if part.columns is None or self.columns is not None:
            for g, m, g_part, m_part in parts:
                g[index] = g_part
                m[index] = m_part
            return
        for (g, m, g_part, m_part), c in zip(parts, part.columns):
            g[np.ix_(index, c)] = g_part
            m[np.ix_(index, c)] = m_part

    def kept_coupling(self, i: int, row: int) -> NDArray:
        """``C_i`` of problem ``row`` (a position in this batch) on its kept entries."""
        coupling = self.couplings[i]
        assert coupling is not None
        keep = np.flatnonzero(self.masks[i][row])
        return coupling[np.ix_(keep, keep)]

    def prune(self, ratios: Sequence[float] | None, absolute: float) -> None:
        """:meth:`krosbl.priors.KronPrior.prune` of every problem: drop kept entries below
        ``max(r_i · max γ_i, r_abs)``.

        Raises
        ------
        FloatingPointError
            Pruning would remove every entry of a factor of a problem (named).
        """
        if ratios is None:
            return
        for i, (g, r) in enumerate(zip(self.gammas, ratios)):
            threshold = np.maximum(r * g.max(axis=1), absolute)[:, None]
            mask = self.masks[i]
            below = mask & ((g <= threshold) if self.strict else (g < threshold))
            if not below.any():
                continue
            mask &= ~below
            g[below] = 0.0
            empty = np.flatnonzero(~mask.any(axis=1))
            if empty.size:
                raise FloatingPointError(
                    f"problem {self.rows[empty[0]]}: pruning removed every entry of factor {i}; "
                    "the estimate would be zero (all its variances reached 0: check the scale "
                    "of y and of the dictionary)"
                )

    def snapshot(self) -> list[NDArray]:
        """Copies of the factors now, for :meth:`relative_change`."""
        return [g.copy() for g in self.gammas]

    def relative_change(self, snapshot: list[NDArray]) -> NDArray:
        """``‖⊗γ_i − ⊗γ_i^{old}‖ / ‖⊗γ_i^{old}‖`` of every problem (pruned entries are zeros of
        the full-length factors, so no correction for them is needed)."""
        return kron_distances(self.gammas, snapshot, relative=True)

    def posterior(
        self, Y: NDArray, factors: Sequence[NDArray], adjoints: Sequence[NDArray], sigma2: NDArray
    ) -> BatchPosterior:
        """E-step of every problem (:func:`~krosbl.batch.posterior.batched_kron_posterior`)."""
        return batched_kron_posterior(Y, factors, adjoints, self.gammas, sigma2)

    def single(self, row: int) -> KronPrior:
        """Problem ``row``'s state as the :class:`~krosbl.priors.KronPrior` it would end with
        alone (kept sets and factors on them)."""
        prior = KronPrior([g[row] for g in self.gammas])
        prior.keep = [np.flatnonzero(m[row]) for m in self.masks]
        prior.gammas = [g[row][k] for g, k in zip(self.gammas, prior.keep)]
        prior.couplings = [
            None if c is None else self.kept_coupling(i, row) for i, c in enumerate(self.couplings)
        ]
        return prior
