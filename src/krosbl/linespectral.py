"""Off-grid refinement of one-dimensional line spectra: angles of a parametric dictionary.

For ``y ≈ Σ_p a(θ_p) g_p + n`` with atoms ``a(θ) ∈ 𝔽^M`` of one real parameter (any
``atoms`` callable: a ULA, an IRS response, a sinusoid) and starting angles (e.g. an on-grid
solver's), :func:`refine_angles` moves the angles off the grid and fits least-squares gains.

Two refinements, in this order when both are asked for: a **cell search** (``width``), each
angle in turn searched in the interval of width ``width`` centred on its start (10 points,
then 9 halvings of the step: resolution ``width / (9·2⁹)``), which finds the basin; and
**Gauss-Newton** (``derivative``), Levenberg-Marquardt steps on all angles on the
variable-projection residual ``(I − A A⁺) y`` with the Kaufman Jacobian
``−(I − A A⁺) ∂A/∂θ diag(g)``, which polishes. :func:`fit_line_spectrum` finds the starting
angles itself, greedily on a grid of candidates.

A ``y`` of shape ``(M, T)`` has columns sharing the angles but not the gains (snapshots of one
``atoms``, or tasks with one each); the cost is ``Σ_t min_{g_t} ‖y_t − A_t(θ) g_t‖²``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import gamma

from .validation import check_int

__all__ = [
    "AtomFunction",
    "LineSpectralFit",
    "fit_at",
    "fit_line_spectrum",
    "identifiable_paths",
    "least_squares_gains",
    "path_count_criterion",
    "refine_angles",
]

#: ``atoms(θ)`` for angles of shape ``(P,)`` returns the columns ``a(θ_p)``, shape ``(M, P)``.
AtomFunction = Callable[[NDArray[np.float64]], NDArray]

_SEARCH_POINTS = 10
#: The most paths :func:`fit_line_spectrum` tries when it estimates their number.
DEFAULT_MAX_PATHS = 8
_ROUNDING = 1e-20
_SWEEP_TOL = 1e-4
_FALSE_ALARM = 1e-3
_HALVING_ROUNDS = 9


@dataclass(frozen=True)
class LineSpectralFit:
    """Refined angles and their least-squares gains.

    Attributes
    ----------
    angles : ndarray of float64, shape (P,)
        Refined angles, in the order of the starting angles.
    gains : ndarray, shape (P,) or (P, T)
        Least-squares gains ``A(θ)⁺ y`` at the refined angles (a column per column of ``y``).
    residual_sq : float
        ``‖y − A(θ) g‖²`` (summed over the columns).
    sweeps : int
        Cell-search sweeps run (0 without ``width``).
    newton_steps : int
        Accepted Gauss-Newton steps (0 without ``derivative``).
    converged : bool
        Whether the last refinement stopped on its tolerance rather than its iteration cap.
    """

    angles: NDArray[np.float64]
    gains: NDArray
    residual_sq: float
    sweeps: int
    newton_steps: int
    converged: bool


def least_squares_gains(y: ArrayLike, atoms: NDArray) -> NDArray:
    """Return ``argmin_g ‖y − A g‖₂`` (minimum norm if ``A`` is rank deficient).

    Parameters
    ----------
    y : array_like, shape (M,)
        Measurements.
    atoms : ndarray, shape (M, P)
        Dictionary columns.

    Returns
    -------
    ndarray, shape (P,)
        The gains.
    """
    gains, *_ = np.linalg.lstsq(atoms, np.asarray(y), rcond=None)
    return gains


def _orthonormal(a: NDArray) -> NDArray:
    """Orthonormal basis of the column span of ``a`` (empty for no columns)."""
    if a.shape[1] == 0:
        return a
    q, r = np.linalg.qr(a)
    d = np.abs(np.diag(r))
    keep = d > 1e-12 * max(float(d.max(initial=0.0)), np.finfo(float).tiny)
    return q[:, keep]


def _project_out(q: NDArray, x: NDArray) -> NDArray:
    """``(I − Q Qᴴ) x``."""
    return x - q @ (q.conj().T @ x) if q.shape[1] else x


def _each_once(function: Callable[[Any], NDArray], items: Sequence[Any]) -> list[NDArray]:
    """``[function(x) for x in items]``, computed once per distinct item (by identity): the
    columns of snapshots share one atoms function, and so one matrix."""
    done: dict[int, NDArray] = {}
    for x in items:
        if id(x) not in done:
            done[id(x)] = function(x)
    return [done[id(x)] for x in items]


@dataclass(frozen=True)
class _Columns:
    """The columns of ``y`` with each one's dictionary: ``atoms[t](θ)`` explains ``ys[t]``."""

    ys: list[NDArray]
    atoms: list[AtomFunction]
    derivatives: list[AtomFunction] | None
    stacked: bool  # y was 2-D: gains come back one column per column of y

    def at(self, theta: NDArray[np.float64], derivative: bool = False) -> list[NDArray]:
        """Each column's atoms (or their derivatives) at ``θ``, each function called once."""
        functions = self.derivatives if derivative else self.atoms
        assert functions is not None
        return _each_once(lambda f: np.asarray(f(theta)), functions)

    def residual(self, theta: NDArray[np.float64]) -> tuple[list[NDArray], list[NDArray], float]:
        """Each column's least-squares gains and residual at ``θ``, and the summed cost."""
        matrices = self.at(theta)
        gains = [least_squares_gains(y, a) for y, a in zip(self.ys, matrices)]
        residuals = [y - a @ g for y, a, g in zip(self.ys, matrices, gains)]
        return gains, residuals, sum(float(np.vdot(r, r).real) for r in residuals)

    def gains_out(self, gains: list[NDArray]) -> NDArray:
        return np.column_stack(gains) if self.stacked else gains[0]


