"""The IRS system of the off-grid experiment of He & Joseph (arXiv:2412.00310), simulated.

Three MS→IRS paths that leave the MS at one common angle and reach the IRS at three
continuous angles, and one IRS→BS path, seen through continuous-phase IRS patterns: the
channel-estimation experiment of "Efficient off-grid Bayesian parameter estimation for
Kronecker-structured signals", with its angle laws and its per-entry SNR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from krosbl.irs._random import complex_normal
from krosbl.irs.paths import Paths
from krosbl.irs.system import DEFAULT_GRID, Measurement, System
from krosbl.irs.training import draw_patterns, draw_pilots
from krosbl.validation import check_int, check_real

__all__ = ["OffSBLScenario", "OffSBLTrial"]


@dataclass(frozen=True)
class OffSBLScenario:
    """Settings of the authors' off-grid IRS system; the defaults are theirs.

    Parameters
    ----------
    n_ms, n_bs, n_irs : int, default 6, 16, 256
        MS antennas ``N_m``, BS antennas ``N_b``, IRS elements ``L`` (uniform linear arrays).
    n_pilots, n_patterns : int, default 20, 40
        Pilot slots ``K1`` and IRS patterns ``K2``.
    n_irs_paths : int, default 3
        MS→IRS paths: one common MS departure ``φ``, ``n_irs_paths`` IRS arrivals ``θ_a``.
    ms_departure, irs_departure, bs_arrival : tuple of 2 float
        Uniform laws of ``φ`` (``[0.3, 0.5]``), the IRS departure ``θ_d`` (``[0.3, 0.5]``) and
        the BS arrival ``β`` (``[0, 0.5]``), sine domain.
    irs_arrival : tuple of 2 float, default (-0.2, 0.2)
        Uniform law of each IRS arrival.
    arrival_spacing : tuple of 2 float, default (0.07, 0.22)
        Every pairwise distance of the IRS arrivals lies in this interval (redrawn until so).
    grid : int, default 18
        The angular grid of the on-grid estimators (:class:`krosbl.irs.System`).

    Notes
    -----
    ``H_1 = √(N_m L) a_L(θ_a) diag(α) a_{N_m}(φ)ᴴ`` with ``α ~ CN(0, I)``,
    ``H_2 = √(N_b L) a_{N_b}(β) α_b a_L(θ_d)ᴴ``, ``H_k = H_2 diag(ψ_k) H_1``; pilots QPSK/√N_m,
    patterns ``e^{jϑ}/√L``, ``ϑ ~ U[0, 2π)``, both drawn anew for every trial. The noise of a
    measurement at SNR ``ρ`` dB has variance ``mean|y_0|² / 10^{ρ/10}`` per entry. The
    channel has the paths ``(δ_i, φ, β)`` with ``δ_i = θ_d − θ_a,i``: ``(n_irs_paths, 1, 1)``
    over (IRS difference, MS, BS).
    """

    n_ms: int = 6
    n_bs: int = 16
    n_irs: int = 256
    n_pilots: int = 20
    n_patterns: int = 40
    n_irs_paths: int = 3
    ms_departure: tuple[float, float] = (0.3, 0.5)
    irs_arrival: tuple[float, float] = (-0.2, 0.2)
    arrival_spacing: tuple[float, float] = (0.07, 0.22)
    irs_departure: tuple[float, float] = (0.3, 0.5)
    bs_arrival: tuple[float, float] = (0.0, 0.5)
    grid: int = DEFAULT_GRID

    def __post_init__(self) -> None:
        for name in ("n_ms", "n_bs", "n_irs", "n_pilots", "n_patterns", "n_irs_paths"):
            check_int(name, getattr(self, name), minimum=1)
        for name in ("ms_departure", "irs_arrival", "arrival_spacing", "irs_departure"):
            low, high = (check_real(name, v) for v in getattr(self, name))
            if not low <= high:
                raise ValueError(f"{name} must be an interval (low, high), got {(low, high)}")

    @property
    def n_paths(self) -> tuple[int, int, int]:
        """The paths of the IRS-difference, MS and BS factors: ``(n_irs_paths, 1, 1)``."""
        return (self.n_irs_paths, 1, 1)

    def _arrivals(self, rng: np.random.Generator) -> NDArray[np.float64]:
        low, high = self.irs_arrival
        closest, farthest = self.arrival_spacing
        for _ in range(10_000):
            theta = rng.uniform(low, high, self.n_irs_paths)
            gaps = np.abs(theta[:, None] - theta[None, :])[np.triu_indices(theta.size, 1)]
            if np.all((gaps >= closest) & (gaps <= farthest)):
                return theta
        raise ValueError(
            f"no {self.n_irs_paths} IRS arrivals in {self.irs_arrival} with pairwise distances "
            f"in {self.arrival_spacing} after 10000 draws"
        )

    def trial(self, rng: np.random.Generator | int | None = None) -> OffSBLTrial:
        """Draw one channel with its pilots and patterns.

        Parameters
        ----------
        rng : numpy.random.Generator or int or None
            Source of the draws: pilots, patterns, ``φ``, ``θ_a``, ``θ_d``, ``β``, the gains.

        Returns
        -------
        OffSBLTrial
        """
        rng = np.random.default_rng(rng)
        pilots = draw_pilots(rng, self.n_ms, self.n_pilots)
        patterns = draw_patterns(rng, self.n_irs, self.n_patterns, "continuous")
        phi = rng.uniform(*self.ms_departure)
        arrivals = self._arrivals(rng)
        departure = rng.uniform(*self.irs_departure)
        beta = rng.uniform(*self.bs_arrival)
        gains = complex_normal(rng, self.n_irs_paths) * complex_normal(rng, 1)[0]
        scale = np.sqrt(self.n_ms * self.n_irs) * np.sqrt(self.n_bs * self.n_irs)
        count = self.n_irs_paths
        paths = Paths(
            departure - arrivals, np.full(count, phi), np.full(count, beta), scale * gains
        )
        return OffSBLTrial(self, System(pilots, patterns, self.n_bs, self.grid), paths)


@dataclass(frozen=True, eq=False)
class OffSBLTrial:
    """One channel of :class:`OffSBLScenario` with its training.

    Parameters
    ----------
    scenario : OffSBLScenario
        The settings it was drawn from.
    system : System
        The pilots and IRS patterns of the trial.
    paths : Paths
        The true channel.
    """

    scenario: OffSBLScenario
    system: System
    paths: Paths
    H: NDArray[np.complex128] = field(init=False, repr=False)
    y0: NDArray[np.complex128] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        system = self.system
        h = self.paths.channels(system.patterns, n_ms=system.n_ms, n_bs=system.n_bs)
        object.__setattr__(self, "H", h)
        object.__setattr__(self, "y0", np.einsum("kbn,nt->ktb", h, system.pilots).ravel())

    def observe(self, snr_db: float, rng: np.random.Generator | int | None = None) -> Measurement:
        """A noisy measurement at ``snr_db`` with the known noise variance and true paths.

        Parameters
        ----------
        snr_db : float
            SNR per received entry (dB).
        rng : numpy.random.Generator or int or None
            Noise source.

        Returns
        -------
        Measurement
            ``y = y_0 + CN(0, σ² I)``, ``σ² = mean|y_0|² / 10^{SNR/10}``.
        """
        power = float(np.vdot(self.y0, self.y0).real) / self.y0.size
        noise_var = power / 10.0 ** (check_real("snr_db", snr_db) / 10.0)
        noise = complex_normal(np.random.default_rng(rng), self.y0.size, noise_var)
        return Measurement(self.system, self.y0 + noise, noise_var, self.paths)

    def fresh_channels(self, n_patterns: int, rng: np.random.Generator | int | None = None):
        """Fresh patterns of the training law and the true channels under them.

        Parameters
        ----------
        n_patterns : int
            Patterns to draw.
        rng : numpy.random.Generator or int or None
            Their source.

        Returns
        -------
        patterns : ndarray of complex128, shape (L, n_patterns)
        H : ndarray of complex128, shape (n_patterns, N_b, N_m)
        """
        patterns = draw_patterns(
            np.random.default_rng(rng), self.system.n_irs, n_patterns, "continuous"
        )
        h = self.paths.channels(patterns, n_ms=self.system.n_ms, n_bs=self.system.n_bs)
        return patterns, h
