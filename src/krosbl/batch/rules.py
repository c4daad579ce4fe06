"""M-step rules for a batch of Kronecker-prior problems.

The batched twins of :class:`krosbl.updates.SVDUpdate` and :class:`krosbl.updates.SweepUpdate`
(AM-KroSBL, KSBL, PC-KroSBL), built from the single-problem rule so that they read the same
parameters. Each works on full-length factors with zeros at pruned entries
(:class:`~krosbl.batch.prior.BatchKronPrior`); in the sweeps each problem stops on its own
inner tolerance.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

from ..linalg import kron_distances
from ..updates import SAFETY_MAX_SWEEPS, ClassicUpdate, SVDUpdate, SweepUpdate
from .posterior import BatchPosterior, outer_rows
from .prior import BatchKronPrior

__all__ = [
    "BatchClassicUpdate",
    "BatchRule",
    "BatchSVDUpdate",
    "BatchSweepUpdate",
    "batched_rule",
]


def _weights(g: NDArray, mask: NDArray) -> NDArray:
    """``1/(l γ)`` row by row, ``l`` the problem's kept length, ``0`` where ``γ = 0``
    (:func:`krosbl.updates.factor_target`)."""
    scale = 1.0 / mask.sum(axis=1, keepdims=True)
    out = np.zeros_like(g)
    np.divide(scale, g, out=out, where=g > 0)
    return out


def _contract_others(lam: NDArray, vectors: list[NDArray], i: int) -> NDArray:
    """Row-wise :func:`krosbl.updates._contract_others`: ``Σ_{index_i = a} Λ[b, …]
    Π_{k≠i} v_k[b, index_k]`` as two batched matrix-vector products."""
    shape = lam.shape
    out = lam.reshape(shape[0], 1, -1)
    if i > 0:
        out = outer_rows(vectors[:i]).reshape(shape[0], 1, -1) @ out.reshape(
            shape[0], math.prod(shape[1 : i + 1]), -1
        )
    out = out.reshape(shape[0], shape[i + 1], -1)
    if i < len(shape) - 2:
        out = out @ outer_rows(vectors[i + 1 :]).reshape(shape[0], -1, 1)
    return out.reshape(shape[0], shape[i + 1])


def _normalise(gammas: list[NDArray]) -> NDArray:
    """Row-wise :func:`krosbl.updates._normalise`; returns the multipliers, shape ``(B, I)``."""
    scales = np.ones((len(gammas[0]), len(gammas)))
    for k, g in enumerate(gammas[:-1]):
        norm = np.sqrt(np.einsum("bn,bn->b", g, g))
        scales[:, k] = np.divide(1.0, norm, out=np.ones_like(norm), where=norm > 0)
    scales[:, -1] = 1.0 / np.prod(scales[:, :-1], axis=1)
    for k, g in enumerate(gammas):
        gammas[k] = g * scales[:, k : k + 1]
    return scales


class BatchSVDUpdate:
    """:class:`krosbl.updates.SVDUpdate` of every problem: successive leading singular pairs of
    ``Λ``, from the Gram matrices of the unfoldings (one batched eigensolver call per factor)."""

    def __init__(self, rule: SVDUpdate, size: int) -> None:
        self.rule = rule

    def update(self, prior: BatchKronPrior, post: BatchPosterior) -> None:
        """Apply the M-step to ``prior`` in place."""
        rest = post.second_moment
        batch = len(rest)
        for i, mask in enumerate(prior.masks[:-1]):
            matrix = rest.reshape(batch, mask.shape[1], -1)
            wide = matrix.shape[1] <= matrix.shape[2]
            t = matrix.swapaxes(1, 2)
            value, vectors = np.linalg.eigh(matrix @ t if wide else t @ matrix)
            lead = vectors[:, :, -1]
            s = np.sqrt(np.maximum(value[:, -1], 0.0))
            other = ((t if wide else matrix) @ lead[:, :, None])[:, :, 0]
            other = np.divide(other, s[:, None], out=np.zeros_like(other), where=s[:, None] > 0)
            u, v = (lead, other) if wide else (other, lead)
            prior.gammas[i] = np.abs(u) * mask
            rest = s[:, None] * np.abs(v)
        prior.gammas[-1] = rest.reshape(batch, -1) * prior.masks[-1]

    def single(self, row: int) -> SVDUpdate:
        """The single-problem rule (it holds no per-problem state)."""
        return self.rule


class BatchSweepUpdate:
    """:class:`krosbl.updates.SweepUpdate` of every problem; each stops on its own inner
    tolerance or the cap, and keeps its own sweep counts and NNLS solutions.

    With ``kernel="numba"`` each problem's sweeps are one compiled call on its kept entries
    (:func:`krosbl.compiled.sweeps`, as the single-problem rule runs them); an
    :class:`ImportError` naming the ``fast`` extra where Numba is missing.
    """

    def __init__(self, rule: SweepUpdate, size: int) -> None:
        self.rule = rule
        self.n_sweeps: list[list[int]] = [[] for _ in range(size)]
        self.uncoupled: list[dict[int, NDArray]] = [{} for _ in range(size)]

    def _sweep(
        self,
        prior: BatchKronPrior,
        lam: NDArray,
        weights: list[NDArray],
        normalise: bool,
        kept: dict[int, list[tuple[NDArray, NDArray]]],
    ) -> None:
        gammas = prior.gammas
        for i in range(len(gammas)):
            target = _contract_others(lam, weights, i)
            if i in kept:
                target = target.copy()
                for j, (row, (keep, coupling)) in enumerate(zip(prior.rows, kept[i])):
                    g, _ = nnls(coupling, target[j, keep])
                    self.uncoupled[row][i] = g
                    target[j] = 0.0
                    target[j, keep] = self.rule.floor + coupling @ g
            gammas[i] = target
            weights[i] = _weights(target, prior.masks[i])
        if normalise:
            for k, c in enumerate(_normalise(gammas).T):
                weights[k] = weights[k] / c[:, None]

    def _compiled_update(self, prior: BatchKronPrior, lam: NDArray, cap: int) -> None:
        """Each problem's sweeps as the single-problem rule's compiled call on its kept
        entries (:meth:`krosbl.updates.SweepUpdate.compiled_sweeps`), in place."""
        for j, row in enumerate(prior.rows):
            alone = prior.single(j)
            sweeps, capped = self.single(row).compiled_sweeps(
                alone, lam[j][np.ix_(*alone.keep)], cap
            )
            for g, keep, new in zip(prior.gammas, alone.keep, alone.gammas):
                g[j] = 0.0
                g[j, keep] = new
            self.n_sweeps[row].append(sweeps)
            if capped and self.rule.max_sweeps is None:
                self.rule.warn_capped(cap, stacklevel=5)

    def update(self, prior: BatchKronPrior, post: BatchPosterior) -> None:
        """Run each problem's sweeps until its inner tolerance or the cap; in place."""
        rule = self.rule
        lam = post.second_moment.reshape(len(prior), *(m.shape[1] for m in prior.masks))
        cap = rule.max_sweeps if rule.max_sweeps is not None else SAFETY_MAX_SWEEPS
        if rule.kernel == "numba":
            return self._compiled_update(prior, lam, cap)
        each_sweep = rule.normalise and any(c is not None for c in prior.couplings)
        running = np.arange(len(prior))
        part = prior
        weights = [_weights(g, m) for g, m in zip(prior.gammas, prior.masks)]
        kept = {  # each problem's kept entries and coupling of every coupled factor
            i: [
                (np.flatnonzero(prior.masks[i][j]), prior.kept_coupling(i, j))
                for j in range(len(prior))
            ]
            for i, c in enumerate(prior.couplings)
            if c is not None
        }
        sweeps = 0
        while running.size:
            previous = part.snapshot()
            self._sweep(part, lam, weights, each_sweep, kept)
            sweeps += 1
            delta = kron_distances(part.gammas, previous, relative=rule.tol_type == "rel")
            done = (delta <= rule.tol) | (sweeps == cap)
            if sweeps == cap and rule.max_sweeps is None and (delta > rule.tol).any():
                rule.warn_capped(cap, stacklevel=4)
            for row in part.rows[done]:
                self.n_sweeps[row].append(sweeps)
            if part is not prior:
                prior.assign(running, part)
            if done.all():
                break
            running, keep = running[~done], ~done
            part, lam = prior.subset(running), lam[keep]
            weights = [w[keep] for w in weights]
            kept = {i: [k for k, s in zip(pairs, keep) if s] for i, pairs in kept.items()}
        if rule.normalise and not each_sweep:
            _normalise(prior.gammas)

    def single(self, row: int) -> SweepUpdate:
        """The single-problem rule as it would end problem ``row`` alone (its sweep counts and
        NNLS solutions)."""
        out = replace(self.rule)
        out.n_sweeps = self.n_sweeps[row]
        out.uncoupled = self.uncoupled[row]
        return out


class BatchClassicUpdate:
    """:class:`krosbl.updates.ClassicUpdate` of every problem, ``γ ← Λ``, on a one-factor
    prior (classic SBL as a Kronecker prior with ``I = 1``)."""

    def __init__(self, rule: ClassicUpdate, size: int) -> None:
        self.rule = rule

    def update(self, prior: BatchKronPrior, post: BatchPosterior) -> None:
        """Apply the M-step to ``prior`` in place."""
        assert len(prior.gammas) == 1
        prior.gammas[0] = post.second_moment * prior.masks[0]

    def single(self, row: int) -> ClassicUpdate:
        """The single-problem rule (it holds no per-problem state)."""
        return self.rule


#: Any batched M-step rule.
BatchRule = BatchSVDUpdate | BatchSweepUpdate | BatchClassicUpdate


def batched_rule(rule: Any, size: int) -> BatchRule | None:
    """The batched twin of a single-problem M-step rule, or ``None`` if it has none."""
    if isinstance(rule, SVDUpdate):
        return BatchSVDUpdate(rule, size)
    if isinstance(rule, SweepUpdate):
        return BatchSweepUpdate(rule, size)
    if isinstance(rule, ClassicUpdate):
        return BatchClassicUpdate(rule, size)
    return None
