"""Batched against one-by-one solves on the five SNRs of IRS trials (docs/performance.md).

For each trial of the paper's IRS scenario (run seed 7) the five observations at 4–20 dB are
solved by one ``krosbl.irs.estimate_batch`` call and by one ``krosbl.irs.estimate`` each,
taking turns, with each method's IRS preset at 4 dB; the table gives, per method, the median
over the trials of the one-by-one time over the batched time (> 1: the batch is faster) and
the largest relative difference of the channel estimates.

    OMP_NUM_THREADS=1 python docs/scripts/measure_batch_snrs.py [TRIALS]
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np

from krosbl import irs

METHODS = ("svd-krosbl", "am-krosbl", "pc-krosbl", "dkrosbl")
SNRS = (4.0, 8.0, 12.0, 16.0, 20.0)


def main(trials: int) -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    run = irs.Run(irs.Scenario.paper(), seed=7)
    for method in METHODS:
        settings = irs.irs_settings(method, 4.0)
        ratios, worst = [], 0.0
        for t in range(trials):
            trial = run.trial(t)
            observations = [trial.observe(s, rng=np.random.default_rng(t)) for s in SNRS]
            start = time.perf_counter()
            batch = irs.estimate_batch(observations, method, settings=settings)
            batched = time.perf_counter() - start
            start = time.perf_counter()
            alone = [irs.estimate(o, method, settings=settings) for o in observations]
            one_by_one = time.perf_counter() - start
            ratios.append(one_by_one / batched)
            for b, a in zip(batch, alone):
                worst = max(worst, float(np.linalg.norm(b.H - a.H) / np.linalg.norm(a.H)))
        print(
            f"{method:11s} one-by-one / batched: median {statistics.median(ratios):.2f} "
            f"(range {min(ratios):.2f}–{max(ratios):.2f}), largest difference {worst:.1e}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
