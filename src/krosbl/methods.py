"""The registry of recovery methods: name, one-line summary and how each one is built.

An SBL-family method is a prior (its structure and initialisation) plus an M-step rule, both
handed to the shared EM loop; a greedy method is a plain function of :mod:`krosbl.greedy`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .em import UpdateRule
from .operators import Kron
from .priors import FlatPrior, KronPrior, coupling_matrix
from .settings import SolverSettings
from .updates import ClassicUpdate, PCSBLUpdate, SVDUpdate, SweepUpdate

__all__ = ["METHODS", "Method", "methods"]

Builder = Callable[[Kron | NDArray, SolverSettings], tuple[KronPrior | FlatPrior, UpdateRule]]


@dataclass(frozen=True)
class Method:
    """One recovery method.

    Attributes
    ----------
    name : str
        The name accepted by :func:`krosbl.recover`.
    summary : str
        One line describing it.
    kronecker : bool
        Whether it needs the Kronecker factors (a :class:`~krosbl.Kron`).
    build : callable or None
        For SBL-family methods: ``(op, settings) -> (prior, rule)``; ``None`` for greedy ones.
    """

    name: str
    summary: str
    kronecker: bool
    build: Builder | None = None

    @property
    def is_sbl(self) -> bool:
        """Whether the method runs the shared EM loop."""
        return self.build is not None


def _factor_init(op: Kron, settings: SolverSettings) -> list[NDArray]:
    sizes = op.in_shape
    if settings.init == "ones":
        return [np.ones(n) for n in sizes]
    gammas = [np.full(n, n**-0.5) for n in sizes[:-1]]
    gammas.append(np.full(sizes[-1], float(np.prod(np.sqrt(sizes[:-1])))))
    return gammas


def _build_sbl(op: Kron | NDArray, settings: SolverSettings) -> tuple[FlatPrior, ClassicUpdate]:
    return FlatPrior(np.ones(op.shape[1])), ClassicUpdate()


def _build_pcsbl(op: Kron | NDArray, settings: SolverSettings) -> tuple[FlatPrior, PCSBLUpdate]:
    shape = None
    if settings.pc_neighbours == "axes":
        if not isinstance(op, Kron):
            raise ValueError("pc_neighbours='axes' needs a Kron: the axes are its factors'")
        shape = op.in_shape
    rule = PCSBLUpdate(a=settings.pc_a, b=settings.pc_b, eta=settings.pc_eta, shape=shape)
    return FlatPrior(np.ones(op.shape[1])), rule


def _sweep_rule(
    settings: SolverSettings, *, normalise: bool, max_sweeps: int | None
) -> SweepUpdate:
    return SweepUpdate(
        normalise=normalise,
        tol=settings.inner_tol,
        tol_type=settings.inner_tol_type,
        max_sweeps=max_sweeps,
        floor=settings.floor,
    )


def _build_am(op: Kron | NDArray, settings: SolverSettings) -> tuple[KronPrior, SweepUpdate]:
    assert isinstance(op, Kron)
    rule = _sweep_rule(settings, normalise=True, max_sweeps=settings.max_sweeps)
    return KronPrior(_factor_init(op, settings)), rule


def _build_ksbl(op: Kron | NDArray, settings: SolverSettings) -> tuple[KronPrior, SweepUpdate]:
    assert isinstance(op, Kron)
    return KronPrior(_factor_init(op, settings)), _sweep_rule(
        settings, normalise=False, max_sweeps=1
    )


def _build_svd(op: Kron | NDArray, settings: SolverSettings) -> tuple[KronPrior, SVDUpdate]:
    assert isinstance(op, Kron)
    return KronPrior(_factor_init(op, settings)), SVDUpdate()


def _build_pckrosbl(op: Kron | NDArray, settings: SolverSettings) -> tuple[KronPrior, SweepUpdate]:
    assert isinstance(op, Kron)
    n_factors = op.n_factors
    coupled = tuple(range(n_factors)) if settings.coupled is None else settings.coupled
    bad = [i for i in coupled if i >= n_factors]
    if bad:
        raise ValueError(f"setting 'coupled' names factor(s) {bad} but there are {n_factors}")
    betas = settings.beta if isinstance(settings.beta, tuple) else (settings.beta,) * len(coupled)
    if len(betas) != len(coupled):
        raise ValueError(
            f"setting 'beta' has {len(betas)} values for {len(coupled)} coupled factors"
        )
    couplings: list[NDArray | None] = [None] * n_factors
    gammas = _factor_init(op, settings)
    for i, beta in zip(coupled, betas):
        couplings[i] = coupling_matrix(op.in_shape[i], beta)
        gammas[i] = couplings[i] @ gammas[i]
    rule = _sweep_rule(settings, normalise=True, max_sweeps=settings.max_sweeps)
    return KronPrior(gammas, couplings), rule


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("sbl", "classic SBL (EM) with an unstructured prior", False, _build_sbl),
        Method(
            "pc-sbl",
            "pattern-coupled SBL (Fang et al. 2015) on the flat index",
            False,
            _build_pcsbl,
        ),
        Method(
            "am-krosbl", "Kronecker SBL, alternating minimisation over the factors", True, _build_am
        ),
        Method("svd-krosbl", "Kronecker SBL, rank-one SVD M-step", True, _build_svd),
        Method(
            "pc-krosbl", "pattern-coupled AM-KroSBL for block-sparse factors", True, _build_pckrosbl
        ),
        Method(
            "ksbl", "earlier Kronecker SBL: one unnormalised sweep per iteration", True, _build_ksbl
        ),
        Method("kron-omp", "Kronecker OMP (Caiafa & Cichocki 2013)", True),
        Method("omp", "orthogonal matching pursuit on any operator", False),
        Method("oracle-ls", "least squares on a given true support", False),
    )
}


def methods() -> dict[str, str]:
    """All recovery methods with a one-line summary each.

    Returns
    -------
    dict of str to str
        ``{name: summary}`` in a stable order.

    Examples
    --------
    >>> import krosbl
    >>> "svd-krosbl" in krosbl.methods()
    True
    """
    return {name: m.summary for name, m in METHODS.items()}
