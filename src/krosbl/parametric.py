"""Rank-one Kronecker signals whose factors are functions of continuous parameters.

``y ≈ (A_1(θ_1) ⊗ … ⊗ A_I(θ_I)) x`` with ``x = x_1 ⊗ … ⊗ x_I`` and
``A_i(θ_i) = [a_i(θ_{i,1}), …, a_i(θ_{i,P_i})]`` (a ULA, an IRS through its patterns, a
sinusoid, a delay), each factor a :class:`ParametricFactor`; :func:`fit_parametric` estimates
the parameters, off any grid, and gains. Columns of ``y`` share the parameters (snapshots, or
tasks with their own atoms, e.g. fresh IRS patterns per block), each with its own gains.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2

from .decomposition import RankOneSplit, rank_one_split
from .linespectral import (
    DEFAULT_MAX_PATHS,
    AtomFunction,
    LineSpectralFit,
    fit_at,
    fit_line_spectrum,
)
from .operators import kron_vector
from .validation import check_array, check_int, check_real

#: Level of the test that keeps parameters on a factor's lattice.
_LATTICE_LEVEL = 1e-3

__all__ = ["ParametricFactor", "ParametricFit", "fit_parametric", "split_noise_variance"]


@dataclass(frozen=True)
class ParametricFactor:
    """One Kronecker factor known as a function of a real parameter.

    Parameters
    ----------
    atoms : callable or sequence of callable
        ``atoms(θ)``: the columns ``a(θ_p)``, shape ``(M_i, P)``, for ``θ`` of shape ``(P,)``;
        one callable per column of ``y`` when each column has its own atoms.
    candidates : array_like of float
        Candidates of the greedy detection, ascending, evenly spaced, finer than the atoms'
        resolution.
    n_paths : int, optional
        Parameters (paths) to detect in this factor; ``None`` (the default) estimates their
        number (:func:`krosbl.linespectral.path_count_criterion`).
    derivative : callable or sequence of callable, optional
        ``∂a/∂θ`` at the parameters, shape ``(M_i, P)``, for a Gauss-Newton polish.
    dictionary : ndarray or sequence of ndarray, optional
        ``atoms(candidates)`` when it is cheaper to compute otherwise (e.g. by an FFT).
    max_paths : int, default 8
        With ``n_paths=None``, the most paths tried.
    lattice : float, optional
        Spacing ``d`` of a lattice ``dℤ`` the parameters may lie on (e.g. a simulation's grid):
        rounded where the data accept it (:func:`fit_parametric`, Notes).
    """

    atoms: AtomFunction | Sequence[AtomFunction]
    candidates: ArrayLike
    n_paths: int | None = None
    derivative: AtomFunction | Sequence[AtomFunction] | None = None
    dictionary: NDArray | Sequence[NDArray] | None = None
    max_paths: int = DEFAULT_MAX_PATHS
    lattice: float | None = None

    def rows(self) -> int:
        """``M_i``: the length of one atom."""
        first = self.atoms if callable(self.atoms) else next(iter(self.atoms))
        grid = np.asarray(self.candidates, dtype=np.float64).reshape(-1)
        return int(np.asarray(first(grid[:1])).shape[0])


@dataclass(frozen=True)
class ParametricFit:
    """The parameters and gains of a rank-one parametric fit.

    Attributes
    ----------
    parameters : list of ndarray
        Each factor's parameters ``θ_i``, shape ``(P_i,)``, in detection order.
    factor_gains : list of ndarray
        Each factor's gains ``x_i``, shape ``(P_i,)``, or ``(P_i, T)`` for ``T`` columns.
    gains : ndarray
        ``x = x_1 ⊗ … ⊗ x_I`` over every combination of the factors' parameters
        (``numpy.kron`` order), shape ``(Π P_i,)`` or ``(Π P_i, T)``.
    split_residual_fraction : float or list of float
        ``‖T − r‖²/‖T‖²`` of each column's rank-one split (how far ``y`` is from rank one).
    factor_residuals : list of float
        Each factor's line-spectral residual ``‖ŷ_i − A_i(θ_i) x_i‖²``.
    iterations : int
        Cell-search sweeps and Gauss-Newton steps, summed over the factors.
    converged : bool
        Whether every factor's refinement stopped on its tolerance.
    noise_var : float or None
        The noise variance given, or estimated from the splits
        (:func:`split_noise_variance`); ``None`` when neither given nor needed.
    time_s : float
        Wall time of the fit.
    """

    parameters: list[NDArray[np.float64]]
    factor_gains: list[NDArray]
    gains: NDArray
    split_residual_fraction: float | list[float]
    factor_residuals: list[float]
    iterations: int
    converged: bool
    noise_var: float | None
    time_s: float

    def path_parameters(self) -> list[NDArray[np.float64]]:
        """Each factor's parameter of every path (every combination), ``numpy.kron`` order:
        path ``j`` is ``(θ_1[j], …, θ_I[j])`` with gain ``gains[j]``."""
        return [g.ravel() for g in np.meshgrid(*self.parameters, indexing="ij")]


def fit_parametric(
    y: ArrayLike, factors: Sequence[ParametricFactor], noise_var: float | None = None
) -> ParametricFit:
    """Estimate ``y ≈ (A_1(θ_1) ⊗ … ⊗ A_I(θ_I)) (x_1 ⊗ … ⊗ x_I)`` with continuous ``θ_i``.

    Parameters
    ----------
    y : array_like, shape (M,) or (M, T)
        Measurements, real or complex, ``M = Π M_i`` in ``numpy.kron`` order; ``T`` columns
        share the parameters, each with its own gains.
    factors : sequence of ParametricFactor
        The ``I ≥ 2`` factors, first the slowest-varying index of ``y``.
    noise_var : float, optional
        Noise variance per entry of ``y`` (``0``: noiseless); ``None``: estimated
        (:func:`split_noise_variance`) when a factor's number of paths is to be estimated.

    Returns
    -------
    ParametricFit
        Parameters and least-squares gains per factor and of every path.

    Raises
    ------
    ValueError
        Fewer than two factors, atoms whose lengths do not multiply to ``M``, NaN or inf in
        ``y``, an ``n_paths`` below 1 or above the factor's length ``M_i``, a negative
        ``noise_var``, or paths to count without ``noise_var`` and with too few measurements
        to estimate it.

    Notes
    -----
    1. Each column of ``y`` is reshaped to ``(M_1, …, M_I)`` and split into its best rank-one
       approximation ``ŷ_1 ∘ … ∘ ŷ_I`` (:func:`krosbl.decomposition.rank_one_split`), so
       ``ŷ_i ∝ A_i(θ_i) x_i`` without noise.
    2. Each factor's data (all columns) is fitted as a line spectrum
       (:func:`krosbl.linespectral.fit_line_spectrum`). A factor without ``n_paths`` stops at
       the minimum of :func:`krosbl.linespectral.path_count_criterion` with its data's noise
       level: ``σ²`` on the last factor (it carries the scale ``S``), ``σ²/S²`` on the others.
    3. The parameters of factors with a ``lattice`` are rounded to it (gains refitted) for the
       largest subset of those factors the data accept: the residual on ``y`` grows by at most
       ``(σ²/2) χ²_F(1 − 10⁻³)`` for ``F`` rounded parameters (the level-``10⁻³``
       likelihood-ratio test of lattice against free parameters). The test is on ``y``, not on
       one factor's data, which can be a few pilots long.
    4. The gains of the paths are the products ``x_1 ⊗ … ⊗ x_I`` (per column).

    This is the per-factor off-grid estimation of He & Joseph, "Efficient off-grid Bayesian
    parameter estimation for Kronecker-structured signals" (arXiv:2412.00310), with a greedy
    detection and least-squares gains in place of the per-factor SBL.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.parametric import ParametricFactor, fit_parametric
    >>> def ula(n):
    ...     k = np.arange(n)
    ...     return lambda t: np.exp(1j * np.pi * np.outer(k, t)) / np.sqrt(n)
    >>> grid = np.linspace(-1, 1, 256, endpoint=False)
    >>> y = np.kron(ula(16)(np.array([0.3123])), ula(8)(np.array([-0.417]))).ravel() * 2.0
    >>> fit = fit_parametric(y, [ParametricFactor(ula(16), grid), ParametricFactor(ula(8), grid)])
    >>> [round(float(p[0]), 5) for p in fit.parameters], round(abs(complex(fit.gains[0])), 5)
    ([0.3123, -0.417], 2.0)

    Without ``derivative`` the cell search alone resolves each parameter to about
    ``step / 4608`` (:mod:`krosbl.linespectral`); with it, Gauss-Newton reaches rounding.
    """
    start = time.perf_counter()
    factors = list(factors)
    y_arr, shape = _checked(y, factors)
    columns = [y_arr] if y_arr.ndim == 1 else list(y_arr.T)
    splits = [rank_one_split(c, shape) for c in columns]
    if noise_var is not None:
        noise_var = check_real("noise_var", noise_var, low=0.0)
    elif any(f.n_paths is None or f.lattice is not None for f in factors):
        noise_var = split_noise_variance(splits, shape)
    # each factor's data: its split vector of every column (one column for a 1-D y)
    factor_data = [
        splits[0].factors[i] if y_arr.ndim == 1 else np.column_stack([s.factors[i] for s in splits])
        for i in range(len(factors))
    ]
    fits = [
        fit_line_spectrum(
            data,
            f.atoms,
            f.candidates,
            f.n_paths,
            derivative=f.derivative,
            dictionary=f.dictionary,
            max_paths=f.max_paths,
            noise_var=_factor_noise(splits, i, noise_var) if noise_var else None,
        )
        for i, (f, data) in enumerate(zip(factors, factor_data))
    ]
    fits = _on_lattice(columns, factor_data, factors, fits, noise_var)
    if y_arr.ndim == 1:
        gains = kron_vector([f.gains for f in fits])
        fraction: float | list[float] = splits[0].residual_fraction
    else:
        gains = np.column_stack(
            [kron_vector([f.gains[:, t] for f in fits]) for t in range(len(columns))]
        )
        fraction = [s.residual_fraction for s in splits]
    return ParametricFit(
        parameters=[f.angles for f in fits],
        factor_gains=[f.gains for f in fits],
        gains=gains,
        split_residual_fraction=fraction,
        factor_residuals=[f.residual_sq for f in fits],
        iterations=sum(f.sweeps + f.newton_steps for f in fits),
        converged=all(f.converged for f in fits),
        noise_var=noise_var,
        time_s=time.perf_counter() - start,
    )


def _on_lattice(
    columns: list[NDArray],
    factor_data: list[NDArray],
    factors: list[ParametricFactor],
    fits: list[LineSpectralFit],
    noise_var: float | None,
) -> list[LineSpectralFit]:
    """The fits with the parameters of the largest subset of the factors with a lattice that
    the data accept rounded to it (:func:`fit_parametric`, Notes)."""
    rounded: dict[int, LineSpectralFit] = {}
    for i, (f, fit, data) in enumerate(zip(factors, fits, factor_data)):
        if f.lattice is None:
            continue
        theta = np.round(fit.angles / f.lattice) * f.lattice
        if np.unique(theta).size == theta.size:
            rounded[i] = fit_at(data, f.atoms, theta)
    if not rounded or not noise_var:
        return fits

    def residual(trial: list[LineSpectralFit]) -> float:
        return sum(
            float(np.linalg.norm(y - _model(factors, trial, t)) ** 2) for t, y in enumerate(columns)
        )

    free = residual(fits)
    best, best_key = fits, (0, 0.0)
    for chosen in product((False, True), repeat=len(rounded)):
        used = [i for i, use in zip(rounded, chosen) if use]
        fixed = sum(rounded[i].angles.size for i in used)
        if not fixed:
            continue
        trial = [rounded[i] if i in used else fit for i, fit in enumerate(fits)]
        excess = (residual(trial) - free) / noise_var
        if (
            excess <= 0.5 * float(chi2.ppf(1.0 - _LATTICE_LEVEL, fixed))
            and (fixed, -excess) > best_key
        ):
            best, best_key = trial, (fixed, -excess)
    return best


def _model(factors: list[ParametricFactor], fits: list[LineSpectralFit], t: int) -> NDArray:
    """Column ``t`` of the rank-one model ``(A_1 x_1) ⊗ … ⊗ (A_I x_I)``."""
    vectors = []
    for f, fit in zip(factors, fits):
        atoms = f.atoms if callable(f.atoms) else list(f.atoms)[t]
        gains = fit.gains if fit.gains.ndim == 1 else fit.gains[:, t]
        vectors.append(np.asarray(atoms(fit.angles)) @ gains)
    return kron_vector(vectors)


def _checked(y: ArrayLike, factors: list[ParametricFactor]) -> tuple[NDArray, tuple[int, ...]]:
    """``y`` as an array and the factors' lengths, after checking that they fit."""
    if len(factors) < 2:
        raise ValueError(f"fit_parametric needs at least 2 factors, got {len(factors)}")
    y_arr = check_array(np.asarray(y), "y")
    if y_arr.ndim not in (1, 2):
        raise ValueError(f"y must be a vector (M,) or a matrix (M, T), got shape {y_arr.shape}")
    shape = tuple(f.rows() for f in factors)
    if int(np.prod(shape)) != y_arr.shape[0]:
        raise ValueError(
            f"the factors' atoms have lengths {shape}, whose product {int(np.prod(shape))} is "
            f"not the {y_arr.shape[0]} entries of y"
        )
    for i, (f, m) in enumerate(zip(factors, shape)):
        check_int(f"factors[{i}].max_paths", f.max_paths, minimum=1)
        if f.n_paths is not None and check_int(f"factors[{i}].n_paths", f.n_paths, minimum=1) > m:
            raise ValueError(f"factors[{i}].n_paths = {f.n_paths} exceeds its {m} measurements")
    return y_arr, shape


def split_noise_variance(splits: Sequence[RankOneSplit], shape: Sequence[int]) -> float:
    """Estimate the noise variance from the residuals of rank-one splits.

    Parameters
    ----------
    splits : sequence of RankOneSplit
        The splits of the columns of ``y``.
    shape : sequence of int
        ``(M_1, …, M_I)``.

    Returns
    -------
    float
        ``Σ_t ‖T_t − r_t‖² / (T (M − Σ_i M_i + I − 1))``, the residual per degree of freedom
        of a rank-one tensor: unbiased when the noiseless tensor is rank one, larger if not.

    Raises
    ------
    ValueError
        If ``M <= Σ_i M_i − (I − 1)``, the parameters of a rank-one tensor.
    """
    free = int(np.prod(shape)) - sum(shape) + len(shape) - 1
    if free <= 0:
        raise ValueError(
            f"y has {int(np.prod(shape))} entries per column, no more than the "
            f"{sum(shape) - len(shape) + 1} parameters of a rank-one tensor of shape "
            f"{tuple(shape)}: the noise variance cannot be estimated; give noise_var"
        )
    return sum(s.residual_sq for s in splits) / (len(splits) * free)


def _factor_noise(splits: Sequence[RankOneSplit], i: int, noise_var: float) -> float:
    """Factor ``i``'s noise variance (:func:`fit_parametric`, Notes 2), column average."""
    if i == len(splits[0].factors) - 1:
        return noise_var
    scales = [float(np.vdot(s.factors[-1], s.factors[-1]).real) for s in splits]
    return noise_var * float(np.mean([1.0 / max(v, np.finfo(float).tiny) for v in scales]))
