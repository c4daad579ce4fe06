"""Off-grid IRS channel estimation: a rank-one split, then one line-spectral fit per factor."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

import numpy as np
from numpy.typing import NDArray

from krosbl.api import Result
from krosbl.irs.arrays import array_response
from krosbl.irs.channel_estimate import Estimate, Observed, check_observations, check_observed
from krosbl.irs.factors import pattern_atoms, pilot_atoms
from krosbl.irs.paths import Paths
from krosbl.irs.system import System
from krosbl.linespectral import AtomFunction
from krosbl.parametric import ParametricFactor, ParametricFit, fit_parametric
from krosbl.validation import check_int

__all__ = ["OFFGRID_CANDIDATES", "offgrid_estimate", "offgrid_estimate_joint"]

#: Candidate angles per factor for the greedy detection: IRS ``4·L``, MS ``max(64, 8·N_m)``,
#: BS ``max(64, 8·N_b)``, evenly spaced over ``[−1, 1)``.
OFFGRID_CANDIDATES = (4, 8, 8)
_MIN_CANDIDATES = 64


def _candidates(n: int, oversampling: int) -> NDArray[np.float64]:
    count = max(_MIN_CANDIDATES, oversampling * n)
    return np.linspace(-1.0, 1.0, count, endpoint=False)


def _irs_dictionary(patterns: NDArray, count: int) -> NDArray[np.complex128]:
    """``pattern_atoms(patterns, linspace(−1, 1, count, endpoint=False))`` by one FFT.

    With ``δ_c = −1 + 2c/C``, ``e^{−jπδ_cℓ} = (−1)^ℓ e^{−j2πcℓ/C}``, so the atoms are the
    length-``C`` DFT of ``(−1)^ℓ ψ_k[ℓ]`` divided by ``L`` (``C >= L``).
    """
    n_irs = patterns.shape[0]
    signs = np.where(np.arange(n_irs) % 2 == 0, 1.0, -1.0)
    return np.fft.fft(patterns * signs[:, None], n=count, axis=0).T / n_irs


def _factor_atoms(system: System) -> list[tuple[AtomFunction, AtomFunction, int]]:
    """``(atoms, derivative, elements)`` of the IRS, MS and BS factors of a system."""
    atoms = [
        (partial(pattern_atoms, system.patterns), system.n_irs),
        (partial(pilot_atoms, system.pilots), system.n_ms),
        (partial(array_response, system.n_bs), system.n_bs),
    ]
    return [(f, partial(f, derivative=True), n) for f, n in atoms]


def _counts(
    n_paths: Sequence[int | None] | None, oversampling: Sequence[int]
) -> tuple[tuple[int | None, ...], tuple[int, ...]]:
    """The checked path counts (``None``: estimated) and oversampling of the three factors."""
    counts: tuple[int | None, ...] = (None, None, None) if n_paths is None else tuple(n_paths)
    overs = tuple(oversampling)
    for name, values in (("n_paths", counts), ("oversampling", overs)):
        if len(values) != 3:
            raise ValueError(f"{name} must hold 3 entries (IRS, MS, BS), got {values!r}")
    for v in overs:
        check_int("oversampling", v, minimum=1)
    for count in counts:
        if count is not None:
            check_int("n_paths", count, minimum=1)
    return counts, overs


def _factors(
    systems: Sequence[System],
    counts: Sequence[int | None],
    overs: Sequence[int],
    snap_to_grid: bool = False,
) -> list[ParametricFactor]:
    """The IRS-difference, MS and BS parametric factors: one atoms function per system, the IRS
    candidate atoms by FFT; with ``snap_to_grid``, the lattice ``(2/G)ℤ``."""
    per_block = [_factor_atoms(s) for s in systems]
    lattice = 2.0 / systems[0].grid if snap_to_grid else None
    single = len(systems) == 1
    factors = []
    for i, (count, over) in enumerate(zip(counts, overs)):
        grid = _candidates(per_block[0][i][2], over)
        dictionary = None
        if i == 0 and grid.size >= systems[0].n_irs:
            dictionary = [_irs_dictionary(s.patterns, grid.size) for s in systems]
        atoms = [block[i][0] for block in per_block]
        derivative = [block[i][1] for block in per_block]
        factors.append(
            ParametricFactor(
                atoms[0] if single else atoms,
                grid,
                count,
                derivative[0] if single else derivative,
                None if dictionary is None else dictionary[0] if single else dictionary,
                lattice=lattice,
            )
        )
    return factors


def _shared_noise(obs: Sequence[Observed]) -> float | None:
    """The blocks' one noise variance (``None``: learned); an error if they differ."""
    noise = {o.noise_var for o in obs}
    if len(noise) > 1:
        raise ValueError(f"the blocks' noise variances differ ({sorted(map(str, noise))})")
    return noise.pop()


