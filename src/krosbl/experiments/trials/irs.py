"""The paper's IRS-MIMO experiment (Figs. 6–8): channel NMSE, SER, time vs SNR.

Randomness (departures R3 and R14 in docs/reproduction.md): the pilots, patterns and channels
come from ``krosbl.irs.Run(scenario, seed=seed)`` (pilots and patterns shared by every trial); the
trial's own generators (:data:`STREAMS` of them) draw, in order of SNR, the noise (one draw per
SNR, shared by all algorithms), the 1e5 QPSK symbols (one set per SNR, shared) and the SER noise
(fresh per call: the paper's algorithms from one stream in legend order, those beyond the paper
from another, so that adding one leaves the paper's numbers unchanged).
Every estimator gets exactly its algorithm's preset at the SNR (``Algorithm.settings``): the
``"irs"`` rows, ``"irs-beta-0.5"`` for PC-KroSBL with β = 0.5, and ``"irs-high-snr"`` for
SVD-KroSBL from 25 dB (docs/theory.md, "Per-experiment settings").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from krosbl import irs
from krosbl.metrics import error_energy

from ..config import ExperimentSettings, SnrDb
from ..definitions import Algorithm, Row, TrialContext

__all__ = [
    "STREAMS",
    "IrsScenarioSettings",
    "IrsSettings",
    "irs_rows",
    "irs_trial",
    "score_row",
    "simulate",
]

#: The paper's scenario (:meth:`krosbl.irs.Scenario.paper`): the defaults of :class:`IrsSettings`.
_PAPER = irs.Scenario.paper()

#: Generators one scenario's rows draw from (:func:`irs_rows`): noise, QPSK symbols, SER noise
#: of the paper's algorithms, SER noise of the others, seeds of the held-out patterns.
STREAMS = 5


class IrsScenarioSettings(ExperimentSettings):
    """The scenario settings every IRS experiment shares; the defaults are the paper's.

    ``values`` are the SNRs (dB); the scenario fields are those of :class:`krosbl.irs.Scenario`
    (the pattern count ``n_patterns`` is the subclasses').
    """

    n_ms: int = _PAPER.n_ms
    n_bs: int = _PAPER.n_bs
    n_irs: int = _PAPER.n_irs
    grid: int = _PAPER.grid
    spread: int = _PAPER.spread
    n_pilots: int = _PAPER.n_pilots
    redraw_per_trial: bool = False
    n_symbols: int = Field(default=100_000, ge=1)
    values: list[SnrDb] = Field(default=list(_PAPER.snr_db), min_length=1)

    def scenario_with(self, n_trials: int, n_patterns: int, off_grid: float = 0.0) -> irs.Scenario:
        """The :class:`krosbl.irs.Scenario` of these settings with ``K2 = n_patterns``, off-grid
        level ``off_grid`` and ``n_trials`` trials."""
        return irs.Scenario(
            n_ms=self.n_ms,
            n_bs=self.n_bs,
            n_irs=self.n_irs,
            grid=self.grid,
            spread=self.spread,
            n_pilots=self.n_pilots,
            n_patterns=n_patterns,
            snr_db=tuple(self.values),
            n_trials=n_trials,
            off_grid=off_grid,
        )


class IrsSettings(IrsScenarioSettings):
    """Settings of the IRS experiment; the defaults are the paper's scenario."""

    n_patterns: int = _PAPER.n_patterns

    @model_validator(mode="after")
    def _check(self) -> IrsSettings:
        try:
            self.scenario(1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"scenario: {exc}") from None
        return self

    def scenario(self, n_trials: int) -> irs.Scenario:
        """The :class:`krosbl.irs.Scenario` of these settings with ``n_trials`` trials."""
        return self.scenario_with(n_trials, self.n_patterns)


def simulate(settings: IrsScenarioSettings, scenario: irs.Scenario, index: int) -> irs.Trial:
    """Trial ``index`` of the run of ``scenario`` from the settings' seed."""
    run = irs.Run(scenario, seed=settings.seed, redraw_per_trial=settings.redraw_per_trial)
    return run.trial(index)


def irs_rows(
    ctx: TrialContext,
    trial: irs.Trial,
    streams: Sequence[np.random.Generator],
    heldout_patterns: int | None = None,
) -> list[Row]:
    """Observe one channel realisation at every SNR and score every algorithm on it.

    Parameters
    ----------
    ctx : TrialContext
        The trial (its settings give the SNRs and the symbol count).
    trial : krosbl.irs.Trial
        The channel realisation.
    streams : sequence of numpy.random.Generator
        :data:`STREAMS` generators, in the order of :data:`STREAMS`.
    heldout_patterns : int or None
        Score also the NMSE on this many fresh patterns (:func:`krosbl.irs.heldout_nmse`, the
        same patterns for every algorithm at an SNR); ``None``: no held-out column.

    Returns
    -------
    list of dict
        Per SNR and algorithm: the :func:`score_row` (``n_paths = (s, 1, s)``) with ``ser``,
        ``noise_var`` the observation's and ``heldout_nmse``.
    """
    s = ctx.settings
    assert isinstance(s, IrsScenarioSettings)
    noise, symbols_rng, ser_noise, beyond_ser_noise, heldout_seeds = streams
    # each stream is drawn in order of SNR, as when the SNRs are taken one after another
    observations = [trial.observe(snr, rng=noise) for snr in s.values]
    all_symbols = [irs.draw_symbols(symbols_rng, s.n_symbols) for _ in s.values]
    heldout = [int(heldout_seeds.integers(2**63)) if heldout_patterns else None for _ in s.values]
    batched = {a.name: _estimate_batched(a, observations) for a in ctx.algorithms if a.batched}
    rows: list[Row] = []
    for k, (snr, obs) in enumerate(zip(s.values, observations)):
        symbols, heldout_seed = all_symbols[k], heldout[k]
        for algorithm in ctx.algorithms:
            if algorithm.batched:
                est = batched[algorithm.name][k]
            else:
                options = {"settings": algorithm.settings(snr), **algorithm.options}
                est = irs.estimate(obs, algorithm.method, **options)
            spread = trial.scenario.spread
            row = score_row(algorithm, snr, est, trial.H, (spread, 1, spread))
            ser_rng = beyond_ser_noise if algorithm.beyond_paper else ser_noise
            row["ser"] = irs.symbol_error_rate(est, trial, snr, rng=ser_rng, symbols=symbols)
            row["noise_var"] = obs.noise_var
            if heldout_patterns:
                row["heldout_nmse"] = irs.heldout_nmse(
                    est, trial, n_patterns=heldout_patterns, rng=heldout_seed
                )
            rows.append(row)
    return rows


def score_row(
    algorithm: Algorithm,
    snr: float,
    est: irs.Estimate,
    channels: np.ndarray,
    n_paths: tuple[int, int, int],
) -> Row:
    """The scores every IRS experiment stores for one estimate against the true channels.

    Parameters
    ----------
    algorithm : Algorithm
        The estimator.
    snr : float
        The sweep value (SNR, dB).
    est : krosbl.irs.Estimate
        Its estimate.
    channels : ndarray, shape (K2, N_b, N_m)
        The true channels of the training patterns.
    n_paths : tuple of 3 int
        The true path counts of the (IRS, MS, BS) factors.

    Returns
    -------
    dict
        ``algorithm``, ``value``, ``nmse`` (per-pattern mean), ``time_s``, ``n_iter``,
        ``converged``, ``noise_var`` (the estimator's), the training energies
        ``err_sq = Σ_k ‖Ĥ_k − H_k‖²`` and ``ref_sq = Σ_k ‖H_k‖²`` and, for a path estimate,
        ``paths_correct`` (1 when its factors' path counts are ``n_paths``).
    """
    result = est.result
    row: Row = {
        "algorithm": algorithm.name,
        "value": float(snr),
        "nmse": irs.channel_nmse(est.H, channels),
        "time_s": result.time_s,
        "n_iter": result.n_iter,
        "converged": bool(result.converged),
        "noise_var": result.noise_var,
    }
    row["err_sq"], row["ref_sq"] = error_energy(est.H, channels)
    angles = (result.details or {}).get("factor_angles")
    if angles is not None:
        row["paths_correct"] = float(tuple(len(a) for a in angles) == tuple(n_paths))
    return row


def _estimate_batched(algorithm: Algorithm, observations: list[irs.Observation]) -> list[Any]:
    """``algorithm``'s estimates of every observation, one :func:`krosbl.irs.estimate_batch`
    call per group of SNRs that share its settings."""
    out: list[Any] = [None] * len(observations)
    groups: dict[Any, list[int]] = {}
    for k, obs in enumerate(observations):
        groups.setdefault(algorithm.settings(obs.snr_db), []).append(k)
    for settings, ks in groups.items():
        chosen = [observations[k] for k in ks]
        for k, est in zip(ks, irs.estimate_batch(chosen, algorithm.method, settings=settings)):
            out[k] = est
    return out


def irs_trial(ctx: TrialContext) -> list[Row]:
    """One channel realisation, every SNR and algorithm."""
    s = ctx.settings
    assert isinstance(s, IrsSettings)
    trial = simulate(s, s.scenario(ctx.trial + 1), ctx.trial)
    return irs_rows(ctx, trial, ctx.generators(STREAMS))
