"""offSBL (He & Joseph, arXiv:2412.00310): per-factor EM-SBL with in-cell grid refinement.

The authors' off-grid IRS channel estimator, as a baseline: a rank-one split into IRS, MS and
BS factors, then one SBL per factor whose largest peaks move inside their grid cells at every EM
iteration. It reproduces the angles and channels of the authors' code (GitHub
``YanbinHe/JournalDecomOffGrid``, ``3_channel_estimation``; ``tests/data/offsbl/README.md``)
on their reference runs to rounding. Differences, none changing a result on their runs:

* the E-step solves with a Cholesky factor of ``Σ_y`` and the measurement-space formulas
  (``μ = ΓAᴴΣ_y⁻¹y``); the authors invert ``Σ_y`` and form the whole ``N × N`` ``Σ_x``;
* ``σ²`` is kept above ``10⁻¹⁰·‖y‖²/M`` so that noise-free data do not make ``Σ_y`` singular;
* peaks of ``γ`` are strict interior local maxima (``findpeaks`` also reports flat tops);
* ``result.time_s`` times the whole solve, the authors time the EM loops only.

The IRS factor is searched over the authors' ``u = θ_a − θ_d`` (their ``AoIRS``, grid
``linspace(−1, 1 − 2/G, G)``); :class:`~krosbl.irs.Paths` use ``δ = θ_d − θ_a = −u``
(:meth:`OffSBLFit.paths` converts).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from krosbl.api import Result
from krosbl.decomposition import rank_one_split
from krosbl.irs.arrays import array_response, grid_angles, wrap_angles
from krosbl.irs.channel_estimate import Estimate, Observed, check_observed
from krosbl.irs.factors import pattern_atoms, pilot_atoms
from krosbl.irs.paths import Paths
from krosbl.linespectral import AtomFunction, least_squares_gains
from krosbl.validation import check_array, check_int, check_real

__all__ = ["PATH_WEIGHT_RATIO", "OffSBLFactor", "OffSBLFit", "offsbl_estimate", "offsbl_fit"]

Gains = Literal["mean", "least_squares"]

#: Smallest noise variance, relative to ``‖y‖²/M``: keeps ``Σ_y`` invertible without noise.
_NOISE_FLOOR = 1e-10
#: Evenly spaced candidates of the first round of the in-cell search.
_SEARCH_POINTS = 10
#: Rounds that halve the search step around the best candidate.
_HALVING_ROUNDS = 9
#: Two refined angles closer than this are one (the BS factor's least-squares gains).
_MERGE_DISTANCE = 5e-3
#: Columns with ``γ_j`` below this fraction of the largest get no least-squares gain.
_KEEP_RATIO = 1e-2
#: The paths of an estimate: the combinations of grid atoms whose gain is at least this
#: fraction of the largest (:meth:`OffSBLFit.paths`).
PATH_WEIGHT_RATIO = 1e-6


@dataclass(frozen=True)
class OffSBLFactor:
    """offSBL's solution of one 1-D problem ``ỹ ≈ A(θ) x``.

    Attributes
    ----------
    grid : ndarray of float64, shape (N,)
        The refined grid ``θ`` (the starting grid with the refined peaks moved).
    weights : ndarray of complex128, shape (N,)
        The gains ``x`` of the grid atoms (see ``gains`` of :func:`offsbl_fit`).
    gamma : ndarray of float64, shape (N,)
        The learned prior variances ``γ``.
    angles : ndarray of float64, shape (P,)
        The ``P`` angles of the largest ``γ``, sorted ascending.
    noise_var : float
        The learned noise variance of this factor.
    iterations : int
        EM iterations run.
    converged : bool
        Whether ``‖γ − γ_old‖/‖γ_old‖`` fell below ``tol`` before ``max_iter``.
    """

    grid: NDArray[np.float64]
    weights: NDArray[np.complex128]
    gamma: NDArray[np.float64]
    angles: NDArray[np.float64]
    noise_var: float
    iterations: int
    converged: bool


def _top_peaks(gamma: NDArray[np.float64], count: int) -> NDArray[np.intp]:
    """Indices of the ``count`` largest strict interior local maxima, largest first."""
    inner = np.flatnonzero((gamma[1:-1] > gamma[:-2]) & (gamma[1:-1] > gamma[2:])) + 1
    order = np.argsort(-gamma[inner], kind="stable")
    return inner[order[:count]]


def _cell_bounds(grid: NDArray[np.float64], j: int) -> tuple[float, float]:
    """The cell of grid point ``j``: half-way to its neighbours (to ``∓1`` at the ends)."""
    lo = -1.0 if j == 0 else grid[j - 1]
    hi = 1.0 if j == grid.size - 1 else grid[j + 1]
    return (lo + grid[j]) / 2, (hi + grid[j]) / 2


def _search_cell(
    atoms: AtomFunction, lo: float, hi: float, t: NDArray, half_power: float
) -> tuple[float, NDArray]:
    """Minimise ``f(θ) = Re(t a(θ)) + c‖a(θ)‖²`` over ``[lo, hi]`` (the search of step 3 of
    :func:`offsbl_fit`); the best angle and its atom."""

    def best(cands: NDArray[np.float64]) -> tuple[float, NDArray]:
        a = atoms(cands)
        f = (t @ a).real + half_power * np.sum(np.abs(a) ** 2, axis=0)
        k = int(np.argmin(f))
        return float(cands[k]), a[:, k]

    step = (hi - lo) / (2 * _SEARCH_POINTS)
    theta, a = best(np.linspace(lo + step, hi - step, _SEARCH_POINTS))
    for _ in range(_HALVING_ROUNDS):
        step /= 2
        theta, a = best(np.array([theta - step, theta + step]))
    return theta, a


def _merge_close(grid: NDArray[np.float64], gamma: NDArray[np.float64]) -> NDArray[np.intp]:
    """Indices kept when angles closer than ``_MERGE_DISTANCE`` are merged (largest ``γ``):
    each point not yet in a cluster, in grid order, opens one with every point that close."""
    label = np.full(grid.size, -1)
    count = 0
    for i in range(grid.size):
        if label[i] < 0:
            label[np.abs(grid - grid[i]) < _MERGE_DISTANCE] = count
            count += 1
    members = [np.flatnonzero(label == c) for c in range(count)]
    return np.sort([m[np.argmax(gamma[m])] for m in members])


def offsbl_fit(
    y: ArrayLike,
    atoms: AtomFunction,
    grid: ArrayLike,
    *,
    n_paths: int,
    n_peaks: int,
    gains: Gains = "mean",
    max_iter: int = 200,
    tol: float = 1e-4,
    max_sweeps: int = 9,
    sweep_tol: float = 1e-4,
) -> OffSBLFactor:
    """Solve one 1-D off-grid problem ``y ≈ A(θ) x`` with offSBL.

    Parameters
    ----------
    y : array_like of complex, shape (M,)
        Measurements.
    atoms : callable
        ``atoms(θ)``: the columns ``a(θ_p)``, shape ``(M, P)``, for ``θ`` of shape ``(P,)``.
    grid : array_like of float, shape (N,)
        Starting grid, ascending in ``[−1, 1)`` (at least 3 points).
    n_paths : int
        Number of angles reported (the largest ``γ``).
    n_peaks : int
        Number of peaks of ``γ`` refined at each iteration.
    gains : {"mean", "least_squares"}
        ``"mean"``: the posterior mean of the last E-step; ``"least_squares"``: merge refined
        angles closer than ``5·10⁻³`` (keep the one of largest ``γ``), then least squares on
        the atoms with ``γ_j > 10⁻²·max γ`` (the authors use it for the BS factor).
    max_iter : int
        Maximum EM iterations.
    tol : float
        Stop when ``‖γ − γ_old‖/‖γ_old‖ < tol``.
    max_sweeps : int
        Maximum sweeps of the in-cell search over the refined peaks per iteration.
    sweep_tol : float
        Stop the sweeps when the grid moved by less than this (Euclidean norm).

    Returns
    -------
    OffSBLFactor

    Raises
    ------
    ValueError
        ``y`` not a non-empty finite vector, ``grid`` not ascending, finite, in ``[−1, 1]``
        with at least 3 points, ``atoms`` returning the wrong shape, or a bad setting.

    Notes
    -----
    EM-SBL with learned noise (Tipping 2001; arXiv:2412.00310, Sec. III) on
    ``A = [a(θ_1) … a(θ_N)]``, from ``γ = 1`` and ``σ² = 0.1·var(y)`` (``N − 1``
    normalisation). One iteration:

    1. E-step: ``Σ_y = σ²I + AΓAᴴ``, ``μ = ΓAᴴΣ_y⁻¹y``, ``Σ_x = Γ − ΓAᴴΣ_y⁻¹AΓ`` (only its
       diagonal ``d`` and the block of the peaks);
    2. ``γ ← d + |μ|²``;
    3. grid refinement: ``P`` = the ``n_peaks`` largest interior local maxima of ``γ``.
       With ``S = μ_P μ_Pᴴ + Σ_{x,PP}``, its diagonal ``s`` and ``S̊ = S − diag(s)``, each
       peak ``j ∈ P`` in turn (largest first) moves to the minimiser over its cell of the part
       of ``E‖y − A(θ)x‖²/2`` that depends on ``θ_j`` (couplings outside ``P`` dropped),
       ``f_j(θ) = Re((S̊[j, :] A_Pᴴ − μ_j yᴴ) a(θ)) + (s_j/2)‖a(θ)‖²``. The cell reaches
       half-way to the neighbours (``∓1`` at the ends); the search takes the centres of 10
       sub-intervals, then 9 halvings, a resolution of ``cell/(20·2⁹)``. Sweeps repeat while
       the grid moves by more than ``sweep_tol``, at most ``max_sweeps`` times;
    4. ``σ² ← (‖y − A_new μ‖² + σ²_old Σ_j (1 − d_j/γ_old,j)) / M``, at least
       ``10⁻¹⁰·‖y‖²/M`` (not in the authors' code, never binding on their runs);
    5. stop when ``‖γ − γ_old‖/‖γ_old‖ < tol`` or after ``max_iter`` iterations.

    The angles are the grid points of the ``n_paths`` largest ``γ``; ``gains="mean"`` gives
    the last E-step's ``μ``, from before that iteration's refinement (as the authors do).
    """
    n_paths = check_int("n_paths", n_paths, minimum=1)
    y, grid, A = _fit_problem(y, atoms, grid, n_paths)
    n_peaks = check_int("n_peaks", n_peaks, minimum=1)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    tol = check_real("tol", tol, low=0.0, open_low=True)
    if gains not in ("mean", "least_squares"):
        raise ValueError(f"gains must be 'mean' or 'least_squares', got {gains!r}")
    refine = partial(
        _refine_peaks,
        atoms,
        y,
        max_sweeps=check_int("max_sweeps", max_sweeps, minimum=1),
        sweep_tol=check_real("sweep_tol", sweep_tol, low=0.0),
    )
    m = y.size
    gamma = np.ones(grid.size)
    floor = _NOISE_FLOOR * float(np.vdot(y, y).real) / m
    noise_var = max(0.1 * float(np.var(y) * m / (m - 1)), floor)
    converged = False
    iterations = 0
    while iterations < max_iter and not converged:
        iterations += 1
        gamma_old = gamma
        mu, d, solved = _e_step(y, A, gamma, noise_var)
        gamma = d + np.abs(mu) ** 2
        refine(grid, A, _top_peaks(gamma, n_peaks), mu, gamma_old, solved)
        dof = float(np.sum(1.0 - d / gamma_old))
        noise_var = (float(np.linalg.norm(y - A @ mu) ** 2) + noise_var * dof) / m
        noise_var = max(noise_var, floor)
        converged = bool(np.linalg.norm(gamma - gamma_old) / np.linalg.norm(gamma_old) < tol)
    weights = mu if gains == "mean" else _least_squares_weights(y, A, grid, gamma)
    top = np.argsort(-gamma, kind="stable")[:n_paths]
    return OffSBLFactor(
        grid=grid,
        weights=weights,
        gamma=gamma,
        angles=np.sort(grid[top]),
        noise_var=noise_var,
        iterations=iterations,
        converged=converged,
    )


def _fit_problem(
    y: ArrayLike, atoms: AtomFunction, grid: ArrayLike, n_paths: int
) -> tuple[NDArray[np.complex128], NDArray[np.float64], NDArray[np.complex128]]:
    """The checked ``y`` and ``grid`` (a copy, refined in place) and the dictionary ``A``."""
    y = check_array(y, "y").astype(np.complex128).reshape(-1)
    grid = np.array(check_array(grid, "grid"), dtype=np.float64).reshape(-1)
    if y.size < 2:
        raise ValueError(f"y must have at least 2 entries, got {y.size}")
    if grid.size < 3 or np.any(np.diff(grid) <= 0) or grid[0] < -1 or grid[-1] > 1:
        raise ValueError("grid must be ascending in [-1, 1] with at least 3 points")
    if n_paths > grid.size:
        raise ValueError(f"n_paths ({n_paths}) exceeds the grid size ({grid.size})")
    A = np.asarray(atoms(grid), dtype=np.complex128)
    if A.shape != (y.size, grid.size):
        raise ValueError(
            f"atoms(grid) must have shape (len(y), len(grid)) = {(y.size, grid.size)}, "
            f"got {A.shape}"
        )
    return y, grid, A


def _e_step(
    y: NDArray[np.complex128], A: NDArray[np.complex128], gamma: NDArray, noise_var: float
) -> tuple[NDArray[np.complex128], NDArray[np.float64], NDArray[np.complex128]]:
    """The posterior mean ``μ``, the diagonal ``d`` of ``Σ_x`` and ``Σ_y⁻¹ [y, A]``."""
    cov_y = noise_var * np.eye(y.size) + (A * gamma) @ A.conj().T
    solved = scipy.linalg.cho_solve(
        scipy.linalg.cho_factor(cov_y, lower=True), np.column_stack([y, A])
    )
    mu = gamma * (A.conj().T @ solved[:, 0])
    d = gamma - gamma**2 * np.einsum("mn,mn->n", A.conj(), solved[:, 1:]).real
    return mu, d, solved


def _refine_peaks(
    atoms: AtomFunction,
    y: NDArray[np.complex128],
    grid: NDArray[np.float64],
    A: NDArray[np.complex128],
    peaks: NDArray[np.intp],
    mu: NDArray[np.complex128],
    gamma_old: NDArray[np.float64],
    solved: NDArray[np.complex128],
    *,
    max_sweeps: int,
    sweep_tol: float,
) -> None:
    """Move each peak's grid point inside its cell (step 3 of :func:`offsbl_fit`), in place
    in ``grid`` and ``A``; ``solved`` is the E-step's ``Σ_y⁻¹ [y, A]``."""
    if not peaks.size:
        return
    a_p = A[:, peaks]
    g_p = gamma_old[peaks]
    cov_pp = np.diag(g_p) - np.outer(g_p, g_p) * (a_p.conj().T @ solved[:, 1:][:, peaks])
    s = np.outer(mu[peaks], mu[peaks].conj()) + cov_pp
    s_diag = s.diagonal().real.copy()
    s_off = s - np.diag(s_diag)
    mu_y = np.outer(mu[peaks], y.conj())
    cells = [_cell_bounds(grid, int(j)) for j in peaks]
    for _ in range(max_sweeps):
        before = grid.copy()
        for p, j in enumerate(peaks):
            t = s_off[p] @ a_p.conj().T - mu_y[p]
            grid[j], a_p[:, p] = _search_cell(atoms, *cells[p], t, s_diag[p] / 2)
        A[:, peaks] = a_p
        if np.linalg.norm(grid - before) <= sweep_tol:
            break


def _least_squares_weights(
    y: NDArray[np.complex128],
    A: NDArray[np.complex128],
    grid: NDArray[np.float64],
    gamma: NDArray[np.float64],
) -> NDArray[np.complex128]:
    """Least squares on the merged atoms with ``γ_j > 10⁻²·max γ``, zero elsewhere."""
    merged = _merge_close(grid, gamma)
    keep = merged[gamma[merged] > _KEEP_RATIO * gamma[merged].max()]
    weights = np.zeros(grid.size, dtype=np.complex128)
    weights[keep] = least_squares_gains(y, A[:, keep])
    return weights


@dataclass(frozen=True)
class OffSBLFit:
    """offSBL's three per-factor fits of an IRS-MIMO cascaded channel.

    Attributes
    ----------
    irs, ms, bs : OffSBLFactor
        The three factors: IRS over ``u = θ_a − θ_d`` (the authors' convention), MS departure
        ``φ``, BS arrival ``β``.
    n_ms, n_bs : int
        MS and BS antennas ``N_m``, ``N_b``.
    """

    irs: OffSBLFactor
    ms: OffSBLFactor
    bs: OffSBLFactor
    n_ms: int
    n_bs: int

    def channels(self, patterns: ArrayLike) -> NDArray[np.complex128]:
        """Return the channel estimate ``Ĥ_k`` for any IRS patterns, as the authors rebuild it.

        Parameters
        ----------
        patterns : array_like, shape (L, K)
            IRS patterns (training or fresh; real or complex).

        Returns
        -------
        ndarray of complex128, shape (K, N_b, N_m)
            ``Ĥ_k[b, n] = (F(Ψ) x_1)[k] · (A_{N_b}(β) x_3)[b] · (conj(A_{N_m}(φ)) x_2)[n]``
            over the refined grids (``F(Ψ)``: :func:`~krosbl.irs.pattern_atoms` at ``δ = −u``).
        """
        irs = pattern_atoms(patterns, -self.irs.grid) @ self.irs.weights
        ms = array_response(self.n_ms, self.ms.grid).conj() @ self.ms.weights
        bs = array_response(self.n_bs, self.bs.grid) @ self.bs.weights
        return np.einsum("k,b,n->kbn", irs, bs, ms)

    def paths(self, ratio: float | None = None) -> Paths:
        """Return (IRS, MS, BS) combinations of the factors' grid atoms as paths.

        Parameters
        ----------
        ratio : float, optional
            ``None`` (the default): every combination of the reported angles
            (``P_1·P_2·P_3`` paths); a number: every combination of grid atoms whose gain has
            ``|g| >= ratio·max |g|`` (``0``: all ``N_1·N_2·N_3``, which give :meth:`channels`
            exactly).

        Returns
        -------
        Paths
            IRS angles in krosbl's ``δ = θ_d − θ_a``, gains the products of the three factors'
            weights.
        """
        fits = (self.irs, self.ms, self.bs)
        if ratio is None:
            idx = [np.searchsorted(f.grid, f.angles) for f in fits]
        else:
            idx = [np.arange(f.grid.size) for f in fits]
        i1, i2, i3 = (g.ravel() for g in np.meshgrid(*idx, indexing="ij"))
        gains = self.irs.weights[i1] * self.ms.weights[i2] * self.bs.weights[i3]
        if ratio is not None:
            keep = abs(gains) >= check_real("ratio", ratio, low=0.0) * abs(gains).max()
            i1, i2, i3, gains = i1[keep], i2[keep], i3[keep], gains[keep]
        return Paths(-self.irs.grid[i1], self.ms.grid[i2], self.bs.grid[i3], gains)


def _settings(**values: Sequence[int]) -> list[tuple[int, ...]]:
    """The checked per-factor settings, one tuple of the named values per factor."""
    checked = []
    for name, value in values.items():
        entries = tuple(value)
        if len(entries) != 3:
            raise ValueError(f"{name} must have 3 entries (IRS, MS, BS), got {value!r}")
        checked.append([check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(entries)])
    return list(zip(*checked))


def _midpoints(size: int) -> NDArray[np.float64]:
    """The mid-points ``−1 + (2i + 1)/size`` of ``size`` equal sub-intervals of ``[−1, 1]``."""
    return grid_angles(size) + 1.0 / size


def _fit_factors(
    obs: Observed, settings: list[tuple[int, ...]], max_iter: int, tol: float
) -> OffSBLFit:
    """The rank-one split of ``obs.y`` and one :func:`offsbl_fit` per factor."""
    system = obs.system
    split = rank_one_split(obs.y, system.measurement_shape)
    problems: list[tuple[AtomFunction, NDArray[np.float64], Gains]] = [
        (lambda u: pattern_atoms(system.patterns, -u), grid_angles(settings[0][2]), "mean"),
        (partial(pilot_atoms, system.pilots), _midpoints(settings[1][2]), "mean"),
        (partial(array_response, system.n_bs), _midpoints(settings[2][2]), "least_squares"),
    ]
    irs, ms, bs = (
        offsbl_fit(
            part, atoms, grid, n_paths=paths, n_peaks=peaks, gains=gains, max_iter=max_iter, tol=tol
        )
        for part, (atoms, grid, gains), (paths, peaks, _) in zip(split.factors, problems, settings)
    )
    return OffSBLFit(irs, ms, bs, system.n_ms, system.n_bs)


def offsbl_estimate(
    obs: Observed,
    *,
    n_paths: Sequence[int] = (3, 1, 1),
    n_peaks: Sequence[int] = (5, 1, 1),
    grid_sizes: Sequence[int] = (180, 50, 50),
    max_iter: int = 200,
    tol: float = 1e-4,
) -> Estimate:
    """Estimate an IRS-MIMO cascaded channel with offSBL (He & Joseph, arXiv:2412.00310).

    Parameters
    ----------
    obs : Measurement or Observation
        A measurement of any :class:`~krosbl.irs.System`, or a simulated observation; its
        noise variance is not used (offSBL learns one per factor). The authors' ``y``
        (column-major ``[BS, pilot, pattern]``) is
        ``y.reshape(N_b, K1, K2, order="F").transpose(2, 1, 0)`` in krosbl's layout.
    n_paths : sequence of 3 int
        Angles reported per factor (IRS, MS, BS); the authors' system has ``(3, 1, 1)``.
    n_peaks : sequence of 3 int
        Peaks of ``γ`` refined per iteration in each factor (the authors: 5, 1, 1).
    grid_sizes : sequence of 3 int
        Starting grids: IRS ``linspace(−1, 1 − 2/G, G)``, MS and BS the mid-points of ``G``
        equal sub-intervals of ``[−1, 1]`` (the authors: 180, 50, 50).
    max_iter : int
        Maximum EM iterations per factor.
    tol : float
        Relative change of ``γ`` that stops a factor's EM.

    Returns
    -------
    Estimate
        ``H`` the authors' rebuild on the training patterns (:meth:`OffSBLFit.channels`);
        ``z = None``; ``paths`` the combinations of grid atoms with a gain of at least
        :data:`PATH_WEIGHT_RATIO` of the largest (:meth:`OffSBLFit.paths`; their channels
        match ``H`` closely). ``result``: ``x`` the path gains, ``method="offsbl"``, ``n_iter``
        summed over the factors, ``converged`` of every factor, ``noise_var`` the BS factor's
        (it carries the scale of ``y``; not an estimate of ``σ²`` to rely on); ``details``:
        ``"factor_angles"`` (IRS ones as ``δ = θ_d − θ_a``), ``"fit"`` (the
        :class:`OffSBLFit`), ``"top_paths"`` (of the reported angles only).

    Raises
    ------
    TypeError
        If ``obs`` is neither a :class:`~krosbl.irs.Measurement` nor an
        :class:`~krosbl.irs.Observation`.
    ValueError
        If ``n_paths``, ``n_peaks`` or ``grid_sizes`` does not hold three positive integers,
        or another setting is out of range.

    Notes
    -----
    ``y`` reshaped to ``(K2, K1, N_b)`` is split into ``ŷ_1 ∘ ŷ_2 ∘ ŷ_3`` by two sequential
    rank-one SVDs (:func:`krosbl.decomposition.rank_one_split`, as the authors' ``decompose``
    to phases that cancel), then :func:`offsbl_fit` per factor:

    * IRS: ``ŷ_1 ≈ [Ψᵀ a_L(u)/√L] x_1`` over ``u = θ_a − θ_d``, gains the posterior mean;
    * MS: ``ŷ_2 ≈ [Xᵀ conj(a_{N_m}(φ))] x_2``, gains the posterior mean;
    * BS: ``ŷ_3 ≈ [a_{N_b}(β)] x_3``, gains least squares on the kept atoms (the authors'
      choice for this factor only).

    Examples
    --------
    >>> from krosbl import irs
    >>> from krosbl.irs.offsbl_scenario import OffSBLScenario
    >>> trial = OffSBLScenario(n_irs=64).trial(rng=0)
    >>> est = irs.estimate(trial.observe(20.0, rng=1), "offsbl")
    >>> est.z is None, est.H.shape, bool(irs.channel_nmse(est.H, trial.H) < 1e-3)
    (True, (40, 16, 6), True)
    """
    obs = check_observed(obs)
    settings = _settings(n_paths=n_paths, n_peaks=n_peaks, grid_sizes=grid_sizes)
    start = time.perf_counter()
    fit = _fit_factors(obs, settings, max_iter, tol)
    paths = fit.paths(PATH_WEIGHT_RATIO)
    elapsed = time.perf_counter() - start
    factors = (fit.irs, fit.ms, fit.bs)
    result = Result(
        x=paths.gains,
        method="offsbl",
        support=np.arange(len(paths)),
        n_iter=sum(f.iterations for f in factors),
        converged=all(f.converged for f in factors),
        noise_var=fit.bs.noise_var,
        noise_learned=True,
        time_s=elapsed,
        message="rank-one split, then per-factor EM-SBL with in-cell grid refinement",
        details={
            "factor_angles": [np.sort(wrap_angles(-fit.irs.angles)), fit.ms.angles, fit.bs.angles],
            "fit": fit,
            "top_paths": fit.paths(),
        },
    )
    H = fit.channels(obs.system.patterns)
    return Estimate(H=H, z=None, result=result, observation=obs, paths=paths)