def _estimate(
    obs: Observed, fit: ParametricFit, paths: Paths, time_s: float, message: str
) -> Estimate:
    """The :class:`Estimate` of one observation from its paths (``result.x``: their gains)."""
    fraction = fit.split_residual_fraction
    result = Result(
        x=paths.gains,
        method="offgrid",
        support=np.arange(len(paths)),
        n_iter=fit.iterations,
        converged=fit.converged,
        noise_var=fit.noise_var,
        noise_learned=obs.noise_var is None,
        time_s=time_s,
        message=message,
        details={
            "split_residual_fraction": fraction,
            "factor_angles": fit.parameters,
            "factor_residuals": fit.factor_residuals,
        },
    )
    return Estimate.from_paths(obs, paths, result)


def offgrid_estimate(
    obs: Observed,
    *,
    n_paths: Sequence[int | None] | None = None,
    oversampling: Sequence[int] = OFFGRID_CANDIDATES,
    refit: bool = False,
    snap_to_grid: bool = False,
) -> Estimate:
    """Estimate an IRS channel with continuous angles: rank-one split, per-factor fits.

    Parameters
    ----------
    obs : Measurement or Observation
        A measurement of any :class:`~krosbl.irs.System` (its noise variance known or not), or
        a simulated observation.
    n_paths : sequence of 3 (int or None), optional
        Paths of the IRS-difference, MS and BS factors (``(s, 1, s)`` in the paper's
        scenario); ``None`` (for all, or one factor) estimates the count
        (:func:`krosbl.linespectral.path_count_criterion`).
    oversampling : sequence of 3 int, default (4, 8, 8)
        Candidate angles per element for each factor's greedy detection (at least 64).
    refit : bool, default False
        Refit the ``P_1·P_2·P_3`` path gains jointly by least squares on ``y`` instead of
        keeping the rank-one product ``x_1 ⊗ x_2 ⊗ x_3`` (helps only when the channel is not
        rank one).
    snap_to_grid : bool, default False
        For channels on the system's grid: round each factor's angles to multiples of ``2/G``
        where the data accept it (:func:`krosbl.parametric.fit_parametric`, ``lattice``). Off
        the grid, an offset too small to tell from noise is rounded too, which costs held-out
        accuracy when a factor has few measurements (e.g. three pilots).

    Returns
    -------
    Estimate
        ``z = None``; ``paths`` the continuous paths; ``H`` rebuilt from them; ``result.x`` the
        path gains, ``method="offgrid"``, ``noise_var`` the known ``σ²`` or the split's
        (:func:`krosbl.parametric.split_noise_variance`); ``details`` the split's residual
        fraction and the per-factor angles and residuals.

    Raises
    ------
    TypeError
        If ``obs`` is neither a :class:`~krosbl.irs.Measurement` nor an
        :class:`~krosbl.irs.Observation`.
    ValueError
        If ``n_paths`` or ``oversampling`` does not hold three entries of positive integers
        (``n_paths`` also ``None``), or a count exceeds its factor's length.

    Notes
    -----
    With one MS departure and one IRS departure, ``z = x_1 ⊗ x_2 ⊗ x_3`` over (IRS difference,
    MS, BS) and ``Y_0[k, t, b] = (F1 x_1)_k (F2 x_2)_t (F3 x_3)_b`` are rank one. The estimator

    1. splits ``y`` reshaped to ``(K2, K1, N_b)`` into ``ŷ_1 ⊗ ŷ_2 ⊗ ŷ_3``
       (:func:`krosbl.decomposition.rank_one_split`; He & Joseph, "Decomposition-based
       Kronecker sparse Bayesian learning", arXiv:2310.07869);
    2. fits each factor as a line spectrum of its atoms (:func:`~krosbl.irs.pattern_atoms`,
       :func:`~krosbl.irs.pilot_atoms`, ``a_{N_b}``) with
       :func:`krosbl.linespectral.fit_line_spectrum` (the per-factor refinement of
       arXiv:2412.00310 with least-squares gains);
    3. takes every combination of the factor angles as a path, with the product of the factor
       gains (or, with ``refit``, gains refitted jointly on ``y``).

    The patterns may be complex (continuous phases) and of any scaling.

    Examples
    --------
    >>> from krosbl import irs
    >>> trial = irs.Run(irs.Scenario(off_grid=0.5, n_patterns=40), seed=7).trial(0)
    >>> est = irs.estimate(trial.observe(20.0, rng=1), method="offgrid")
    >>> len(est.paths), bool(irs.heldout_nmse(est, trial, rng=0) < 0.1)
    (9, True)
    """
    obs = check_observed(obs)
    system = obs.system
    counts, overs = _counts(n_paths, oversampling)
    start = time.perf_counter()
    factors = _factors([system], counts, overs, snap_to_grid)
    fit = fit_parametric(obs.y, factors, obs.noise_var)
    irs, ms, bs = fit.path_parameters()
    paths = Paths(irs, ms, bs, fit.gains)
    if refit:
        columns = paths.atoms(system.patterns, system.pilots, system.n_bs)
        gains, *_ = np.linalg.lstsq(columns, obs.y, rcond=None)
        paths = paths.with_gains(gains)
    message = "rank-one split, then a line-spectral fit per factor"
    return _estimate(obs, fit, paths, time.perf_counter() - start, message)


