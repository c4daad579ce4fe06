"""The IRS-MIMO experiment of spec §8 (the paper's Fig. 6-8): channel NMSE, SER, time vs SNR.

Randomness (Appendix A, R3, R14): the pilots, patterns and channels come from
``krosbl.irs.Run(scenario, seed=seed)`` (pilots and patterns shared by every trial); the
trial's own generators draw, in order of SNR, the noise (one draw per SNR, shared by all
algorithms), the 1e5 QPSK symbols (one set per SNR, shared) and the SER noise (fresh per call).
Every estimator gets exactly its algorithm's preset at the SNR (``Algorithm.settings``): the
``"irs"`` rows, ``"irs-beta-0.5"`` for PC-KroSBL with β = 0.5, and ``"irs-high-snr"`` for
SVD-KroSBL from 25 dB (spec §9).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from krosbl import irs

from ..config import ExperimentSettings
from ..definitions import Row, TrialContext

__all__ = ["IrsSettings", "irs_trial"]


class IrsSettings(ExperimentSettings):
    """Settings of the IRS experiment; the defaults are the paper's (spec §8.1, §8.3).

    ``values`` are the SNRs (dB); the scenario fields are those of :class:`krosbl.irs.Scenario`.
    """

    n_ms: int = 6
    n_bs: int = 16
    n_irs: int = 256
    grid: int = 18
    spread: int = 3
    n_pilots: int = 3
    n_patterns: int = 6
    redraw_per_trial: bool = False
    n_symbols: int = Field(default=100_000, ge=1)
    values: list[float] = Field(default=[4.0, 8.0, 12.0, 16.0, 20.0], min_length=1)

    @model_validator(mode="after")
    def _check(self) -> IrsSettings:
        try:
            self.scenario(1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"scenario: {exc}") from None
        return self

    def scenario(self, n_trials: int) -> irs.Scenario:
        """The :class:`krosbl.irs.Scenario` of these settings with ``n_trials`` trials."""
        return irs.Scenario(
            n_ms=self.n_ms,
            n_bs=self.n_bs,
            n_irs=self.n_irs,
            grid=self.grid,
            spread=self.spread,
            n_pilots=self.n_pilots,
            n_patterns=self.n_patterns,
            snr_db=tuple(self.values),
            n_trials=n_trials,
        )


def irs_trial(ctx: TrialContext) -> list[Row]:
    """One channel realisation, every SNR and algorithm."""
    s = ctx.settings
    assert isinstance(s, IrsSettings)
    run = irs.Run(s.scenario(ctx.trial + 1), seed=s.seed, redraw_per_trial=s.redraw_per_trial)
    trial = run.trial(ctx.trial)
    noise, symbols_rng, ser_noise = ctx.generators(3)
    rows: list[Row] = []
    for snr in s.values:
        obs = trial.observe(snr, rng=noise)
        symbols = irs.draw_symbols(symbols_rng, s.n_symbols)
        for algorithm in ctx.algorithms:
            est = irs.estimate(obs, algorithm.method, settings=algorithm.settings(snr))
            result = est.result
            rows.append(
                {
                    "algorithm": algorithm.name,
                    "value": float(snr),
                    "nmse": irs.channel_nmse(est, trial),
                    "ser": irs.symbol_error_rate(est, trial, snr, rng=ser_noise, symbols=symbols),
                    "time_s": result.time_s,
                    "n_iter": result.n_iter,
                    "converged": bool(result.converged),
                    "noise_var": obs.noise_var,
                }
            )
    return rows
