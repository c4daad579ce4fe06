"""Per-trial geometry, its continuous angles and the angular (sparse) channel (docs/theory.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from krosbl.irs._random import complex_normal
from krosbl.irs.arrays import grid_angles, wrap_angles
from krosbl.irs.scenario import Scenario

__all__ = ["Geometry", "PathAngles", "angular_channel", "angular_support", "draw_geometry"]


def _read_only(values: object, name: str, size: int | None = None) -> NDArray[np.float64]:
    out = np.array(values, dtype=np.float64)
    if out.ndim != 1 or out.size == 0 or (size is not None and out.size != size):
        want = "of length s >= 1" if size is None else f"of length {size}"
        raise ValueError(f"{name} must be a 1-D array {want}, got shape {out.shape}")
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class PathAngles:
    """Read-only sin-domain angles ``θ`` of one trial's paths (or offsets of them); ULA
    responses have period 2 in ``θ`` (He & Joseph, IEEE TSP 2024, Section VI).

    Parameters
    ----------
    ms_departure : float
        Departure angle at the MS.
    irs_arrival : ndarray of float64, shape (s,)
        Arrival angles of the IRS cluster.
    irs_departure : float
        Departure angle at the IRS (towards the BS).
    bs_arrival : ndarray of float64, shape (s,)
        Arrival angles of the BS cluster.

    Raises
    ------
    ValueError
        If the cluster angles are not two 1-D arrays of the same length ``s >= 1``.
    """

    ms_departure: float
    irs_arrival: NDArray[np.float64]
    irs_departure: float
    bs_arrival: NDArray[np.float64]

    def __post_init__(self) -> None:
        irs_arrival = _read_only(self.irs_arrival, "irs_arrival")
        object.__setattr__(self, "irs_arrival", irs_arrival)
        object.__setattr__(
            self, "bs_arrival", _read_only(self.bs_arrival, "bs_arrival", irs_arrival.size)
        )
        object.__setattr__(self, "ms_departure", float(self.ms_departure))
        object.__setattr__(self, "irs_departure", float(self.irs_departure))


@dataclass(frozen=True, eq=False)
class Geometry:
    """Grid indices and read-only complex path gains of one channel realisation; clusters never
    wrap around the grid (departure R4 in docs/reproduction.md).

    Parameters
    ----------
    ms_departure : int
        Grid index ``m`` of the departure angle at the MS.
    irs_arrival : int
        First grid index ``a_0`` of the IRS arrival cluster ``S_a = {a_0, …, a_0+s−1}``.
    irs_departure : int
        Grid index ``d`` of the departure angle at the IRS (towards the BS).
    bs_arrival : int
        First grid index ``b_0`` of the BS arrival cluster ``S_b = {b_0, …, b_0+s−1}``.
    irs_gains : ndarray of complex128, shape (s,)
        Path gains ``α_a`` of the IRS arrival cluster.
    bs_gains : ndarray of complex128, shape (s,)
        Path gains ``α_b`` of the BS arrival cluster.
    offsets : PathAngles or None, default None
        Off-grid offsets of every angle from its grid point; ``None``: on the grid.

    Raises
    ------
    ValueError
        If the gains are not two 1-D arrays of the same length ``s >= 1``, or the offsets do not
        have that length.
    """

    ms_departure: int
    irs_arrival: int
    irs_departure: int
    bs_arrival: int
    irs_gains: NDArray[np.complex128]
    bs_gains: NDArray[np.complex128]
    offsets: PathAngles | None = None

    def __post_init__(self) -> None:
        irs_gains = np.array(self.irs_gains, dtype=np.complex128)
        bs_gains = np.array(self.bs_gains, dtype=np.complex128)
        if irs_gains.ndim != 1 or irs_gains.size == 0 or bs_gains.shape != irs_gains.shape:
            raise ValueError(
                "irs_gains and bs_gains must be 1-D arrays of the same length s >= 1, got "
                f"shapes {irs_gains.shape} and {bs_gains.shape}"
            )
        for name, gains in (("irs_gains", irs_gains), ("bs_gains", bs_gains)):
            gains.flags.writeable = False
            object.__setattr__(self, name, gains)
        if self.offsets is not None and self.offsets.irs_arrival.size != irs_gains.size:
            raise ValueError(
                f"offsets must hold {irs_gains.size} cluster angles like the gains, got "
                f"{self.offsets.irs_arrival.size}"
            )

    @property
    def spread(self) -> int:
        """Cluster size ``s``."""
        return len(self.irs_gains)

    def angles(self, grid: int) -> PathAngles:
        """Return the continuous angles of the paths.

        Parameters
        ----------
        grid : int
            Grid size ``G``.

        Returns
        -------
        PathAngles
            Grid angle ``θ_g = 2g/G − 1`` of every index plus its offset, wrapped to
            ``[−1, 1)``; the grid angles themselves when there are no offsets.
        """
        theta = grid_angles(grid)
        cluster = np.arange(self.spread)
        on_grid = PathAngles(
            theta[self.ms_departure],
            theta[self.irs_arrival + cluster],
            theta[self.irs_departure],
            theta[self.bs_arrival + cluster],
        )
        off = self.offsets
        if off is None:
            return on_grid
        return PathAngles(
            float(wrap_angles(on_grid.ms_departure + off.ms_departure)),
            wrap_angles(on_grid.irs_arrival + off.irs_arrival),
            float(wrap_angles(on_grid.irs_departure + off.irs_departure)),
            wrap_angles(on_grid.bs_arrival + off.bs_arrival),
        )


def draw_geometry(rng: np.random.Generator, scenario: Scenario) -> Geometry:
    """Draw the geometry of one trial, in the reference code's order.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    scenario : Scenario
        Supplies the grid size ``G`` and the spread ``s``.

    Returns
    -------
    Geometry
        ``m ~ U{0..G−1}``, ``a_0 ~ U{0..G−s}``, ``d ~ U{0..G−1}``, ``b_0 ~ U{0..G−s}``, then
        ``α_a`` and ``α_b``, i.i.d. ``CN(0, 1)``; then, only when ``scenario.off_grid = ρ > 0``,
        ``u ~ U(−½, ½)`` i.i.d. for the MS departure, the ``s`` IRS arrivals, the IRS
        departure and the ``s`` BS arrivals (in that order), and offsets ``ρ·u·(2/G)``.

    Notes
    -----
    The offsets come last, so a trial has the grid indices and gains at every ``ρ`` (paired
    comparisons). Off-grid model: He & Joseph, arXiv:2412.00310.
    """
    grid, spread = scenario.grid, scenario.spread
    m = int(rng.integers(0, grid))
    a0 = int(rng.integers(0, grid - spread + 1))
    d = int(rng.integers(0, grid))
    b0 = int(rng.integers(0, grid - spread + 1))
    irs_gains = complex_normal(rng, spread)
    bs_gains = complex_normal(rng, spread)
    offsets = None
    if scenario.off_grid > 0:
        u = rng.random(2 + 2 * spread) - 0.5
        step = scenario.off_grid * 2.0 / grid
        offsets = PathAngles(
            step * u[0], step * u[1 : 1 + spread], step * u[1 + spread], step * u[2 + spread :]
        )
    return Geometry(m, a0, d, b0, irs_gains, bs_gains, offsets)


def _difference_indices(geometry: Geometry, grid: int) -> NDArray[np.intp]:
    """IRS-difference grid indices ``(d − a_0 − j) mod G`` for ``j = 0..s−1``."""
    j = np.arange(geometry.spread)
    return np.mod(geometry.irs_departure - geometry.irs_arrival - j, grid)


def angular_channel(geometry: Geometry, scenario: Scenario) -> NDArray[np.complex128]:
    """Return the angular channel ``z`` with ``y_0 = (F1 ⊗ F2 ⊗ F3) z`` exactly.

    Parameters
    ----------
    geometry : Geometry
        The trial's angles and gains.
    scenario : Scenario
        Array sizes and grid.

    Returns
    -------
    ndarray of complex128, shape (G, G, G)
        Axes (IRS angle difference, MS, BS); zero except
        ``z[(d − a_0 − j) mod G, m, b_0 + i] = c_1 c_2 α_a[j] α_b[i]`` for ``i, j < s``, with
        ``c_1 = √(N_m L / s)`` and ``c_2 = √(N_b L / s)``: ``s²`` non-zeros.

    Notes
    -----
    The IRS axis holds angle differences: ``a_L(d)ᴴ diag(ψ) a_L(a) = F1[k, (d − a) mod G]``
    (docs/theory.md, "The Kronecker model"). Off-grid offsets are ignored (the channel on the
    grid angles, which then no longer gives ``y_0`` exactly).
    """
    grid = scenario.grid
    c1 = np.sqrt(scenario.n_ms * scenario.n_irs / geometry.spread)
    c2 = np.sqrt(scenario.n_bs * scenario.n_irs / geometry.spread)
    z = np.zeros(scenario.unknown_shape, dtype=np.complex128)
    rows = _difference_indices(geometry, grid)
    cols = geometry.bs_arrival + np.arange(geometry.spread)
    z[rows[:, None], geometry.ms_departure, cols[None, :]] = (
        c1 * c2 * np.outer(geometry.irs_gains, geometry.bs_gains)
    )
    return z


def angular_support(geometry: Geometry, grid: int) -> NDArray[np.intp]:
    """Return the support of the angular channel as sorted flat indices.

    Parameters
    ----------
    geometry : Geometry
        The trial's angles.
    grid : int
        Grid size ``G``.

    Returns
    -------
    ndarray of intp, shape (s²,)
        Flat (C-order, ``numpy.kron`` order) indices into ``z.ravel()`` of
        ``{(d − a_0 − j) mod G : j < s} × {m} × {b_0, …, b_0+s−1}``, ascending: the support
        of :func:`angular_channel` (for non-zero gains).
    """
    rows = _difference_indices(geometry, grid)
    cols = geometry.bs_arrival + np.arange(geometry.spread)
    flat = np.ravel_multi_index(
        (rows[:, None], np.full((1, 1), geometry.ms_departure), cols[None, :]), (grid,) * 3
    )
    return np.sort(flat.ravel())
