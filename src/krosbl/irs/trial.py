"""One channel realisation (a trial) and its noisy observations (model: docs/theory.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from krosbl.irs._random import complex_normal
from krosbl.irs.channel import cascaded_channels, physical_channels, redraw_weak_patterns
from krosbl.irs.factors import Factors, build_factors
from krosbl.irs.geometry import (
    Geometry,
    PathAngles,
    angular_channel,
    angular_support,
    draw_geometry,
)
from krosbl.irs.paths import Paths, true_paths
from krosbl.irs.scenario import Scenario
from krosbl.irs.system import System
from krosbl.irs.training import draw_patterns
from krosbl.operators import Kron
from krosbl.validation import check_real

__all__ = ["Observation", "Trial", "observe_blocks", "simulate_trial"]


@dataclass(frozen=True, eq=False)
class Trial:
    """One channel realisation with its noiseless measurement and its angular truth.

    Create trials with :meth:`krosbl.irs.Run.trial`; every array is read-only. ``y0`` comes
    from the physical channels, at the continuous angles (:attr:`angles`) when
    ``scenario.off_grid > 0``; ``z`` and ``support`` are those of the grid angles.

    Parameters
    ----------
    scenario : Scenario
        The experiment settings.
    index : int
        Trial index within its run.
    pilots : ndarray of complex128, shape (N_m, K1)
        Pilot matrix ``X``.
    patterns : ndarray of float64 or complex128, shape (L, K2)
        IRS patterns ``Ψ`` used by this trial (after any redraw).
    geometry : Geometry
        Angles and path gains.
    H1 : ndarray of complex128, shape (L, N_m)
        MS→IRS channel.
    H2 : ndarray of complex128, shape (N_b, L)
        IRS→BS channel.
    H : ndarray of complex128, shape (K2, N_b, N_m)
        Cascaded channels ``H_k = H2 diag(ψ_k) H1``.
    z : ndarray of complex128, shape (G, G, G)
        Angular channel, :func:`krosbl.irs.angular_channel`.
    support : ndarray of intp, shape (s²,)
        Sorted flat indices of the non-zeros of ``z`` (``numpy.kron`` order).
    y0 : ndarray of complex128, shape (K2·K1·N_b,)
        Noiseless measurement, ``Y_0.ravel()`` with ``Y_0[k, t, b] = (H_k X)[b, t]``.
    factors : Factors
        ``(F1, F2, F3)``; ``y0 = Kron(factors) @ z.ravel()``.
    """

    scenario: Scenario
    index: int
    pilots: NDArray[np.complex128]
    patterns: NDArray
    geometry: Geometry
    H1: NDArray[np.complex128]
    H2: NDArray[np.complex128]
    H: NDArray[np.complex128]
    z: NDArray[np.complex128]
    support: NDArray[np.intp]
    y0: NDArray[np.complex128]
    factors: Factors

    def __post_init__(self) -> None:
        arrays = [getattr(self, f.name) for f in fields(self)]
        for a in [*arrays, *self.factors]:
            if isinstance(a, np.ndarray):
                a.flags.writeable = False

    @property
    def angles(self) -> PathAngles:
        """The true continuous angles of the paths (the grid angles when on the grid)."""
        return self.geometry.angles(self.scenario.grid)

    @property
    def paths(self) -> Paths:
        """The true channel as ``s²`` paths at the continuous angles (:func:`true_paths`)."""
        return true_paths(self.geometry, self.scenario)

    @property
    def signal_power(self) -> float:
        """Mean power of the noiseless measurement, ``P = ‖y_0‖² / len(y_0)``."""
        return float(np.vdot(self.y0, self.y0).real / self.y0.size)

    @property
    def operator(self) -> Kron:
        """The measurement operator ``F1 ⊗ F2 ⊗ F3`` as a :class:`krosbl.Kron`."""
        return Kron(self.factors)

    @cached_property
    def system(self) -> System:
        """The trial's training as a :class:`krosbl.irs.System` (pilots, patterns, ``N_b``,
        the scenario's grid)."""
        patterns = self.patterns.astype(np.complex128)
        return System(self.pilots, patterns, self.scenario.n_bs, self.scenario.grid)

    def noise_variance(self, snr_db: float) -> float:
        """Return ``σ² = P / 10^{SNR/10}``, ``P`` the mean power of this trial's ``y_0``.

        Parameters
        ----------
        snr_db : float
            SNR in dB; finite.

        Returns
        -------
        float
            Noise variance per complex entry.
        """
        return self.signal_power / 10.0 ** (check_real("snr_db", snr_db) / 10.0)

    def observe(self, snr_db: float, rng: np.random.Generator | int | None = None) -> Observation:
        """Return a noisy observation ``y = y_0 + CN(0, σ² I)`` at one SNR.

        Parameters
        ----------
        snr_db : float
            SNR in dB; finite.
        rng : numpy.random.Generator or int or None, optional
            Noise source (an ``int`` seeds a new generator; ``None`` draws fresh entropy).

        Returns
        -------
        Observation
            The noisy measurement with its noise variance.

        Raises
        ------
        ValueError
            If ``snr_db`` is NaN or infinite, or if ``y_0 = 0`` (the pilots are orthogonal to the
            MS steering vector), where ``σ²`` is undefined.
        """
        noise_var = self.noise_variance(snr_db)
        if noise_var == 0:
            raise ValueError(
                "this trial receives no signal (y_0 = 0: the pilots X are orthogonal to the MS "
                "steering vector a_Nm(m)), so snr_db defines no noise variance; draw another "
                "trial or use more pilot blocks"
            )
        return _observed(self, float(snr_db), noise_var, np.random.default_rng(rng))

    def block(
        self, rng: np.random.Generator | int | None = None, *, fresh_patterns: bool = False
    ) -> Trial:
        """Another coherence block of this channel: the same paths, fresh gains.

        Parameters
        ----------
        rng : numpy.random.Generator or int or None, optional
            Source of the block's draws (an ``int`` seeds a new generator).
        fresh_patterns : bool, default False
            Draw new IRS patterns for the block (its ``F1`` differs).

        Returns
        -------
        Trial
            The same scenario, index, pilots and angles; new gains ``α_a, α_b ~ CN(0, 1)``
            (drawn first), then any fresh patterns, then any weak-pattern redraw. Blocks share
            the support of ``z``: snapshots or tasks for :func:`krosbl.irs.estimate_joint`.
        """
        rng = np.random.default_rng(rng)
        sc = self.scenario
        geometry = replace(
            self.geometry,
            irs_gains=complex_normal(rng, sc.spread),
            bs_gains=complex_normal(rng, sc.spread),
        )
        patterns = self.patterns
        if fresh_patterns:
            patterns = draw_patterns(rng, sc.n_irs, sc.n_patterns, sc.pattern_phases)
        return _realise(sc, self.index, geometry, rng, self.pilots, patterns)

    def rebuild(self, z_hat: ArrayLike) -> NDArray[np.complex128]:
        """Rebuild the cascaded channels from an angular estimate with this trial's patterns.

        Parameters
        ----------
        z_hat : array_like, shape (G, G, G) or (G³,)
            Angular estimate.

        Returns
        -------
        ndarray of complex128, shape (K2, N_b, N_m)
            ``Ĥ_k``, as :func:`krosbl.irs.rebuild_channels`.
        """
        return self.system.rebuild(z_hat)