def _columns(y: ArrayLike, atoms: Any, derivative: Any) -> _Columns:
    """``y`` (1-D, or 2-D with one column per snapshot or task) and its dictionaries."""
    arr = np.asarray(y)
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise ValueError(f"y must be a non-empty 1-D or 2-D array, got shape {arr.shape}")
    ys = [arr] if arr.ndim == 1 else [arr[:, t] for t in range(arr.shape[1])]

    def per_column(f: Any, name: str) -> list[AtomFunction]:
        if callable(f):
            return [f] * len(ys)
        listed = list(f)
        if len(listed) != len(ys) or not all(callable(g) for g in listed):
            raise ValueError(f"{name} must be a callable or one callable per column of y")
        return listed

    derivatives = None if derivative is None else per_column(derivative, "derivative")
    return _Columns(ys, per_column(atoms, "atoms"), derivatives, arr.ndim == 2)


def _best_in_cell(data: _Columns, others: list[NDArray], lo: float, hi: float) -> float:
    """Angle in ``[lo, hi]`` that best explains every column together with its fixed columns."""
    bases = _each_once(_orthonormal, others)
    rests = [_project_out(q, y) for q, y in zip(bases, data.ys)]

    def score(theta: NDArray[np.float64]) -> NDArray[np.float64]:
        total: NDArray[np.float64] | float = 0.0
        for q, r, a in zip(bases, rests, data.at(theta)):
            b = _project_out(q, a)
            norm = np.sum(np.abs(b) ** 2, axis=0)
            fit = np.abs(b.conj().T @ r) ** 2
            total = total + np.divide(
                fit, norm, out=np.zeros_like(fit, dtype=float), where=norm > 0
            )
        return np.asarray(total)

    grid = np.linspace(lo, hi, _SEARCH_POINTS)
    values = score(grid)
    best = float(grid[np.argmax(values)])
    best_value = float(values.max())
    step = (hi - lo) / (_SEARCH_POINTS - 1)
    for _ in range(_HALVING_ROUNDS):
        step /= 2
        cand = np.clip(np.array([best - step, best + step]), lo, hi)
        v = score(cand)
        k = int(np.argmax(v))
        if v[k] > best_value:
            best, best_value = float(cand[k]), float(v[k])
    return best


def _cell_search(
    data: _Columns,
    start: NDArray[np.float64],
    width: NDArray[np.float64],
    max_sweeps: int,
    tol: float,
) -> tuple[NDArray[np.float64], int, bool]:
    theta = start.copy()
    lo, hi = start - width / 2, start + width / 2
    searched = np.flatnonzero(width > 0)
    if searched.size == 1:
        max_sweeps = 1  # the others are fixed: a second sweep would find the same angle
    for sweep in range(1, max_sweeps + 1):
        moved = 0.0
        for p in searched:
            others = data.at(np.delete(theta, p))
            new = _best_in_cell(data, others, float(lo[p]), float(hi[p]))
            moved = max(moved, abs(new - theta[p]))
            theta[p] = new
        if moved <= tol:
            return theta, sweep, True
    return theta, max_sweeps, False


