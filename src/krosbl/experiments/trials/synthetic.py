"""The paper's synthetic sweeps (Fig. 3): NMSE, SRR and time vs SNR, M_1, K.

Per trial, from the trial's seed sequence: generator 0 draws the matrices, then ``x`` (then,
for the sparsity sweep, each growth step); generator 1 draws the noise, fresh for every
sweep value and shared by all algorithms.  The learned-noise ``M_1`` sweep (Fig. 5)
draws exactly as the known-noise one, so for the same seed both see the same problems.
R5 and R6 are departures listed in docs/reproduction.md; the data models are in
docs/theory.md, "Synthetic sweeps (Fig. 3)".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from .. import synthetic_data as sd
from ..config import SnrDb
from ..definitions import Row, TrialContext
from .common import ProblemSettings, check_m1_sweep, solve

__all__ = [
    "MeasurementsSettings",
    "SnrSettings",
    "SparsitySettings",
    "learned_noise_measurements_trial",
    "measurements_trial",
    "measurements_x",
    "snr_trial",
    "sparsity_trial",
]


class SnrSettings(ProblemSettings):
    """Panel (a): ``M_1 = 8``, ``K = 3``, SNR swept (dB)."""

    k: int = Field(default=3, ge=1)
    values: list[SnrDb] = Field(default=[5.0, 10.0, 15.0, 20.0, 25.0, 30.0], min_length=1)

    @model_validator(mode="after")
    def _check(self) -> SnrSettings:
        if self.k > min(self.n):
            raise ValueError(f"key 'k': must be at most min(n) = {min(self.n)}, got {self.k}")
        return self


class MeasurementsSettings(ProblemSettings):
    """Panel (b): ``K = 3``, 25 dB, ``M_1`` swept; ``m[0]`` is the row count σ² comes from (R5)."""

    m: list[int] = Field(default=[14, 12, 15], min_length=3, max_length=3)
    k: int = Field(default=3, ge=1)
    snr_db: SnrDb = 25.0
    values: list[int] = Field(default=[6, 8, 10, 12, 14], min_length=1)

    @model_validator(mode="after")
    def _check(self) -> MeasurementsSettings:
        check_m1_sweep(self)
        return self


class SparsitySettings(ProblemSettings):
    """Panel (c): ``M_1 = 8``, 25 dB, ``K`` swept over nested supports (R6)."""

    snr_db: SnrDb = 25.0
    values: list[int] = Field(default=[2, 3, 4, 5, 6], min_length=1)

    @model_validator(mode="after")
    def _check(self) -> SparsitySettings:
        v = self.values
        if v[0] < 1 or any(b <= a for a, b in pairwise(v)) or v[-1] > min(self.n):
            raise ValueError(
                f"key 'values': K must increase strictly within 1..min(n) = {min(self.n)}, got {v}"
            )
        return self


def _solve_all(
    ctx: TrialContext,
    value: float,
    y: NDArray[np.float64],
    matrices: Sequence[NDArray[np.float64]],
    x: sd.KronSparse,
    noise_var: float,
    *,
    learn_noise: bool = False,
) -> list[Row]:
    truth, support = x.vector(), x.support()
    rows = []
    for algorithm in ctx.algorithms:
        if learn_noise:
            row, _ = solve(algorithm, value, y, matrices, truth, support, None)
            row["true_noise_var"] = noise_var
        else:
            row, _ = solve(algorithm, value, y, matrices, truth, support, noise_var)
        rows.append(row)
    return rows


def snr_trial(ctx: TrialContext) -> list[Row]:
    """One trial of the SNR sweep: one ``x``, fresh noise per SNR."""
    s = ctx.settings
    assert isinstance(s, SnrSettings)
    data, noise = ctx.generators(2)
    matrices = sd.draw_matrices(data, s.m, s.n)
    x = sd.draw_kron_sparse(data, s.n, s.k)
    y0 = x.measure(matrices)
    rows: list[Row] = []
    for snr in s.values:
        sigma2 = sd.noise_variance(y0, snr)
        rows += _solve_all(ctx, snr, sd.noisy(noise, y0, sigma2), matrices, x, sigma2)
    return rows


def _measurements(ctx: TrialContext, *, learn_noise: bool) -> list[Row]:
    s = ctx.settings
    assert isinstance(s, MeasurementsSettings)
    data, noise = ctx.generators(2)
    full = sd.draw_matrices(data, s.m, s.n)
    x = sd.draw_kron_sparse(data, s.n, s.k)
    sigma2 = sd.measurement_sweep_noise_var(x, full, s.snr_db)
    rows: list[Row] = []
    for m1 in s.values:
        matrices = [full[0][:m1], *full[1:]]
        y = sd.noisy(noise, x.measure(matrices), sigma2)
        rows += _solve_all(ctx, m1, y, matrices, x, sigma2, learn_noise=learn_noise)
    return rows


def measurements_trial(ctx: TrialContext) -> list[Row]:
    """One trial of the ``M_1`` sweep: ``A_1`` = the first ``M_1`` rows of one ``m[0]``-row draw.

    σ² comes from the noiseless measurement of the full ``m[0]``-row ``A_1`` and is reused for
    every ``M_1`` (departure R5); the solvers know it.
    """
    return _measurements(ctx, learn_noise=False)


def learned_noise_measurements_trial(ctx: TrialContext) -> list[Row]:
    """One trial of the ``M_1`` sweep with σ² learned by every method (Fig. 5).

    The data are those of :func:`measurements_trial` (same draws, the R5 σ²); the solvers get
    ``noise_var=None`` and learn σ² by EM.  ``noise_var`` is the learned σ²,
    ``true_noise_var`` the σ² of the noise added.
    """
    return _measurements(ctx, learn_noise=True)


def sparsity_trial(ctx: TrialContext) -> list[Row]:
    """One trial of the ``K`` sweep: nested supports, σ² recomputed per ``K``."""
    s = ctx.settings
    assert isinstance(s, SparsitySettings)
    data, noise = ctx.generators(2)
    matrices = sd.draw_matrices(data, s.m, s.n)
    x = sd.draw_kron_sparse(data, s.n, s.values[0])
    rows: list[Row] = []
    for k in s.values:
        while len(x.supports[0]) < k:
            x = x.grow(data)
        y0 = x.measure(matrices)
        sigma2 = sd.noise_variance(y0, s.snr_db)
        rows += _solve_all(ctx, k, sd.noisy(noise, y0, sigma2), matrices, x, sigma2)
    return rows


def measurements_x(value: float, settings: Mapping[str, Any]) -> float:
    """The figure's x coordinate of the ``M_1`` sweep: ``M_1 M_2 M_3 / (N_1 N_2 N_3)``."""
    m, n = settings["m"], settings["n"]
    return float(value) * m[1] * m[2] / (n[0] * n[1] * n[2])