@dataclass(frozen=True, eq=False)
class Observation:
    """A noisy measurement of one trial at one SNR.

    Parameters
    ----------
    trial : Trial
        The realisation observed.
    snr_db : float
        SNR in dB.
    noise_var : float
        Noise variance ``σ²`` per complex entry.
    y : ndarray of complex128, shape (K2·K1·N_b,)
        ``y_0 + CN(0, σ² I)``.
    """

    trial: Trial
    snr_db: float
    noise_var: float
    y: NDArray[np.complex128]

    @property
    def system(self) -> System:
        """The observed trial's :class:`krosbl.irs.System`."""
        return self.trial.system

    @property
    def paths(self) -> Paths:
        """The observed trial's true paths (:attr:`Trial.paths`)."""
        return self.trial.paths


def simulate_trial(
    scenario: Scenario,
    index: int,
    rng: np.random.Generator,
    pilots: NDArray[np.complex128],
    patterns: NDArray,
) -> Trial:
    """Draw one trial's channels and build its truth and noiseless measurement.

    Parameters
    ----------
    scenario : Scenario
        Experiment settings.
    index : int
        Trial index (recorded only).
    rng : numpy.random.Generator
        The trial's generator: geometry (:func:`draw_geometry`), then any pattern redraws.
    pilots : ndarray, shape (N_m, K1)
        Pilot matrix ``X``.
    patterns : ndarray, shape (L, K2)
        IRS patterns in effect; a pattern with ``‖H_k‖_F < 1e-5`` is redrawn.

    Returns
    -------
    Trial
        The realisation; ``trial.patterns`` holds the patterns after any redraw.
    """
    return _realise(scenario, index, draw_geometry(rng, scenario), rng, pilots, patterns)