def _real_rows(x: NDArray) -> NDArray:
    """``x`` with its real and imaginary parts stacked as rows (``x`` itself if real)."""
    return np.concatenate([x.real, x.imag]) if np.iscomplexobj(x) else x


def _gauss_newton(
    data: _Columns,
    start: NDArray[np.float64],
    max_steps: int,
    tol: float,
) -> tuple[NDArray[np.float64], int, bool]:
    assert data.derivatives is not None
    theta = start.copy()
    gains, residuals, cost = data.residual(theta)
    energy = sum(float(np.vdot(y, y).real) for y in data.ys)
    floor = (np.finfo(float).eps * energy) ** 2
    cost_tol = 1e-10  # relative cost decrease of a step below which a noisy fit has converged
    damping = 1e-3
    accepted = 0
    for _ in range(max_steps):
        if cost <= floor:
            return theta, accepted, True
        bases = _each_once(_orthonormal, data.at(theta))
        jacobians = [
            _real_rows(-_project_out(q, d * g))
            for q, d, g in zip(bases, data.at(theta, derivative=True), gains)
        ]
        jr = np.concatenate(jacobians)
        rr = np.concatenate([_real_rows(r) for r in residuals])
        normal, grad = jr.T @ jr, jr.T @ rr
        scale = np.diag(normal).copy()
        scale[scale <= 0] = 1.0
        while damping < 1e12:
            step = -np.linalg.solve(normal + damping * np.diag(scale), grad)
            trial = theta + step
            new_gains, new_residuals, new_cost = data.residual(trial)
            if new_cost < cost:
                decrease = (cost - new_cost) / cost
                theta, gains, residuals, cost = trial, new_gains, new_residuals, new_cost
                damping = max(damping / 10, 1e-12)
                accepted += 1
                break
            damping *= 10
        else:
            return theta, accepted, True  # no descent step left: a minimum to rounding
        if np.max(np.abs(step)) <= tol or decrease <= cost_tol:
            return theta, accepted, True
    return theta, accepted, False


def refine_angles(
    y: ArrayLike,
    atoms: AtomFunction | Sequence[AtomFunction],
    angles: ArrayLike,
    *,
    width: float | ArrayLike | None = None,
    derivative: AtomFunction | Sequence[AtomFunction] | None = None,
    max_sweeps: int = 10,
    sweep_tol: float = _SWEEP_TOL,
    max_newton: int = 50,
    newton_tol: float = 1e-12,
) -> LineSpectralFit:
    """Refine the angles of ``y ≈ Σ_p a(θ_p) g_p`` off the grid and fit their gains.

    Parameters
    ----------
    y : array_like, shape (M,) or (M, T)
        Measurements (real or complex); ``T`` columns share the angles, each with its gains.
    atoms : callable or sequence of callable
        ``atoms(θ)`` with ``θ`` of shape ``(P,)`` returns the columns ``[a(θ_1), …, a(θ_P)]``,
        shape ``(M, P)``; one per column of a 2-D ``y`` when each has its own dictionary.
    angles : array_like of float, shape (P,)
        Starting angles, one per path (``P >= 1``).
    width : float or array_like of float, optional
        Width of the cell search's interval centred on each starting angle (e.g. the grid
        step); ``0`` leaves that angle to Gauss-Newton. ``None``: no cell search.
    derivative : callable or sequence of callable, optional
        ``derivative(θ)`` returns ``[∂a/∂θ(θ_1), …]``, shape ``(M, P)`` (one per column, as
        ``atoms``). ``None``: no Gauss-Newton refinement.
    max_sweeps : int, default 10
        Cell-search sweeps at most.
    sweep_tol : float, default 1e-4
        The cell search stops once no angle moved by more than this in a sweep.
    max_newton : int, default 50
        Gauss-Newton iterations at most.
    newton_tol : float, default 1e-12
        Gauss-Newton stops once no angle moves by more than this, or a step lowers the cost by
        less than a fraction ``1e-12`` of it (a noisy fit).

    Returns
    -------
    LineSpectralFit
        Angles, least-squares gains, residual and counts.

    Raises
    ------
    ValueError
        If neither ``width`` nor ``derivative`` is given, if a width is not positive, if the
        angles are not finite, or if ``atoms`` returns a wrong shape.

    Notes
    -----
    Both decrease ``min_g ‖y − A(θ) g‖²``. The cell search is that of He & Joseph, "Efficient
    off-grid Bayesian parameter estimation for Kronecker-structured signals"
    (arXiv:2412.00310), on ``J_p(θ) = ‖P⊥ y‖² − |b(θ)ᴴ P⊥ y|² / ‖b(θ)‖²`` with ``b = P⊥ a(θ)``,
    ``P⊥`` the projector orthogonal to the other columns. Newton is Levenberg-Marquardt on the
    variable-projection residual (Golub & Pereyra 1973; Kaufman 1975); for ULA atoms
    ``∂a/∂θ = jπn ⊙ a(θ)``.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.linespectral import refine_angles
    >>> n = np.arange(16)
    >>> ula = lambda t: np.exp(1j * np.pi * np.outer(n, t)) / 4
    >>> d_ula = lambda t: 1j * np.pi * n[:, None] * ula(t)
    >>> y = ula(np.array([0.1234, -0.5])) @ np.array([1.0, 0.5j])
    >>> fit = refine_angles(y, ula, [0.11, -0.44], width=1 / 9, derivative=d_ula)
    >>> fit.angles.round(10), bool(np.allclose(fit.gains, [1.0, 0.5j], atol=1e-10))
    (array([ 0.1234, -0.5   ]), True)
    """
    if width is None and derivative is None:
        raise ValueError("give width (cell search), derivative (Gauss-Newton) or both")
    data = _columns(y, atoms, derivative)
    return _refine(data, angles, width, max_sweeps, sweep_tol, max_newton, newton_tol)


