"""The off-grid estimator against the oracle and the on-grid methods (docs/offgrid.md, measured).

Paper scenario (seed 7) with ``K2`` patterns and off-grid level ρ: for each SNR, the mean over
the trials of the per-pattern training NMSE (the paper's), the pooled training NMSE and the
held-out NMSE (100 fresh patterns, the same for every method of a trial), in dB, and the mean
solve time (one BLAS thread recommended: ``OMP_NUM_THREADS=1``). Markdown table.

Usage: ``python docs/scripts/irs_offgrid_estimator.py [TRIALS]`` (default 10).
"""

from __future__ import annotations

import sys

import numpy as np

from krosbl import irs

METHODS = ("offgrid", "oracle-angles", "pc-krosbl", "svd-krosbl")
LEVELS = (0.0, 0.5)
PATTERNS = (6, 20, 40)
SNRS = (4.0, 12.0, 20.0)


def db(x: float) -> str:
    return f"{10 * np.log10(x):.1f}"


def main(n_trials: int) -> None:
    print("| ρ | K2 | SNR | method | training (dB) | pooled (dB) | held-out (dB) | ms |")
    print("|---|---|---|---|---|---|---|---|")
    for rho in LEVELS:
        for k2 in PATTERNS:
            run = irs.Run(irs.Scenario(off_grid=rho, n_patterns=k2, n_trials=n_trials), seed=7)
            trials = list(run)
            for snr in SNRS:
                scores = {m: np.zeros((n_trials, 4)) for m in METHODS}
                for trial in trials:
                    obs = trial.observe(snr, rng=trial.index)
                    for m in METHODS:
                        est = irs.estimate(obs, m)
                        scores[m][trial.index] = (
                            irs.channel_nmse(est, trial),
                            irs.pooled_nmse(est, trial),
                            irs.heldout_nmse(est, trial, rng=1000 + trial.index),
                            est.result.time_s,
                        )
                for m in METHODS:
                    train, pooled, held, t = scores[m].mean(axis=0)
                    print(
                        f"| {rho:g} | {k2} | {snr:g} | {m} | {db(train)} | {db(pooled)} "
                        f"| {db(held)} | {1e3 * t:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
