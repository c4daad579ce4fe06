"""IRS channels over several coherence blocks (beyond the paper): joint against independent.

The paper's IRS scenario observed in ``B`` coherence blocks whose paths keep their angles while
their gains are redrawn (:meth:`krosbl.irs.Run.blocks`), all at one noise variance
(:func:`krosbl.irs.observe_blocks`). Each estimator runs twice on the same observations: once
per block on its own (``NAME``), and once on all the blocks together (``NAME-joint``,
:func:`krosbl.irs.estimate_joint`: snapshots with the same patterns, tasks with fresh ones).
A row's ``nmse`` is the mean over the blocks of the paper's channel NMSE, ``err_sq`` and
``ref_sq`` their sums (so the pooled NMSE pools blocks and trials), ``time_s`` the time of all
the blocks.

Randomness: the blocks of trial ``t`` depend only on the seed, ``t`` and the block; the two
pattern conditions (same, fresh) share the geometry and the gains, and condition ``c`` draws
its noise from the trial's generator ``c``, SNR after SNR.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from krosbl import irs
from krosbl.metrics import error_energy

from ..definitions import Algorithm, Row, TrialContext
from .irs import IrsScenarioSettings

__all__ = ["JOINT", "BlocksSettings", "blocks_trial"]

#: The suffix of an algorithm that estimates the blocks jointly.
JOINT = "-joint"


class BlocksSettings(IrsScenarioSettings):
    """Settings of ``irs-blocks``: the paper's scenario in ``blocks`` coherence blocks.

    ``fresh_patterns`` lists the conditions: the blocks reuse the training patterns
    (``false``) or draw their own (``true``).
    """

    n_patterns: int = 6
    blocks: int = Field(default=4, ge=2)
    fresh_patterns: list[bool] = Field(default=[False, True], min_length=1, max_length=2)
    values: list[float] = Field(default=[4.0, 8.0, 12.0], min_length=1)

    def conditions(self) -> list[bool]:
        """The pattern conditions, in the order a trial runs them."""
        return list(self.fresh_patterns)

    def scenario(self, n_trials: int) -> irs.Scenario:
        """The :class:`krosbl.irs.Scenario` of these settings with ``n_trials`` trials."""
        return self.scenario_with(n_trials, self.n_patterns)


def _estimates(
    algorithm: Algorithm, observations: list[irs.Observation], snr: float
) -> list[irs.Estimate]:
    settings = algorithm.settings(snr)
    if algorithm.name.endswith(JOINT):
        return irs.estimate_joint(observations, algorithm.method, settings=settings)
    return [irs.estimate(o, algorithm.method, settings=settings) for o in observations]


def _row(
    algorithm: Algorithm, snr: float, blocks: list[irs.Trial], estimates: list[irs.Estimate]
) -> Row:
    energies = [error_energy(e.H, b.H) for e, b in zip(estimates, blocks)]
    return {
        "algorithm": algorithm.name,
        "value": float(snr),
        "nmse": float(np.mean([irs.channel_nmse(e, b) for e, b in zip(estimates, blocks)])),
        "time_s": float(sum(e.result.time_s for e in estimates)),
        "n_iter": float(np.mean([e.result.n_iter for e in estimates])),
        "converged": all(bool(e.result.converged) for e in estimates),
        "noise_var": estimates[0].result.noise_var,
        "err_sq": float(sum(e for e, _ in energies)),
        "ref_sq": float(sum(r for _, r in energies)),
    }


def blocks_trial(ctx: TrialContext) -> list[Row]:
    """One channel in ``blocks`` coherence blocks per pattern condition, every SNR and
    algorithm, each block alone and all together."""
    s = ctx.settings
    assert isinstance(s, BlocksSettings)
    run = irs.Run(s.scenario(ctx.trial + 1), seed=s.seed, redraw_per_trial=s.redraw_per_trial)
    streams = ctx.generators(len(s.fresh_patterns))
    rows: list[Row] = []
    for fresh, noise in zip(s.conditions(), streams):
        blocks = run.blocks(ctx.trial, s.blocks, fresh_patterns=fresh)
        for snr in s.values:
            observations = irs.observe_blocks(blocks, snr, rng=noise)
            for algorithm in ctx.algorithms:
                estimates = _estimates(algorithm, observations, snr)
                row = _row(algorithm, snr, blocks, estimates)
                rows.append({**row, "fresh_patterns": fresh})
    return rows