def _refine(
    data: _Columns,
    angles: ArrayLike,
    width: float | ArrayLike | None,
    max_sweeps: int = 10,
    sweep_tol: float = _SWEEP_TOL,
    max_newton: int = 50,
    newton_tol: float = 1e-12,
) -> LineSpectralFit:
    """:func:`refine_angles` on checked columns."""
    start = np.array(angles, dtype=np.float64).reshape(-1)
    if start.size == 0 or not np.all(np.isfinite(start)):
        raise ValueError("angles must be a non-empty array of finite numbers")
    for y, a0 in zip(data.ys, data.at(start)):
        if a0.shape != (y.size, start.size):
            raise ValueError(
                f"atoms(angles) must have shape {(y.size, start.size)}, got {a0.shape}"
            )
    theta, sweeps, newton, converged = start, 0, 0, True
    if width is not None:
        w = np.broadcast_to(np.asarray(width, dtype=np.float64), start.shape)
        if not (np.all(np.isfinite(w) & (w >= 0)) and np.any(w > 0)):
            raise ValueError(f"width must be non-negative, finite and not all 0, got {width!r}")
        theta, sweeps, converged = _cell_search(data, theta, w, max_sweeps, sweep_tol)
    if data.derivatives is not None:
        theta, newton, converged = _gauss_newton(data, theta, max_newton, newton_tol)
    gains, _, cost = data.residual(theta)
    return LineSpectralFit(theta, data.gains_out(gains), cost, sweeps, newton, converged)