def offgrid_estimate_joint(
    observations: Sequence[Observed],
    *,
    n_paths: Sequence[int | None] | None = None,
    oversampling: Sequence[int] = OFFGRID_CANDIDATES,
    snap_to_grid: bool = False,
) -> list[Estimate]:
    """Estimate several coherence blocks of one IRS channel with shared continuous angles.

    Each block is split as in :func:`offgrid_estimate`; each factor's data of all blocks is
    fitted as one line spectrum with shared angles and per-block gains (the IRS factor as tasks,
    learning from all ``K2·B`` patterns).

    Parameters
    ----------
    observations : sequence of Measurement or Observation
        One per block of one channel (:meth:`krosbl.irs.Run.blocks`), of systems of one shape.
    n_paths, oversampling, snap_to_grid
        As :func:`offgrid_estimate`.

    Returns
    -------
    list of Estimate
        One per block: the shared angles with its gains; ``result.time_s`` its share.

    Raises
    ------
    ValueError
        No observations, or systems of different shapes.
    """
    obs = check_observations(observations)
    systems = [o.system for o in obs]
    shape = (systems[0].n_irs, systems[0].n_ms, systems[0].measurement_shape)
    if any((s.n_irs, s.n_ms, s.measurement_shape) != shape for s in systems):
        raise ValueError("offgrid_estimate_joint takes blocks of systems of one shape")
    counts, overs = _counts(n_paths, oversampling)
    Y = np.column_stack([o.y for o in obs])
    fit = fit_parametric(Y, _factors(systems, counts, overs, snap_to_grid), _shared_noise(obs))
    irs, ms, bs = fit.path_parameters()
    message = "rank-one split per block, then a line-spectral fit per factor over blocks"
    return [
        _estimate(o, fit, Paths(irs, ms, bs, fit.gains[:, b]), fit.time_s / len(obs), message)
        for b, o in enumerate(obs)
    ]
