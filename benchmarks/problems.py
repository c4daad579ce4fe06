"""Benchmark problems: reproducible specifications (data) and the problems they build.

A *spec* is a small frozen dataclass (picklable, so a child process can rebuild the same
problem from it); :meth:`build` draws everything from the specification's seed and returns a
:class:`Problem`: measurements, factors, truth, the known noise variance and the solver
settings each method uses on it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from krosbl import presets
from krosbl.experiments import synthetic_data
from krosbl.operators import Kron
from krosbl.settings import SolverSettings

__all__ = ["IRSSpec", "Problem", "ProblemSpec", "SyntheticSpec"]


@dataclass(eq=False)
class Problem:
    """One recovery problem ``y = (A_1 ⊗ … ⊗ A_I) x + n`` with its truth.

    Attributes
    ----------
    name : str
        Short name (shown in the table).
    y : ndarray
        Measurements; shape ``(B, M)`` for a batch of ``B`` problems with one truth.
    factors : tuple of ndarray
        The Kronecker factors ``A_i``.
    x : ndarray
        True unknown (flat, ``numpy.kron`` order).
    noise_var : float
        The noise variance ``σ²`` of the draw, passed to the solvers as known.
    preset : {"synthetic", "irs"}
        Which presets the solvers use; IRS problems pick
        :func:`krosbl.irs.irs_settings` at the problem's SNR.
    snr_db : float
        SNR of the draw.
    trial : krosbl.irs.Trial or None
        The IRS trial, for the channel NMSE; ``None`` otherwise.
    info : dict
        JSON-ready description (sizes, seed, SNR, …).
    """

    name: str
    y: NDArray
    factors: tuple[NDArray, ...]
    x: NDArray
    noise_var: float
    preset: Literal["synthetic", "irs"]
    snr_db: float
    trial: Any = None
    info: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def operator(self) -> Kron:
        """The dictionary as a :class:`~krosbl.Kron`."""
        return Kron(self.factors)

    @cached_property
    def dense(self) -> NDArray:
        """The dense ``ΠM × ΠN`` dictionary (built once, outside any timing)."""
        return self.operator.todense()

    def settings_for(self, method: str) -> SolverSettings | None:
        """The preset of ``method`` on this problem (``None``: krosbl's default).

        Parameters
        ----------
        method : str
            A method of :func:`krosbl.methods`.

        Returns
        -------
        SolverSettings or None
        """
        if self.preset == "irs":
            from krosbl import irs

            return irs.irs_settings(method, self.snr_db)
        row = presets.PRESETS["synthetic"]
        return row[method] if method in row else None

    def channel_nmse(self, x_hat: NDArray) -> float | None:
        """Channel NMSE of an estimate (IRS problems), else ``None``."""
        if self.trial is None:
            return None
        from krosbl import irs

        z_hat = np.asarray(x_hat).reshape(self.trial.scenario.unknown_shape)
        return float(irs.channel_nmse(self.trial.rebuild(z_hat), self.trial))


@dataclass(frozen=True)
class SyntheticSpec:
    """A real Gaussian problem as in the paper's synthetic experiments (Fig. 3).

    Factors i.i.d. N(0, 1) (``drawn_rows[i]`` rows drawn, the first ``out_shape[i]`` kept,
    as the paper's measurement sweep draws ``A_1`` with 14 rows), ``x = x_1 ⊗ … ⊗ x_I`` with
    a random ``k``-subset support and N(0, 1) values per factor,
    ``σ² = mean|y_0|² / 10^{SNR/10}``.

    Parameters
    ----------
    name : str
        Short name.
    in_shape, out_shape : tuple of int
        ``(N_1, …, N_I)`` and ``(M_1, …, M_I)``.
    k : int
        Non-zeros per factor.
    snr_db : float
        SNR in dB.
    seed : int
        Seed of every draw.
    drawn_rows : tuple of int or None
        Rows drawn per factor before truncation (default ``out_shape``).
    """

    name: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    k: int
    snr_db: float
    seed: int
    drawn_rows: tuple[int, ...] | None = None

    def build(self) -> Problem:
        """Draw the problem (matrices, then ``x``, then the noise, as the synthetic experiments)."""
        rng = np.random.default_rng(self.seed)
        rows = self.drawn_rows or self.out_shape
        drawn = synthetic_data.draw_matrices(rng, rows, self.in_shape)
        factors = tuple(a[:m] for a, m in zip(drawn, self.out_shape, strict=True))
        truth = synthetic_data.draw_kron_sparse(rng, self.in_shape, self.k)
        y0 = truth.measure(factors)
        noise_var = synthetic_data.noise_variance(y0, self.snr_db)
        y = synthetic_data.noisy(rng, y0, noise_var)
        info = {"kind": "synthetic (as the paper's Fig. 3)", **dataclasses.asdict(self)}
        info["n_unknowns"] = int(np.prod(self.in_shape))
        info["n_measurements"] = int(np.prod(self.out_shape))
        return Problem(
            name=self.name,
            y=y,
            factors=factors,
            x=truth.vector(),
            noise_var=noise_var,
            preset="synthetic",
            snr_db=self.snr_db,
            info=info,
        )


@dataclass(frozen=True)
class IRSSpec:
    """One observation of one trial of the paper's IRS-MIMO experiment (Figs. 6–8).

    Parameters
    ----------
    name : str
        Short name.
    snr_db : float
        SNR of the observation.
    seed : int
        Seed of the :class:`krosbl.irs.Run`; the noise is drawn from ``seed + 1``.
    trial : int
        Trial index within the run.
    scenario : tuple of (str, value) pairs
        Overrides of :meth:`krosbl.irs.Scenario.paper` (e.g. a smaller grid for ``--quick``).
    draws : int
        Observations of the trial at ``snr_db`` (noise from seeds ``seed + 1``, ``seed + 2``,
        …); more than one makes ``y`` a ``(draws, M)`` batch of problems with one truth.
    """

    name: str
    snr_db: float
    seed: int
    trial: int = 0
    scenario: tuple[tuple[str, Any], ...] = ()
    draws: int = 1

    def build(self) -> Problem:
        """Simulate the trial and observe it at ``snr_db`` (truth: the angular channel ``z``)."""
        from krosbl import irs

        scenario = dataclasses.replace(
            irs.Scenario.paper(), n_trials=self.trial + 1, **dict(self.scenario)
        )
        trial = irs.Run(scenario, seed=self.seed).trial(self.trial)
        draws = [
            trial.observe(self.snr_db, rng=np.random.default_rng(self.seed + 1 + d))
            for d in range(self.draws)
        ]
        obs = draws[0]
        info = {"kind": "IRS-MIMO trial (as the paper's Figs. 6–8)", **dataclasses.asdict(self)}
        info["scenario"] = dict(self.scenario)
        info["n_unknowns"] = int(np.prod(scenario.unknown_shape))
        info["n_measurements"] = scenario.n_measurements
        info["out_shape"] = [int(f.shape[0]) for f in trial.factors]
        info["in_shape"] = [int(f.shape[1]) for f in trial.factors]
        return Problem(
            name=self.name,
            y=np.array(obs.y) if self.draws == 1 else np.array([d.y for d in draws]),
            factors=tuple(np.array(f) for f in trial.factors),
            x=np.array(trial.z).ravel(),
            noise_var=obs.noise_var,
            preset="irs",
            snr_db=self.snr_db,
            trial=trial,
            info=info,
        )


#: Any problem specification.
ProblemSpec = SyntheticSpec | IRSSpec
