"""Greedy and oracle baselines as methods: Kronecker OMP, OMP and oracle least squares."""

from __future__ import annotations

from abc import abstractmethod
from types import MappingProxyType
from typing import Any

from .. import greedy
from ..greedy import GreedyFit
from ..operators import Kron
from ..result import Result
from ..settings import SolverSettings
from ..validation import Problem
from .base import Callback, Method

__all__ = ["GreedyMethod", "KronOMPMethod", "OMPMethod", "OracleLSMethod"]


class GreedyMethod(Method):
    """A method that runs one function of :mod:`krosbl.greedy` (no EM, no posterior)."""

    @abstractmethod
    def fit(self, problem: Problem, settings: SolverSettings) -> GreedyFit:
        """The greedy fit of the checked problem."""

    def solve(
        self,
        problem: Problem,
        settings: SolverSettings,
        *,
        record_history: bool = False,
        callback: Callback | None = None,
    ) -> Result:
        """Run :meth:`fit` and wrap it in a :class:`Result` (``details``: ``residual_norm``,
        ``factor_support``)."""
        fit = self.fit(problem, settings)
        details: dict[str, Any] = {"residual_norm": fit.residual_norm}
        if fit.factor_support is not None:
            details["factor_support"] = fit.factor_support
        return Result(
            x=fit.x,
            method=self.name,
            support=fit.support,
            n_iter=fit.n_iter,
            converged=True,
            noise_var=problem.noise_var,
            noise_learned=False,
            time_s=fit.time_s,
            settings=settings,
            details=details,
        )


class KronOMPMethod(GreedyMethod):
    """Kronecker OMP (Caiafa & Cichocki 2013): :func:`krosbl.greedy.kron_omp`."""

    name = "kron-omp"
    summary = "Kronecker OMP (Caiafa & Cichocki 2013)"
    kronecker = True
    uses_noise_var = False
    defaults = MappingProxyType({"sparsity": None, "omp_tol": 1e-2})

    def fit(self, problem: Problem, settings: SolverSettings) -> GreedyFit:
        """Kronecker OMP with ``sparsity`` atoms per factor, stopped at ``omp_tol``."""
        assert isinstance(problem.op, Kron)
        sparsity = settings.sparsity
        if isinstance(sparsity, tuple):
            sparsity = settings.per_factor("sparsity", problem.n_factors)
        return greedy.kron_omp(problem.y, problem.op, sparsity, tol=settings.omp_tol)


class OMPMethod(GreedyMethod):
    """Orthogonal matching pursuit on any dictionary: :func:`krosbl.greedy.omp`."""

    name = "omp"
    summary = "orthogonal matching pursuit on any operator"
    operator = True
    snapshots = True  # simultaneous OMP
    defaults = MappingProxyType({"max_atoms": None})

    def fit(self, problem: Problem, settings: SolverSettings) -> GreedyFit:
        """OMP stopped at ``‖r‖ ≤ σ√M`` (with a known ``σ²``) or ``max_atoms``."""
        return greedy.omp(
            problem.y, problem.op, noise_var=problem.noise_var, max_atoms=settings.max_atoms
        )


class OracleLSMethod(GreedyMethod):
    """Least squares on a given true support: :func:`krosbl.greedy.oracle_ls`."""

    name = "oracle-ls"
    summary = "least squares on a given true support"
    operator = True
    takes_support = True
    uses_noise_var = False
    snapshots = True

    def fit(self, problem: Problem, settings: SolverSettings) -> GreedyFit:
        """The least-squares fit on ``problem.support``."""
        return greedy.oracle_ls(problem.y, problem.op, problem.support)