def fit_line_spectrum(
    y: ArrayLike,
    atoms: AtomFunction | Sequence[AtomFunction],
    candidates: ArrayLike,
    n_paths: int | None = None,
    *,
    derivative: AtomFunction | Sequence[AtomFunction] | None = None,
    width: float | None = None,
    dictionary: NDArray | Sequence[NDArray] | None = None,
    max_paths: int = DEFAULT_MAX_PATHS,
    noise_var: float | None = None,
) -> LineSpectralFit:
    """Detect angles greedily on a candidate grid and refine them off the grid.

    Parameters
    ----------
    y, atoms
        As :func:`refine_angles`.
    candidates : array_like of float, shape (C,)
        Grid of candidate angles, ascending and evenly spaced (finer than the atoms'
        resolution).
    n_paths : int, optional
        Paths to detect (fewer if ``y`` is explained to rounding earlier); ``None`` (the
        default) estimates their number by :func:`path_count_criterion`.
    derivative : callable or sequence of callable, optional
        ``∂a/∂θ``, for the Gauss-Newton polish of :func:`refine_angles`.
    width : float, optional
        Cell-search width; default the candidate spacing.
    dictionary : array_like, shape (M, C), or a sequence of them, optional
        ``atoms(candidates)`` when it is cheaper to compute otherwise (e.g. by an FFT); one per
        column when the columns have their own ``atoms``.
    max_paths : int, default 8
        With ``n_paths=None``, the most paths tried (fewer when the data cannot identify
        more: ``P (2T + 1) < 2MT`` real parameters against real data).
    noise_var : float, optional
        With ``n_paths=None``, the noise variance per entry of ``y`` when known (for the
        criterion).

    Returns
    -------
    LineSpectralFit
        The refined angles in detection order, their least-squares gains and the residual of
        the last refinement.

    Raises
    ------
    ValueError
        If ``n_paths`` or ``max_paths`` is below 1, or there are fewer than two candidates.

    Notes
    -----
    Each round takes the candidate ``argmax_c |a(θ_c)ᴴ r|² / ‖a(θ_c)‖²`` (summed over columns,
    as in simultaneous OMP), searches its cell with the earlier angles fixed, then (with
    ``derivative``) refines all angles by Gauss-Newton and refits the gains: Newtonized OMP
    (Mamandipoor, Ramasamy & Madhow, IEEE TSP 2016).

    With ``n_paths=None`` rounds go on until one does not lower :func:`path_count_criterion`;
    the fit of the minimum is returned. A residual below ``10⁻²⁰ ‖y‖²`` (with ``derivative``)
    or ``(π M r)²/3 ‖y‖²`` (without: the angle error of the cell search's resolution
    ``r = max(w/4608, 10⁻⁴)`` on atoms turning by up to ``π`` per entry) counts as exact.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl.linespectral import fit_line_spectrum
    >>> n = np.arange(32)
    >>> ula = lambda t: np.exp(1j * np.pi * np.outer(n, t))
    >>> y = ula(np.array([0.3071, -0.62])) @ np.array([1.0, -0.8])
    >>> grid = np.linspace(-1, 1, 128, endpoint=False)
    >>> d_ula = lambda t: 1j * np.pi * n[:, None] * ula(t)
    >>> fit = fit_line_spectrum(y, ula, grid, 2, derivative=d_ula)
    >>> np.sort(fit.angles).round(10)
    array([-0.62  ,  0.3071])
    """
    data = _columns(y, atoms, derivative)
    grid = np.asarray(candidates, dtype=np.float64).reshape(-1)
    count = None if n_paths is None else check_int("n_paths", n_paths, minimum=1)
    limit = count or identifiable_paths(data.ys[0].size, len(data.ys), max_paths)
    if grid.size < 2:
        raise ValueError("candidates must hold at least two angles")
    step = float(width) if width is not None else float(np.min(np.abs(np.diff(grid))))
    if dictionary is None:
        dictionaries = data.at(grid)
    elif isinstance(dictionary, np.ndarray):
        dictionaries = [dictionary] * len(data.ys)
    else:
        dictionaries = [np.asarray(d) for d in dictionary]
    for y, d in zip(data.ys, dictionaries, strict=True):
        if d.shape != (y.size, grid.size):
            raise ValueError(f"dictionary must have shape {(y.size, grid.size)}, got {d.shape}")
    norms = [np.sum(np.abs(d) ** 2, axis=0) for d in dictionaries]
    energy = sum(float(np.vdot(y, y).real) for y in data.ys)
    # residual that counts as rounding: exact data (eps²), or, when counting, data at
    # 200 dB above the residual, where the criterion would count rounding errors as paths
    exact = energy * (np.finfo(float).eps ** 2 if count else _exact_fraction(data, step))
    residuals = list(data.ys)
    fits: list[LineSpectralFit] = []
    while len(fits) < limit and not (fits and fits[-1].residual_sq <= exact):
        if count is None and fits and _best_count(fits, data, exact, noise_var) < len(fits):
            break  # the last round did not lower the criterion
        score: NDArray | float = 0.0
        for d, norm, r in zip(dictionaries, norms, residuals):
            corr = np.abs(d.conj().T @ r) ** 2
            score = score + np.divide(corr, norm, out=np.zeros_like(corr), where=norm > 0)
        found = list(fits[-1].angles) if fits else []
        widths = np.append(np.zeros(len(found)), step)
        fits.append(_refine(data, [*found, grid[int(np.argmax(score))]], widths))
        _, residuals, _ = data.residual(fits[-1].angles)
    return fits[-1] if count else fits[_best_count(fits, data, exact, noise_var) - 1]


def _exact_fraction(data: _Columns, width: float) -> float:
    """The fraction of ``‖y‖²`` below which a residual is the refinement's own error."""
    if data.derivatives is not None:
        return _ROUNDING
    resolution = max(width / ((_SEARCH_POINTS - 1) * 2**_HALVING_ROUNDS), _SWEEP_TOL)
    return max(_ROUNDING, (np.pi * data.ys[0].size * resolution) ** 2 / 3)


