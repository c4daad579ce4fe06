"""What a recovery method is: :class:`Method`, the interface :func:`krosbl.recover` and the
estimators call, and :class:`EMMethod`, every SBL method, run by :func:`krosbl.em.run_em`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from ..em import EMOutput, UpdateRule, run_em
from ..operators import Kron
from ..posterior import RESCALE_HINT, posterior_memory
from ..priors import FlatPrior, KronPrior
from ..result import Result
from ..settings import SolverSettings
from ..tasks import Tasks
from ..validation import Problem

__all__ = ["EM_DEFAULTS", "EMMethod", "Method", "normalized_problem", "numerical_breakdown"]

Callback = Callable[[int, Any, Any], None]

#: Settings every SBL-family method reads, and their neutral defaults (see docs/defaults).
EM_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "normalize": True,
        "prune_ratio": 1e-3,
        "prune_abs": 0.0,
        "tol": 1e-4,
        "max_iter": 150,
        "noiseless": False,
    }
)


class Method(ABC):
    """A recovery method: what :func:`krosbl.recover` looks up by name.

    Attributes
    ----------
    name : str
        The name accepted by :func:`krosbl.recover`.
    summary : str
        One line describing it.
    kronecker : bool
        Whether it needs the Kronecker factors.
    min_factors : int
        The fewest Kronecker factors it accepts.
    operator : bool
        Whether a generic ``LinearOperator`` dictionary will do.
    takes_support : bool
        Whether it needs the true support (``support=``).
    uses_noise_var : bool
        Whether a known ``noise_var`` changes its result.
    variances : bool
        Whether its :class:`Result` carries the posterior variances ``x_var``.
    snapshots : bool
        Whether it takes ``T`` snapshots sharing one support, ``y`` of shape ``(M, T)``.
    tasks : bool
        Whether it takes a dictionary per snapshot (:func:`krosbl.recover_tasks`).
    defaults : mapping
        The settings it reads, with their neutral defaults.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    kronecker: ClassVar[bool] = False
    min_factors: ClassVar[int] = 1
    operator: ClassVar[bool] = False
    takes_support: ClassVar[bool] = False
    uses_noise_var: ClassVar[bool] = True
    variances: ClassVar[bool] = False
    snapshots: ClassVar[bool] = False
    tasks: ClassVar[bool] = False
    defaults: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    @abstractmethod
    def solve(
        self,
        problem: Problem,
        settings: SolverSettings,
        *,
        record_history: bool = False,
        callback: Callback | None = None,
    ) -> Result:
        """Solve one checked problem with checked settings."""

    def solve_batch(
        self, problems: list[Problem], settings: SolverSettings, *, shared: bool
    ) -> list[Result] | None:
        """Solve checked problems (non-zero ``y``, dictionaries of one shape; ``shared``: the
        same one) together, or return ``None`` to have :meth:`solve` called on each."""
        return None

    def memory(self, op: Any) -> int:
        """Bytes one solve is expected to need at its peak (inputs excluded)."""
        itemsize = np.dtype(op.dtype).itemsize
        if isinstance(op, Kron):
            return posterior_memory(op.in_shape, op.out_shape, self.kronecker, itemsize)
        m, n = op.shape
        return itemsize * (4 * m * m + 3 * m * n + 8 * n)


def normalized_problem(problem: Problem) -> tuple[Problem, float]:
    """``(y/s, σ²/s²)`` with ``s = ‖y‖/√M``, and ``s``: makes a method equivariant to
    ``y → c y`` despite its starting values and absolute thresholds."""
    scale = float(np.linalg.norm(problem.y)) / np.sqrt(problem.y.size)
    sigma2 = None if problem.noise_var is None else problem.noise_var / scale**2
    return replace(problem, y=problem.y / scale, noise_var=sigma2), scale


