"""Per-trial propagation geometry and the angular (sparse) channel it defines (spec §8.3-8.4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from krosbl.irs._random import complex_normal
from krosbl.irs.scenario import Scenario

__all__ = ["Geometry", "angular_channel", "angular_support", "draw_geometry"]


@dataclass(frozen=True, eq=False)
class Geometry:
    """Grid indices and path gains of one channel realisation.

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

    Raises
    ------
    ValueError
        If the gains are not two 1-D arrays of the same length ``s >= 1``.

    Notes
    -----
    Spec §8.3. Clusters never wrap around the grid (spec Appendix A, R4). The gains are
    stored as read-only complex arrays.
    """

    ms_departure: int
    irs_arrival: int
    irs_departure: int
    bs_arrival: int
    irs_gains: NDArray[np.complex128]
    bs_gains: NDArray[np.complex128]

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

    @property
    def spread(self) -> int:
        """Cluster size ``s``."""
        return len(self.irs_gains)


def draw_geometry(rng: np.random.Generator, scenario: Scenario) -> Geometry:
    """Draw the geometry of one trial, in the order of spec §8.3.

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
        ``α_a`` and ``α_b``, i.i.d. ``CN(0, 1)``.

    Notes
    -----
    Spec §8.3 (draw order) and Appendix A, R4 (clusters start in ``0..G−s``, no wrap).
    """
    grid, spread = scenario.grid, scenario.spread
    m = int(rng.integers(0, grid))
    a0 = int(rng.integers(0, grid - spread + 1))
    d = int(rng.integers(0, grid))
    b0 = int(rng.integers(0, grid - spread + 1))
    irs_gains = complex_normal(rng, spread)
    bs_gains = complex_normal(rng, spread)
    return Geometry(m, a0, d, b0, irs_gains, bs_gains)


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
    Spec §8.4. The IRS axis holds angle differences because
    ``a_L(d)ᴴ diag(ψ) a_L(a) = F1[k, (d − a) mod G]`` depends on ``d − a`` only (spec §8.2).
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
        Flat (C-order, ``numpy.kron`` order) indices into ``z.ravel()`` of the set
        ``{(d − a_0 − j) mod G : j < s} × {m} × {b_0, …, b_0+s−1}``, ascending.

    Notes
    -----
    Spec §8.4. The support is that of :func:`angular_channel` whenever the gains are non-zero
    (with probability one).
    """
    rows = _difference_indices(geometry, grid)
    cols = geometry.bs_arrival + np.arange(geometry.spread)
    flat = np.ravel_multi_index(
        (rows[:, None], np.full((1, 1), geometry.ms_departure), cols[None, :]), (grid,) * 3
    )
    return np.sort(flat.ravel())
