"""The off-grid IRS experiment of He & Joseph (arXiv:2412.00310): NMSE and time vs SNR.

The authors' system (:class:`krosbl.irs.OffSBLScenario`: three IRS arrival paths, one MS and
one BS path, continuous-phase patterns, pilots and patterns drawn anew each trial), measured at
each SNR with the per-entry SNR of their code. Every algorithm estimates the same measurement
and is scored by the authors' NMSE (mean over the training patterns of
``‖Ĥ_k − H_k‖²/‖H_k‖²``), the pooled training NMSE and the same mean over fresh patterns of
the training law, which their code does not score.

Randomness: the trial's generator 0 draws the channel with its pilots and patterns, generator 1
the noise (in order of SNR, shared by every algorithm), generator 2 the fresh patterns (one set
per trial, shared by every SNR and algorithm).
"""

from __future__ import annotations

from pydantic import Field

from krosbl import irs

from ..config import ExperimentSettings, SnrDb
from ..definitions import Row, TrialContext
from .irs import score_row

__all__ = ["OffSBLSettings", "offsbl_trial"]

_AUTHORS = irs.OffSBLScenario()


class OffSBLSettings(ExperimentSettings):
    """Settings of ``irs-offsbl``; the defaults are the authors'.

    ``values`` are the SNRs (dB); ``n_patterns``, ``n_pilots``, ``n_irs`` and ``n_irs_paths``
    those of :class:`krosbl.irs.OffSBLScenario`; ``grid`` the angular grid ``G`` of the
    on-grid estimators (dKroSBL); ``heldout_patterns`` the fresh patterns scored.
    """

    n_patterns: int = Field(default=_AUTHORS.n_patterns, ge=1)
    n_pilots: int = Field(default=_AUTHORS.n_pilots, ge=1)
    n_irs: int = Field(default=_AUTHORS.n_irs, ge=2)
    n_irs_paths: int = Field(default=_AUTHORS.n_irs_paths, ge=1)
    grid: int = Field(default=64, ge=2)
    heldout_patterns: int = Field(default=40, ge=1)
    values: list[SnrDb] = Field(default=[-5.0, 0.0, 5.0, 10.0, 15.0, 20.0], min_length=1)

    def scenario(self) -> irs.OffSBLScenario:
        """The :class:`krosbl.irs.OffSBLScenario` of these settings."""
        return irs.OffSBLScenario(
            n_irs=self.n_irs,
            n_pilots=self.n_pilots,
            n_patterns=self.n_patterns,
            n_irs_paths=self.n_irs_paths,
            grid=self.grid,
        )


def offsbl_trial(ctx: TrialContext) -> list[Row]:
    """One channel, every SNR and algorithm."""
    s = ctx.settings
    assert isinstance(s, OffSBLSettings)
    draw, noise, fresh = ctx.generators(3)
    trial = s.scenario().trial(draw)
    patterns, h_fresh = trial.fresh_channels(s.heldout_patterns, fresh)
    system = trial.system
    rows: list[Row] = []
    for snr in s.values:
        measurement = trial.observe(snr, rng=noise)
        for algorithm in ctx.algorithms:
            options = {"settings": algorithm.settings(snr), **algorithm.options}
            est = irs.estimate(measurement, algorithm.method, **options)
            row = score_row(algorithm, snr, est, trial.H, trial.scenario.n_paths)
            h_hat = est.paths.channels(patterns, n_ms=system.n_ms, n_bs=system.n_bs)
            row["heldout_nmse"] = irs.channel_nmse(h_hat, h_fresh)
            rows.append(row)
    return rows
