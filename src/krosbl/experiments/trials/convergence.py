"""Per-iteration experiments: convergence with/without pruning (Fig. 2), known/learned σ² (Fig. 4).

Each row carries the per-iteration paths ``nmse_path`` (NMSE ``‖μ_t − x‖²/‖x‖²`` of the
E-step mean ``μ_t``, squared: departure R8 in docs/reproduction.md) and ``cost_path`` (the SBL
cost at each E-step); the sweep axis is the variant (0/1), and each algorithm's preset follows
it (:data:`CONVERGENCE_PRESETS`, :data:`NOISE_PRESETS`; the definitions map variant 1 to the
second preset with ``Algorithm.preset_from``).  Convergence rows also carry the support of the
final ``γ`` (entries > 1e-4, :data:`SUPPORT_THRESHOLD`) and the true support.
Generator 0 of the trial draws the matrices and ``x``, generator 1 the noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from krosbl import metrics

from .. import synthetic_data as sd
from ..config import SnrDb
from ..definitions import Row, TrialContext
from .common import ProblemSettings, solve

__all__ = [
    "CONVERGENCE_PRESETS",
    "NOISE_PRESETS",
    "SUPPORT_THRESHOLD",
    "ConvergenceSettings",
    "UnknownNoiseSettings",
    "convergence_trial",
    "unknown_noise_trial",
]

#: Sweep value -> preset: 0 = without pruning, 1 = with pruning (Fig. 2).
CONVERGENCE_PRESETS = {0: "convergence-no-pruning", 1: "convergence-pruning"}
#: Sweep value -> preset: 0 = known σ², 1 = learned σ² (Fig. 4).
NOISE_PRESETS = {0: "unknown-noise-known", 1: "unknown-noise-learned"}
#: Entries of the final ``γ`` counted as its support in the convergence figure.
SUPPORT_THRESHOLD = 1e-4


class _VariantSettings(ProblemSettings):
    m: list[int] = Field(default=[14, 12, 15], min_length=3, max_length=3)
    k: int = Field(default=4, ge=1)
    snr_db: SnrDb = 30.0
    values: list[int] = Field(default=[0, 1], min_length=1, max_length=2)

    @model_validator(mode="after")
    def _check(self) -> _VariantSettings:
        if self.k > min(self.n):
            raise ValueError(f"key 'k': must be at most min(n) = {min(self.n)}, got {self.k}")
        if not set(self.values) <= {0, 1} or len(set(self.values)) != len(self.values):
            raise ValueError(f"key 'values': distinct variants among 0 and 1, got {self.values}")
        return self


class ConvergenceSettings(_VariantSettings):
    """Fig. 2: ``M_1 = 14``, ``K = 4``, 30 dB, rank-one ``x``; 0 (no pruning), 1 (pruning)."""


class UnknownNoiseSettings(_VariantSettings):
    """Fig. 4: as Fig. 2, ``k^3`` i.i.d. N(0, ``value_variance``) values; 0 known, 1 learned σ²."""

    value_variance: float = Field(default=0.05, gt=0)


def _paths(result: Any, truth: NDArray[np.float64]) -> Row:
    return {
        "nmse_path": [metrics.nmse(mu, truth) for mu in result.mean_history],
        "cost_path": [float(c) for c in np.asarray(result.cost, dtype=float)],
    }


def _gamma_support(result: Any) -> list[int]:
    gamma = np.asarray(result.gamma, dtype=float)
    return [int(j) for j in np.flatnonzero(gamma > SUPPORT_THRESHOLD)]


def convergence_trial(ctx: TrialContext) -> list[Row]:
    """One realisation, every method with and without pruning, no early stop (Fig. 2)."""
    s = ctx.settings
    assert isinstance(s, ConvergenceSettings)
    data, noise = ctx.generators(2)
    matrices = sd.draw_matrices(data, s.m, s.n)
    x = sd.draw_kron_sparse(data, s.n, s.k)
    y0 = x.measure(matrices)
    sigma2 = sd.noise_variance(y0, s.snr_db)
    y = sd.noisy(noise, y0, sigma2)
    truth, support = x.vector(), x.support()
    rows: list[Row] = []
    for variant in s.values:
        for algorithm in ctx.algorithms:
            row, result = solve(
                algorithm, variant, y, matrices, truth, support, sigma2, record_history=True
            )
            rows.append(
                {
                    **row,
                    **_paths(result, truth),
                    "gamma_support": _gamma_support(result),
                    "true_support": [int(j) for j in support],
                }
            )
    return rows


def unknown_noise_trial(ctx: TrialContext) -> list[Row]:
    """One realisation, every method with known and with learned σ², no pruning (Fig. 4)."""
    s = ctx.settings
    assert isinstance(s, UnknownNoiseSettings)
    data, noise = ctx.generators(2)
    matrices = sd.draw_matrices(data, s.m, s.n)
    truth, support = sd.block_sparse(data, s.n, s.k, s.value_variance)
    y0 = sd.measure(matrices, truth)
    sigma2 = sd.noise_variance(y0, s.snr_db)
    y = sd.noisy(noise, y0, sigma2)
    rows: list[Row] = []
    for variant in s.values:
        known = sigma2 if variant == 0 else None
        for algorithm in ctx.algorithms:
            row, result = solve(
                algorithm, variant, y, matrices, truth, support, known, record_history=True
            )
            rows.append({**row, "true_noise_var": sigma2, **_paths(result, truth)})
    return rows
