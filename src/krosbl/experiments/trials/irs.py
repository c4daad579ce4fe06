"""The paper's IRS-MIMO experiment (Figs. 6–8): channel NMSE, SER, time vs SNR.

Randomness (departures R3 and R14 in docs/reproduction.md): the pilots, patterns and
channels come from ``krosbl.irs.Run(scenario, seed=seed)`` (pilots and patterns shared by
every trial); the
trial's own generators draw, in order of SNR, the noise (one draw per SNR, shared by all
algorithms), the 1e5 QPSK symbols (one set per SNR, shared) and the SER noise (fresh per call).
Every estimator gets exactly its algorithm's preset at the SNR (``Algorithm.settings``): the
``"irs"`` rows, ``"irs-beta-0.5"`` for PC-KroSBL with β = 0.5, and ``"irs-high-snr"`` for
SVD-KroSBL from 25 dB (docs/theory.md, "Per-experiment settings").
"""

from __future__ import annotations

from pydantic import Field, model_validator

from krosbl import irs

from ..config import ExperimentSettings, SnrDb
from ..definitions import Row, TrialContext

__all__ = ["IrsSettings", "irs_trial"]

#: The paper's scenario (:meth:`krosbl.irs.Scenario.paper`): the defaults of :class:`IrsSettings`.
_PAPER = irs.Scenario.paper()


class IrsSettings(ExperimentSettings):
    """Settings of the IRS experiment; the defaults are the paper's.

    ``values`` are the SNRs (dB); the scenario fields are those of :class:`krosbl.irs.Scenario`.
    """

    n_ms: int = _PAPER.n_ms
    n_bs: int = _PAPER.n_bs
    n_irs: int = _PAPER.n_irs
    grid: int = _PAPER.grid
    spread: int = _PAPER.spread
    n_pilots: int = _PAPER.n_pilots
    n_patterns: int = _PAPER.n_patterns
    redraw_per_trial: bool = False
    n_symbols: int = Field(default=100_000, ge=1)
    values: list[SnrDb] = Field(default=list(_PAPER.snr_db), min_length=1)

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
