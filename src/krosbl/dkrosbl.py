"""Decomposition-based Kronecker SBL (dKroSBL): a rank-one split of ``y``, then one SBL per factor.

For a rank-one unknown ``x = x_1 ⊗ … ⊗ x_I`` the noise-free measurement is rank one,
``y = (A_1 x_1) ⊗ … ⊗ (A_I x_I)``; :func:`solve_dkrosbl` splits it, fits each factor by a
small classic SBL (:func:`krosbl.em.run_em`) and multiplies the factor estimates back together,
optionally refined by a Kronecker SBL rule on the full problem.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .decomposition import RankOneSplit, rank_one_split
from .em import EMOutput, UpdateRule, run_em
from .operators import Kron, kron_vector
from .priors import FlatPrior, KronPrior, product_support
from .tasks import Tasks
from .updates import ClassicUpdate

__all__ = [
    "NOISE_FLOOR",
    "DKroSBLFit",
    "solve_dkrosbl",
    "solve_dkrosbl_batch",
    "solve_dkrosbl_joint",
]

#: Relative floor on every learned noise variance: ``σ² ≥ NOISE_FLOOR · ‖v‖²/len(v)`` for the
#: data ``v`` it is learned on (keeps ``Σ_y`` invertible on noise-free data).
NOISE_FLOOR = 1e-10


@dataclass(frozen=True, eq=False)
class DKroSBLFit:
    """Outcome of one dKroSBL solve.

    Attributes
    ----------
    x : ndarray
        Estimate, flat, ``numpy.kron`` order, zeros outside ``support``.
    x_var : ndarray
        Posterior marginal variance, zero outside ``support``: ``Π_i (v_i + |μ_i|²) − Π_i |μ_i|²``
        over the Kronecker index (factor posterior means ``μ_i``, variances ``v_i``, in the
        units of ``x``); after a refinement, that of its Kronecker posterior.
    support : ndarray of int
        Flat indices of the kept entries: the product of the factors' kept sets, ascending.
    gammas : list of ndarray
        Factor hyperparameters scaled back to the units of ``x`` (full length ``N_i``, zeros
        at pruned entries); after a refinement, the refined factors.
    noise_var : float
        The given ``σ²``, or the learned one (``σ̂²`` of the split, or of the refinement).
    noise_learned : bool
        Whether ``σ²`` was estimated.
    n_iter : list of int
        EM iterations of each factor's SBL.
    converged : bool
        Whether every factor SBL met its tolerance (the refinement's is in ``details``).
    time_s : float
        Wall-clock time of the solve (split, factor SBLs, refinement).
    details : dict
        ``residual_fraction`` (``‖T − r‖²/‖T‖²``), ``residual_sq``, ``split_noise_var`` (``σ̂²``,
        computed even when ``σ²`` is given), ``factor_iterations``, ``factor_converged``,
        ``factor_noise_var`` (in the units of ``ỹ_i``), ``factor_scales`` (``c_i``),
        ``factor_estimates`` (``x̂_i`` in the units of ``x``: ``x = ⊗ x̂_i`` before a
        refinement), ``rank_one_warning``; after a refinement ``refine_iterations``,
        ``refine_converged``.
    message : str
        A note on anything unusual (all-zero ``y``, the rank-one warning).
    """

    x: NDArray
    x_var: NDArray
    support: NDArray
    gammas: list[NDArray]
    noise_var: float | None
    noise_learned: bool
    n_iter: list[int]
    converged: bool
    time_s: float
    details: dict[str, Any] = field(default_factory=dict)
    message: str = ""


def _split_noise_var(split: RankOneSplit, out_shape: tuple[int, ...]) -> float:
    """``σ̂² = ‖T − r‖² / (M − (Σ M_i − I + 1))`` (the rank-one model's degrees of freedom)."""
    dof = math.prod(out_shape) - (sum(out_shape) - len(out_shape) + 1)
    return split.residual_sq / max(dof, 1)


@dataclass(frozen=True)
class _FactorFit:
    mean: NDArray
    gamma: NDArray
    keep: NDArray
    scale: float
    em: EMOutput


@dataclass(frozen=True)
class _Balanced:
    """A factor's data ``ỹ_i = c_i ŷ_i`` with the start and floor of its SBL (step 3)."""

    y: NDArray
    scale: float
    gamma0: float
    noise_var: float
    noise_floor: float


def _balance(y_i: NDArray, a_i: NDArray, noise_var_i: float) -> _Balanced:
    m_i = len(y_i)
    scale = math.sqrt(m_i) / float(np.linalg.norm(y_i))
    balanced = scale * y_i
    column_power = float(np.mean(np.sum(np.abs(a_i) ** 2, axis=0)))
    gamma0 = float(np.mean(np.abs(balanced) ** 2)) / column_power
    floor = NOISE_FLOOR * float(np.vdot(balanced, balanced).real) / m_i
    return _Balanced(balanced, scale, gamma0, noise_var_i, floor)


def _em_options(prune_ratio: float | None, tol: float, max_iter: int) -> dict[str, Any]:
    """The EM options of every factor SBL: relative pruning only, learned noise."""
    ratios = None if prune_ratio is None else (prune_ratio,)
    return {"prune_ratios": ratios, "prune_abs": 0.0, "tol": tol, "max_iter": max_iter}


def _factor_sbl(
    data: _Balanced, a_i: NDArray, prune_ratio: float | None, tol: float, max_iter: int
) -> _FactorFit:
    """Classic SBL with learned noise on the balanced factor ``(ỹ_i, A_i)``."""
    prior = FlatPrior(np.full(a_i.shape[1], data.gamma0))
    (out,) = run_em(
        data.y,
        a_i,
        prior,
        ClassicUpdate(),
        **_em_options(prune_ratio, tol, max_iter),
        noise_var=None,
        init_noise_var=data.noise_var,
        noise_floor=data.noise_floor,
    )
    return _FactorFit(out.mean, prior.embedded(), prior.support(), data.scale, out)


def _factor_sbls(
    data: Sequence[_Balanced],
    a_i: Sequence[NDArray],
    prune_ratio: float | None,
    tol: float,
    max_iter: int,
) -> list[_FactorFit]:
    """:func:`_factor_sbl` of one factor of many problems, stepped together (classic SBL as a
    one-factor prior); ``a_i``: one dictionary per problem (repeated when shared)."""
    if all(a is a_i[0] for a in a_i):
        a_i = a_i[:1]
    n = a_i[0].shape[1]
    gammas = np.array([np.full(n, d.gamma0) for d in data])
    outs = run_em(
        np.array([d.y for d in data]),
        [np.stack(a_i)],
        KronPrior([gammas], stacked=True, strict=True),
        ClassicUpdate(),
        **_em_options(prune_ratio, tol, max_iter),
        noise_var=None,
        init_noise_var=np.array([d.noise_var for d in data]),
        noise_floor=np.array([d.noise_floor for d in data]),
    )
    return [
        _FactorFit(out.mean, out.prior.embedded(), out.prior.support(), d.scale, out)
        for d, out in zip(data, outs)
    ]


@dataclass(frozen=True)
class _Refinement:
    """Step 6's options: a maker of a fresh M-step rule (``None``: none), the iteration cap,
    and the pruning ratio and tolerance shared with the factor SBLs."""

    rule: Callable[[], UpdateRule] | None
    n_iter: int
    prune_ratio: float | None
    tol: float

    @property
    def active(self) -> bool:
        """Whether the refinement runs."""
        return self.rule is not None and self.n_iter > 0


def solve_dkrosbl(
    y: NDArray,
    op: Kron,
    noise_var: float | None = None,
    *,
    prune_ratio: float | None = 1e-3,
    tol: float = 1e-4,
    max_iter: int = 150,
    hooi_sweeps: int = 0,
    refine_rule: Callable[[], UpdateRule] | None = None,
    refine_iter: int = 10,
) -> DKroSBLFit:
    """Recover a rank-one ``x = x_1 ⊗ … ⊗ x_I`` from ``y = (A_1 ⊗ … ⊗ A_I) x + n`` by dKroSBL.

    Parameters
    ----------
    y : ndarray, shape (M,)
        Measurements, real or complex, finite and not all zero (checked by
        :func:`krosbl.recover`, the public entry point: ``method="dkrosbl"``).
    op : Kron
        The dictionary ``A_1 ⊗ … ⊗ A_I`` (``I ≥ 2``).
    noise_var : float or None
        Known noise variance ``σ² > 0``; ``None`` estimates it from the rank-one residual.
    prune_ratio : float or None
        Relative pruning threshold of each factor SBL and the refinement; ``None``: none.
    tol : float
        Tolerance on the relative change of each factor's ``γ`` (the refinement's ``⊗γ_i``).
    max_iter : int
        Iteration cap of each factor SBL.
    hooi_sweeps : int
        Alternating rank-one refinement sweeps of the split
        (:func:`~krosbl.decomposition.rank_one_split`).
    refine_rule : callable or None
        ``refine_rule()``: a fresh Kronecker SBL M-step rule (e.g.
        ``get_method("svd-krosbl").rule(settings)``), run on the full problem from the factor
        estimates (for an ``x`` not exactly rank one). ``None``: no refinement.
    refine_iter : int
        Iteration cap of the refinement (``0``: none; the refinement also stops at ``tol``).

    Returns
    -------
    DKroSBLFit
        The estimate, its support, factor hyperparameters, ``σ²`` and diagnostics.

    Raises
    ------
    FloatingPointError
        A factor SBL left floating point.

    Warns
    -----
    RuntimeWarning
        ``σ²`` is known and ``‖T − r‖² > 2σ²M``: ``y`` does not look rank one.

    Notes
    -----
    1. *Split.* ``T = y.reshape(M_1, …, M_I)`` is approximated by ``r = ŷ_1 ∘ … ∘ ŷ_I``
       (sequential SVD, optional alternating sweeps); ``ŷ_i ∝ A_i x_i`` without noise.
    2. *Noise.* ``σ̂² = ‖T − r‖² / (M − (Σ_i M_i − I + 1))``, or the known ``σ²``.
    3. *Balance.* ``c_i = √M_i / ‖ŷ_i‖``, ``ỹ_i = c_i ŷ_i``; the factor SBL starts from
       ``σ²_{i,0} = σ̂² M_i / ‖r‖²`` and ``γ_{i,0} = mean|ỹ_i|² / mean_j ‖a_{i,j}‖²`` for every
       column, which makes the start independent of the units of ``y`` and ``A_i``.
    4. *Factor SBL* on ``(ỹ_i, A_i)``, classic EM with learned noise:
       ``Σ_y = σ²I + A_iΓA_iᴴ``, ``μ = ΓA_iᴴΣ_y⁻¹ỹ_i``, ``d_j = γ_j − γ_j² a_jᴴΣ_y⁻¹a_j``,
       ``γ ← d + |μ|²``, ``σ² ← (‖ỹ_i − A_iμ‖² + σ²_old Σ_j(1 − d_j/γ_j,old))/M_i`` with
       ``σ² ≥ 10⁻¹⁰‖ỹ_i‖²/M_i``; columns with ``γ_j < r·max γ`` are pruned; stop when the
       relative change of ``γ`` is below ``tol``. The final ``μ`` is from a last E-step.
    5. *Output.* ``x̂ = (μ_1 ⊗ … ⊗ μ_I) / Π c_i``; the support is the product of the kept
       sets; ``γ_i`` is returned as ``γ_i / c_i²``.
    6. *Refinement* (optional). ``refine_iter`` EM iterations of ``refine_rule()`` on
       ``(y, A)`` from ``γ_i = |x̂_i|²`` (pruned entries stay pruned), with the known ``σ²`` or
       a learned one started at ``σ̂²``.

    No Kronecker product is formed: two small SVDs and ``I`` SBLs of size ``M_i × N_i``.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Decomposition-based Kronecker sparse Bayesian learning",
       SPAWC 2024, arXiv:2310.07869.
    .. [2] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse vector
       recovery with application to IRS-MIMO channel estimation", IEEE Trans. Signal
       Process., 2024, arXiv:2307.14719.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl import Kron
    >>> from krosbl.dkrosbl import solve_dkrosbl
    >>> rng = np.random.default_rng(0)
    >>> A1, A2 = rng.standard_normal((8, 12)), rng.standard_normal((9, 12))
    >>> x = np.kron(np.eye(12)[3], 2.0 * np.eye(12)[7])
    >>> fit = solve_dkrosbl(np.kron(A1, A2) @ x, Kron([A1, A2]))
    >>> fit.support.tolist(), bool(np.allclose(fit.x, x))
    ([43], True)
    """
    start = perf_counter()
    stage = _split(y, op, noise_var, hooi_sweeps)
    fits = [
        _factor_sbl(data, a_i, prune_ratio, tol, int(max_iter))
        for data, a_i in zip(stage.balanced, op.factors)
    ]
    refinement = _Refinement(refine_rule, int(refine_iter), prune_ratio, tol)
    return _assemble(stage, op, fits, refinement, perf_counter() - start)


def solve_dkrosbl_batch(
    Y: Sequence[NDArray],
    ops: Sequence[Kron],
    noise_vars: Sequence[float | None],
    *,
    prune_ratio: float | None = 1e-3,
    tol: float = 1e-4,
    max_iter: int = 150,
    hooi_sweeps: int = 0,
    refine_rule: Callable[[], UpdateRule] | None = None,
    refine_iter: int = 10,
) -> list[DKroSBLFit]:
    """:func:`solve_dkrosbl` of many problems, factor ``i`` of all of them as one batched EM.

    Parameters
    ----------
    Y : sequence of ndarray
        The measurements of each problem.
    ops : sequence of Kron
        One dictionary per problem, of one shape (the same object repeated when shared).
    noise_vars : sequence of float or None
        Each problem's known ``σ²``, or ``None``.
    prune_ratio, tol, max_iter, hooi_sweeps, refine_rule, refine_iter
        As :func:`solve_dkrosbl`, shared.

    Returns
    -------
    list of DKroSBLFit
        :func:`solve_dkrosbl` of each problem (to rounding); ``time_s`` its share.
    """
    start = perf_counter()
    stages = [_split(y, op, nv, hooi_sweeps) for y, op, nv in zip(Y, ops, noise_vars)]
    refinement = _Refinement(refine_rule, int(refine_iter), prune_ratio, tol)
    return _solve_stages(stages, ops, _factor_sbls, refinement, int(max_iter), start)


def _solve_stages(
    stages: Sequence[_Stage],
    ops: Sequence[Kron],
    factor_sbls: Callable[
        [Sequence[_Balanced], Sequence[NDArray], float | None, float, int], list[_FactorFit]
    ],
    refinement: _Refinement,
    max_iter: int,
    start: float,
) -> list[DKroSBLFit]:
    """Steps 4–6 of split problems: ``factor_sbls(data, dictionaries, …)`` fits each factor of
    every problem (together), then each problem is assembled; ``time_s`` is each one's share."""
    fits = [
        factor_sbls(
            [s.balanced[i] for s in stages],
            [op.factors[i] for op in ops],
            refinement.prune_ratio,
            refinement.tol,
            max_iter,
        )
        for i in range(ops[0].n_factors)
    ]
    share = (perf_counter() - start) / len(stages)
    return [
        _assemble(stage, op, [f[b] for f in fits], refinement, share)
        for b, (stage, op) in enumerate(zip(stages, ops))
    ]


def solve_dkrosbl_joint(
    Y: NDArray,
    ops: Sequence[Kron],
    noise_var: float | None,
    *,
    prune_ratio: float | None = 1e-3,
    tol: float = 1e-4,
    max_iter: int = 150,
    hooi_sweeps: int = 0,
    refine_rule: Callable[[], UpdateRule] | None = None,
    refine_iter: int = 10,
) -> list[DKroSBLFit]:
    """dKroSBL of ``T`` snapshots (or tasks) whose rank-one unknowns share their supports.

    Each column is split and balanced as in :func:`solve_dkrosbl`; factor ``i`` then runs one
    SBL on ``[ỹ_{i,1} … ỹ_{i,T}]`` with one ``γ_i`` (M-SBL for a shared ``A_i``, else
    multi-task, :mod:`krosbl.tasks`), each column weighing alike (``‖ỹ_{i,t}‖ = √M_i``).

    Parameters
    ----------
    Y : ndarray, shape (M, T)
        Column ``t`` is ``y_t = A^{(t)} (x_{1,t} ⊗ … ⊗ x_{I,t}) + n_t``.
    ops : sequence of Kron
        ``A^{(t)}`` of each column, of one shape (one object repeated for snapshots).
    noise_var : float or None
        The known ``σ²`` shared by the columns, or ``None``.
    prune_ratio, tol, max_iter, hooi_sweeps, refine_rule, refine_iter
        As :func:`solve_dkrosbl`, shared.

    Returns
    -------
    list of DKroSBLFit
        One per column: its estimate on the shared support; ``time_s`` its share.
    """
    start = perf_counter()
    stages = [_split(Y[:, t], op, noise_var, hooi_sweeps) for t, op in enumerate(ops)]
    refinement = _Refinement(refine_rule, int(refine_iter), prune_ratio, tol)
    return _solve_stages(stages, ops, _joint_factor_sbl, refinement, int(max_iter), start)


def _joint_factor_sbl(
    data: Sequence[_Balanced],
    a_i: Sequence[NDArray],
    prune_ratio: float | None,
    tol: float,
    max_iter: int,
) -> list[_FactorFit]:
    """Classic SBL with learned noise on one factor's balanced data of every column at once:
    one ``γ``, snapshots of one ``A_i`` or tasks with their own."""
    shared = all(a is a_i[0] or np.array_equal(a, a_i[0]) for a in a_i)
    prior = FlatPrior(np.full(a_i[0].shape[1], float(np.mean([d.gamma0 for d in data]))))
    (out,) = run_em(
        np.column_stack([d.y for d in data]),
        a_i[0] if shared else Tasks(a_i),
        prior,
        ClassicUpdate(),
        **_em_options(prune_ratio, tol, max_iter),
        noise_var=None,
        init_noise_var=float(np.mean([d.noise_var for d in data])),
        noise_floor=float(np.mean([d.noise_floor for d in data])),
    )
    fits = []
    for t, d in enumerate(data):
        var = out.var if out.var.ndim == 1 else out.var[:, t]
        column = replace(out, mean=out.mean[:, t], var=var)
        fits.append(_FactorFit(column.mean, prior.embedded(), prior.support(), d.scale, column))
    return fits


@dataclass(frozen=True)
class _Stage:
    """Steps 1–3 of one problem: the split, ``σ̂²``, the ``σ²`` used and each factor's data."""

    y: NDArray
    split: RankOneSplit
    noise_var: float | None
    split_noise_var: float
    balanced: list[_Balanced]


def _split(y: NDArray, op: Kron, noise_var: float | None, hooi_sweeps: int) -> _Stage:
    y_arr = y.astype(np.result_type(y, op.dtype, np.float64), copy=False)
    split = rank_one_split(y_arr, op.out_shape, hooi_sweeps=int(hooi_sweeps))
    split_sigma2 = _split_noise_var(split, op.out_shape)
    used_sigma2 = split_sigma2 if noise_var is None else noise_var
    scale_sq = float(np.vdot(split.factors[-1], split.factors[-1]).real)  # ‖r‖²
    balanced = [
        _balance(y_i, a_i, used_sigma2 * len(y_i) / scale_sq)
        for y_i, a_i in zip(split.factors, op.factors)
    ]
    return _Stage(y_arr, split, noise_var, split_sigma2, balanced)


@dataclass(frozen=True)
class _Estimate:
    """Step 5's or step 6's estimate: ``x``, its variance, support, factors and ``σ²``."""

    x: NDArray
    x_var: NDArray
    support: NDArray
    gammas: list[NDArray]
    noise_var: float | None


def _assemble(
    stage: _Stage,
    op: Kron,
    fits: list[_FactorFit],
    refinement: _Refinement,
    elapsed: float,
) -> DKroSBLFit:
    """Steps 5–6: the estimate from the factor fits, the rank-one check, the refinement."""
    start = perf_counter()
    estimates = [f.mean / f.scale for f in fits]
    details = _diagnostics(stage, fits, estimates)
    message = _rank_one_check(stage, details)
    if refinement.active:
        estimate = _refined(stage, op, estimates, refinement, details)
    else:
        estimate = _product(stage, op, fits, estimates)
    return DKroSBLFit(
        x=estimate.x,
        x_var=np.maximum(estimate.x_var, 0.0),
        support=estimate.support,
        gammas=estimate.gammas,
        noise_var=estimate.noise_var,
        noise_learned=stage.noise_var is None,
        n_iter=[f.em.n_iter for f in fits],
        converged=all(f.em.converged for f in fits),
        time_s=elapsed + perf_counter() - start,
        details=details,
        message=message,
    )


def _diagnostics(stage: _Stage, fits: list[_FactorFit], estimates: list[NDArray]) -> dict[str, Any]:
    """The split's and the factor SBLs' diagnostics (:attr:`DKroSBLFit.details`)."""
    return {
        "residual_fraction": stage.split.residual_fraction,
        "residual_sq": stage.split.residual_sq,
        "split_noise_var": stage.split_noise_var,
        "factor_iterations": [f.em.n_iter for f in fits],
        "factor_converged": [f.em.converged for f in fits],
        "factor_noise_var": [f.em.noise_var for f in fits],
        "factor_scales": [f.scale for f in fits],
        "factor_estimates": estimates,
        "rank_one_warning": False,
    }


def _rank_one_check(stage: _Stage, details: dict[str, Any]) -> str:
    """With a known ``σ²``, warn (and flag in ``details``) when ``‖T − r‖² > 2σ²M``; returns
    the warning's message, or ``""``."""
    sigma2, m = stage.noise_var, len(stage.y)
    if sigma2 is None or stage.split.residual_sq <= 2 * sigma2 * m:
        return ""
    ratio = stage.split.residual_sq / (sigma2 * m)
    message = (
        f"y does not look rank one: the rank-one residual energy is {ratio:.3g}× the noise "
        "energy σ²M expected of a rank-one x = x_1 ⊗ … ⊗ x_I (threshold 2); the estimate "
        "keeps only the rank-one part, consider refine=True"
    )
    details["rank_one_warning"] = True
    warnings.warn(message, RuntimeWarning, stacklevel=4)
    return message


def _product(
    stage: _Stage, op: Kron, fits: list[_FactorFit], estimates: list[NDArray]
) -> _Estimate:
    """Step 5: ``x̂ = ⊗ x̂_i``, its variance from the independent factor posteriors, the
    product support and the factors back in the units of ``x``."""
    second = [np.abs(e) ** 2 for e in estimates]
    x_var = kron_vector([f.em.var / f.scale**2 + m for f, m in zip(fits, second)])
    return _Estimate(
        x=kron_vector(estimates),
        x_var=x_var - kron_vector(second),
        support=product_support([f.keep for f in fits], op.in_shape),
        gammas=[f.gamma / f.scale**2 for f in fits],
        noise_var=stage.split_noise_var if stage.noise_var is None else stage.noise_var,
    )


def _refined(
    stage: _Stage,
    op: Kron,
    estimates: list[NDArray],
    refinement: _Refinement,
    details: dict[str, Any],
) -> _Estimate:
    """Step 6: ``n_iter`` EM iterations of the refinement's rule from ``γ_i = |x̂_i|²`` (its
    iterations go in ``details``)."""
    assert refinement.rule is not None
    prior = KronPrior([np.abs(e) ** 2 for e in estimates])
    # Entries the factor SBLs pruned (exact zeros) stay pruned.
    prior.prune((0.0,) * op.n_factors, np.finfo(float).tiny)
    ratio, y = refinement.prune_ratio, stage.y
    (em,) = run_em(
        y,
        op,
        prior,
        refinement.rule(),
        prune_ratios=None if ratio is None else (ratio,) * op.n_factors,
        prune_abs=0.0,
        tol=refinement.tol,
        max_iter=refinement.n_iter,
        noise_var=stage.noise_var,
        init_noise_var=stage.split_noise_var,
        noise_floor=NOISE_FLOOR * float(np.vdot(y, y).real) / len(y),
    )
    details["refine_iterations"] = em.n_iter
    details["refine_converged"] = em.converged
    return _Estimate(em.mean, em.var, prior.support(), prior.full_gammas(), em.noise_var)
