"""M-step rules of the SBL family: each maps the posterior statistics to new hyperparameters.

A rule never loops over EM iterations; :func:`krosbl.em.run_em` does.  Each rule minimises,
exactly or approximately, the EM surrogate ``Q(γ) = Σ_j (log γ_j + Λ_j/γ_j)`` with
``Λ = d + |μ|²`` from the E-step (docs/theory.md, "M-steps").  Rules:

* :class:`ClassicUpdate` — classic SBL, ``γ ← Λ``;
* :class:`SweepUpdate` — Gauss–Seidel sweeps over the factors: AM-KroSBL, KSBL (one sweep, no
  normalisation) and PC-KroSBL (coupled factors by NNLS);
* :class:`SVDUpdate` — SVD-KroSBL (successive rank-one SVDs of ``Λ``);
* :class:`PCSBLUpdate` — pattern-coupled SBL on an unstructured prior (PC-SBL).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from functools import reduce
from typing import Any, Literal, Self

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

from . import compiled
from .linalg import (
    kron_distance,
    leading_eigenpair,
    matrix_vector,
)
from .operators import outer_product
from .posterior import Posterior
from .priors import FlatPrior, KronPrior

__all__ = [
    "SAFETY_MAX_SWEEPS",
    "ClassicUpdate",
    "PCSBLUpdate",
    "SVDUpdate",
    "SweepUpdate",
    "factor_target",
]

#: Cap on the inner sweeps of AM-KroSBL and PC-KroSBL where the paper's code has none.
SAFETY_MAX_SWEEPS = 10_000


def _weights(g: NDArray, count: Any) -> NDArray:
    """``1/(l γ)`` for a factor of kept length ``l`` (of each problem of a stack: ``(B, 1)``),
    with ``1/0`` taken as 0 (an underflowed or pruned entry contributes nothing;
    docs/theory.md, "AM-KroSBL"); the ``1/l`` is the averaging of :func:`factor_target`."""
    scale = 1.0 / count
    if g.min() > 0:
        return scale / g
    out = np.zeros_like(g)
    np.divide(scale, g, out=out, where=g > 0)
    return out


def _kron(vectors: list[NDArray], lead: int) -> NDArray:
    if len(vectors) == 1:
        return vectors[0]
    if not lead:
        return reduce(np.multiply.outer, vectors).ravel()
    return outer_product(vectors, lead).reshape(len(vectors[0]), -1)


def _contract_others(tensor: NDArray, vectors: list[NDArray], i: int) -> NDArray:
    """``Σ_{index_i = a} tensor[…] Π_{k≠i} vectors[k][index_k]``: one pass over ``tensor``
    (of each problem of a stack: a leading axis shared by the tensor and the vectors).

    The vectors before and after axis ``i`` enter as two Kronecker vectors, so the contraction
    is at most two matrix-vector products on unfoldings of ``tensor``.
    """
    lead = tensor.ndim - len(vectors)  # 1 for a stack
    head = tensor.shape[:lead]
    out = tensor
    if i > 0:
        left = _kron(vectors[:i], lead)
        out = out.reshape(*head, left.shape[-1], -1)
        out = (left[:, None] @ out)[:, 0] if lead else left @ out
    if i == len(vectors) - 1:
        return out.reshape(*head, -1)
    right = _kron(vectors[i + 1 :], lead)
    return matrix_vector(out.reshape(*head, -1, right.shape[-1]), right)


def factor_target(second_moment: NDArray, gammas: list[NDArray], i: int) -> NDArray:
    """Exact minimiser over ``γ_i`` of ``Σ_j log γ_j + Λ_j/γ_j`` with the other factors fixed.

    Parameters
    ----------
    second_moment : ndarray
        ``Λ`` reshaped to the kept tensor shape ``(l_1, …, l_I)``.
    gammas : list of ndarray
        Current factor hyperparameters.
    i : int
        The factor to update.

    Returns
    -------
    ndarray
        ``T_i[a] = (1/Π_{k≠i} l_k) Σ_{index_i = a} Λ[…] / Π_{k≠i} γ_k[index_k]``, with
        ``l_k`` the kept length of factor ``k`` (docs/theory.md, "AM-KroSBL").
    """
    return _contract_others(second_moment, [_weights(g, len(g)) for g in gammas], i)


def _normalise(gammas: list[NDArray]) -> list[Any]:
    """Unit norm for every factor but the last, which takes the product of the norms (of each
    problem of a stack); returns the multipliers applied to each factor (floats, or ``(B, 1)``
    arrays)."""
    scales: list[Any] = []
    for g in gammas[:-1]:
        if g.ndim == 1:
            norm = math.sqrt(g @ g)
            scales.append(1.0 / norm if norm > 0 else 1.0)
        else:
            norms = np.sqrt(np.einsum("bn,bn->b", g, g))[:, None]
            scales.append(np.divide(1.0, norms, out=np.ones_like(norms), where=norms > 0))
    scales.append(1.0 / math.prod(scales))
    for k, c in enumerate(scales):
        if not isinstance(c, float) or c != 1.0:
            gammas[k] = gammas[k] * c
    return scales


class _NoProblemState:
    """A rule that keeps no state of its own per problem of a stack."""

    def for_problem(self, row: int) -> Self:
        """The rule as problem ``row`` of a stack would end with it alone: the rule itself."""
        return self


class ClassicUpdate(_NoProblemState):
    """Classic SBL M-step ``γ ← Λ``, on an unstructured prior or a one-factor Kronecker prior
    (of a stack of problems)."""

    stop_on: Literal["gamma", "mean"] = "gamma"

    def update(self, prior: FlatPrior | KronPrior, post: Posterior) -> None:
        """Apply the M-step to ``prior`` in place."""
        if isinstance(prior, KronPrior):
            prior.gammas[0] = prior.restrict(0, post.second_moment)
        else:
            prior.gamma = post.second_moment


@dataclass
class SweepUpdate:
    """Gauss–Seidel sweeps over the factors (AM-KroSBL, KSBL, PC-KroSBL).

    Parameters
    ----------
    normalise : bool
        Rescale to unit-norm factors ``i < I`` after each sweep (AM, PC); KSBL does not.
    tol : float
        Inner tolerance on the change ``δ`` of ``⊗γ_i`` between sweeps.
    tol_type : {"abs", "rel"}
        ``δ`` absolute or relative to the previous ``‖⊗γ_i‖``.
    max_sweeps : int or None
        Cap on sweeps; ``None`` applies the safety cap and warns if it binds.
    floor : float
        ``ε`` of the coupled factors, ``γ̃_i = ε + C_i g_i``.
    kernel : {"numpy", "numba"}
        Run the sweeps with NumPy (the reference) or as one compiled call
        (:func:`krosbl.compiled.sweeps`, the same arithmetic).

    Notes
    -----
    For an uncoupled factor, ``γ_i ← T_i(γ)`` (:func:`factor_target`); for a coupled one,
    ``g_i = argmin_{g ≥ 0} ‖C_i g − T_i(γ)‖`` (Lawson–Hanson NNLS) and ``γ̃_i = ε + C_i g_i``
    (docs/theory.md, "AM-KroSBL", "KSBL" and "PC-KroSBL"). With ``I = 1`` the sweep is the
    classic SBL update. On a stack of problems each one sweeps until its own inner tolerance
    and keeps its own sweep counts and NNLS solutions (:meth:`for_problem`).
    """

    normalise: bool = True
    tol: float = 1e-5
    tol_type: Literal["abs", "rel"] = "abs"
    max_sweeps: int | None = None
    floor: float = 1e-5
    kernel: Literal["numpy", "numba"] = "numpy"
    stop_on: Literal["gamma", "mean"] = "gamma"

    def __post_init__(self) -> None:
        self.n_sweeps: list[int] = []
        self.uncoupled: dict[int, NDArray] = {}
        self._problems: dict[int, SweepUpdate] = {}

    def for_problem(self, row: int | np.integer) -> SweepUpdate:
        """The rule as problem ``row`` of a stack would end with it alone (its sweep counts and
        NNLS solutions)."""
        return self._problems.setdefault(int(row), replace(self))

    def update(self, prior: KronPrior, post: Posterior) -> None:
        """Run sweeps until the inner tolerance or the cap; updates ``prior`` in place.

        Notes
        -----
        ``δ = ‖⊗γ_i − ⊗γ_i^{prev}‖`` (divided by ``‖⊗γ_i^{prev}‖`` for ``tol_type="rel"``) is
        computed from the factors (:func:`~krosbl.linalg.kron_distance`); every sweep costs
        ``I`` passes over ``Λ``.

        Without coupled factors the update is scale-equivariant: rescaling the factors by
        ``c_k`` with ``Π c_k = 1`` before a sweep rescales its results by the same ``c_k``,
        so ``⊗γ_i``, ``δ`` and the normalised result do not depend on when the rescaling
        happens, and AM-KroSBL normalises once, after its last sweep. The floor ``ε`` of a
        coupled factor breaks this equivariance, so PC-KroSBL normalises after every sweep
        (docs/theory.md, "PC-KroSBL").
        """
        head = () if prior.rows is None else (len(prior),)
        lam = post.second_moment.reshape(head + prior.kept_shape)
        cap = self.max_sweeps if self.max_sweeps is not None else SAFETY_MAX_SWEEPS
        if self.kernel == "numba":
            self._compiled_update(prior, lam, cap)
        else:
            self._sweeps(prior, lam, cap)

    def compiled_sweeps(self, prior: KronPrior, lam: NDArray, cap: int) -> None:
        """The sweeps of one problem as one compiled call (:func:`krosbl.compiled.sweeps`) on
        ``Λ`` over the kept tensor; updates ``prior.gammas`` and the NNLS starts in place."""
        prior.gammas[:], uncoupled, sweeps, capped = compiled.sweeps(
            lam,
            prior.gammas,
            prior.couplings,
            floor=self.floor,
            tol=self.tol,
            relative=self.tol_type == "rel",
            cap=cap,
            normalise=self.normalise,
            starts=self.uncoupled,
        )
        self.uncoupled.update(uncoupled)
        self._finish(sweeps, capped and self.max_sweeps is None, cap)

    def _compiled_update(self, prior: KronPrior, lam: NDArray, cap: int) -> None:
        """:meth:`compiled_sweeps` of one problem, or of each problem of a stack on its kept
        entries."""
        if prior.masks is None or prior.rows is None:
            return self.compiled_sweeps(prior, lam, cap)
        alone = [prior.row(j) for j in range(len(prior))]
        prior.gammas[:] = [np.zeros_like(g) for g in prior.gammas]
        for j, row in enumerate(prior.rows):
            kept = [np.flatnonzero(m[j]) for m in prior.masks]
            self.for_problem(row).compiled_sweeps(alone[j], lam[j][np.ix_(*kept)], cap)
            for g, k, new in zip(prior.gammas, kept, alone[j].gammas):
                g[j, k] = new

    def _finish(self, sweeps: int, capped: bool, cap: int) -> None:
        """Record the sweeps of an M-step; warn when the safety cap stopped them."""
        self.n_sweeps.append(sweeps)
        if capped:
            warnings.warn(
                f"inner sweeps reached the safety cap of {cap} without meeting "
                f"inner_tol={self.tol}",
                RuntimeWarning,
                stacklevel=5,
            )

    def _sweeps(self, prior: KronPrior, lam: NDArray, cap: int) -> None:
        """The NumPy sweeps, of one problem or of each problem of a stack until its own
        tolerance; updates ``prior.gammas``."""
        gammas = list(prior.gammas)
        counts = prior.kept_counts()
        weights = [_weights(g, c) for g, c in zip(gammas, counts)]
        coupled = _coupled_parts(prior)
        each_sweep = self.normalise and bool(coupled)
        running = None if prior.rows is None else np.arange(len(prior))
        relative, once = self.tol_type == "rel", self.normalise and not each_sweep
        sweeps = 0
        while True:
            previous = list(gammas)
            self._sweep(gammas, lam, weights, counts, coupled, prior.rows, running, each_sweep)
            sweeps += 1
            delta = kron_distance(gammas, previous, relative=relative)
            done = (delta <= self.tol) | (sweeps == cap)
            capped = sweeps == cap and self.max_sweeps is None and bool(np.any(delta > self.tol))
            if running is None or prior.rows is None:
                if done:
                    if once:  # scale-equivariant: normalised once, after the last sweep
                        _normalise(gammas)
                    prior.gammas[:] = gammas
                    return self._finish(sweeps, capped, cap)
                continue
            if not done.any():
                continue
            for row in prior.rows[running[done]]:
                self.for_problem(row)._finish(sweeps, capped, cap)
            finished = [g[done] for g in gammas]
            if once:
                _normalise(finished)
            for i, g in enumerate(finished):
                prior.gammas[i] = prior.gammas[i].copy()
                prior.gammas[i][running[done]] = g
            if done.all():
                return None
            running, left = running[~done], ~done
            gammas, weights, lam = [g[left] for g in gammas], [w[left] for w in weights], lam[left]
            counts = [c[left] for c in counts]

    def _sweep(
        self,
        gammas: list[NDArray],
        lam: NDArray,
        weights: list[NDArray],
        counts: list[Any],
        coupled: dict[int, list[tuple[NDArray, NDArray]]],
        rows: NDArray | None,
        running: NDArray | None,
        normalise: bool,
    ) -> None:
        """One Gauss–Seidel pass; ``weights`` (``1/(l_k γ_k)``) is kept in step with the factors."""
        for i in range(len(gammas)):
            target = _contract_others(lam, weights, i)
            if i in coupled:
                target = self._coupled(i, target, coupled[i], rows, running)
            gammas[i] = target
            weights[i] = _weights(target, counts[i])
        if normalise:
            for k, c in enumerate(_normalise(gammas)):
                weights[k] = weights[k] / c

    def _coupled(
        self,
        i: int,
        target: NDArray,
        parts: list[tuple[NDArray, NDArray]],
        rows: NDArray | None,
        running: NDArray | None,
    ) -> NDArray:
        """``ε + C_i g_i`` with ``g_i = argmin_{g ≥ 0} ‖C_i g − T_i‖`` of each problem, on its
        kept entries (``parts``: each problem's kept positions and coupling)."""
        if running is None or rows is None:
            g, _ = nnls(parts[0][1], target)
            self.uncoupled[i] = g
            return self.floor + parts[0][1] @ g
        out = np.zeros_like(target)
        for j, b in enumerate(running):
            keep, coupling = parts[b]
            g, _ = nnls(coupling, target[j, keep])
            self.for_problem(rows[b]).uncoupled[i] = g
            out[j, keep] = self.floor + coupling @ g
        return out


def _coupled_parts(prior: KronPrior) -> dict[int, list[tuple[NDArray, NDArray]]]:
    """Each coupled factor's kept positions and coupling matrix, per problem."""
    parts = {}
    for i, c in enumerate(prior.couplings):
        if c is None:
            continue
        if prior.masks is None:
            parts[i] = [(np.arange(len(c)), c)]
        else:
            keeps = [np.flatnonzero(m) for m in prior.masks[i]]
            parts[i] = [(k, c[np.ix_(k, k)]) for k in keeps]
    return parts


def _leading_singular_triplet(matrix: NDArray) -> tuple[NDArray, Any, NDArray]:
    """Leading singular triplet ``(u_1, s_1, v_1)`` of a real matrix, or of each of a stack
    (``s_1`` then of shape ``(B, 1)``).

    Uses the Hermitian eigensolver on the smaller Gram matrix (``l × l`` for an ``l × r``
    matrix with ``l ≤ r``), much cheaper than a full SVD of a wide unfolding; the signs are
    irrelevant because the M-step takes absolute values.
    """
    wide = matrix.shape[-2] <= matrix.shape[-1]
    t = matrix.swapaxes(-1, -2)
    value, lead = leading_eigenpair(matrix @ t if wide else t @ matrix)
    other = matrix_vector(t if wide else matrix, lead)
    if matrix.ndim == 2:  # one matrix: scalar arithmetic
        s = math.sqrt(max(value, 0.0))
        other = other / s if s > 0 else np.zeros_like(other)
    else:
        s = np.sqrt(np.maximum(value, 0.0))[:, None]
        other = other / np.where(s > 0, s, np.inf)  # 0 where s = 0
    return (lead, s, other) if wide else (other, s, lead)


class SVDUpdate(_NoProblemState):
    """SVD-KroSBL M-step: rank-one factorisation of ``Λ`` by successive SVDs.

    Notes
    -----
    ``U, S, Vᴴ = svd(Λ.reshape(l_1, l_2⋯l_I))``; ``γ_1 = |u_1|``, ``r = s_1 |v_1|``; then for
    ``i = 2 … I−1`` the same on ``r.reshape(l_i, −1)``; ``γ_I = r``. Not guaranteed to
    decrease the SBL cost (docs/theory.md, "SVD-KroSBL").
    """

    stop_on: Literal["gamma", "mean"] = "gamma"

    def update(self, prior: KronPrior, post: Posterior) -> None:
        """Apply the M-step to ``prior`` (of one problem or a stack) in place."""
        rest = post.second_moment
        head = rest.shape[:-1]
        shape = prior.kept_shape
        for i in range(len(shape) - 1):
            u, s, v = _leading_singular_triplet(rest.reshape((*head, shape[i], -1)))
            prior.gammas[i] = prior.restrict(i, np.abs(u))
            rest = s * np.abs(v)
        prior.gammas[-1] = prior.restrict(len(shape) - 1, rest.reshape((*head, -1)))


@dataclass
class PCSBLUpdate(_NoProblemState):
    """Pattern-coupled SBL M-step as the paper's authors modified Fang et al. (PC-SBL).

    Parameters
    ----------
    a, b : float
        Gamma hyperprior parameters.
    eta : float
        Coupling of each entry with its neighbours.
    shape : tuple of int or None
        ``None`` (the reference's choice, departure R12 in docs/reproduction.md): the two
        neighbours along the flat C-order index, across block boundaries. A tensor shape
        ``(N_1, …, N_I)``: the neighbours along each axis of ``x.reshape(shape)`` (two per
        axis), never across boundaries.

    Notes
    -----
    ``e = |μ|² + d``; ``E_j = e_j + η(e_{j−1} + e_{j+1})`` (zero-padded);
    ``α = (a + ½)/(½E + b)``; ``α_j ← 10¹⁰`` where ``α_j > 10³ min α``;
    ``D_j = α_j + η(α_{j−1} + α_{j+1})``; the new prior variance is ``1/D``
    (docs/theory.md, "PC-SBL").

    References
    ----------
    .. [1] J. Fang, Y. Shen, H. Li and P. Wang, "Pattern-coupled sparse Bayesian learning for
       recovery of block-sparse signals", IEEE Trans. Signal Process., 63(2), 2015.
    """

    a: float = 0.5
    b: float = 1e-4
    eta: float = 0.9
    shape: tuple[int, ...] | None = None
    stop_on: Literal["gamma", "mean"] = "mean"

    def __post_init__(self) -> None:
        self.alpha: NDArray | None = None

    def neighbours(self, v: NDArray) -> NDArray:
        """``v_j + η Σ_{k ∈ neighbours(j)} v_k`` over the chosen neighbourhood."""
        tensor = v if self.shape is None else v.reshape(self.shape)
        out = tensor.copy()
        for axis in range(tensor.ndim):
            head = [slice(None)] * tensor.ndim
            tail = [slice(None)] * tensor.ndim
            head[axis], tail[axis] = slice(1, None), slice(None, -1)
            out[tuple(head)] += self.eta * tensor[tuple(tail)]
            out[tuple(tail)] += self.eta * tensor[tuple(head)]
        return out.ravel()

    def update(self, prior: FlatPrior, post: Posterior) -> None:
        """Apply the M-step to ``prior`` in place (``prior.gamma ← 1/D``)."""
        coupled = self.neighbours(prior.embed(post.second_moment))
        alpha = (self.a + 0.5) / (0.5 * coupled + self.b)
        alpha[alpha > 1e3 * alpha.min()] = 1e10
        self.alpha = alpha
        prior.gamma = (1.0 / self.neighbours(alpha))[prior.keep]
