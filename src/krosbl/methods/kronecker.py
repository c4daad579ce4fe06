"""SBL methods with a Kronecker prior ``γ = γ_1 ⊗ … ⊗ γ_I``: AM-KroSBL, SVD-KroSBL, KSBL and
PC-KroSBL (He & Joseph 2024). They differ only in their M-step rule and start."""

from __future__ import annotations

from abc import abstractmethod
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..operators import Kron
from ..priors import KronPrior, coupling_matrix
from ..settings import SolverSettings
from ..updates import SVDUpdate, SweepUpdate
from .base import EM_DEFAULTS, EMMethod

__all__ = ["AMKroSBLMethod", "KSBLMethod", "KronEMMethod", "PCKroSBLMethod", "SVDKroSBLMethod"]

_KRON_DEFAULTS = {**EM_DEFAULTS, "init": "ones"}
_SWEEP_DEFAULTS = {
    **_KRON_DEFAULTS,
    "prune_ratio": 1e-2,
    "inner_tol": 1e-4,
    "inner_tol_type": "rel",
    "max_sweeps": None,
    "kernel": "numpy",
}


def factor_init(in_shape: tuple[int, ...], init: str) -> list[NDArray]:
    """Initial factor hyperparameters: all ones, or ``"norm"``: ``γ_i = N_i^{-1/2}`` for
    ``i < I`` and ``γ_I = Π_{i<I} N_i^{1/2}`` (both give ``⊗γ_i = 1``)."""
    if init == "ones":
        return [np.ones(n) for n in in_shape]
    gammas = [np.full(n, n**-0.5) for n in in_shape[:-1]]
    gammas.append(np.full(in_shape[-1], float(np.prod(np.sqrt(in_shape[:-1])))))
    return gammas


class KronEMMethod(EMMethod):
    """An SBL method with a Kronecker prior (with one factor it is classic SBL)."""

    kronecker = True
    defaults = MappingProxyType(_KRON_DEFAULTS)

    @abstractmethod
    def rule(self, settings: SolverSettings) -> SVDUpdate | SweepUpdate:
        """The method's M-step rule under ``settings``."""

    def build(
        self, op: Kron, settings: SolverSettings
    ) -> tuple[KronPrior, SVDUpdate | SweepUpdate]:
        """A Kronecker prior from ``init`` and the method's :meth:`rule`."""
        return KronPrior(factor_init(op.in_shape, settings.init)), self.rule(settings)


class _SweepMethod(KronEMMethod):
    """Kronecker SBL whose M-step is Gauss–Seidel sweeps over the factors."""

    defaults = MappingProxyType(_SWEEP_DEFAULTS)

    def rule(self, settings: SolverSettings) -> SweepUpdate:
        """Normalised sweeps until ``inner_tol`` or ``max_sweeps``."""
        return SweepUpdate(
            normalise=True,
            tol=settings.inner_tol,
            tol_type=settings.inner_tol_type,
            max_sweeps=settings.max_sweeps,
            kernel=settings.kernel,
        )

    def details(self, rule: SweepUpdate, power: float) -> dict[str, Any]:
        """``n_sweeps``: inner sweeps per iteration; ``uncoupled``: the coupled factors'
        non-negative least-squares solutions ``g_i`` (on the kept indices, in the units the
        solver ran in)."""
        return {"n_sweeps": rule.n_sweeps, "uncoupled": rule.uncoupled}


class AMKroSBLMethod(_SweepMethod):
    """AM-KroSBL: alternating minimisation of the SBL cost over the factors.

    Each iteration sweeps ``γ_i ← T_i(γ)`` (the M-step's closed-form minimiser in ``γ_i``),
    normalising ``‖γ_i‖ = 1`` for ``i < I``, until ``⊗γ_i`` changes by less than
    ``inner_tol``. Without pruning the SBL cost never increases.
    """

    name = "am-krosbl"
    summary = "Kronecker SBL, alternating minimisation over the factors"


class KSBLMethod(KronEMMethod):
    """KSBL, the earlier Kronecker SBL the paper compares against: one unnormalised sweep per
    iteration."""

    name = "ksbl"
    summary = "earlier Kronecker SBL: one unnormalised sweep per iteration"
    defaults = MappingProxyType({**_KRON_DEFAULTS, "prune_ratio": 1e-2, "kernel": "numpy"})

    def rule(self, settings: SolverSettings) -> SweepUpdate:
        """A single unnormalised sweep."""
        return SweepUpdate(normalise=False, max_sweeps=1, kernel=settings.kernel)


class SVDKroSBLMethod(KronEMMethod):
    """SVD-KroSBL: the M-step is the rank-one factorisation of ``Λ = d + |μ|²`` by successive
    leading singular pairs."""

    name = "svd-krosbl"
    summary = "Kronecker SBL, rank-one SVD M-step"

    def rule(self, settings: SolverSettings) -> SVDUpdate:
        """Successive rank-one SVDs."""
        return SVDUpdate()


class PCKroSBLMethod(_SweepMethod):
    """PC-KroSBL: AM-KroSBL with block-sparse (pattern-coupled) factors ``γ̃_i = ε + C_i g_i``,
    ``C_i = I + β_i(E₊ + E₋)`` tridiagonal, ``g_i ≥ 0`` by non-negative least squares."""

    name = "pc-krosbl"
    summary = "pattern-coupled AM-KroSBL for block-sparse factors"
    defaults = MappingProxyType({**_SWEEP_DEFAULTS, "beta": 0.8, "coupled": None, "floor": 1e-5})

    def rule(self, settings: SolverSettings) -> SweepUpdate:
        """The AM sweeps with the floor ``ε`` of the coupled factors."""
        rule = super().rule(settings)
        rule.floor = settings.floor
        return rule

    def build(self, op: Kron, settings: SolverSettings) -> tuple[KronPrior, SweepUpdate]:
        """A coupled Kronecker prior (``γ_i ← C_i γ_i`` on the coupled factors).

        Raises
        ------
        ValueError
            ``coupled`` names a factor the problem does not have, or ``beta`` has neither one
            value nor one per coupled factor.
        """
        n_factors = op.n_factors
        coupled = tuple(range(n_factors)) if settings.coupled is None else settings.coupled
        bad = [i for i in coupled if i >= n_factors]
        if bad:
            raise ValueError(f"setting 'coupled' names factor(s) {bad} but there are {n_factors}")
        betas = settings.beta if isinstance(settings.beta, tuple) else (settings.beta,)
        if len(betas) == 1:
            betas = betas * len(coupled)
        if len(betas) != len(coupled):
            raise ValueError(
                f"setting 'beta' has {len(betas)} values for {len(coupled)} coupled factors"
            )
        couplings: list[NDArray | None] = [None] * n_factors
        gammas = factor_init(op.in_shape, settings.init)
        for i, beta in zip(coupled, betas):
            couplings[i] = coupling_matrix(op.in_shape[i], beta)
            gammas[i] = couplings[i] @ gammas[i]
        return KronPrior(gammas, couplings), self.rule(settings)
