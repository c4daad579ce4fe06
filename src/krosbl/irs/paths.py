"""A cascaded IRS channel as a sum of paths: angles and gains, on or off the grid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from krosbl.irs.arrays import array_response, grid_angles, wrap_angles
from krosbl.irs.factors import pattern_atoms, pilot_atoms
from krosbl.irs.geometry import Geometry
from krosbl.irs.scenario import Scenario
from krosbl.validation import check_int

__all__ = ["Paths", "true_paths"]


def _atoms_at(
    atom: Callable[[NDArray[np.float64]], NDArray[np.complex128]], angles: NDArray[np.float64]
) -> NDArray[np.complex128]:
    """``atom(angles)``, evaluated once per distinct angle (on-grid estimates repeat angles)."""
    distinct, inverse = np.unique(angles, return_inverse=True)
    return atom(distinct)[:, inverse.ravel()]


def _angles(name: str, values: ArrayLike) -> NDArray[np.float64]:
    out = np.array(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} angles must be finite")
    out = wrap_angles(out)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Paths:
    """A cascaded channel ``H_k = Σ_p g_p f_k(δ_p) a_{N_b}(β_p) a_{N_m}(φ_p)ᴴ`` as paths.

    An on-grid estimate ``ẑ`` gives the paths at the grid angles of its non-zeros
    (:meth:`from_grid`); an off-grid one its continuous angles. Every array is read-only.

    Parameters
    ----------
    irs : array_like of float, shape (P,)
        IRS angle differences ``δ_p = θ_d − θ_a`` (wrapped to ``[−1, 1)``).
    ms : array_like of float, shape (P,)
        MS departure angles ``φ_p``.
    bs : array_like of float, shape (P,)
        BS arrival angles ``β_p``.
    gains : array_like of complex, shape (P,)
        Path gains ``g_p``, in the units of the angular channel ``z``.

    Raises
    ------
    ValueError
        If the four arrays do not have the same length or an angle or gain is not finite.

    Notes
    -----
    ``f_k(δ) = (1/L) Σ_ℓ ψ_k[ℓ] e^{−jπδℓ}`` (:func:`krosbl.irs.pattern_atoms`). On the grid
    (He & Joseph, IEEE TSP 2024, Section VI) a path is a non-zero ``z[g1, g2, g3]`` at
    ``(δ, φ, β) = (2g1/G, θ_g2, θ_g3)``; off the grid: He & Joseph, arXiv:2412.00310.

    Examples
    --------
    >>> import numpy as np
    >>> from krosbl import irs
    >>> trial = irs.Run(irs.Scenario.paper(), seed=7).trial(0)
    >>> paths = irs.Paths.from_grid(trial.z, trial.scenario.grid)
    >>> len(paths)
    9
    >>> h = paths.channels(trial.patterns, n_ms=6, n_bs=16)
    >>> bool(np.allclose(h, trial.H))
    True
    """

    irs: NDArray[np.float64]
    ms: NDArray[np.float64]
    bs: NDArray[np.float64]
    gains: NDArray[np.complex128]

    def __post_init__(self) -> None:
        for name in ("irs", "ms", "bs"):
            object.__setattr__(self, name, _angles(name, getattr(self, name)))
        gains = np.array(self.gains, dtype=np.complex128).reshape(-1)
        if not np.all(np.isfinite(gains)):
            raise ValueError("path gains must be finite")
        gains.flags.writeable = False
        object.__setattr__(self, "gains", gains)
        sizes = {self.irs.size, self.ms.size, self.bs.size, gains.size}
        if len(sizes) != 1:
            raise ValueError(
                "irs, ms, bs and gains must have the same length, got "
                f"{self.irs.size}, {self.ms.size}, {self.bs.size}, {gains.size}"
            )

    def __len__(self) -> int:
        return int(self.gains.size)

    @classmethod
    def from_grid(cls, z: ArrayLike, grid: int) -> Paths:
        """Return the paths of an on-grid angular channel: one per non-zero of ``z``.

        Parameters
        ----------
        z : array_like, shape (G, G, G) or (G³,)
            Angular channel or estimate (axes: IRS difference, MS, BS; ``numpy.kron`` order).
        grid : int
            Grid size ``G``.

        Returns
        -------
        Paths
            Angles ``(2g1/G, θ_g2, θ_g3)`` of the non-zeros, gains ``z[g1, g2, g3]``.
        """
        grid = check_int("grid", grid, minimum=1)
        flat = np.asarray(z).reshape(-1)
        if flat.size != grid**3:
            raise ValueError(f"z must have G³ = {grid**3} entries, got {np.shape(z)}")
        nz = np.flatnonzero(flat)
        g1, g2, g3 = np.unravel_index(nz, (grid, grid, grid))
        theta = grid_angles(grid)
        return cls(2.0 * g1 / grid, theta[g2], theta[g3], flat[nz])

    def with_gains(self, gains: ArrayLike) -> Paths:
        """Return the same angles with other gains."""
        return Paths(self.irs, self.ms, self.bs, np.asarray(gains, dtype=np.complex128))

    def channels(self, patterns: ArrayLike, *, n_ms: int, n_bs: int) -> NDArray[np.complex128]:
        """Return the cascaded channel ``Ĥ_k`` of every pattern.

        Parameters
        ----------
        patterns : array_like, shape (L, K)
            IRS patterns (training or fresh ones).
        n_ms, n_bs : int
            MS and BS antennas.

        Returns
        -------
        ndarray of complex128, shape (K, N_b, N_m)
            ``Σ_p g_p f_k(δ_p) a_{N_b}(β_p) a_{N_m}(φ_p)ᴴ``.
        """
        n_ms = check_int("n_ms", n_ms, minimum=1)
        n_bs = check_int("n_bs", n_bs, minimum=1)
        f = _atoms_at(lambda d: pattern_atoms(patterns, d), self.irs)
        a_bs = _atoms_at(lambda b: array_response(n_bs, b), self.bs)
        a_ms = _atoms_at(lambda m: array_response(n_ms, m), self.ms)
        h = np.einsum("kp,bp,np->kbn", f * self.gains, a_bs, a_ms.conj(), optimize=True)
        return np.ascontiguousarray(h)

    def atoms(self, patterns: ArrayLike, pilots: ArrayLike, n_bs: int) -> NDArray[np.complex128]:
        """Return each path's measurement column ``f(δ_p) ⊗ Xᵀ conj(a_{N_m}(φ_p)) ⊗ a_{N_b}(β_p)``.

        Parameters
        ----------
        patterns : array_like, shape (L, K2)
            IRS patterns.
        pilots : array_like, shape (N_m, K1)
            Pilot matrix.
        n_bs : int
            BS antennas.

        Returns
        -------
        ndarray of complex128, shape (K2·K1·N_b, P)
            ``y_0 = atoms @ gains`` for a channel made of these paths (``numpy.kron`` order).
        """
        n_bs = check_int("n_bs", n_bs, minimum=1)
        f1 = _atoms_at(lambda d: pattern_atoms(patterns, d), self.irs)
        f2 = _atoms_at(lambda m: pilot_atoms(pilots, m), self.ms)
        f3 = _atoms_at(lambda b: array_response(n_bs, b), self.bs)
        cols = np.einsum("kp,tp,bp->ktbp", f1, f2, f3)
        return cols.reshape(-1, len(self))


def true_paths(geometry: Geometry, scenario: Scenario) -> Paths:
    """Return the ``s²`` true paths of a trial, at its continuous angles.

    Parameters
    ----------
    geometry : Geometry
        Grid indices, offsets and gains.
    scenario : Scenario
        Array sizes and grid.

    Returns
    -------
    Paths
        ``H_k = H2 diag(ψ_k) H1`` expanded over the two clusters: path ``(j, i)`` (``j``
        slowest) has ``δ = θ_d − θ_a,j``, ``φ = θ_m``, ``β = θ_b,i`` and gain
        ``c_1 c_2 α_a[j] α_b[i]`` with ``c_1 = √(N_m L/s)``, ``c_2 = √(N_b L/s)``.
    """
    th = geometry.angles(scenario.grid)
    s = geometry.spread
    c = np.sqrt(scenario.n_ms * scenario.n_irs / s) * np.sqrt(scenario.n_bs * scenario.n_irs / s)
    delta = np.repeat(th.irs_departure - th.irs_arrival, s)
    return Paths(
        irs=delta,
        ms=np.full(s * s, th.ms_departure),
        bs=np.tile(th.bs_arrival, s),
        gains=c * np.outer(geometry.irs_gains, geometry.bs_gains).ravel(),
    )