def _best_count(
    fits: list[LineSpectralFit], data: _Columns, floor: float, noise_var: float | None
) -> int:
    """The number of paths ``P`` (``fits[P − 1]``) minimising :func:`path_count_criterion`,
    residuals below ``floor`` counted as ``floor``."""
    size, columns = data.ys[0].size, len(data.ys)
    values = [
        path_count_criterion(max(f.residual_sq, floor), f.angles.size, size, columns, noise_var)
        for f in fits
    ]
    return int(np.argmin(values)) + 1


def fit_at(
    y: ArrayLike, atoms: AtomFunction | Sequence[AtomFunction], angles: ArrayLike
) -> LineSpectralFit:
    """Fit the gains of ``y ≈ A(θ) g`` at fixed angles by least squares.

    Parameters
    ----------
    y, atoms
        As :func:`refine_angles`.
    angles : array_like of float, shape (P,)
        The angles.

    Returns
    -------
    LineSpectralFit
        The angles, their gains and residual; no sweeps or steps.
    """
    data = _columns(y, atoms, None)
    theta = np.array(angles, dtype=np.float64).reshape(-1)
    gains, _, cost = data.residual(theta)
    return LineSpectralFit(theta, data.gains_out(gains), cost, 0, 0, True)


def identifiable_paths(length: int, columns: int = 1, max_paths: int = DEFAULT_MAX_PATHS) -> int:
    """The most paths :func:`fit_line_spectrum` tries when it estimates their number.

    Parameters
    ----------
    length : int
        ``M``: entries per column.
    columns : int, default 1
        ``T``: columns sharing the angles.
    max_paths : int, default 8
        A cap.

    Returns
    -------
    int
        The largest ``P <= max_paths`` with ``P (2T + 1) < 2MT``: ``P`` angles and ``PT``
        complex gains, fewer real parameters than the ``2MT`` real data; at least 1.
    """
    check_int("max_paths", max_paths, minimum=1)
    fit_limit = (2 * length * columns - 1) // (2 * columns + 1)
    return max(1, min(int(max_paths), fit_limit))


@lru_cache(maxsize=256)
def _false_alarm_level(length: int, columns: int) -> float:
    """The level the strongest of ``length`` noise cells (each ``Γ(columns, 1)``) exceeds with
    probability :data:`_FALSE_ALARM`."""
    return float(gamma.isf(_FALSE_ALARM / length, columns))


def path_count_criterion(
    residual_sq: float,
    n_paths: int,
    length: int,
    columns: int = 1,
    noise_var: float | None = None,
) -> float:
    """The model-order criterion minimised to estimate the number of paths of a line spectrum.

    Parameters
    ----------
    residual_sq : float
        ``‖Y − A(θ) G‖²`` of the least-squares fit with ``n_paths`` refined angles.
    n_paths : int
        ``P``.
    length : int
        ``M``: entries per column.
    columns : int, default 1
        ``T``: columns sharing the angles.
    noise_var : float, optional
        The noise variance ``σ²`` per entry when known.

    Returns
    -------
    float
        ``‖Y − A G‖²/σ² + P max((T + 3/2) log N, τ)`` with ``N = MT`` complex data, or,
        without ``σ²``, ``N log(‖Y − A G‖² / N) + P (T + 3/2) log N``.

    Notes
    -----
    ``(T + 3/2) log N`` is the MAP order rule for sinusoids in white Gaussian noise (Djurić, "A
    model selection rule for sinusoids in white Gaussian noise", IEEE TSP 44(7), 1996): ``log N``
    per complex gain, ``3/2 log N`` per angle (its estimate converges as ``N^{−3/2}``).

    On short data (``M`` below about 20) the best of ``M`` cells explains more pure noise,
    ``σ²·Γ(T, 1)`` at its largest, than that; with ``σ²`` known a path must also beat ``τ``,
    the ``Γ(T, 1)`` upper ``10⁻³/M`` quantile (the strongest of ``M`` noise cells exceeds it
    with probability 10⁻³; a little more in practice, as every angle is refined).
    """
    n = length * columns
    penalty = n_paths * (columns + 1.5) * np.log(n)
    residual = max(residual_sq, np.finfo(float).tiny)
    if noise_var is not None:
        threshold = _false_alarm_level(length, columns)
        return float(residual / noise_var + n_paths * max((columns + 1.5) * np.log(n), threshold))
    return float(n * np.log(residual / n) + penalty)