def _realise(
    scenario: Scenario,
    index: int,
    geometry: Geometry,
    rng: np.random.Generator,
    pilots: NDArray[np.complex128],
    patterns: NDArray,
) -> Trial:
    """The trial of a drawn geometry: channels (redrawing weak patterns), truth, measurement."""
    h1, h2 = physical_channels(geometry, scenario)
    patterns = redraw_weak_patterns(h1, h2, patterns, rng, phases=scenario.pattern_phases)
    h = cascaded_channels(h1, h2, patterns)
    y0 = np.einsum("kbn,nt->ktb", h, pilots).ravel()
    return Trial(
        scenario=scenario,
        index=index,
        pilots=pilots,
        patterns=patterns,
        geometry=geometry,
        H1=h1,
        H2=h2,
        H=h,
        z=angular_channel(geometry, scenario),
        support=angular_support(geometry, scenario.grid),
        y0=y0,
        factors=build_factors(patterns, pilots, scenario.n_bs, scenario.grid),
    )


def observe_blocks(
    blocks: Sequence[Trial], snr_db: float, rng: np.random.Generator | int | None = None
) -> list[Observation]:
    """Observe coherence blocks of one channel with one noise variance.

    Parameters
    ----------
    blocks : sequence of Trial
        The blocks (:meth:`Trial.block`, :meth:`krosbl.irs.Run.blocks`).
    snr_db : float
        SNR in dB, relative to the mean signal power over the blocks.
    rng : numpy.random.Generator or int or None, optional
        Noise source, drawn block after block.

    Returns
    -------
    list of Observation
        ``y_b = y_{0,b} + CN(0, σ² I)`` with ``σ² = (1/B) Σ_b P_b / 10^{SNR/10}``, the same
        for every block (a joint estimate learns one noise variance).
    """
    blocks = list(blocks)
    if not blocks or any(not isinstance(b, Trial) for b in blocks):
        raise ValueError("blocks must be a non-empty sequence of Trial")
    snr_db = check_real("snr_db", snr_db)
    noise_var = float(np.mean([b.signal_power for b in blocks])) / 10.0 ** (snr_db / 10.0)
    if noise_var == 0:
        raise ValueError("the blocks receive no signal (y_0 = 0): snr_db defines no noise")
    rng = np.random.default_rng(rng)
    return [_observed(b, snr_db, noise_var, rng) for b in blocks]


def _observed(
    trial: Trial, snr_db: float, noise_var: float, rng: np.random.Generator
) -> Observation:
    """``trial`` observed with noise ``CN(0, σ² I)`` drawn from ``rng`` (read-only ``y``)."""
    y = trial.y0 + complex_normal(rng, trial.y0.size, noise_var)
    y.flags.writeable = False
    return Observation(trial, snr_db, noise_var, y)
