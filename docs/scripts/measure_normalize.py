"""Measure what ``normalize`` does to each SBL method on the paper's two suites.

Every method runs twice on the same observations, with its paper preset as it is
(``normalize=False``, the authors' units) and with ``normalize=True`` (the same preset solved on
``y/s``, ``s = ‖y‖/√M``, and scaled back):

* **IRS**: the paper's scenario (run seed 7), known σ², channel NMSE.
* **Synthetic**: the paper's SNR-sweep problem (``N_i = 15``, ``M = (8, 12, 15)``, ``K = 3``),
  known σ², NMSE of ``x``.

Usage::

    OMP_NUM_THREADS=1 python docs/scripts/measure_normalize.py [--trials 10] [--json out.json]

Prints Markdown tables (mean / median / pooled NMSE in dB per method, SNR and setting).
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np
from measure_dkrosbl import Tally, _timed, rows, table, write_json

import krosbl
from krosbl import irs
from krosbl.experiments import synthetic_data as sd

IRS_SNRS = (4.0, 12.0, 20.0)
SYNTHETIC_SNRS = (10.0, 20.0, 30.0)
IRS_METHODS = ("pc-krosbl", "svd-krosbl", "am-krosbl", "pc-sbl", "sbl")
SYNTHETIC_METHODS = ("svd-krosbl", "am-krosbl", "ksbl", "sbl")


def _record(tally: Tally, estimate: np.ndarray, truth: np.ndarray, elapsed: float) -> None:
    err = float(np.sum(np.abs(estimate - truth) ** 2))
    ref = float(np.sum(np.abs(truth) ** 2))
    tally.nmse.append(err / ref)
    tally.err_sq.append(err)
    tally.ref_sq.append(ref)
    tally.time_s.append(elapsed)


def _synthetic_solve(
    y: np.ndarray, matrices: list[np.ndarray], method: str, sigma2: float, flag: bool
) -> krosbl.Result:
    return krosbl.recover(y, matrices, method, sigma2, settings="synthetic", normalize=flag)


def run_irs(trials: int, seed: int = 7) -> dict[str, dict[float, Tally]]:
    run = irs.Run(irs.Scenario.paper(), seed=seed)
    names = [(m, flag) for m in IRS_METHODS for flag in (False, True)]
    tallies = {f"{m} normalize={f}": {s: Tally() for s in IRS_SNRS} for m, f in names}
    for t in range(trials):
        trial = run.trial(t)
        noise = np.random.default_rng([seed, t])
        for snr in IRS_SNRS:
            obs = trial.observe(snr, rng=noise)
            for method, flag in names:
                solve = partial(irs.estimate, method=method, normalize=flag)
                est, elapsed, _ = _timed(solve, obs)
                _record(tallies[f"{method} normalize={flag}"][snr], est.H, trial.H, elapsed)
        print(f"irs trial {t + 1}/{trials}", flush=True)
    return tallies


def run_synthetic(trials: int, seed: int = 11) -> dict[str, dict[float, Tally]]:
    n, m, k = (15, 15, 15), (8, 12, 15), 3
    names = [(meth, flag) for meth in SYNTHETIC_METHODS for flag in (False, True)]
    tallies = {f"{m_} normalize={f}": {s: Tally() for s in SYNTHETIC_SNRS} for m_, f in names}
    for t in range(trials):
        data, noise = (np.random.default_rng([seed, t, i]) for i in range(2))
        matrices = sd.draw_matrices(data, m, n)
        truth = sd.draw_kron_sparse(data, n, k).vector()
        y0 = sd.measure(matrices, truth)
        for snr in SYNTHETIC_SNRS:
            sigma2 = sd.noise_variance(y0, snr)
            y = sd.noisy(noise, y0, sigma2)
            for method, flag in names:
                res, elapsed, _ = _timed(_synthetic_solve, y, matrices, method, sigma2, flag)
                _record(tallies[f"{method} normalize={flag}"][snr], res.x, truth, elapsed)
        print(f"synthetic trial {t + 1}/{trials}", flush=True)
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    results = {}
    for suite, runner, title in (
        ("irs", run_irs, "IRS, paper scenario, {} trials (channel NMSE)"),
        ("synthetic", run_synthetic, "Synthetic SNR sweep, {} trials"),
    ):
        tallies = runner(args.trials)
        print(table(title.format(args.trials), tallies, with_srr=False), flush=True)
        results[suite] = rows(tallies)
    write_json(args.json, results)


if __name__ == "__main__":
    main()
