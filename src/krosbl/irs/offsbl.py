"""offSBL (He & Joseph, arXiv:2412.00310): per-factor EM-SBL with in-cell grid refinement.

The authors' off-grid IRS channel estimator, as a baseline: a rank-one split of the
measurements into an IRS, an MS and a BS factor, then one sparse Bayesian learning problem per
factor whose largest peaks move inside their grid cells at every EM iteration. It is written
from the paper and from the description of the authors' code (GitHub
``YanbinHe/JournalDecomOffGrid``, ``3_channel_estimation``) in the README of its reference runs,
``tests/data/offsbl/README.md``; the choices that reproduce their numbers (the cell bounds, the
search layout, the gains of each factor) are the authors' and are stated where they are made.
On the observations of those runs it reproduces the authors' angles and channels trial by trial
to rounding-level differences (tests/test_offsbl.py; docs/scripts/measure_offsbl_fixtures.py).

Differences from the authors' code, none of which changes a result on their runs:

* the E-step solves with a Cholesky factor of ``Σ_y`` and the measurement-space formulas
  (``μ = ΓAᴴΣ_y⁻¹y``); the authors invert ``Σ_y`` and form the whole ``N × N`` ``Σ_x``;
* ``σ²`` is kept above ``10⁻¹⁰·‖y‖²/M`` so that noise-free data do not make ``Σ_y`` singular;
* peaks of ``γ`` are strict interior local maxima (MATLAB's ``findpeaks`` also reports the
  first point of a flat top, which floating-point ``γ`` does not have);
* :attr:`OffSBLEstimate.seconds` times the whole solve, the authors time the EM loops only.

Angle conventions: the IRS factor is searched over the authors' ``u = θ_a − θ_d`` (arrival
minus departure, their ``AoIRS``), in which their grid ``linspace(−1, 1 − 2/G, G)`` is
defined; krosbl's :class:`~krosbl.irs.Paths` use ``δ = θ_d − θ_a = −u``
(:meth:`OffSBLEstimate.paths` converts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from krosbl.decomposition import rank_one_split
from krosbl.irs.arrays import array_response, grid_angles, wrap_angles
from krosbl.irs.factors import pattern_atoms, pilot_atoms
from krosbl.irs.paths import Paths
from krosbl.linespectral import AtomFunction
from krosbl.validation import check_array, check_int, check_real

__all__ = [
    "OffSBLEstimate",
    "OffSBLFactor",
    "midpoint_grid",
    "offsbl_estimate",
    "offsbl_fit",
]

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


def midpoint_grid(size: int) -> NDArray[np.float64]:
    """Return the mid-points of ``size`` equal sub-intervals of ``[−1, 1]``.

    Parameters
    ----------
    size : int
        Number of sub-intervals (at least 1).

    Returns
    -------
    ndarray of float64, shape (size,)
        ``−1 + (2i + 1)/size``, ``i = 0 … size − 1`` (the authors' MS and BS grids).
    """
    size = check_int("size", size, minimum=1)
    return grid_angles(size) + 1.0 / size


@dataclass(frozen=True)
class OffSBLFactor:
    """offSBL's solution of one 1-D problem ``ỹ ≈ A(θ) x``.

    Attributes
    ----------
    grid : ndarray of float64, shape (N,)
        The refined grid ``θ`` (the starting grid with the refined peaks moved).
    weights : ndarray of complex128, shape (N,)
        The gains ``x`` of the grid atoms (the posterior mean, or least squares on the kept
        atoms, see :func:`offsbl_fit`).
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
    """Minimise ``f(θ) = Re(t a(θ)) + c‖a(θ)‖²`` over ``[lo, hi]`` by 10 points + 9 halvings.

    The first round evaluates the centres of 10 equal sub-intervals; each further round
    evaluates the two points half-way between the best point and the ends of its
    sub-interval, which halves the sub-interval. Returns the best angle and its atom.
    """

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
    """Indices kept when angles closer than ``_MERGE_DISTANCE`` are merged (largest ``γ``).

    Clusters are formed in grid order: each point not yet in a cluster opens one with every
    point within the distance of it (the authors' rule).
    """
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
        ``atoms(θ)`` for angles of shape ``(P,)`` returns the columns ``a(θ_p)``, shape
        ``(M, P)``.
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
    EM-SBL with learned noise (Tipping 2001; the E- and M-steps of arXiv:2412.00310, Sec. III)
    on the dictionary ``A = [a(θ_1) … a(θ_N)]``, started at ``γ = 1`` and
    ``σ² = 0.1·var(y)`` (sample variance, ``N − 1`` normalisation). One iteration:

    1. E-step: ``Σ_y = σ²I + AΓAᴴ``, ``μ = ΓAᴴΣ_y⁻¹y``,
       ``Σ_x = Γ − ΓAᴴΣ_y⁻¹AΓ`` (only its diagonal ``d`` and the block of the peaks are
       formed);
    2. ``γ ← d + |μ|²``;
    3. grid refinement: ``P`` = the ``n_peaks`` largest interior local maxima of ``γ``.
       With ``S = μ_P μ_Pᴴ + Σ_{x,PP}``, its diagonal ``s`` and ``S̊ = S − diag(s)``, each
       peak ``j ∈ P`` in turn (largest first, the other columns at their latest values) moves
       to the minimiser over its cell of the part of
       ``E‖y − A(θ)x‖²/2`` that depends on ``θ_j``,
       ``f_j(θ) = Re((S̊[j, :] A_Pᴴ − μ_j yᴴ) a(θ)) + (s_j/2)‖a(θ)‖²``
       (the refinement step of arXiv:2412.00310; couplings to columns outside ``P`` are
       dropped). The cell is half-way to the neighbouring grid points (to ``∓1`` at the
       ends), fixed before the sweeps; the search evaluates the centres of 10 equal
       sub-intervals, then 9 times the two points half-way to the ends of the best one's
       sub-interval, a resolution of ``cell/(20·2⁹)``. Sweeps repeat while the grid moves by
       more than ``sweep_tol``, at most ``max_sweeps`` times;
    4. ``σ² ← (‖y − A_new μ‖² + σ²_old Σ_j (1 − d_j/γ_old,j)) / M``, the EM noise update
       with the refined dictionary;
    5. stop when ``‖γ − γ_old‖/‖γ_old‖ < tol`` or after ``max_iter`` iterations.

    ``σ²`` is kept at or above ``10⁻¹⁰·‖y‖²/M`` (at the start and after every update), which
    the authors' code does not do: without noise ``σ²`` falls to rounding and ``Σ_y``
    becomes singular. It never binds on noisy data (the reference runs at 20 dB stay orders
    of magnitude above it).

    The reported angles are the grid points of the ``n_paths`` largest ``γ``; with
    ``gains="mean"`` the weights are the last E-step's ``μ``, computed before that
    iteration's refinement moved the grid (as in the authors' code).
    """
    y = check_array(y, "y").astype(np.complex128).reshape(-1)
    grid = np.array(check_array(grid, "grid"), dtype=np.float64).reshape(-1)
    n_paths = check_int("n_paths", n_paths, minimum=1)
    n_peaks = check_int("n_peaks", n_peaks, minimum=1)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    max_sweeps = check_int("max_sweeps", max_sweeps, minimum=1)
    tol = check_real("tol", tol, low=0.0, open_low=True)
    sweep_tol = check_real("sweep_tol", sweep_tol, low=0.0)
    if gains not in ("mean", "least_squares"):
        raise ValueError(f"gains must be 'mean' or 'least_squares', got {gains!r}")
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
    m = y.size
    gamma = np.ones(grid.size)
    floor = _NOISE_FLOOR * float(np.vdot(y, y).real) / m
    noise_var = max(0.1 * float(np.var(y) * m / (m - 1)), floor)
    converged = False
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        gamma_old = gamma
        cov_y = noise_var * np.eye(m) + (A * gamma) @ A.conj().T
        chol = scipy.linalg.cho_factor(cov_y, lower=True)
        w = scipy.linalg.cho_solve(chol, np.column_stack([y, A]))
        mu = gamma * (A.conj().T @ w[:, 0])
        d = gamma - gamma**2 * np.einsum("mn,mn->n", A.conj(), w[:, 1:]).real
        gamma = d + np.abs(mu) ** 2

        peaks = _top_peaks(gamma, n_peaks)
        if peaks.size:
            a_p = A[:, peaks]
            g_p = gamma_old[peaks]
            cov_pp = np.diag(g_p) - np.outer(g_p, g_p) * (a_p.conj().T @ w[:, 1:][:, peaks])
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

        dof = float(np.sum(1.0 - d / gamma_old))
        noise_var = (float(np.linalg.norm(y - A @ mu) ** 2) + noise_var * dof) / m
        noise_var = max(noise_var, floor)
        if np.linalg.norm(gamma - gamma_old) / np.linalg.norm(gamma_old) < tol:
            converged = True
            break

    weights = mu
    if gains == "least_squares":
        merged = _merge_close(grid, gamma)
        keep = merged[gamma[merged] > _KEEP_RATIO * gamma[merged].max()]
        weights = np.zeros(grid.size, dtype=np.complex128)
        weights[keep] = np.linalg.lstsq(A[:, keep], y, rcond=None)[0]
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


def _irs_atoms(patterns: NDArray, u: NDArray[np.float64]) -> NDArray[np.complex128]:
    """The authors' IRS atoms ``Ψᵀ a_L(u)/√L`` at ``u = θ_a − θ_d`` (krosbl's ``δ = −u``)."""
    return pattern_atoms(patterns, -u)


class _PatternAtoms:
    """:func:`_irs_atoms` for fixed patterns, with ``Ψᵀ/L`` formed once.

    The in-cell search evaluates a few thousand atoms per solve, two to ten at a time, so
    the per-call checks and copies of :func:`~krosbl.irs.pattern_atoms` would dominate.
    """

    def __init__(self, patterns: NDArray) -> None:
        self.psi_t = np.ascontiguousarray(patterns.T) / patterns.shape[0]
        self.phase = np.pi * np.arange(patterns.shape[0])

    def __call__(self, u: NDArray[np.float64]) -> NDArray[np.complex128]:
        return self.psi_t @ np.exp(1j * np.multiply.outer(self.phase, u))


@dataclass(frozen=True)
class OffSBLEstimate:
    """offSBL's estimate of an IRS-MIMO cascaded channel.

    Attributes
    ----------
    irs, ms, bs : OffSBLFactor
        The three factors: IRS over ``u = θ_a − θ_d`` (the authors' convention), MS departure
        ``φ``, BS arrival ``β``.
    n_ms, n_bs : int
        MS and BS antennas ``N_m``, ``N_b``.
    seconds : float
        Wall time of the whole solve (split, three fits).
    """

    irs: OffSBLFactor
    ms: OffSBLFactor
    bs: OffSBLFactor
    n_ms: int
    n_bs: int
    seconds: float

    def channels(self, patterns: ArrayLike) -> NDArray[np.complex128]:
        """Return the channel estimate ``Ĥ_k`` for any IRS patterns.

        Parameters
        ----------
        patterns : array_like, shape (L, K)
            IRS patterns (training or fresh; real or complex).

        Returns
        -------
        ndarray of complex128, shape (K, N_b, N_m)
            ``Ĥ_k[b, n] = (F(Ψ) x_1)[k] · (A_{N_b}(β) x_3)[b] · (conj(A_{N_m}(φ)) x_2)[n]``
            over the refined grids and all their weights, as the authors rebuild it.
        """
        psi = check_array(patterns, "patterns")
        if psi.ndim != 2:
            raise ValueError(f"patterns must have shape (L, K), got {psi.shape}")
        irs = _irs_atoms(psi, self.irs.grid) @ self.irs.weights
        ms = array_response(self.n_ms, self.ms.grid).conj() @ self.ms.weights
        bs = array_response(self.n_bs, self.bs.grid) @ self.bs.weights
        return np.einsum("k,b,n->kbn", irs, bs, ms)

    def paths(self) -> Paths:
        """Return the paths of the reported angles: every (IRS, MS, BS) combination.

        Returns
        -------
        Paths
            ``P_1·P_2·P_3`` paths, IRS angles in krosbl's ``δ = θ_d − θ_a``, gains the
            products of the three factors' weights at the reported angles.
        """
        fits = (self.irs, self.ms, self.bs)
        idx = [np.searchsorted(f.grid, f.angles) for f in fits]
        grids = np.meshgrid(*idx, indexing="ij")
        i1, i2, i3 = (g.ravel() for g in grids)
        return Paths(
            irs=wrap_angles(-self.irs.grid[i1]),
            ms=self.ms.grid[i2],
            bs=self.bs.grid[i3],
            gains=self.irs.weights[i1] * self.ms.weights[i2] * self.bs.weights[i3],
        )


def offsbl_estimate(
    y: ArrayLike,
    patterns: ArrayLike,
    pilots: ArrayLike,
    n_bs: int,
    *,
    n_paths: Sequence[int] = (3, 1, 1),
    n_peaks: Sequence[int] = (5, 1, 1),
    grid_sizes: Sequence[int] = (180, 50, 50),
    max_iter: int = 200,
    tol: float = 1e-4,
) -> OffSBLEstimate:
    """Estimate an IRS-MIMO cascaded channel with offSBL (He & Joseph, arXiv:2412.00310).

    Parameters
    ----------
    y : array_like of complex, shape (K2, K1, N_b) or (K2·K1·N_b,)
        Measurements in krosbl's layout, ``Y[k, t, b] = (H_k X)[b, t] + n`` (C order). The
        authors' ``y`` (MATLAB column-major ``[BS, pilot, pattern]``) converts with
        ``y.reshape(N_b, K1, K2, order="F").transpose(2, 1, 0)``.
    patterns : array_like, shape (L, K2)
        IRS patterns ``Ψ`` (real or complex, any scaling).
    pilots : array_like, shape (N_m, K1)
        Pilot matrix ``X``.
    n_bs : int
        BS antennas ``N_b``.
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
    OffSBLEstimate
        The three factors and :meth:`OffSBLEstimate.channels` for any patterns.

    Raises
    ------
    ValueError
        Shapes that do not match (``y`` against ``(K2, K1, N_b)`` from ``patterns``,
        ``pilots`` and ``n_bs``), NaN or inf, or bad settings.

    Notes
    -----
    ``y`` reshaped to ``(K2, K1, N_b)`` is split into rank-one factors
    ``ŷ_1 ∘ ŷ_2 ∘ ŷ_3`` by two sequential rank-one SVDs
    (:func:`krosbl.decomposition.rank_one_split`; the authors' ``decompose``: the same
    unfoldings, ``ŷ_1`` and ``ŷ_2`` unit-norm, ``ŷ_3`` the scale, phases that differ only by
    factors that cancel in the product and to which each fit is equivariant). Then
    :func:`offsbl_fit` per factor:

    * IRS: ``ŷ_1 ≈ [Ψᵀ a_L(u)/√L] x_1`` over ``u = θ_a − θ_d``, gains the posterior mean;
    * MS: ``ŷ_2 ≈ [Xᵀ conj(a_{N_m}(φ))] x_2``, gains the posterior mean;
    * BS: ``ŷ_3 ≈ [a_{N_b}(β)] x_3``, gains least squares on the kept atoms (the authors'
      choice for this factor only).

    The channel is ``vec Ĥ_k`` rebuilt from the three refined dictionaries and all their
    weights (:meth:`OffSBLEstimate.channels`).
    """
    psi = check_array(patterns, "patterns")
    x = check_array(pilots, "pilots")
    n_bs = check_int("n_bs", n_bs, minimum=1)
    if psi.ndim != 2:
        raise ValueError(f"patterns must have shape (L, K2), got {psi.shape}")
    if x.ndim != 2:
        raise ValueError(f"pilots must have shape (N_m, K1), got {x.shape}")
    shape = (psi.shape[1], x.shape[1], n_bs)
    arr = check_array(y, "y")
    if (
        arr.size != int(np.prod(shape))
        or arr.ndim not in (1, 3)
        or (arr.ndim == 3 and arr.shape != shape)
    ):
        raise ValueError(
            f"y must have shape (K2, K1, N_b) = {shape} from patterns, pilots and n_bs "
            f"(or be flat with {int(np.prod(shape))} entries), got {arr.shape}"
        )
    settings = {}
    for name, value in (("n_paths", n_paths), ("n_peaks", n_peaks), ("grid_sizes", grid_sizes)):
        values = tuple(value)
        if len(values) != 3:
            raise ValueError(f"{name} must have 3 entries (IRS, MS, BS), got {value!r}")
        settings[name] = [check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(values)]
    start = time.perf_counter()
    split = rank_one_split(arr, shape)
    grids = [
        grid_angles(settings["grid_sizes"][0]),
        midpoint_grid(settings["grid_sizes"][1]),
        midpoint_grid(settings["grid_sizes"][2]),
    ]
    atoms: list[Callable[[NDArray[np.float64]], NDArray[np.complex128]]] = [
        _PatternAtoms(psi),
        partial(pilot_atoms, x),
        partial(array_response, n_bs),
    ]
    gains: tuple[Gains, Gains, Gains] = ("mean", "mean", "least_squares")
    fits = [
        offsbl_fit(
            split.factors[i],
            atoms[i],
            grids[i],
            n_paths=settings["n_paths"][i],
            n_peaks=settings["n_peaks"][i],
            gains=gains[i],
            max_iter=max_iter,
            tol=tol,
        )
        for i in range(3)
    ]
    return OffSBLEstimate(
        irs=fits[0],
        ms=fits[1],
        bs=fits[2],
        n_ms=x.shape[0],
        n_bs=n_bs,
        seconds=time.perf_counter() - start,
    )
