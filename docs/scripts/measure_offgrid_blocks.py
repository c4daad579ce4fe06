"""Off-grid IRS channels over coherence blocks with fresh patterns: joint against one block.

The paper's IRS scenario with ``K2 = 6`` training patterns and every angle off the grid by up to
half a cell (``ρ = 0.5``), at 20 dB: trials 0–19 of seed 0, each drawn in ``B`` coherence
blocks with the same angles, fresh gains and fresh patterns (:meth:`krosbl.irs.Run.blocks`),
observed at one noise variance (:func:`krosbl.irs.observe_blocks`). For block 0 of every trial
it scores, on 100 fresh patterns (:func:`krosbl.irs.heldout_nmse`):

* the off-grid estimator on block 0 alone (``irs.estimate(obs[0], "offgrid")``);
* the off-grid estimator on all ``B`` blocks (``irs.estimate_joint(obs, "offgrid")``);
* the true-angle oracle on block 0 (``"oracle-angles"``).

It prints the median and the mean held-out NMSE (dB) over the trials for each ``B``.

Usage::

    OMP_NUM_THREADS=1 python docs/scripts/measure_offgrid_blocks.py
"""

from __future__ import annotations

import numpy as np

from krosbl import irs

TRIALS = 20
SNR_DB = 20.0


def _db(value: float) -> float:
    return 10.0 * np.log10(value)


def main(counts: tuple[int, ...] = (1, 2, 3, 4, 8)) -> None:
    scenario = irs.Scenario(off_grid=0.5, n_patterns=6)
    run = irs.Run(scenario, seed=0)
    print(f"K2 = 6, ρ = 0.5, {SNR_DB:g} dB, {TRIALS} trials; held-out NMSE of block 0 (dB)")
    print(f"{'B':>3} {'estimator':>14} {'median':>8} {'mean':>8}")
    for count in counts:
        scores: dict[str, list[float]] = {}
        for t in range(TRIALS):
            blocks = run.blocks(t, count, fresh_patterns=True)
            obs = irs.observe_blocks(blocks, SNR_DB, rng=1000 + t)
            estimates = {
                "one block": irs.estimate(obs[0], "offgrid"),
                "joint": irs.estimate_joint(obs, "offgrid")[0],
                "true angles": irs.estimate(obs[0], "oracle-angles"),
            }
            for name, est in estimates.items():  # the same held-out patterns for each
                nmse = irs.heldout_nmse(est, blocks[0], rng=t)
                scores.setdefault(name, []).append(nmse)
        for name, values in scores.items():
            nmse = np.array(values)
            print(
                f"{count:>3} {name:>14} {_db(float(np.median(nmse))):8.1f} "
                f"{_db(float(nmse.mean())):8.1f}"
            )


if __name__ == "__main__":
    main()