class EMMethod(Method):
    """A sparse-Bayesian-learning method: a prior and an M-step rule run by the EM loop.

    Subclasses give :meth:`build`; :meth:`details` and :meth:`prior_variances` when they
    publish more than the prior holds.
    """

    defaults = EM_DEFAULTS
    variances = True
    snapshots = True
    tasks = True

    @abstractmethod
    def build(self, op: Any, settings: SolverSettings) -> tuple[KronPrior | FlatPrior, UpdateRule]:
        """The initial prior and the M-step rule for ``op``."""

    def details(self, rule: Any, power: float) -> dict[str, Any]:
        """Method-specific outputs of the rule after the run (none by default); ``power`` is
        the factor ``s²`` that takes a variance back to the units of ``y``."""
        return {}

    def prior_variances(self, prior: KronPrior | FlatPrior, rule: Any) -> NDArray:
        """The final prior variances, full length."""
        return prior.embedded()

    def solve(
        self,
        problem: Problem,
        settings: SolverSettings,
        *,
        record_history: bool = False,
        callback: Callback | None = None,
    ) -> Result:
        """Run EM (normalised first when ``settings.normalize``) and build the :class:`Result`.

        Raises
        ------
        ValueError
            ``noise_var`` given with ``noiseless=True``.
        FloatingPointError
            The iteration left floating point; ``y``, ``A`` and ``noise_var`` need rescaling.
        """
        scale = 1.0
        if settings.normalize:
            problem, scale = normalized_problem(problem)
        sigma2 = self.loop_noise_var(problem, settings)
        op = problem.op
        prior, rule = self.build(op.template if isinstance(op, Tasks) else op, settings)
        with numerical_breakdown(self.name):
            (out,) = run_em(
                problem.y,
                problem.op,
                prior,
                rule,
                prune_ratios=self.prune_ratios(prior, problem, settings),
                prune_abs=settings.prune_abs,
                tol=settings.tol,
                max_iter=settings.max_iter,
                noise_var=sigma2,
                record_history=record_history,
                callback=callback,
            )
        return self.result(problem, settings, scale, out, prior, rule)

    def solve_batch(
        self, problems: list[Problem], settings: SolverSettings, *, shared: bool
    ) -> list[Result] | None:
        """Step every problem through the EM loop as one stack when the method has a
        Kronecker prior and is not noiseless; results as :meth:`solve`'s (to rounding)."""
        if not self.kronecker or settings.noiseless:
            return None
        prior, rule = self.build(problems[0].op, settings)
        if not isinstance(prior, KronPrior):
            return None
        scales = [1.0] * len(problems)
        if settings.normalize:
            pairs = [normalized_problem(p) for p in problems]
            problems, scales = [p for p, _ in pairs], [s for _, s in pairs]
        ops = [p.op for p in problems if isinstance(p.op, Kron)]
        factors = [  # (1, M_i, N_i) shared, or (B, M_i, N_i)
            np.stack([op.factors[i] for op in ops[: 1 if shared else None]])
            for i in range(len(prior.gammas))
        ]
        known = [p.noise_var for p in problems]
        with numerical_breakdown(self.name):
            outs = run_em(
                np.stack([p.y for p in problems]),
                factors,
                KronPrior.stack(prior, len(problems)),
                rule,
                prune_ratios=self.prune_ratios(prior, problems[0], settings),
                prune_abs=settings.prune_abs,
                tol=settings.tol,
                max_iter=settings.max_iter,
                noise_var=None if known[0] is None else np.array(known, dtype=float),
            )
        return [
            self.result(p, settings, s, out, out.prior, rule.for_problem(b))
            for b, (p, s, out) in enumerate(zip(problems, scales, outs))
        ]

    @staticmethod
    def loop_noise_var(problem: Problem, settings: SolverSettings) -> float | None:
        """The ``σ²`` the loop runs with: the given one, ``None`` (learn it) or ``0`` for
        ``noiseless`` settings (ValueError if a ``noise_var`` is given with them)."""
        if not settings.noiseless:
            return problem.noise_var
        if problem.noise_var is not None:
            raise ValueError("noiseless settings use the σ² → 0 limit: pass noise_var=None")
        return 0.0

    @staticmethod
    def prune_ratios(
        prior: KronPrior | FlatPrior, problem: Problem, settings: SolverSettings
    ) -> tuple[float, ...] | None:
        """``prune_ratio`` per factor of a structured prior (one for a flat one), or ``None``."""
        if settings.prune_ratio is None:
            return None
        return settings.per_factor("prune_ratio", problem.n_factors if prior.structured else 1)

    def result(
        self,
        problem: Problem,
        settings: SolverSettings,
        scale: float,
        out: EMOutput,
        prior: KronPrior | FlatPrior,
        rule: Any,
    ) -> Result:
        """The :class:`Result` of a run of the (normalised by ``scale``) ``problem``, back in
        the units of ``y``."""
        power = scale**2
        gammas = None
        if isinstance(prior, KronPrior):
            gammas = prior.full_gammas()
            gammas[-1] *= power
        return Result(
            x=out.mean * scale,
            method=self.name,
            support=prior.support(),
            n_iter=out.n_iter,
            converged=out.converged,
            noise_var=out.noise_var * power,
            noise_learned=problem.noise_var is None and not settings.noiseless,
            time_s=out.time_s,
            x_var=out.var * power,
            gamma=self.prior_variances(prior, rule) * power,
            gammas=gammas,
            cost=out.cost + problem.y.shape[0] * np.log(power),
            mean_history=[m * scale for m in out.mean_history],
            settings=settings,
            details=self.details(rule, power),
        )


@contextmanager
def numerical_breakdown(name: str) -> Iterator[None]:
    """Turn a failed factorisation, an overflow or a division by zero inside method ``name``
    into the :class:`FloatingPointError` every solver raises for it."""
    try:
        yield
    except (np.linalg.LinAlgError, ZeroDivisionError, OverflowError) as err:
        raise FloatingPointError(
            f"{name} broke down numerically ({type(err).__name__}: {err}); {RESCALE_HINT}"
        ) from err
