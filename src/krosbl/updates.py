"""M-step rules of the SBL family: each maps the posterior statistics to new hyperparameters.

A rule never loops over EM iterations; :func:`krosbl.em.run_em` does.  Each rule minimises,
exactly or approximately, the EM surrogate ``Q(γ) = Σ_j (log γ_j + Λ_j/γ_j)`` with
``Λ = d + |μ|²`` from the E-step (docs/theory.md, "M-steps").  Rules:

* :class:`ClassicUpdate` — classic SBL, ``γ ← Λ``;
* :class:`SweepUpdate` — Gauss–Seidel sweeps over the factors: AM-KroSBL, KSBL (one sweep, no
  normalisation) and PC-KroSBL (coupled factors by NNLS);
* :class:`SVDUpdate` — SVD-KroSBL (successive rank-one SVDs of ``Λ``);
* :class:`PCSBLUpdate` — pattern-coupled SBL on an unstructured prior (PC-SBL).

The theory page (docs/theory.md) has one section per rule under "M-steps".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import reduce
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

from . import compiled
from .linalg import kron_distance, leading_eigenpair
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


def _weights(g: NDArray) -> NDArray:
    """``1/(l γ)`` for a factor of length ``l``, with ``1/0`` taken as 0 (an underflowed entry
    contributes nothing; docs/theory.md, "AM-KroSBL"); the ``1/l`` is the averaging of
    :func:`factor_target`."""
    scale = 1.0 / len(g)
    if g.min() > 0:
        return scale / g
    out = np.zeros_like(g)
    np.divide(scale, g, out=out, where=g > 0)
    return out


def _kron(vectors: list[NDArray]) -> NDArray:
    return vectors[0] if len(vectors) == 1 else reduce(np.multiply.outer, vectors).ravel()


def _contract_others(tensor: NDArray, vectors: list[NDArray], i: int) -> NDArray:
    """``Σ_{index_i = a} tensor[…] Π_{k≠i} vectors[k][index_k]``: one pass over ``tensor``.

    The vectors before and after axis ``i`` enter as two Kronecker vectors, so the contraction
    is at most two matrix-vector products on unfoldings of ``tensor``.
    """
    shape = tensor.shape
    out = tensor.reshape(math.prod(shape[:i]), -1)
    out = _kron(vectors[:i]) @ out if i > 0 else out
    out = out.reshape(shape[i], -1)
    return out @ _kron(vectors[i + 1 :]) if i < len(shape) - 1 else out.ravel()


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
    return _contract_others(second_moment, [_weights(g) for g in gammas], i)


def _normalise(gammas: list[NDArray]) -> list[float]:
    """Unit norm for every factor but the last, which takes the product of the norms.

    Returns the multipliers applied to each factor.
    """
    scales = []
    for k in range(len(gammas) - 1):
        norm = math.sqrt(gammas[k] @ gammas[k])
        scales.append(1.0 / norm if norm > 0 else 1.0)
    scales.append(1.0 / math.prod(scales))
    for k, c in enumerate(scales):
        if c != 1.0:
            gammas[k] = gammas[k] * c
    return scales


class ClassicUpdate:
    """Classic SBL M-step ``γ ← Λ`` on an unstructured prior."""

    stop_on: Literal["gamma", "mean"] = "gamma"

    def update(self, prior: FlatPrior, post: Posterior) -> None:
        """Apply the M-step to ``prior`` in place."""
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
    classic SBL update.
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

    def _sweep(
        self, prior: KronPrior, lam: NDArray, weights: list[NDArray], normalise: bool
    ) -> None:
        """One Gauss–Seidel pass; ``weights`` (``1/(l_k γ_k)``) is kept in step with the factors."""
        gammas = prior.gammas
        for i in range(len(gammas)):
            target = _contract_others(lam, weights, i)
            coupling = prior.couplings[i]
            if coupling is None:
                gammas[i] = target
            else:
                g, _ = nnls(coupling, target)
                self.uncoupled[i] = g
                gammas[i] = self.floor + coupling @ g
            weights[i] = _weights(gammas[i])
        if normalise:
            for k, c in enumerate(_normalise(gammas)):
                if c != 1.0:
                    weights[k] = weights[k] / c

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
        lam = post.second_moment.reshape(prior.kept_shape)
        cap = self.max_sweeps if self.max_sweeps is not None else SAFETY_MAX_SWEEPS
        relative = self.tol_type == "rel"
        if self.kernel == "numba":
            sweeps, capped = self.compiled_sweeps(prior, lam, cap)
        else:
            sweeps, capped = self._sweeps(prior, lam, cap, relative)
        if capped and self.max_sweeps is None:
            self.warn_capped(cap, stacklevel=4)
        self.n_sweeps.append(sweeps)

    def compiled_sweeps(self, prior: KronPrior, lam: NDArray, cap: int) -> tuple[int, bool]:
        """The sweeps as one compiled call (:func:`krosbl.compiled.sweeps`) on ``Λ`` over the
        kept tensor; updates ``prior.gammas`` and the NNLS starts in place and returns how many
        sweeps ran and whether the cap stopped them."""
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
        return sweeps, capped

    def warn_capped(self, cap: int, stacklevel: int) -> None:
        """Warn that the sweeps reached the safety cap ``cap`` before the inner tolerance."""
        warnings.warn(
            f"inner sweeps reached the safety cap of {cap} without meeting inner_tol={self.tol}",
            RuntimeWarning,
            stacklevel=stacklevel,
        )

    def _sweeps(self, prior: KronPrior, lam: NDArray, cap: int, relative: bool) -> tuple[int, bool]:
        """The NumPy sweeps; returns how many ran and whether the cap stopped them."""
        weights = [_weights(g) for g in prior.gammas]
        each_sweep = self.normalise and any(c is not None for c in prior.couplings)
        sweeps, capped = 0, False
        while True:
            previous = list(prior.gammas)
            self._sweep(prior, lam, weights, each_sweep)
            sweeps += 1
            if kron_distance(prior.gammas, previous, relative=relative) <= self.tol:
                break
            if sweeps == cap:
                capped = True
                break
        if self.normalise and not each_sweep:
            _normalise(prior.gammas)
        return sweeps, capped


def _leading_singular_triplet(matrix: NDArray) -> tuple[NDArray, float, NDArray]:
    """Leading singular triplet ``(u_1, s_1, v_1)`` of a real matrix.

    Uses the Hermitian eigensolver on the smaller Gram matrix (``l × l`` for an ``l × r``
    matrix with ``l ≤ r``), much cheaper than a full SVD of a wide unfolding; the signs are
    irrelevant because the M-step takes absolute values.
    """
    wide = matrix.shape[0] <= matrix.shape[1]
    gram = matrix @ matrix.T if wide else matrix.T @ matrix
    value, lead = leading_eigenpair(gram)
    s = math.sqrt(max(value, 0.0))
    other = (
        (matrix.T @ lead if wide else matrix @ lead) / s
        if s > 0
        else np.zeros(matrix.shape[1] if wide else matrix.shape[0])
    )
    return (lead, s, other) if wide else (other, s, lead)


class SVDUpdate:
    """SVD-KroSBL M-step: rank-one factorisation of ``Λ`` by successive SVDs.

    Notes
    -----
    ``U, S, Vᴴ = svd(Λ.reshape(l_1, l_2⋯l_I))``; ``γ_1 = |u_1|``, ``r = s_1 |v_1|``; then for
    ``i = 2 … I−1`` the same on ``r.reshape(l_i, −1)``; ``γ_I = r``. Not guaranteed to
    decrease the SBL cost (docs/theory.md, "SVD-KroSBL").
    """

    stop_on: Literal["gamma", "mean"] = "gamma"

    def update(self, prior: KronPrior, post: Posterior) -> None:
        """Apply the M-step to ``prior`` in place."""
        rest = post.second_moment
        shape = prior.kept_shape
        for i in range(len(shape) - 1):
            u, s, v = _leading_singular_triplet(rest.reshape(shape[i], -1))
            prior.gammas[i] = np.abs(u)
            rest = s * np.abs(v)
        prior.gammas[-1] = np.asarray(rest).ravel()


@dataclass
class PCSBLUpdate:
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
