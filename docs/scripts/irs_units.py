"""How the IRS estimates depend on the units of y (docs/irs.md, "Units").

Runs every IRS method with its IRS preset on the paper's scenario twice: on ``y`` as
simulated, and on ``y / c`` with ``σ² / c²`` (the same problem in other units; the estimate
is multiplied back by ``c``). Prints the mean channel NMSE over the trials as a Markdown table.

Usage: ``python docs/scripts/irs_units.py [TRIALS] [C]`` (defaults 6 and 1000).
"""

from __future__ import annotations

import sys

import numpy as np

import krosbl
from krosbl import irs

METHODS = ("svd-krosbl", "am-krosbl", "pc-krosbl", "sbl", "pc-sbl")
SNRS = (4.0, 12.0, 20.0)


def channel_nmse(trial: irs.Trial, obs: irs.Observation, method: str, c: float) -> float:
    """Channel NMSE of ``method`` on the observation expressed in units ``c`` times larger."""
    settings = irs.irs_settings(method, obs.snr_db)
    res = krosbl.recover(obs.y / c, trial.operator, method, obs.noise_var / c**2, settings=settings)
    h = trial.rebuild((res.x * c).reshape(trial.scenario.unknown_shape))
    return irs.channel_nmse(h, trial)


def main(trials: int = 6, c: float = 1e3) -> None:
    run = irs.Run(irs.Scenario.paper(), seed=7)
    table: dict[tuple[float, str, float], list[float]] = {
        (s, m, k): [] for s in SNRS for m in METHODS for k in (1.0, c)
    }
    for t in range(trials):
        trial = run.trial(t)
        for snr in SNRS:
            obs = trial.observe(snr, rng=np.random.default_rng(100 + t))
            for method in METHODS:
                for k in (1.0, c):
                    table[snr, method, k].append(channel_nmse(trial, obs, method, k))
    print(f"| SNR | {' | '.join(METHODS)} |")
    print(f"|---|{'---|' * len(METHODS)}")
    for snr in SNRS:
        cells = [
            f"{np.mean(table[snr, m, 1.0]):.3f} → {np.mean(table[snr, m, c]):.3f}" for m in METHODS
        ]
        print(f"| {snr:g} dB | {' | '.join(cells)} |")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 6, float(args[1]) if len(args) > 1 else 1e3)
